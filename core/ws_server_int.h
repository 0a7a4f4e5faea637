/*
 * ws_server_int.h - the engine's private header (libuv's internal.h): the
 * structures that several engine files share and the ws__ functions between
 * them.  Nothing outside core/ws_*.c includes it; the public contract is
 * ws_server.h.
 *
 * Life of a connection:
 *
 *   accept -> HTTP (head gathered in c->head) -> OPEN -> CLOSING -> LINGER -> freed
 *                      \-> RESPONDING (plain HTTP answer or refusal) -/
 *
 * Reads go into one server-wide buffer, so an idle connection owns no read
 * buffer at all.  The frame parser unmasks in place there and hands out
 * spans; a message that ends inside the same read is delivered straight from
 * that buffer, others are gathered in c->msg.  A large single-frame message
 * goes into storage of the handler's instead (c->msg with msg_ext set, see
 * message_alloc in ws_server.h), the rest of its frame received straight
 * into it.  Bytes left unparsed because
 * reading was paused (backpressure) are saved in c->rest.
 *
 * Writes are queued as segments (ws_seg_t) pointing into reference-counted
 * buffers (ws_buf_t).  Small sends append to the connection's private tail
 * buffer; broadcast and publish share one buffer among all recipients.
 * Nothing is written from inside a send: the connection is put on the
 * server's "touched" list and flushed with one sendmsg() at the end of the
 * loop iteration, which also re-evaluates what to watch and what to close.
 *
 * Nothing is torn down from inside an API call: closing only queues a close
 * frame and changes state, so handlers may close, send or stop freely.
 * Torn-down connections wait on a dead list until the iteration is over,
 * because the event loop may still hold a pointer to their io.
 *
 * Where things live:
 *
 *   ws_server.c   lifecycle, configuration setters, run/stop, signals, stats
 *   ws_listen.c   listening sockets, accept, the EMFILE pause
 *   ws_conn.c     connection life: accessors, open list, per-IP counts, close, teardown, settle
 *   ws_http.c     the HTTP phase: request head, upgrade, plain HTTP, refusals
 *   ws_in.c       reads, frames in, reassembly and inflation, control frames
 *   ws_out.c      buffers, output queue, backpressure, compression of sends, fan-out, flush
 *   ws_topics.c   pub/sub topics and publish
 *   ws_route.c    the one publish path, the worker's end of the bus, the cluster view
 *   ws_replica.c  history, resume and presence: the server's copy of ws_state (ws_state.c)
 *   ws_timers.c   connection deadlines and user timers
 *   ws_budget.c   memory accounting and the max_memory budget
 *   ws_metrics_http.c  the metrics endpoint, timing, the seam for workers (ws_metrics_int.h)
 */
#ifndef WS_SERVER_INT_H
#define WS_SERVER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ws_alloc.h"
#include "ws_bus.h"
#include "ws_deflate.h"
#include "ws_error.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_loop.h"
#include "ws_map.h"
#include "ws_metrics.h"
#include "ws_server.h"
#include "ws_state.h"
#include "ws_fill.h"
#include "ws_static.h"
#include "ws_tls.h"
#include "ws_utf8.h"

#define WS_READ_CHUNK (256 * 1024)   /* the shared read buffer */
#define WS_OUT_CHUNK (16 * 1024)     /* private output buffers */
#define WS_OUT_POOL_MAX 64           /* pooled private output buffers */
#define WS_IOV_MAX 64
#define WS_LINGER_MS 2000
#define WS_ACCEPT_BATCH 128
#define WS_ACCEPT_BATCH_WORKER 16
#define WS_ACCEPT_PAUSE_MS 100
#define WS_MSG_KEEP (16 * 1024)      /* reassembly buffers up to this size are kept */
#define WS_MSG_DIRECT_FREE (256 * 1024) /* handler storage taken on a header alone up to this size (ws_in.c) */

/*
 * An output buffer: bytes inline (data[], cap bytes, len used), or, when
 * release is set, a reference to the caller's bytes (a PHP string) that is
 * released once the last segment pointing into it is written or dropped.
 * A referenced buffer keeps the referenced length in len: those bytes count
 * against max_memory until the reference is released.
 */
typedef struct ws_buf {
	uint32_t refs;
	size_t len;
	size_t cap;
	void (*release)(void *ctx);
	void *ctx;
	uint8_t data[];
} ws_buf_t;

