/*
 * ws_server.h - the WebSocket server engine: listeners, connections, the
 * handshake, message reassembly, the write queue, backpressure, timers,
 * topics and graceful shutdown.  Zend-free: the PHP binding registers a
 * ws_server_handler_t and never touches sockets or bytes of the protocol.
 *
 * Threading: none.  Everything happens inside ws_server_run() on the caller's
 * thread; handler callbacks may call any function here, including closing
 * the connection they are called for (teardown is deferred until the
 * callback has returned) and ws_server_stop().
 *
 * Output: every send is queued (copied) at once and written at the end of the
 * loop iteration with one sendmsg() per connection ("corking"), so a burst of
 * messages answered in one read leaves in one system call.  Fan-out
 * (broadcast, publish) encodes the frame once into a reference-counted buffer
 * that every recipient's queue points at.
 */
#ifndef WS_SERVER_H
#define WS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ws_error.h"
#include "ws_handshake.h"
#include "ws_deflate.h"
#include "ws_tls.h"
#include "ws_broker.h"

typedef struct ws_server ws_server_t;
typedef struct ws_conn ws_conn_t;

typedef enum ws_backpressure_policy {
	WS_BACKPRESSURE_CLOSE = 0, /* over max_buffered_amount: close with 1008 */
	WS_BACKPRESSURE_DROP = 1   /* over max_buffered_amount: drop the message */
} ws_backpressure_policy_t;

/* Result of ws_conn_send() and friends. */
typedef enum ws_send_status {
	WS_SEND_DROPPED = 0, /* not queued: over the limit, or the connection is closing/closed */
	WS_SEND_SENT = 1,    /* queued; the backlog is under low_water_mark: leaves this iteration */
	WS_SEND_QUEUED = 2   /* queued; the backlog is over low_water_mark: a drain event will follow */
} ws_send_status_t;

typedef struct ws_server_config {
	uint64_t max_message_size;      /* bytes, after inflation; default 16 MiB */
	uint64_t max_frame_size;        /* bytes; 0 = max_message_size */
	size_t max_header_size;         /* request head; default 8 KiB (431 beyond) */
	uint32_t handshake_timeout_ms;  /* default 10 s; covers TLS and HTTP */
	uint32_t idle_timeout_ms;       /* 0 = never; no data message either way for this long: close 1001 */
	uint32_t ping_interval_ms;      /* 0 = never; ping after this long without traffic from the peer */
	uint32_t pong_timeout_ms;       /* nothing from the peer this long after a ping: drop (1006) */
	uint32_t close_timeout_ms;      /* our close frame unanswered this long: drop */
	uint32_t shutdown_timeout_ms;   /* stop(): wait this long for close replies */
	size_t max_connections;         /* open WebSocket connections; 0 = no limit; 503 beyond */
	size_t max_connections_per_ip;  /* 0 = no limit; 503 beyond */
	size_t max_buffered_amount;     /* per connection send backlog that admits new messages; default 4 MiB */
	size_t low_water_mark;          /* drain fires / reading resumes below this; default 64 KiB */
	ws_backpressure_policy_t backpressure;
	size_t max_memory;              /* all queues and buffers together; 0 = no limit */
	int backlog;                    /* listen() backlog; default 511 */
	ws_deflate_config_t deflate;    /* permessage-deflate; enabled by default when zlib is built in */
	/* Workers (docs/PROCESS_MODEL.md); read by the supervisor, ws_master.h. */
	unsigned workers;               /* processes; 1 (default) = no supervisor */
	uint32_t reload_window_ms;      /* a reload closes old clients with 1012 spread over this; default 5 s */
	size_t bus_buffer;              /* bytes a bus link holds for one worker at most; default 64 MiB */
} ws_server_config_t;

/* Fills cfg with the defaults above. */
void ws_server_config_defaults(ws_server_config_t *cfg);

/*
 * A reply being built by a handler: see ws_conn_respond() and
 * ws_conn_set_subprotocol().  Opaque to the handler.
 */
