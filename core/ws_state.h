/*
 * ws_state.h - the replicated state of topics: histories and presence
 * (docs/PRESENCE_HISTORY.md).
 *
 * The same store runs in the hub that orders the changes (a single-process
 * server, or the supervisor of a node with workers) and in every replica
 * that applies them in that order (each worker).  It knows nothing of
 * connections, loops or PHP: it holds bytes, sequence numbers and member
 * records, bounded by the history rules, and counts its memory.
 */
#ifndef WS_STATE_H
#define WS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "ws_map.h"

#define WS_HISTORY_ID_MAX 255     /* bytes of an application message id */
#define WS_PRESENCE_INFO_MAX 4096 /* bytes of a member's application data */
#define WS_STATE_EPOCH_LEN 16     /* hex digits */

/* How much history a topic keeps: size messages at most (0: none), ttl seconds at most (0: no age limit). */
typedef struct ws_history_rule {
	char *pattern;                /* exact topic, or a prefix when it ends in '*' ("" + '*' matches all) */
	size_t len;                   /* bytes of pattern, the '*' included */
	uint32_t size;
	uint32_t ttl;
} ws_history_rule_t;

/* One stored publication. */
typedef struct ws_history_entry {
	uint64_t seq;                 /* position in the topic's order, from 1 */
	uint64_t time_ms;             /* wall clock at sequencing, ms since the epoch */
	uint32_t len;                 /* bytes of data */
	uint8_t binary;
	uint8_t id_len;               /* bytes of the application id (0: none) */
	char bytes[];                 /* id, then data */
} ws_history_entry_t;

#define WS_HISTORY_ENTRY_ID(e) ((e)->bytes)
#define WS_HISTORY_ENTRY_DATA(e) ((e)->bytes + (e)->id_len)

/* One member of a topic's presence. */
typedef struct ws_member {
	uint64_t node;                /* 0: this node; else another node's id (ws_state_node_id()) */
	uint64_t conn;                /* connection id, unique on its node (instance << 40 | n) */
	int worker;                   /* worker slot of the owner (0 in a single process) */
	uint32_t info_len;
	char info[];
} ws_member_t;

typedef struct ws_state {
	ws_map_t histories;           /* topic -> ws_history_t (ws_state.c) */
	ws_map_t presence;            /* topic -> ws_presence_t (ws_state.c) */
	ws_history_rule_t *rules;     /* first match wins; then the default */
	size_t nrules;
	uint32_t default_size, default_ttl;
	char epoch[WS_STATE_EPOCH_LEN + 1];
	size_t *mem;                  /* bytes held are added here (the server's max_memory count), or NULL */
	size_t bytes;                 /* bytes held by this store */
	uint64_t entries;             /* history entries held, every topic */
	uint64_t members;             /* presence members, every topic */
} ws_state_t;

void ws_state_init(ws_state_t *st, size_t *mem);
/* Frees every history, member and rule. */
void ws_state_free(ws_state_t *st);
/* A fresh random epoch (a hub's state was lost or begins). */
void ws_state_new_epoch(ws_state_t *st);

/* The server-wide default (size 0: no history unless a rule says so). */
void ws_state_set_default(ws_state_t *st, uint32_t size, uint32_t ttl);
/* Adds a rule for a topic or a prefix ("room:*").  0, or -1 (ENOMEM, EINVAL for an empty pattern). */
int ws_state_add_rule(ws_state_t *st, const char *pattern, size_t len, uint32_t size, uint32_t ttl);
/* Copies the default and the rules of from into st (which has none).  0 or -1. */
int ws_state_copy_rules(ws_state_t *st, const ws_state_t *from);
/* The limits that apply to topic.  Returns size (0: the topic keeps no history). */
uint32_t ws_state_limits(const ws_state_t *st, const char *topic, size_t len, uint32_t *ttl);
/* 1 if any topic can have history (a default or a rule with size > 0). */
int ws_state_has_history(const ws_state_t *st);

/*
 * Appends a publication to topic's history.  seq 0 asks for the next
 * position (the hub); a replica passes the hub's.  Trims by size and age
 * (now_ms).  Returns the position, or 0 if the topic keeps no history or
 * memory ran out.
 */
uint64_t ws_state_append(ws_state_t *st, const char *topic, size_t tlen, uint64_t seq, uint64_t time_ms,
	const char *id, size_t id_len, const char *data, size_t len, int binary, uint64_t now_ms);
/* The last position given in topic (0 if none). */
uint64_t ws_state_last_seq(ws_state_t *st, const char *topic, size_t tlen);
/*
 * The epoch of topic's history: the store's own (st->epoch) unless the
 * history came from Redis, which gives each topic its own.  NULL if the
 * topic has no history.
 */
const char *ws_state_topic_epoch(ws_state_t *st, const char *topic, size_t tlen);

