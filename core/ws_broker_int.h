/*
 * ws_broker_int.h - what the node's Redis link shares between its files
 * (private): ws_broker_link.c (the connections, reconnects, interest,
 * publications) and ws_broker_state.c (presence across nodes, histories in
 * Redis).  Only built with hiredis.
 */
#ifndef WS_BROKER_INT_H
#define WS_BROKER_INT_H

#ifdef WS_HAVE_HIREDIS
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "ws_broker.h"
#include "ws_map.h"
#include "ws_state.h"

#define WS_BROKER_BACKOFF_MIN_MS 100
#define WS_BROKER_BACKOFF_MAX_MS 1600
#define WS_BROKER_TICK_MS 200
#define WS_BROKER_CHUNK 1024         /* channels per SUBSCRIBE command */

typedef struct bconn {
	ws_broker_t *b;
	redisAsyncContext *ac;   /* NULL while down */
	const char *name;        /* "publisher" / "subscriber" for messages */
	int sub;                 /* the subscriber connection */
	int ready;               /* the handshake (AUTH, PING) was answered */
	int kill;                /* to be closed by the next tick (not from inside hiredis) */
	int closing;             /* inside redisAsyncFree() called by us */
	unsigned pending;        /* replies awaited that prove Redis alive */
	uint64_t waiting_since;  /* connect start, or when pending became non-zero */
	uint64_t retry_at;       /* reconnect when down; 0: now */
	uint32_t backoff_ms;
	char why[160];           /* why it went down, for the warning */
} bconn_t;

struct ws_broker {
	ws_loop_t *loop;
	ws_broker_url_t url;
	char where[300];
	char prefix[WS_BROKER_PREFIX_MAX + 1];
	char node[WS_BROKER_NODE_LEN + 1];
	char bchan[WS_BROKER_PREFIX_MAX + 16];
	char pchan[WS_BROKER_PREFIX_MAX + 16];   /* presence */
	uint64_t node_id;                        /* our node as a number (ws_state_node_id) */
	uint32_t timeout_ms;
	size_t max_pending;
	void (*on_record)(void *arg, const ws_bus_route_t *r);
	void (*on_warning)(void *arg, const char *msg);
	void (*on_member)(void *arg, int join, uint64_t node, const ws_broker_member_t *m);
	void (*on_node_reset)(void *arg, uint64_t node, int dead, int report);
	void (*each_local)(void *arg, void (*fn)(void *fnarg, const ws_broker_member_t *m), void *fnarg);
	void (*on_history_load)(void *arg, const char *topic, size_t topic_len, const char *epoch,
		const ws_state_load_t *entries, size_t n);
	void *arg;
	bconn_t pub, sub;
	char hpattern[WS_BROKER_PREFIX_MAX + 8];  /* "<prefix>:h:*": every history topic's channel */
	int sync_histories;      /* (re)connected: load every history from Redis */
	char script_sha[41];     /* SHA-1 of history_script, for EVALSHA (loaded on each publishing connection) */
	int script_reloading;    /* a SCRIPT LOAD after NOSCRIPT is on its way */
	int scanning;            /* the SCAN of a sync is not finished */
	unsigned sync_loads;     /* loads of the current sync not answered yet */
	int synced_once;         /* on_synced was called */
	void (*on_synced)(void *arg);
	ws_map_t nodes;          /* presence: other nodes heard from: 8-byte id -> uint64_t[1] last heard (ms) */
	uint64_t up_since;       /* when both connections last became ready */
	uint64_t next_heartbeat;
	int send_hello;          /* (re)connected: ask for every node's members and send ours */
	int send_state;          /* someone asked: send ours */
	int send_query;          /* we heard a node we did not know (or had given up on): ask for its members */
	ws_map_t want;           /* topics with subscribers on this node */
	ws_map_t dirty;          /* topics whose interest changed since the last flush */
	ws_timer_t tick;
	int abandoned;
	int up;                  /* both connections ready */
	int ever_up;
	int warned;              /* this outage was reported */
	char *scratch;           /* header + data of a publication */
	size_t scratch_cap;
	ws_broker_stats_t st;
};


/* ws_broker_link.c */
void ws__broker_warn(ws_broker_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ws__broker_over_cap(ws_broker_t *b, bconn_t *c);
void ws__broker_publish_cb(redisAsyncContext *ac, void *reply, void *priv);

/* ws_broker_state.c */
extern const char ws__broker_history_script[];
void ws__broker_pending_add(bconn_t *c);
void ws__broker_pending_done(bconn_t *c);
void ws__broker_script_load(bconn_t *c);
void ws__broker_histories_scan(ws_broker_t *b, const char *cursor);
void ws__broker_presence_message(ws_broker_t *b, const char *payload, size_t len);
void ws__broker_presence_tick(ws_broker_t *b, uint64_t now);

#endif
#endif
