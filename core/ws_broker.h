/*
 * ws_broker.h - the Redis broker between nodes (docs/BROKER.md): the broker
 * URL, the wire format of a publication on a Redis channel, the node's
 * asynchronous link (one connection pair per node, driven by our loop) and
 * the synchronous publisher used by WebSocket\Publisher.
 *
 * URL parsing and the wire codec need nothing but libc.  The link and the
 * publisher need hiredis (WS_HAVE_HIREDIS); without it their constructors
 * fail with ENOTSUP and ws_broker_available() returns 0.
 */
#ifndef WS_BROKER_H
#define WS_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "ws_bus.h"
#include "ws_loop.h"

struct ws_state_load;

#define WS_BROKER_PREFIX_MAX 64
#define WS_BROKER_NODE_LEN 16          /* hex digits of a node id */
#define WS_BROKER_HEADER_MAX 96        /* a header line is at most this long, newline included */
#define WS_BROKER_VERSION "WS1"

/* 1 if this build has hiredis (the link and the publisher work). */
int ws_broker_available(void);
/* The hiredis version this build uses ("0.14.1"), or "" without hiredis. */
const char *ws_broker_library(void);

/* ---------------------------------------------------------------- URL */

typedef struct ws_broker_url {
	char host[256];                /* "" for a unix socket */
	int port;                      /* 6379 by default */
	char path[256];                /* unix socket path, "" for TCP */
	char user[128];                /* "" if none (then AUTH password alone) */
	char password[256];            /* "" if none */
	int db;                        /* SELECT db; 0 by default */
	int tls;                       /* rediss:// */
} ws_broker_url_t;

/*
 * Parses redis://[user:password@]host[:port][/db], rediss://... (accepted
 * only when the build supports TLS), unix:///path and redis+unix:///path
 * (optionally ?db=N).  Percent-escapes in user and password are decoded.
 * Returns 0, or -1 with a message in err (which never echoes the password).
 */
int ws_broker_url_parse(const char *url, ws_broker_url_t *out, char *err, size_t errcap);

/* 0 if prefix is a valid channel prefix (1 to 64 bytes of [A-Za-z0-9_.:-]), else -1 with err. */
int ws_broker_prefix_check(const char *prefix, char *err, size_t errcap);

/* ---------------------------------------------------------------- wire format */

/*
 * A publication on a Redis channel is one header line then the raw data:
 *
 *     WS1 <kind> <type> <origin> <except>\n<data>
 *
 * kind P (publish: the topic is the channel name after "<prefix>:t:"),
 * B (broadcast) or W (worker message), both on "<prefix>:broadcast";
 * type T (text) or B (binary); origin the publishing node's 16 hex digits,
 * or "-"; except a connection id on the origin node in decimal, or "-" / 0.
 * Trailing header fields may be omitted ("WS1 P T\nhello").
 */

/* Writes the header line for r (kind, flags, except) from node into out (WS_BROKER_HEADER_MAX bytes).  Returns its length. */
size_t ws_broker_header(char *out, const ws_bus_route_t *r, const char *node);

/*
 * Decodes a payload received on channel (already stripped of nothing).
 * prefix is ours; node our id, so that our own publications are recognised.
 * On success fills r (spans borrowed from channel and payload; origin = -1,
 * except kept as sent) and returns 0; 1 if the payload is ours (skip it);
 * -1 if malformed or not for us.
 */
int ws_broker_decode(const char *prefix, const char *node, const char *channel, size_t channel_len,
	const char *payload, size_t len, ws_bus_route_t *r);

/* Writes "<prefix>:t:<topic>" into out (cap bytes).  Returns its length, or 0 if it does not fit. */
size_t ws_broker_channel(char *out, size_t cap, const char *prefix, const char *topic, size_t topic_len);

/* Fills node with WS_BROKER_NODE_LEN random hex digits and a NUL. */
void ws_broker_node_id(char node[WS_BROKER_NODE_LEN + 1]);

/* ---------------------------------------------------------------- presence across nodes */