typedef struct ws_server_handler {
	/*
	 * A valid WebSocket upgrade request arrived (after the built-in checks:
	 * origin, limits, subprotocol selection).  The handler may call
	 * ws_conn_respond() to refuse it, ws_conn_set_subprotocol(),
	 * ws_conn_add_response_header().  req and hs are borrowed for the call.
	 * May be NULL.
	 */
	void (*on_handshake)(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req, const ws_handshake_t *hs);
	/*
	 * The 101 has been queued; the connection is open.  req is borrowed for
	 * the call (the same request on_handshake saw).
	 */
	void (*on_open)(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req);
	/* A whole, validated message.  data is borrowed for the call. */
	void (*on_message)(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary);
	/* A ping (pong is answered automatically) or a pong arrived.  May be NULL. */
	void (*on_ping)(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int is_pong);
	/*
	 * An opened connection is gone (exactly once per on_open).  code is the
	 * code of the first close frame received, else the one we sent, else 1006.
	 */
	void (*on_close)(ws_server_t *s, ws_conn_t *c, unsigned code, const char *reason, size_t len);
	/* The send queue fell back under low_water_mark after having been over it. */
	void (*on_drain)(ws_server_t *s, ws_conn_t *c);
	/*
	 * A plain HTTP request (no Upgrade) arrived.  The handler may answer with
	 * ws_conn_respond().  Returns 1 if the application has a handler for plain
	 * requests (whether or not it answered), 0 if not.  Unanswered requests
	 * get document_root, then 404 (or 426 when the application has neither a
	 * handler nor a document root).  May be NULL.
	 */
	int (*on_http)(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req);
	/*
	 * A user timer fired.  last: the timer is gone (one-shot, or cleared while
	 * its callback ran): release timer_data after the call.
	 */
	void (*on_timer)(ws_server_t *s, uint64_t timer_id, void *timer_data, int last);
	/* The connection's memory is about to be freed: forget c->user. */
	void (*on_free)(ws_server_t *s, ws_conn_t *c);
	/* A warning for the operator (e.g. descriptor limit); msg is borrowed. May be NULL. */
	void (*on_warning)(ws_server_t *s, const char *msg);
	/*
	 * ws_server_send_to_workers() was called in worker `origin` (0 in a single
	 * process); fires in every worker, the sender included.  data is
	 * borrowed.  May be NULL.
	 */
	void (*on_worker_message)(ws_server_t *s, const char *data, size_t len, int origin);
	/*
	 * A presence member joined (join = 1; also when its info changed) or left
	 * (0) topic.  Fires once per change on the whole node, later than the
	 * change (never inside ws_conn_join()), in the worker that owns the
	 * connection, or for a dead worker's members in the first serving worker
	 * (docs/PRESENCE_HISTORY.md).  Spans are borrowed.  May be NULL.
	 */
	void (*on_presence)(ws_server_t *s, int join, const char *topic, size_t topic_len, uint64_t conn_id,
		int worker, const char *info, size_t info_len);
	/*
	 * Optional, all three or none: the handler's own storage for large
	 * messages, so that such a message is written once between the socket
	 * and the handler (unmasked while copied there, or received there
	 * directly).  message_alloc: a message of len bytes begins on c (one
	 * uncompressed frame of at least WS_FRAME_BUFFER_MIN bytes); return
	 * writable memory of len bytes, or NULL to have it delivered through
	 * on_message as usual.  on_message_owned: that message is complete and
	 * valid in buf (the pointer message_alloc returned); like on_message, but
	 * buf now belongs to the handler.  message_free: buf will not be
	 * delivered (protocol error, the connection closing or shed by the memory
	 * budget, teardown): free it.  The storage counts against max_memory
	 * until it is delivered or freed.
	 */
	void *(*message_alloc)(ws_server_t *s, ws_conn_t *c, size_t len);
	void (*on_message_owned)(ws_server_t *s, ws_conn_t *c, void *buf, size_t len, int binary);
	void (*message_free)(ws_server_t *s, ws_conn_t *c, void *buf);
} ws_server_handler_t;