typedef struct ws_seg {
	ws_buf_t *buf;
	const uint8_t *ptr;  /* next byte to write, inside buf's bytes */
	size_t len;
} ws_seg_t;

typedef enum conn_state {
	ST_TLS = 0,        /* TLS handshake (wss:// listeners only) */
	ST_HTTP,           /* reading the request head */
	ST_RESPONDING,     /* an HTTP answer is queued; close when flushed */
	ST_OPEN,
	ST_CLOSING,        /* close frame sent and/or received; waiting for the other */
	ST_LINGER,         /* our side shut down; draining the peer until EOF */
	ST_DEAD
} conn_state_t;

typedef struct ws_sub {
	struct ws_topic *topic;
	size_t index;      /* position in topic->subs */
} ws_sub_t;

typedef struct ws_topic_sub {
	ws_conn_t *conn;
	size_t sub_index;  /* position in conn->subs */
} ws_topic_sub_t;

typedef struct ws_topic {
	ws_map_entry_t *entry;  /* name lives in the map entry */
	ws_topic_sub_t *subs;
	size_t nsubs, cap;
} ws_topic_t;

typedef union ws_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
} ws_sockaddr_t;

/* The HTTP phase's state, from the accept until the request head is answered or upgraded. */
typedef struct ws_conn_http {
	char *head;                  /* the request head as read so far */
	size_t head_len, head_cap;
	char *extra_headers;         /* added by the handshake handler */
	size_t extra_len;
	char *subprotocol;           /* chosen so far (NUL-terminated), or NULL */
	size_t subprotocol_len;
	uint64_t t_accept_ns;        /* loop wake-up time of the accept (handshake duration) */
} ws_conn_http_t;

/*
 * An open connection's path (unless "/") and subprotocol (if any), in one
 * block: bytes holds the path, then the subprotocol and a NUL.
 */
typedef struct ws_conn_names {
	uint32_t path_len, subprotocol_len;
	char bytes[];
} ws_conn_names_t;

/*
 * What reading frames needs: the parser, the message being reassembled and
 * input saved while reading is paused.  Made when a connection's first frame
 * bytes arrive, given back when a quiet connection's timer fires with nothing
 * in progress (ws__conn_busy_release), so idle connections do without it.
 */
typedef struct ws_conn_busy {
	ws_frame_parser_t parser;
	/* message reassembly */
	uint8_t *msg;
	size_t msg_len, msg_cap;
	const uint8_t *span;         /* message so far lies in the read buffer */
	size_t span_len;
	/* bytes read but not parsed (reading paused) */
	uint8_t *rest;
	size_t rest_len;
	/* a compressed message */
	uint64_t msg_inflated;
	ws_utf8_t msg_utf8;          /* validates inflated text */
} ws_conn_busy_t;

/*
 * Times of a connection are the low 32 bits of ws_loop_now() (ms): 4 bytes
 * each instead of 8, read back by ws__stamp_ms() as long as they are under
 * 49 days old (an older one reads as more recent, which can only postpone a
 * timeout of more than 49 days).
 */
typedef uint32_t ws_stamp_t;

static inline uint64_t ws__stamp_ms(uint64_t now, ws_stamp_t t)
{
	return now - (uint32_t)((uint32_t)now - t);
}

/*
 * One per socket, idle ones included, so laid out to stay small (sizes and
 * what is left to cut: bench/README.md, "Idle connections").
 */
struct ws_conn {
	ws_server_t *server;
	ws_io_t io;
	ws_timer_t timer;
	uint64_t id;
	ws_tls_conn_t *tls;          /* NULL on plain TCP: the only cost TLS adds to it */
	void *user;
	ws_conn_t *prev, *next;      /* server->conns (all sockets) */
	ws_conn_t *open_prev, *open_next; /* server->open_head: open WebSocket connections, in open order */
	ws_stamp_t t_created, t_rx, t_data, t_ping, t_close;
	conn_state_t state;