/*
 * Presence rides on the channel "<prefix>:presence" (docs/PRESENCE_HISTORY.md):
 *
 *     WS1 J <node> <worker> <conn> <topic length>\n<topic><info>   a member joined (or changed its info)
 *     WS1 L <node> <worker> <conn> <topic length>\n<topic>         a member left
 *     WS1 H <node>\n                                               a heartbeat
 *     WS1 Q <node>\n                                               "send me your members"
 *     WS1 S <node>\n<members>                                      every member of the node
 *
 * where node is the sender's 16 hex digits and members are packed as
 * u16 worker, u64 conn, u16 topic length, u32 info length (little endian),
 * topic, info.
 */
typedef struct ws_broker_member {
	uint64_t conn;
	int worker;
	const char *topic;
	size_t topic_len;
	const char *info;
	size_t info_len;
} ws_broker_member_t;

typedef struct ws_broker_pmsg {
	char kind;                     /* 'J', 'L', 'H', 'Q' or 'S' */
	char node[WS_BROKER_NODE_LEN + 1];
	ws_broker_member_t m;          /* J and L */
	const char *body;              /* S: the packed members */
	size_t body_len;
} ws_broker_pmsg_t;

/* Writes the header line of a presence message (m for J and L) into out (WS_BROKER_HEADER_MAX bytes).  Returns its length. */
size_t ws_broker_presence_header(char *out, char kind, const char *node, const ws_broker_member_t *m);
/* Decodes a message of the presence channel (spans borrowed from payload).  0, or -1 if malformed. */
int ws_broker_presence_decode(const char *payload, size_t len, ws_broker_pmsg_t *out);
/* Appends m to a packed member list (growing *buf).  0 or -1 (ENOMEM). */
int ws_broker_pack_member(char **buf, size_t *len, size_t *cap, const ws_broker_member_t *m);
/* Takes the next member of a packed list.  1, 0 at the end, -1 if malformed. */
int ws_broker_unpack_member(const char **p, const char *end, ws_broker_member_t *m);

/* ---------------------------------------------------------------- the node's link */

typedef struct ws_broker ws_broker_t;

typedef struct ws_broker_stats {
	uint64_t published;            /* publications sent to Redis */
	uint64_t received;             /* publications from other nodes delivered */
	uint64_t dropped;              /* publications not sent: Redis down or over the output cap */
	uint64_t invalid;              /* payloads on our channels we could not decode */
	uint64_t reconnects;           /* successful connections after the first */
	uint64_t overflows;            /* output over the cap: disconnected and resynced */
	uint64_t channels;             /* channels subscribed now (the broadcast channel included) */
	int connected;                 /* both connections are up */
} ws_broker_stats_t;

typedef struct ws_broker_config {
	const char *url;               /* as accepted by ws_broker_url_parse() */
	const char *prefix;            /* "ws" if NULL */
	uint32_t timeout_ms;           /* connect and command timeout; 0: 2000 */
	size_t max_pending;            /* output bytes held for Redis at most; 0: 64 MiB */
	/* A publication from another node (spans valid for the call). */
	void (*on_record)(void *arg, const ws_bus_route_t *r);
	/* Once per outage, and for misconfiguration (msg valid for the call). */
	void (*on_warning)(void *arg, const char *msg);
	/*
	 * Presence (may all be NULL): another node's member joined (join = 1) or
	 * left; node is its id (ws_state_node_id()).
	 */
	void (*on_member)(void *arg, int join, uint64_t node, const ws_broker_member_t *m);
	/*
	 * Forget every member of node: it died (dead = 1: no heartbeat for
	 * WS_BROKER_NODE_TIMEOUT_MS; report = 1 on exactly one live node, the
	 * one with the lowest id) or is about to send its whole state (dead = 0).
	 */
	void (*on_node_reset)(void *arg, uint64_t node, int dead, int report);
	/* Calls fn for every member of this node (for a full state). */
	void (*each_local)(void *arg, void (*fn)(void *fnarg, const ws_broker_member_t *m), void *fnarg);
	/*
	 * Histories in Redis (may be NULL: none).  A topic's history as Redis
	 * holds it, after a (re)connect or ws_broker_load_history(): epoch is 16
	 * hex digits, entries ascending by position (spans valid for the call).
	 */
	void (*on_history_load)(void *arg, const char *topic, size_t topic_len, const char *epoch,
		const struct ws_state_load *entries, size_t n);
	/* Once, after the first complete load of every history (may be NULL). */
	void (*on_synced)(void *arg);
	void *arg;
} ws_broker_config_t;