/* Empties topic's history and sets its epoch (NULL: the store's).  0, or -1 if it keeps no history. */
int ws_state_history_reset(ws_state_t *st, const char *topic, size_t tlen, const char *epoch);

enum {
	WS_STATE_APPENDED = 0,   /* stored after the previous one */
	WS_STATE_DUPLICATE = 1,  /* already there (a load brought it): not stored again */
	WS_STATE_RESET = 2,      /* stored as the first of a new history: another epoch */
	WS_STATE_NONE = 3,       /* not stored: the topic keeps no history, or memory ran out */
	WS_STATE_HOLE = 4        /* stored as the first of a new history: publications before it were missed */
};

/*
 * Appends a publication that Redis ordered (seq) in epoch (WS_STATE_EPOCH_LEN
 * characters, not necessarily NUL-terminated).  A new epoch, or
 * a position past the next one (publications were missed), restarts the
 * topic's history at this entry: the caller then reloads the rest from
 * Redis (ws_state_history_load()).
 */
int ws_state_append_remote(ws_state_t *st, const char *topic, size_t tlen, const char *epoch, uint64_t seq,
	uint64_t time_ms, const char *id, size_t id_len, const char *data, size_t len, int binary, uint64_t now_ms);

/* An entry as loaded from elsewhere (Redis), for ws_state_history_load(). */
typedef struct ws_state_load {
	uint64_t seq, time_ms;
	const char *id;
	size_t id_len;
	const char *data;
	size_t len;
	int binary;
} ws_state_load_t;

/*
 * Replaces topic's history with n loaded entries (ascending positions) of
 * epoch (WS_STATE_EPOCH_LEN hex digits, or NULL for the store's epoch).
 * When the epoch is the one the topic had, its own entries newer than the
 * last loaded one stay (they arrived while the load was on its way).
 * Returns 0, or -1 if the topic keeps no history or memory ran out.
 */
int ws_state_history_load(ws_state_t *st, const char *topic, size_t tlen, const char *epoch,
	const ws_state_load_t *entries, size_t n, uint64_t now_ms);

typedef void (*ws_history_cb)(void *arg, const ws_history_entry_t *e);

/* Calls fn for the last limit entries of topic (all if limit is 0), oldest first.  Returns how many. */
size_t ws_state_history(ws_state_t *st, const char *topic, size_t tlen, size_t limit, uint64_t now_ms,
	ws_history_cb fn, void *arg);
/*
 * Calls fn for every entry after the newest one whose id is since, oldest
 * first.  Returns how many, or -1 (nothing called) if no entry has that id
 * (too old, unknown, or the topic keeps no history) or if epoch is given
 * and is not the topic's.
 */
long ws_state_since(ws_state_t *st, const char *topic, size_t tlen, const char *since, size_t since_len,
	const char *epoch, size_t epoch_len, uint64_t now_ms, ws_history_cb fn, void *arg);
/* Calls fn(arg, topic, len, entries) for every topic with history. */
void ws_state_each_history(ws_state_t *st, void (*fn)(void *arg, const char *topic, size_t len, size_t entries), void *arg);

/* Members are keyed by (node, conn): node 0 is this node, another node's members carry its id. */
/* Adds or updates a member of topic.  1 if added, 2 if its info changed, 0 if unchanged, -1 on ENOMEM/EINVAL. */
int ws_state_join(ws_state_t *st, const char *topic, size_t tlen, uint64_t node, uint64_t conn, int worker,
	const char *info, size_t info_len);
/* Removes a member of topic.  1 if it was a member. */
int ws_state_leave(ws_state_t *st, const char *topic, size_t tlen, uint64_t node, uint64_t conn);
/* A member of topic, or NULL. */
const ws_member_t *ws_state_member(ws_state_t *st, const char *topic, size_t tlen, uint64_t node, uint64_t conn);
/* Calls fn for every member of topic.  Returns how many. */
size_t ws_state_members(ws_state_t *st, const char *topic, size_t tlen,
	void (*fn)(void *arg, const ws_member_t *m), void *arg);
/*
 * Removes every member of this node whose connection id is in instance
 * (id >> 40), calling fn for each before it goes (a dead worker's members).
 * Returns how many.
 */
size_t ws_state_drop_instance(ws_state_t *st, uint32_t instance,
	void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m), void *arg);
/* Removes every member of another node (a node that died, or before its full state is applied again). */
size_t ws_state_drop_node(ws_state_t *st, uint64_t node,
	void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m), void *arg);
/* The 64-bit id of a node from its 16 hex digits (never 0), or 0 if malformed. */
uint64_t ws_state_node_id(const char *hex, size_t len);
/* Calls fn for every member of every topic. */
void ws_state_each_member(ws_state_t *st, void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m), void *arg);

#endif