	unsigned opened : 1;         /* on_open fired: on_close owed */
	unsigned close_fired : 1;
	unsigned close_sent : 1;
	unsigned close_received : 1;
	unsigned fail_fast : 1;      /* protocol error: do not wait for the peer's close */
	unsigned touched : 1;
	unsigned read_paused : 1;    /* backpressure */
	unsigned write_blocked : 1;  /* the kernel refused part of the queue */
	unsigned over_low_water : 1; /* drain owed once under low_water_mark */
	unsigned ping_outstanding : 1;
	unsigned responded : 1;
	unsigned in_handshake_cb : 1;
	unsigned msg_binary : 1;
	unsigned head_method_head : 1;
	unsigned counted_ip : 1;
	unsigned shut_wr : 1;
	unsigned drop : 1;           /* tear down at the end of this iteration */
	unsigned bp_close : 1;       /* over max_buffered_amount: close with 1008 at the end of this iteration */
	unsigned close_by_server : 1; /* our close frame went first (metrics: side="server") */
	unsigned metrics_only : 1;   /* came through the metrics endpoint's own listener */
	unsigned msg_ext : 1;        /* msg is the handler's storage (message_alloc), msg_cap its size */

	uint16_t close_code;         /* code reported to on_close */
	uint8_t pmd_on;
	uint8_t msg_compressed;
	ws_pmd_params_t pmd;         /* permessage-deflate */

	ws_sockaddr_t peer;

	struct ws_conn_http *http;   /* from the accept until the request is answered or upgraded, else NULL */
	struct ws_conn_names *names; /* once open: path and subprotocol; NULL for "/" and none */

	ws_conn_busy_t *busy;        /* while frames come in (ws_in.c), else NULL */

	ws_inflater_t *inflater;
	ws_deflater_t *deflater;     /* own context (server context takeover) */

	/* output queue: ring of segments */
	uint32_t seg_head, seg_count, seg_cap;
	uint32_t http_unsent;        /* bytes of the 101 still at the front of the queue: never discarded */
	ws_seg_t *segs;
	size_t buffered;

	/* topics, and presence: the topics c joined (ws_replica.c); capacities follow from the counts (ws__grows) */
	ws_sub_t *subs;
	struct ws_pres_ref **pres;
	uint32_t nsubs, npres;
};

/*
 * For arrays whose capacity is not stored: it is first, doubled each time
 * it fills (and never shrunk), so with n entries it is full exactly when n is
 * 0 or a power of two from first on.  Returns the capacity to grow to, or 0.
 */
static inline uint32_t ws__grows(uint32_t n, uint32_t first)
{
	if (n == 0) {
		return first;
	}
	return n >= first && (n & (n - 1)) == 0 ? n * 2 : 0;
}

typedef struct ws_listener {
	ws_io_t io;
	int fd;
	int port;
	ws_server_t *server;
	ws_tls_ctx_t *tls;           /* owned; NULL for ws:// */
	int metrics_only;            /* the metrics endpoint's own listener */
} ws_listener_t;

typedef struct ws_utimer {
	ws_timer_t timer;
	uint64_t id;
	uint64_t interval;
	int repeat;
	int firing;
	int cleared;
	void *data;
} ws_utimer_t;

struct ws_server {
	ws_server_config_t cfg;
	const ws_server_handler_t *h;
	void *user;
	ws_loop_t *loop;

	ws_listener_t *listeners;
	size_t nlisteners;
	int accepting;
	ws_timer_t accept_timer;     /* resumes accepting after EMFILE */
	int spare_fd;
	int warned_emfile;

	ws_conn_t *conns;            /* every socket, newest first */
	ws_conn_t *open_head, *open_tail;
	/*
	 * Connections touched in this iteration, settled (written, watches
	 * changed) at its end; [touched_done, ntouched) are still owed.  Room for
	 * every connection is kept (made at accept), and a connection is listed
	 * at most once until settled, so appending never needs to allocate.
	 */
	ws_conn_t **touched;
	size_t ntouched, touched_done, touched_cap;
	ws_conn_t *dead;
	size_t nconns, nopen;
	uint64_t next_conn_id;

	uint8_t *rbuf;

	ws_buf_t *pool[WS_OUT_POOL_MAX];
	size_t npool;

	ws_map_t topics;
	ws_map_t per_ip;
	ws_map_t timers;
	uint64_t next_timer_id;

	char *document_root;
	char **protocols;
	size_t *protocol_lens;
	size_t nprotocols;
	char **origins;
	size_t *origin_lens;
	size_t norigins;

	int running;
	int stopping;
	int breaking;
	ws_timer_t stop_timer;
	int warned_nofile;

