/*
 * ws_metrics.h - the server's counters, gauges and histograms as one flat
 * struct, and a pure renderer for the Prometheus text exposition format
 * (0.0.4) and OpenMetrics 1.0.  Zend-free and free of I/O: the engine fills a
 * ws_metrics_t, the metrics endpoint (ws_metrics_http.c) renders it, stats()
 * reads the same fields.
 *
 * A ws_metrics_t is plain old data: fixed-size arrays of uint64_t, no
 * pointers, no padding.  Copying it with memcpy() or sending its bytes to
 * another process of the same build is a complete snapshot.  Its first two
 * fields (version and size) say which layout it is, so that a receiver can
 * refuse a snapshot from a different build (a reload that exec()s an
 * upgraded extension): ws_metrics_compatible().
 *
 * Units: every duration is kept in nanoseconds and rendered in seconds;
 * every size is in bytes.
 *
 * ---------------------------------------------------------------------
 * The seam for worker processes
 * ---------------------------------------------------------------------
 * With several worker processes (docs/PROCESS_MODEL.md), one scrape of any
 * worker must return the whole machine.  The metrics code does not know how
 * snapshots travel between processes; the bus does not know what is in them.
 * The meeting point is three functions:
 *
 *   const ws_metrics_t *ws_server_metrics(struct ws_server *s);
 *       This process's live counters, with the gauges (open connections,
 *       topics, memory) refreshed first.  Valid until the next call into the
 *       server.  Copy sizeof(ws_metrics_t) bytes of it into a STATS record.
 *
 *   void ws_server_set_metrics_peers(struct ws_server *s, int self_id,
 *       ws_metrics_peers_fn fn, void *arg);
 *       Installs the hook.  When fn is set, the endpoint renders this
 *       process's live snapshot labelled worker="<self_id>" followed by every
 *       snapshot fn supplies, each labelled with its own worker id, sorted by
 *       id.  fn(arg, snaps, ids, cap) fills snaps[i] and ids[i] for i < cap
 *       with the other workers' latest snapshots (the CLUSTER record's) and
 *       returns how many it filled; the pointers must stay valid until fn's
 *       caller returns (the endpoint renders at once, inside the loop).  A
 *       snapshot that fails ws_metrics_compatible() should be left out.
 *       fn NULL (the default) removes the hook: unlabelled series.
 *
 *   int ws_metrics_render(snaps, worker_ids, n, openmetrics, &out, &len);
 *   void ws_metrics_add(ws_metrics_t *dst, const ws_metrics_t *src);
 *       The renderer and the totals (clusterStats()) as described below.
 *
 * None of them blocks; only ws_metrics_render() allocates (the text).
 *
 * ---------------------------------------------------------------------
 * Node-wide fields
 * ---------------------------------------------------------------------
 * The four broker_* fields describe the node's one link to the Redis broker
 * (docs/BROKER.md), not the process that reports them: a single process
 * owns the link itself, and with workers the supervisor owns it and every
 * worker carries the values of the latest CLUSTER record.  So that a
 * scrape shows them once per node rather than once per worker, the
 * renderer writes these families once, without a worker label, from one
 * chosen snapshot (ws_metrics_render_node()), and ws_metrics_add() keeps
 * the larger value instead of the sum.
 */
#ifndef WS_METRICS_H
#define WS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever a field is added, removed or resized. */
#define WS_METRICS_VERSION 1

/*
 * Histogram buckets: upper bounds of 1 us to 10 s in 1-2.5-5 steps (22
 * bounds), then +Inf.  Counts are kept per bucket (not cumulative);
 * the renderer accumulates them.
 */
#define WS_METRICS_BUCKETS 22

typedef struct ws_metrics_hist {
	uint64_t bucket[WS_METRICS_BUCKETS + 1]; /* [WS_METRICS_BUCKETS]: over the largest bound */
	uint64_t sum_ns;
} ws_metrics_hist_t;

/* Message types (label type="text"|"binary"). */
enum { WS_MT_TEXT = 0, WS_MT_BINARY = 1, WS_MT_COUNT = 2 };

/* Who started a close (label side="peer"|"server"). */
enum { WS_MSIDE_PEER = 0, WS_MSIDE_SERVER = 1, WS_MSIDE_COUNT = 2 };

/* Close codes 1000..1015 each, then every other code (label code="other"). */
#define WS_METRICS_CLOSE_CODES 17