/*
 * Creates a server with cfg (copied) and handler (must outlive the server).
 * Returns NULL with errno set.
 */
ws_server_t *ws_server_new(const ws_server_config_t *cfg, const ws_server_handler_t *handler, void *user);
/* Closes every socket at once (no close frames, no events except on_free) and frees. */
void ws_server_free(ws_server_t *s);
void *ws_server_user(const ws_server_t *s);
const ws_server_config_t *ws_server_config(const ws_server_t *s);

/*
 * Binds and listens on host:port (port 0: ephemeral).  host "::" listens
 * dual-stack.  tls: NULL for ws://, else the context of a wss:// listener
 * (the server takes ownership on success only).  Returns 0, or -1 with errno
 * set and a message in err (cap bytes) such as
 * "cannot listen on 0.0.0.0:80: Permission denied".
 */
int ws_server_listen(ws_server_t *s, const char *host, int port, ws_tls_ctx_t *tls, char *err, size_t errcap);
/*
 * Re-reads the certificate and key files of every TLS listener (also done on
 * SIGHUP while running).  New connections get the new certificate, open ones
 * keep theirs.  -1 with err set if any listener failed (it keeps its old one).
 */
int ws_server_reload_tls(ws_server_t *s, char *err, size_t errcap);
/* The port of listener i (0-based), or -1. */
int ws_server_port(const ws_server_t *s, size_t i);
size_t ws_server_listener_count(const ws_server_t *s);

/* Sets the document root served to plain HTTP requests (NULL to disable). Copied. Returns 0 or -1 (ENOMEM). */
int ws_server_set_document_root(ws_server_t *s, const char *path);
/*
 * Sets the Redis broker (docs/BROKER.md): url as ws_broker_url_parse()
 * takes it (NULL: none), prefix of its channels (NULL: "ws"), max_pending
 * the bytes held for Redis at most (0: 64 MiB).  Copied.
 * Takes effect at run(): a single process links itself, a supervisor links
 * the node, a worker leaves it to its supervisor.  0 or -1 (EBUSY, ENOMEM).
 */
int ws_server_set_broker(ws_server_t *s, const char *url, const char *prefix, size_t max_pending);
/* The output cap of the broker link in bytes (0: the default, 64 MiB). */
size_t ws_server_broker_buffer(const ws_server_t *s);
const char *ws_server_broker_url(const ws_server_t *s);
const char *ws_server_broker_prefix(const ws_server_t *s);
/* The broker counters of this process (the latest ones after run() returned).  1 if a broker is set, else 0. */
int ws_server_broker_stats(const ws_server_t *s, ws_broker_stats_t *out);
/* Sets the subprotocols the server speaks (the first one the client offers wins).  Copied. */
int ws_server_set_subprotocols(ws_server_t *s, const char *const *names, const size_t *lens, size_t n);
/* Sets the allowed Origin values (exact, case-insensitive match); n = 0 allows any. Copied. */
int ws_server_set_allowed_origins(ws_server_t *s, const char *const *names, const size_t *lens, size_t n);

/*
 * Runs the loop until ws_server_stop() completes, SIGINT or SIGTERM (which
 * stop gracefully; a second one exits the process), or ws_server_break().
 * Raises RLIMIT_NOFILE's soft limit to the hard limit first.  Returns 0, or
 * -1 with errno on a loop failure.
 */
int ws_server_run(ws_server_t *s);
/*
 * Graceful stop: stop accepting, send 1001 to every open connection, flush,
 * wait up to shutdown_timeout for the replies, fire every on_close, then make
 * ws_server_run() return.
 */
void ws_server_stop(ws_server_t *s);
/*
 * Abortive stop (an unhandled error in a handler): ws_server_run() returns
 * after the current callback; connections stay as they are until
 * ws_server_close_all().
 */
void ws_server_break(ws_server_t *s);
/* Closes every connection now with code (close frame best effort), firing on_close. */
void ws_server_close_all(ws_server_t *s, unsigned code, const char *reason);
int ws_server_is_running(const ws_server_t *s);