	/* permessage-deflate without server context takeover: one deflater per window size */
	ws_deflater_t *shared_deflaters[16];
	/*
	 * With client_no_context_takeover every client message is a stream of its
	 * own: one inflater serves them all, lent to one connection for one
	 * message (ws_in.c).  While its holder's message is still arriving, other
	 * connections inflate with a private inflater freed at their message's end.
	 */
	ws_inflater_t *shared_inflater;
	ws_conn_t *inflater_holder;
	/* A reassembly buffer lent to inflated messages, so an idle connection keeps none. */
	uint8_t *spare_msg;
	size_t spare_msg_cap;
	uint8_t *zbuf;
	size_t zcap;

	ws_server_stats_t stats;     /* what ws_server_get_stats() does not take from metrics (nothing yet) */
	size_t mem;                  /* bytes tracked against max_memory */

	/* publications and workers (ws_route.c) */
	ws_bus_link_t *bus;          /* NULL in a single process */
	int worker_id, worker_count;
	int draining;                /* reload: closing clients with 1012 over a window */
	ws_timer_t drain_timer;
	uint64_t drain_end;
	ws_timer_t stats_timer;      /* worker: sends its snapshot to the supervisor */
	struct ws_wmsg *wmsg_head, *wmsg_tail; /* single process: worker messages not yet fired */
	uint8_t *cluster;            /* the latest WS_BUS_CLUSTER payload */
	size_t cluster_len;
	struct ws_metrics *peer_metrics; /* the other workers' latest metrics (ws_route.c) */
	int *peer_ids;
	size_t npeers, peers_cap;
	int *adopt_fds;              /* listening sockets inherited through exec */
	char *broker_url, *broker_prefix; /* the Redis broker option (ws_cluster.c) */
	size_t broker_buffer;
	ws_broker_t *broker;         /* single process while running: the node's link */
	ws_broker_stats_t broker_last; /* its counters when it stopped; a worker's: the supervisor's, from CLUSTER */
	size_t adopt_n, adopt_next;

	/* history and presence (ws_replica.c) */
	ws_state_t state;            /* a single process's own; a worker's replica of the supervisor's */
	ws_fills_t fills;            /* single process with the broker: topics whose missed publications are fetched */
	int synced;                  /* 0 in a worker until the supervisor's snapshot is complete, and with
	                                the broker until Redis's histories are loaded */
	ws_timer_t sync_timer;       /* single process with the broker: accept anyway after 5 s */
	uint32_t instance;           /* connection ids are instance << 40 | n */
	struct ws_pevent *pev_head, *pev_tail; /* presence events not yet fired */
	char node_hex[17];           /* this node's id on the broker ("" without one) */
	uint64_t barrier_sent;       /* the token of the last bus barrier (ws__route_barrier) */
	int barrier_done;
	int in_barrier;
	ws_metrics_t metrics;        /* every counter of stats() and of the metrics endpoint (ws_metrics.h) */
	struct ws__metrics_ctl *mctl; /* the metrics endpoint and timing (ws_metrics_int.h); NULL: off */
};

/*
 * One message on its way to many recipients.  Each encoding is made at most
 * once, when the first recipient that needs it comes up: the plain frame, and
 * one compressed frame per deflate window size for recipients that keep no
 * compression context.  Recipients with their own context get their own
 * compression (it cannot be shared).
 */
typedef struct fanout {
	const char *data;
	size_t len;
	ws_opcode_t op;
	ws_buf_t *plain;
	ws_buf_t *deflated[16];
	int failed_deflate[16];
} fanout_t;