/* HTTP statuses of refused handshakes: a small fixed table, then "other". */
enum {
	WS_MST_400 = 0, WS_MST_401, WS_MST_403, WS_MST_404, WS_MST_405, WS_MST_408, WS_MST_413,
	WS_MST_426, WS_MST_429, WS_MST_431, WS_MST_500, WS_MST_503, WS_MST_OTHER, WS_MST_COUNT
};

/* Backpressure events (label event=...). */
enum {
	WS_MBP_QUEUED = 0,   /* a connection's backlog went over low_water_mark (a drain is owed) */
	WS_MBP_PAUSED,       /* reading from a connection paused: it sends faster than it reads */
	WS_MBP_DROPPED,      /* a message not queued: backlog over max_buffered_amount, policy "drop" */
	WS_MBP_CLOSED,       /* a connection closed with 1008: backlog over max_buffered_amount, policy "close" */
	WS_MBP_COUNT
};

/* What the max_memory budget did to a connection (label action=...). */
enum { WS_MSHED_CLOSED = 0, WS_MSHED_DROPPED = 1, WS_MSHED_COUNT = 2 };

/* TLS handshakes that did not complete (label reason=...). */
enum { WS_MTLS_ERROR = 0, WS_MTLS_TIMEOUT = 1, WS_MTLS_COUNT = 2 };

/* Compression (labels direction, form). */
enum { WS_MDIR_SENT = 0, WS_MDIR_RECEIVED = 1, WS_MDIR_COUNT = 2 };
enum { WS_MFORM_UNCOMPRESSED = 0, WS_MFORM_COMPRESSED = 1, WS_MFORM_COUNT = 2 };

/* Fan-out kinds (label kind="publish"|"broadcast"). */
enum { WS_MFAN_PUBLISH = 0, WS_MFAN_BROADCAST = 1, WS_MFAN_COUNT = 2 };

/* Scrapes of the endpoint: served in either format, or refused (label result=...). */
enum { WS_MSCRAPE_TEXT = 0, WS_MSCRAPE_OPENMETRICS = 1, WS_MSCRAPE_REFUSED = 2, WS_MSCRAPE_COUNT = 3 };

/* Handler events timed (label event=...): the events the core calls the application for. */
enum {
	WS_MEV_HANDSHAKE = 0, WS_MEV_OPEN, WS_MEV_MESSAGE, WS_MEV_CLOSE, WS_MEV_DRAIN, WS_MEV_REQUEST,
	WS_MEV_TIMER, WS_MEV_COUNT
};

typedef struct ws_metrics {
	uint32_t version;                        /* WS_METRICS_VERSION */
	uint32_t size;                           /* sizeof(ws_metrics_t) */

	/* ---- counters (only ever grow) ---- */
	uint64_t connections_accepted;           /* TCP connections accepted on the WebSocket listeners */
	uint64_t connections_opened;             /* upgrades completed (101 sent) */
	uint64_t handshakes_refused[WS_MST_COUNT]; /* by HTTP status */
	uint64_t closes[WS_MSIDE_COUNT][WS_METRICS_CLOSE_CODES]; /* [side][code - 1000], [..][16] other */
	uint64_t messages_received[WS_MT_COUNT];
	uint64_t messages_sent[WS_MT_COUNT];     /* queued; a fan-out counts once per recipient */
	uint64_t received_bytes[WS_MT_COUNT];    /* payload, after inflation */
	uint64_t sent_bytes[WS_MT_COUNT];        /* payload, before compression */
	uint64_t read_bytes;                     /* from sockets (or TLS), heads and frame headers included */
	uint64_t written_bytes;                  /* to sockets (or TLS) */
	uint64_t pings_received, pings_sent, pongs_received, pongs_sent;
	uint64_t backpressure[WS_MBP_COUNT];
	uint64_t memory_sheds[WS_MSHED_COUNT];
	uint64_t tls_handshakes;                 /* completed */
	uint64_t tls_failures[WS_MTLS_COUNT];
	uint64_t compression_bytes[WS_MDIR_COUNT][WS_MFORM_COUNT]; /* payloads that were (de)compressed */
	uint64_t publications[WS_MFAN_COUNT];    /* publish() and broadcast() calls */
	uint64_t deliveries[WS_MFAN_COUNT];      /* recipients they were queued for */
	uint64_t broker_reconnects;              /* node-wide (below): the broker link's reconnections */
	uint64_t broker_messages_lost;           /* node-wide: publications whose remote part was dropped */
	uint64_t scrapes[WS_MSCRAPE_COUNT];

	/* ---- gauges (current values; see ws_server_metrics()) ---- */
	uint64_t connections_open;
	uint64_t connections_pending;            /* sockets that are not open WebSocket connections */
	uint64_t buffered_bytes;                 /* in every send queue */
	uint64_t topics;
	uint64_t subscriptions;
	uint64_t history_entries;                /* always 0 until history lands */
	uint64_t memory_bytes;                   /* counted against max_memory */
	uint64_t memory_limit_bytes;             /* max_memory; 0: no limit */
	uint64_t broker_configured;              /* node-wide: 1 when the broker option is set */
	uint64_t broker_connected;               /* node-wide: 1 while both connections of the link are up */

	/* ---- histograms ---- */
	ws_metrics_hist_t handler[WS_MEV_COUNT]; /* application handler duration, by event */
	ws_metrics_hist_t loop_iteration;        /* event-loop busy time per iteration (loop lag) */
	ws_metrics_hist_t fanout;                /* one publish()/broadcast() fan-out */
	ws_metrics_hist_t handshake;             /* accept (TLS included) to the 101 being queued */
} ws_metrics_t;