/* Open WebSocket connections (not counting HTTP-phase sockets). */
size_t ws_server_count(const ws_server_t *s);
/* Iterates open connections: first, then next(c) until NULL.  Do not free while iterating. */
ws_conn_t *ws_server_first(ws_server_t *s);
ws_conn_t *ws_server_next(ws_conn_t *c);
/* Iterates every socket, open or not (for the binding's GC walk). */
ws_conn_t *ws_server_first_socket(ws_server_t *s);
ws_conn_t *ws_server_next_socket(ws_conn_t *c);

/*
 * Publications: broadcast, publish and send_to_workers all go through one
 * path (core/ws_route.c).  In a single process they are delivered at once.
 * In a worker they go to the supervisor, which sequences them (one order
 * per topic for every worker) and sends them back to every worker that
 * needs them; the return value is then what this worker holds at the time of
 * the call (its open connections, or its subscribers of the topic).
 */

/*
 * Sends data to every open connection except `except` (may be NULL),
 * encoding the frame once.  Returns the number of connections it was queued
 * for.  Backpressure limits apply per recipient.
 */
size_t ws_server_broadcast(ws_server_t *s, const char *data, size_t len, int binary, ws_conn_t *except);

/* Topics (pub/sub).  Names are 1 to WS_TOPIC_MAX bytes. */
#define WS_TOPIC_MAX 256
/* Sends to every subscriber of topic except `except`; returns recipients. */
size_t ws_server_publish(ws_server_t *s, const char *topic, size_t topic_len,
	const char *data, size_t len, int binary, ws_conn_t *except);
/*
 * Like ws_server_publish(), with an application id (up to 255 bytes, may be
 * empty) kept with the message in the topic's history, if it has one.
 */
size_t ws_server_publish_id(ws_server_t *s, const char *topic, size_t topic_len,
	const char *data, size_t len, int binary, ws_conn_t *except, const char *id, size_t id_len);
size_t ws_server_subscribers(ws_server_t *s, const char *topic, size_t topic_len);
/* Fires on_worker_message with data in every worker (later, never inside this call).  0, or -1 if dropped. */
int ws_server_send_to_workers(ws_server_t *s, const char *data, size_t len);
/* Calls fn for each topic with at least one subscriber. */
void ws_server_each_topic(ws_server_t *s, void (*fn)(void *arg, const char *name, size_t len, size_t subscribers), void *arg);

/* User timers.  Returns the id (> 0), or 0 on allocation failure. */
uint64_t ws_server_timer_add(ws_server_t *s, uint64_t ms, int repeat, void *data);
/* Cancels a timer; returns its data pointer (to release), or NULL if unknown. */
void *ws_server_timer_clear(ws_server_t *s, uint64_t id);
/* Cancels every timer, calling fn(data) for each. */
void ws_server_timer_clear_all(ws_server_t *s, void (*fn)(void *data));

/* Counters for stats(). */
typedef struct ws_server_stats {
	size_t connections;          /* open WebSocket connections */
	size_t pending;              /* sockets still in the handshake */
	size_t buffered_bytes;       /* all send queues */
	size_t memory_bytes;         /* queues + buffers tracked against max_memory */
	uint64_t messages_in, messages_out, bytes_in, bytes_out;
	uint64_t accepted, handshakes_rejected;
	uint64_t closes_by_code[16]; /* 1000..1015 */
	uint64_t closes_other;
} ws_server_stats_t;
void ws_server_get_stats(const ws_server_t *s, ws_server_stats_t *out);

/* ---- workers ---- */

/*
 * Makes s a worker of a supervisor: bus_fd is its end of the bus link (owned
 * from now on), id its slot (0..count-1), instance the supervisor's number
 * for this process (> 0, never reused: connection ids become instance << 40
 * | n, unique across workers).  forked: s was created before a fork() (its
 * loop gets a kernel object of its own).  Call before ws_server_run().
 * Returns 0 or -1 (errno).
 */