/* ws_budget.c */
void *ws__mem_alloc(ws_server_t *s, size_t n);
void ws__mem_release(ws_server_t *s, void *p, size_t n);
int ws__mem_reserve(ws_server_t *s, uint8_t **buf, size_t *cap, size_t need);
void ws__server_enforce_memory(ws_server_t *s);
/* ws_out.c */
int ws__queue_bytes(ws_conn_t *c, const void *a, size_t alen, const void *b, size_t blen);
void ws__queue_discard_unsent(ws_conn_t *c, int keep_partial);
void ws__queue_free(ws_conn_t *c);
int ws__queue_frame(ws_conn_t *c, ws_opcode_t op, const void *payload, size_t len);
int ws__fanout_one(ws_conn_t *c, fanout_t *f);
void ws__fanout_init(fanout_t *f, const char *data, size_t len, int binary);
void ws__fanout_finish(ws_server_t *s, fanout_t *f, size_t recipients);
int ws__conn_out_empty(const ws_conn_t *c);
int ws__conn_flush(ws_conn_t *c);
/* ws_server.c */
void ws__server_finish_stop_if_done(ws_server_t *s);
/* ws_listen.c */
int ws__set_nb_cloexec(int fd);
void ws__accepting_set(ws_server_t *s, int on);
void ws__accept_timer_cb(ws_loop_t *loop, ws_timer_t *t);
/* ws_conn.c */
ws_conn_t *ws__conn_new(ws_server_t *s, int fd, const ws_sockaddr_t *peer, ws_tls_ctx_t *tls);
void ws__open_list_add(ws_conn_t *c);
void ws__conn_fire_close(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len);
void ws__conn_close_internal(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len, int fail_fast);
void ws__conn_teardown(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len);
void ws__conn_release(ws_conn_t *c);
void ws__conn_touch(ws_conn_t *c);
void ws__server_settle_touched(ws_server_t *s);
void ws__server_free_dead(ws_server_t *s);
size_t ws__per_ip_count(ws_conn_t *c);
void ws__per_ip_acquire(ws_conn_t *c);
/* ws_http.c */
void ws__conn_http_refuse(ws_conn_t *c, int status, const char *extra, const char *msg);
void ws__conn_read_head(ws_conn_t *c);
void ws__conn_http_free(ws_conn_t *c);
void ws__queue_release_ring(ws_conn_t *c);
/* ws_in.c */
ssize_t ws__conn_read(ws_conn_t *c, void *buf, size_t len);
extern const ws_frame_callbacks_t ws__conn_frame_callbacks;
void ws__conn_feed(ws_conn_t *c, uint8_t *buf, size_t len);
void ws__conn_msg_free(ws_conn_t *c);
void ws__conn_process_rest(ws_conn_t *c);
void ws__conn_read_frames(ws_conn_t *c);
void ws__conn_inflater_drop(ws_conn_t *c);
void ws__conn_busy_release(ws_conn_t *c, int force);
void ws__conn_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events);
/* ws_timers.c */
void ws__conn_arm_timer(ws_conn_t *c);
void ws__conn_timer_cb(ws_loop_t *loop, ws_timer_t *t);
/* ws_topics.c */
void ws__topics_leave_all(ws_conn_t *c);
int ws_conn_is_subscribed(ws_conn_t *c, const char *topic, size_t len);
size_t ws__publish_local(ws_server_t *s, const char *topic, size_t topic_len,
	const char *data, size_t len, int binary, uint64_t except_id);
/* ws_out.c (fan-out) */
size_t ws__broadcast_local(ws_server_t *s, const char *data, size_t len, int binary, uint64_t except_id);
/* ws_route.c */
void ws__route_interest(ws_server_t *s, const char *topic, size_t len, int on);
void ws__route_start(ws_server_t *s);
void ws__route_tick(ws_server_t *s);
void ws__route_stop(ws_server_t *s);
void ws__route_free(ws_server_t *s);
void ws__route_remote(ws_server_t *s, const ws_bus_route_t *r);
int ws__route_barrier(ws_server_t *s, int timeout_ms);
/* ws_cluster.c (the broker in a single process) */
void ws__cluster_start(ws_server_t *s);
void ws__cluster_stop(ws_server_t *s);
void ws__cluster_interest(ws_server_t *s, const char *topic, size_t len, int on);
void ws__cluster_publish(ws_server_t *s, const ws_bus_route_t *r);
void ws__cluster_tick(ws_server_t *s);

/* ws_replica.c */
int ws__replica_store(ws_server_t *s, ws_bus_route_t *r);
void ws__replica_fill_tick(ws_server_t *s);
void ws__replica_history_reset(ws_server_t *s, const uint8_t *p, size_t len);
void ws__replica_history_load(ws_server_t *s, const char *topic, size_t tlen, const char *epoch,
	const ws_state_load_t *entries, size_t n);
void ws__replica_presence(ws_server_t *s, const ws_bus_presence_t *pr);
void ws__replica_synced(ws_server_t *s, const char *epoch, size_t len);
void ws__replica_conn_gone(ws_conn_t *c);
void ws__replica_tick(ws_server_t *s);
void ws__replica_free(ws_server_t *s);
struct ws_broker_member;
void ws__replica_remote_member(ws_server_t *s, int join, uint64_t node, const struct ws_broker_member *m);
void ws__replica_node_reset(ws_server_t *s, uint64_t node, int dead, int report);
void ws__replica_each_local(ws_server_t *s, void (*fn)(void *fnarg, const struct ws_broker_member *m), void *fnarg);
uint64_t ws__wall_ms(void);

#endif