/* Zeroes m and stamps its version and size. */
void ws_metrics_init(ws_metrics_t *m);

/* 1 if m was made by this build (same version and size), 0 otherwise. */
int ws_metrics_compatible(const ws_metrics_t *m);

/*
 * Adds every counter, gauge and histogram bucket of src to dst (totals
 * across workers); the node-wide fields keep the larger of the two values.
 */
void ws_metrics_add(ws_metrics_t *dst, const ws_metrics_t *src);

/* Counts one observation of ns nanoseconds into h. */
void ws_metrics_observe(ws_metrics_hist_t *h, uint64_t ns);

/* The upper bound of bucket i (< WS_METRICS_BUCKETS) in nanoseconds. */
uint64_t ws_metrics_bucket_bound_ns(size_t i);

/* Table index of an HTTP status for handshakes_refused (WS_MST_OTHER if not in the table). */
int ws_metrics_status_index(int status);
/* Table index of a close code for closes (16 for codes outside 1000..1015). */
int ws_metrics_close_index(unsigned code);

/*
 * Renders n snapshots into a newly allocated text (ws_malloc; the caller
 * frees it with ws_free): every family once with # HELP and # TYPE, then
 * each snapshot's series.  openmetrics: OpenMetrics 1.0 (counter families
 * named without _total, # UNIT lines, # EOF at the end) instead of the
 * Prometheus text format 0.0.4.  worker_ids: NULL, or n ids; series get a
 * worker="<id>" label when n > 1 or the only id is >= 0, none when n == 1
 * and its id is -1 (or worker_ids is NULL).  The node-wide families are
 * never labelled and take snaps[0]'s values (see ws_metrics_render_node()).
 * snaps and worker_ids are borrowed for the call.  Returns 0 with *out and
 * *out_len set (the text is also NUL-terminated), or WS_ERR_NOMEM with *out
 * NULL.
 */
int ws_metrics_render(const ws_metrics_t *const *snaps, const int *worker_ids, size_t n,
	int openmetrics, char **out, size_t *out_len);

/*
 * The same, with the node-wide families (see the top of this file) rendered
 * once, unlabelled, from node's values: a worker passes its own live
 * snapshot, the freshest copy of its supervisor's numbers.  node NULL means
 * snaps[0] (nothing when n is 0).  node is borrowed for the call.
 */
int ws_metrics_render_node(const ws_metrics_t *const *snaps, const int *worker_ids, size_t n,
	const ws_metrics_t *node, int openmetrics, char **out, size_t *out_len);

/* The Content-Type of what ws_metrics_render() produces. */
const char *ws_metrics_content_type(int openmetrics);

/* ---- the seam for worker processes (see the top of this file) ---- */

struct ws_server;
typedef size_t (*ws_metrics_peers_fn)(void *arg, const ws_metrics_t **snaps, int *worker_ids, size_t cap);
const ws_metrics_t *ws_server_metrics(struct ws_server *s);
void ws_server_set_metrics_peers(struct ws_server *s, int self_id, ws_metrics_peers_fn fn, void *arg);

#endif