int ws_server_attach_bus(ws_server_t *s, int bus_fd, int id, int count, uint32_t instance, int forked);
/* The worker slot (0 in a single process) and the number of workers (1). */
int ws_server_worker_id(const ws_server_t *s);
int ws_server_worker_count(const ws_server_t *s);
/* Asks the supervisor for a zero-downtime reload.  -1 (ENOTSUP) in a single process. */
int ws_server_request_reload(ws_server_t *s);
/*
 * Uses already listening sockets (inherited from the supervisor through
 * exec) for the next n ws_server_listen() calls, in order, instead of
 * binding.  fds is copied.
 */
int ws_server_adopt_listeners(ws_server_t *s, const int *fds, size_t n);
/* The descriptor of listener i, or -1. */
int ws_server_listener_fd(const ws_server_t *s, size_t i);
/* Publications this process dropped because its bus link was over bus_buffer. */
uint64_t ws_server_bus_dropped(const ws_server_t *s);

/* The cluster view: every worker's latest counters (about one second old with workers). */
typedef struct ws_cluster_worker {
	int id;
	int pid;
	ws_server_stats_t stats;
} ws_cluster_worker_t;
/*
 * Calls on_worker for each worker and on_topic for each topic with its
 * subscribers across workers, from the latest snapshot (this process's own
 * numbers in a single process).  Returns the number of workers.
 */
size_t ws_server_cluster(ws_server_t *s, void (*on_worker)(void *arg, const ws_cluster_worker_t *w),
	void (*on_topic)(void *arg, const char *name, size_t len, size_t subscribers), void *arg);

/* ---- connections ---- */

/* Per-connection user pointer (the binding's object). */
void *ws_conn_user(const ws_conn_t *c);
void ws_conn_set_user(ws_conn_t *c, void *user);
uint64_t ws_conn_id(const ws_conn_t *c);
ws_server_t *ws_conn_server(const ws_conn_t *c);
/* "1.2.3.4:5678" or "[::1]:5678" into out (at least 64 bytes); returns length. */
size_t ws_conn_remote_address(const ws_conn_t *c, char *out, size_t cap);
/* The request path of the handshake ("/" if the request had none). */
ws_span_t ws_conn_path(const ws_conn_t *c);
/* The negotiated subprotocol (ptr NULL if none). */
ws_span_t ws_conn_subprotocol(const ws_conn_t *c);
/* The negotiated Sec-WebSocket-Extensions value (ptr NULL if none). */
ws_span_t ws_conn_extensions(const ws_conn_t *c);
/* 1 if the connection came through a TLS (wss://) listener. */
int ws_conn_is_secure(const ws_conn_t *c);
/* The verified client certificate's subject (tls_verify_peer) into out; 0 if none. */
size_t ws_conn_tls_subject(const ws_conn_t *c, char *out, size_t cap);
/* 1 while open (after the 101, before any close frame was sent or received). */
int ws_conn_is_open(const ws_conn_t *c);
size_t ws_conn_buffered_amount(const ws_conn_t *c);

/* Queues a text or binary message (copied).  Returns a ws_send_status_t. */
ws_send_status_t ws_conn_send(ws_conn_t *c, const char *data, size_t len, int binary);
/*
 * Like ws_conn_send(), but the bytes are not copied: the queue refers to
 * them until they are written, then calls release(ctx), exactly once (at
 * once when the message is dropped or compressed).  The bytes must not
 * change meanwhile.  Worth it for large messages only.
 */
ws_send_status_t ws_conn_send_ref(ws_conn_t *c, const char *data, size_t len, int binary,
	void (*release)(void *ctx), void *ctx);
/* Queues a ping (payload at most 125 bytes: longer is cut).  Returns 1 if queued. */
int ws_conn_ping(ws_conn_t *c, const char *data, size_t len);
/*
 * Starts the closing handshake with code/reason (validated by the caller:
 * sendable code, reason <= 123 bytes of UTF-8).  A no-op if already closing.
 */
void ws_conn_close(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len);