#define WS_BROKER_HEARTBEAT_MS 1000
#define WS_BROKER_NODE_TIMEOUT_MS 4000

/*
 * Starts the link on loop: connects in the background (never blocks) and
 * retries with a capped backoff while Redis is unreachable.  The strings in
 * cfg are copied.  Returns the link, or NULL with errno (ENOTSUP without
 * hiredis, EINVAL for a bad URL, ENOMEM).
 */
ws_broker_t *ws_broker_start(ws_loop_t *loop, const ws_broker_config_t *cfg);
/* Closes both connections (without waiting for Redis) and frees the link. */
void ws_broker_free(ws_broker_t *b);
/* In a forked child: lets go of the link without touching the parent's loop or sockets' peers. */
void ws_broker_abandon(ws_broker_t *b);
/* The node has (on = 1) or no longer has (0) subscribers for topic.  Batched until ws_broker_flush(). */
void ws_broker_interest(ws_broker_t *b, const char *topic, size_t len, int on);
/*
 * Publishes r to the other nodes (at most once: when Redis is down or the
 * output is over its cap it is dropped and counted).  Returns 0 or -1.
 */
int ws_broker_publish(ws_broker_t *b, const ws_bus_route_t *r);
/* Sends the (un)subscriptions collected since the last call.  Call once per loop iteration. */
void ws_broker_flush(ws_broker_t *b);
void ws_broker_get_stats(const ws_broker_t *b, ws_broker_stats_t *out);
/* This node's id (16 hex digits). */
const char *ws_broker_node(const ws_broker_t *b);
/* Tells the other nodes that a member of this node joined (1) or left (0).  Dropped (and healed by the next full state) while Redis is down. */
void ws_broker_member(ws_broker_t *b, int join, const ws_broker_member_t *m);
/* The other nodes this one hears from now. */
size_t ws_broker_nodes(const ws_broker_t *b);
/* 1 while both connections to Redis are up. */
int ws_broker_up(const ws_broker_t *b);
/*
 * Publishes r, on a topic that keeps a history of size messages and ttl
 * seconds, through Redis's copy of it (docs/PRESENCE_HISTORY.md): one
 * script appends it to the topic's stream with the next position and
 * publishes it with that position to every node, this one included, which
 * delivers it then (not now).  slot is the publishing worker (for except).
 * Returns 0, or -1 when Redis is down (the caller delivers it locally, out
 * of the history).
 */
int ws_broker_publish_history(ws_broker_t *b, const ws_bus_route_t *r, uint32_t size, uint32_t ttl, int slot);
/* Loads topic's history from Redis (in the background: on_history_load follows). */
void ws_broker_load_history(ws_broker_t *b, const char *topic, size_t topic_len);

/* ---------------------------------------------------------------- synchronous publisher */

typedef struct ws_publisher ws_publisher_t;

/*
 * A blocking publisher for processes without a loop (PHP-FPM, CLI).
 * Connects lazily; timeout_ms bounds connect and each command.  Returns
 * NULL with err on a bad URL or ENOTSUP.
 */
ws_publisher_t *ws_publisher_new(const char *url, const char *prefix, uint32_t timeout_ms, char *err, size_t errcap);
/*
 * Publishes r (kind PUBLISH with topic, BROADCAST or WORKER_MESSAGE) and
 * returns the number of Redis subscribers that received it (nodes, not
 * clients), or -1 with err.  A broken connection is reopened once.
 */
long long ws_publisher_send(ws_publisher_t *p, const ws_bus_route_t *r, char *err, size_t errcap);
void ws_publisher_free(ws_publisher_t *p);

#endif