/* During on_handshake / on_http only: answer with this response (copied) and close. */
int ws_conn_respond(ws_conn_t *c, int status, const char *headers, size_t headers_len, const char *body, size_t body_len);
/* During on_handshake only: choose the subprotocol (copied; the caller checks it was offered). */
int ws_conn_set_subprotocol(ws_conn_t *c, const char *name, size_t len);
/* During on_handshake only: add a "Name: value" header line to the 101 (copied). */
int ws_conn_add_response_header(ws_conn_t *c, const char *name, size_t name_len, const char *value, size_t value_len);
/* 1 if ws_conn_respond() was called for this request. */
int ws_conn_responded(const ws_conn_t *c);

/* Topics of one connection. */
int ws_conn_subscribe(ws_conn_t *c, const char *topic, size_t len);   /* 1 new, 0 already, -1 ENOMEM */
int ws_conn_unsubscribe(ws_conn_t *c, const char *topic, size_t len); /* 1 removed, 0 was not */
/* Calls fn for each topic of c, in subscription order. */
void ws_conn_each_topic(ws_conn_t *c, void (*fn)(void *arg, const char *name, size_t len), void *arg);

/*
 * History and presence (ws_replica.c, docs/PRESENCE_HISTORY.md).  Histories
 * are configured before run(): a default for every topic and rules for a
 * topic or a prefix ("room:*"; the first matching rule wins).  size is in
 * messages (0: no history), ttl in seconds (0: no age limit).
 */
int ws_server_history_default(ws_server_t *s, uint32_t size, uint32_t ttl);
int ws_server_history_rule(ws_server_t *s, const char *pattern, size_t len, uint32_t size, uint32_t ttl);
/* The limits of topic; returns its size (0: no history). */
uint32_t ws_server_history_limits(const ws_server_t *s, const char *topic, size_t len, uint32_t *ttl);
/* The history rules and state, for the supervisor of a server with workers (ws_master_config_t). */
const struct ws_state *ws_server_state(const ws_server_t *s);
/* The epoch of this node's histories (16 hex digits): it changes when they are lost. */
const char *ws_server_epoch(const ws_server_t *s);
/* The epoch of topic's history: with the Redis broker each topic has its own (kept in Redis); else ws_server_epoch(). */
const char *ws_server_history_epoch(ws_server_t *s, const char *topic, size_t len);
struct ws_history_entry;
struct ws_member;
/* Calls fn for the last limit messages of topic (all with 0), oldest first.  Returns how many. */
size_t ws_server_history(ws_server_t *s, const char *topic, size_t len, size_t limit,
	void (*fn)(void *arg, const struct ws_history_entry *e), void *arg);
/*
 * Subscribes c to topic and queues every message published after the one
 * with application id since, then the live stream: none twice, none left
 * out.  epoch (may be NULL) must be this node's.  Returns the number of
 * messages queued, -1 if the gap cannot be filled (since unknown or too
 * old, another epoch, no history: then c is subscribed and nothing is
 * replayed), -2 if c is not open, -3 on ENOMEM.
 */
long ws_conn_resume(ws_conn_t *c, const char *topic, size_t len, const char *since, size_t since_len,
	const char *epoch, size_t epoch_len);
/* Joins topic's presence with info (up to 4096 bytes).  1 joined, 2 info changed, 0 unchanged, -1 error. */
int ws_conn_join(ws_conn_t *c, const char *topic, size_t len, const char *info, size_t info_len);
/* Leaves topic's presence.  1 if c was a member. */
int ws_conn_leave(ws_conn_t *c, const char *topic, size_t len);
/* This node's id on the Redis broker (16 hex digits; the id presence gives other nodes' members), "" without a broker. */
const char *ws_server_node(const ws_server_t *s);
/* Calls fn for every member of topic on every worker (and every node, with a broker).  Returns how many. */
size_t ws_server_presence(ws_server_t *s, const char *topic, size_t len,
	void (*fn)(void *arg, const struct ws_member *m), void *arg);

#endif
