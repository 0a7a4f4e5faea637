/*
 * ws_metrics.c - the flat metrics struct of ws_metrics.h: initialisation,
 * totals, histogram observations, and the renderer for the Prometheus text
 * format 0.0.4 and OpenMetrics 1.0.
 *
 * The renderer is table-driven: each family names the offset of its values
 * in ws_metrics_t and up to two label dimensions laid out as a C array
 * [dim1][dim2] there.  Every series of every family is always rendered, zero
 * or not, so that a scrape never makes series appear or disappear
 * (OpenMetrics "Exposition Across Time").
 */
#include <stddef.h>
#include <string.h>

#include "ws_alloc.h"
#include "ws_error.h"
#include "ws_metrics.h"

/* Every field after the version and size is a uint64_t: ws_metrics_add() relies on it. */
_Static_assert(offsetof(ws_metrics_t, connections_accepted) == 8, "ws_metrics_t header is two uint32_t");
_Static_assert(sizeof(ws_metrics_t) % sizeof(uint64_t) == 0, "ws_metrics_t is made of uint64_t");
_Static_assert(sizeof(ws_metrics_hist_t) == (WS_METRICS_BUCKETS + 2) * sizeof(uint64_t), "no padding in histograms");

static const uint64_t bucket_ns[WS_METRICS_BUCKETS] = {
	UINT64_C(1000), UINT64_C(2500), UINT64_C(5000), UINT64_C(10000), UINT64_C(25000), UINT64_C(50000),
	UINT64_C(100000), UINT64_C(250000), UINT64_C(500000), UINT64_C(1000000), UINT64_C(2500000),
	UINT64_C(5000000), UINT64_C(10000000), UINT64_C(25000000), UINT64_C(50000000), UINT64_C(100000000),
	UINT64_C(250000000), UINT64_C(500000000), UINT64_C(1000000000), UINT64_C(2500000000),
	UINT64_C(5000000000), UINT64_C(10000000000)
};

/*
 * The "le" values, written as OpenMetrics' canonical numbers (Go's %g with
 * ".0" added to integers), in both formats so that a series keeps its name
 * whichever format the scraper negotiates.
 */
static const char *const bucket_le[WS_METRICS_BUCKETS] = {
	"1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005",
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1.0", "2.5", "5.0", "10.0"
};

void ws_metrics_init(ws_metrics_t *m)
{
	memset(m, 0, sizeof(*m));
	m->version = WS_METRICS_VERSION;
	m->size = (uint32_t)sizeof(*m);
}

int ws_metrics_compatible(const ws_metrics_t *m)
{
	return m->version == WS_METRICS_VERSION && m->size == sizeof(*m);
}

/* The node-wide fields (ws_metrics.h): one value per node, whichever process reports it. */
static const size_t node_fields[] = {
	offsetof(ws_metrics_t, broker_reconnects), offsetof(ws_metrics_t, broker_messages_lost),
	offsetof(ws_metrics_t, broker_configured), offsetof(ws_metrics_t, broker_connected),
};

static int is_node_field(size_t off)
{
	for (size_t i = 0; i < sizeof(node_fields) / sizeof(node_fields[0]); i++) {
		if (node_fields[i] == off) {
			return 1;
		}
	}
	return 0;
}

void ws_metrics_add(ws_metrics_t *dst, const ws_metrics_t *src)
{
	/* Word by word through bytes: the struct is an array of uint64_t after its header. */
	unsigned char *d = (unsigned char *)dst;
	const unsigned char *s = (const unsigned char *)src;
	for (size_t off = offsetof(ws_metrics_t, connections_accepted); off < sizeof(*dst); off += sizeof(uint64_t)) {
		uint64_t a, b;
		memcpy(&a, d + off, sizeof(a));
		memcpy(&b, s + off, sizeof(b));
		if (!is_node_field(off)) {
			a += b;
		} else if (b > a) {
			/* Several views of one link: the larger counter is the more recent one. */
			a = b;
		}
		memcpy(d + off, &a, sizeof(a));
	}
}

void ws_metrics_observe(ws_metrics_hist_t *h, uint64_t ns)
{
	size_t i = 0;
	while (i < WS_METRICS_BUCKETS && ns > bucket_ns[i]) {
		i++;
	}
	h->bucket[i]++;
	h->sum_ns += ns;
}

uint64_t ws_metrics_bucket_bound_ns(size_t i)
{
	return i < WS_METRICS_BUCKETS ? bucket_ns[i] : UINT64_MAX;
}

static const int status_codes[WS_MST_OTHER] = { 400, 401, 403, 404, 405, 408, 413, 426, 429, 431, 500, 503 };

int ws_metrics_status_index(int status)
{
	for (int i = 0; i < WS_MST_OTHER; i++) {
		if (status_codes[i] == status) {
			return i;
		}
	}
	return WS_MST_OTHER;
}

int ws_metrics_close_index(unsigned code)
{
	return code >= 1000 && code <= 1015 ? (int)(code - 1000) : 16;
}

const char *ws_metrics_content_type(int openmetrics)
{
	return openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		: "text/plain; version=0.0.4; charset=utf-8";
}

/* ---------------------------------------------------------------- families */

typedef struct dim {
	const char *label;
	const char *const *values;
	size_t n;
} dim_t;

#define DIM(label, values) { label, values, sizeof(values) / sizeof(values[0]) }

static const char *const v_status[WS_MST_COUNT] = {
	"400", "401", "403", "404", "405", "408", "413", "426", "429", "431", "500", "503", "other"
};
static const char *const v_code[WS_METRICS_CLOSE_CODES] = {
	"1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010", "1011",
	"1012", "1013", "1014", "1015", "other"
};
static const char *const v_side[WS_MSIDE_COUNT] = { "peer", "server" };
static const char *const v_type[WS_MT_COUNT] = { "text", "binary" };
static const char *const v_bp[WS_MBP_COUNT] = { "queued", "paused", "dropped", "closed" };
static const char *const v_shed[WS_MSHED_COUNT] = { "closed", "dropped" };
static const char *const v_tls[WS_MTLS_COUNT] = { "error", "timeout" };
static const char *const v_dir[WS_MDIR_COUNT] = { "sent", "received" };
static const char *const v_form[WS_MFORM_COUNT] = { "uncompressed", "compressed" };
static const char *const v_fan[WS_MFAN_COUNT] = { "publish", "broadcast" };
static const char *const v_scrape[WS_MSCRAPE_COUNT] = { "text", "openmetrics", "refused" };
static const char *const v_event[WS_MEV_COUNT] = { "handshake", "open", "message", "close", "drain", "request", "timer" };

static const dim_t d_status = DIM("status", v_status);
static const dim_t d_code = DIM("code", v_code);
static const dim_t d_side = DIM("side", v_side);
static const dim_t d_type = DIM("type", v_type);
static const dim_t d_bp = DIM("event", v_bp);
static const dim_t d_shed = DIM("action", v_shed);
static const dim_t d_tls = DIM("reason", v_tls);
static const dim_t d_dir = DIM("direction", v_dir);
static const dim_t d_form = DIM("form", v_form);
static const dim_t d_fan = DIM("kind", v_fan);
static const dim_t d_scrape = DIM("result", v_scrape);
static const dim_t d_event = DIM("event", v_event);

typedef enum { F_COUNTER, F_GAUGE, F_HISTOGRAM } ftype_t;

typedef struct family {
	const char *name;   /* OpenMetrics family name: counters without _total */
	ftype_t type;
	const char *unit;   /* "bytes", "seconds" or NULL; the name ends with it */
	const char *help;   /* no backslash, no newline */
	size_t off;         /* of the first value (uint64_t or ws_metrics_hist_t) */
	const dim_t *d1, *d2;
} family_t;

#define OFF(field) offsetof(ws_metrics_t, field)

static const family_t families[] = {
	{ "websocket_connections_accepted", F_COUNTER, NULL,
		"TCP connections accepted on the WebSocket listeners.",
		OFF(connections_accepted), NULL, NULL },
	{ "websocket_connections_opened", F_COUNTER, NULL,
		"WebSocket connections opened (upgrades answered with 101).",
		OFF(connections_opened), NULL, NULL },
	{ "websocket_handshakes_refused", F_COUNTER, NULL,
		"Requests answered with an HTTP error status instead of an upgrade, by status: bad request heads, "
		"origins, limits, timeouts and refusals by the handshake handler.",
		OFF(handshakes_refused), &d_status, NULL },
	{ "websocket_closes", F_COUNTER, NULL,
		"Opened connections that closed, by who started the close and by the code the close handler saw "
		"(1005: no code, 1006: connection lost).",
		OFF(closes), &d_side, &d_code },
	{ "websocket_messages_received", F_COUNTER, NULL,
		"Data messages received, by type.",
		OFF(messages_received), &d_type, NULL },
	{ "websocket_messages_sent", F_COUNTER, NULL,
		"Data messages queued for sending, by type; a publish or broadcast counts once per recipient.",
		OFF(messages_sent), &d_type, NULL },
	{ "websocket_received_bytes", F_COUNTER, "bytes",
		"Payload bytes of the data messages received, after decompression, by type.",
		OFF(received_bytes), &d_type, NULL },
	{ "websocket_sent_bytes", F_COUNTER, "bytes",
		"Payload bytes of the data messages queued for sending, before compression, by type.",
		OFF(sent_bytes), &d_type, NULL },
	{ "websocket_read_bytes", F_COUNTER, "bytes",
		"Bytes read from client connections, request heads and frame headers included (after TLS decryption; "
		"not the endpoint's own listener).",
		OFF(read_bytes), NULL, NULL },
	{ "websocket_written_bytes", F_COUNTER, "bytes",
		"Bytes written to client connections (before TLS encryption; not the endpoint's own listener).",
		OFF(written_bytes), NULL, NULL },
	{ "websocket_pings_received", F_COUNTER, NULL,
		"Ping frames received (each is answered with a pong).",
		OFF(pings_received), NULL, NULL },
	{ "websocket_pings_sent", F_COUNTER, NULL,
		"Ping frames queued: keepalive pings and Connection::ping().",
		OFF(pings_sent), NULL, NULL },
	{ "websocket_pongs_received", F_COUNTER, NULL,
		"Pong frames received.",
		OFF(pongs_received), NULL, NULL },
	{ "websocket_pongs_sent", F_COUNTER, NULL,
		"Pong frames queued in answer to pings.",
		OFF(pongs_sent), NULL, NULL },
	{ "websocket_backpressure_events", F_COUNTER, NULL,
		"Backpressure: a backlog went over low_water_mark (queued), reading paused for a fast sender (paused), "
		"a message dropped or a connection closed over max_buffered_amount (dropped, closed).",
		OFF(backpressure), &d_bp, NULL },
	{ "websocket_memory_sheds", F_COUNTER, NULL,
		"Connections shed by the max_memory budget, by what was done to them.",
		OFF(memory_sheds), &d_shed, NULL },
	{ "websocket_tls_handshakes", F_COUNTER, NULL,
		"TLS handshakes completed.",
		OFF(tls_handshakes), NULL, NULL },
	{ "websocket_tls_handshake_failures", F_COUNTER, NULL,
		"TLS handshakes that failed (error) or did not finish within handshake_timeout (timeout).",
		OFF(tls_failures), &d_tls, NULL },
	{ "websocket_compression_bytes", F_COUNTER, "bytes",
		"Payload bytes of permessage-deflate messages before and after compression, sent and received.",
		OFF(compression_bytes), &d_dir, &d_form },
	{ "websocket_publications", F_COUNTER, NULL,
		"Calls of publish() and broadcast().",
		OFF(publications), &d_fan, NULL },
	{ "websocket_deliveries", F_COUNTER, NULL,
		"Recipients that publish() and broadcast() queued the message for.",
		OFF(deliveries), &d_fan, NULL },
	{ "websocket_broker_reconnects", F_COUNTER, NULL,
		"Reconnections of this node's link to the message broker after an outage (one series per node, never per worker).",
		OFF(broker_reconnects), NULL, NULL },
	{ "websocket_broker_messages_lost", F_COUNTER, NULL,
		"Publications of this node whose copy for the other nodes was dropped: broker down, or over broker_buffer.",
		OFF(broker_messages_lost), NULL, NULL },
	{ "websocket_metrics_scrapes", F_COUNTER, NULL,
		"Requests for this endpoint: served in the Prometheus text format or OpenMetrics, or refused by its access control.",
		OFF(scrapes), &d_scrape, NULL },
	{ "websocket_open_connections", F_GAUGE, NULL,
		"Open WebSocket connections.",
		OFF(connections_open), NULL, NULL },
	{ "websocket_pending_sockets", F_GAUGE, NULL,
		"Accepted sockets that are not open WebSocket connections: handshakes, plain HTTP, closing.",
		OFF(connections_pending), NULL, NULL },
	{ "websocket_buffered_bytes", F_GAUGE, "bytes",
		"Bytes waiting in all send queues.",
		OFF(buffered_bytes), NULL, NULL },
	{ "websocket_topics", F_GAUGE, NULL,
		"Topics with at least one subscriber.",
		OFF(topics), NULL, NULL },
	{ "websocket_subscriptions", F_GAUGE, NULL,
		"Subscriptions (connection and topic pairs).",
		OFF(subscriptions), NULL, NULL },
	{ "websocket_history_entries", F_GAUGE, NULL,
		"Messages kept in topic history (always 0 until history lands).",
		OFF(history_entries), NULL, NULL },
	{ "websocket_memory_bytes", F_GAUGE, "bytes",
		"Memory counted against max_memory: send queues, reassembly and input buffers.",
		OFF(memory_bytes), NULL, NULL },
	{ "websocket_memory_limit_bytes", F_GAUGE, "bytes",
		"The max_memory budget (0: no limit).",
		OFF(memory_limit_bytes), NULL, NULL },
	{ "websocket_broker_configured", F_GAUGE, NULL,
		"1 when a message broker is configured (the broker option).",
		OFF(broker_configured), NULL, NULL },
	{ "websocket_broker_connected", F_GAUGE, NULL,
		"1 while this node's link to the message broker is connected.",
		OFF(broker_connected), NULL, NULL },
	{ "websocket_handler_duration_seconds", F_HISTOGRAM, "seconds",
		"Time spent in the application's handlers, by event (message: the first call of every 8th loop iteration is timed).",
		OFF(handler), &d_event, NULL },
	{ "websocket_loop_iteration_seconds", F_HISTOGRAM, "seconds",
		"Busy time of one event-loop iteration, from waking up to waiting again: the loop lag.",
		OFF(loop_iteration), NULL, NULL },
	{ "websocket_fanout_duration_seconds", F_HISTOGRAM, "seconds",
		"Time to queue one publish() or broadcast() for every recipient (the first of every 8th loop iteration is timed).",
		OFF(fanout), NULL, NULL },
	{ "websocket_handshake_duration_seconds", F_HISTOGRAM, "seconds",
		"Time from accepting a connection (TLS handshake included) to queuing its 101 response.",
		OFF(handshake), NULL, NULL },
};

/* ---------------------------------------------------------------- output buffer */

typedef struct rbuf {
	char *p;
	size_t len, cap;
	int oom;
} rbuf_t;

static int rb_grow(rbuf_t *b, size_t more)
{
	if (b->oom) {
		return -1;
	}
	if (b->len + more + 1 <= b->cap) {
		return 0;
	}
	size_t ncap = b->cap ? b->cap : 16384;
	while (ncap < b->len + more + 1) {
		ncap *= 2;
	}
	char *np = ws_realloc(b->p, ncap);
	if (np == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

static void rb_put(rbuf_t *b, const char *s, size_t n)
{
	if (rb_grow(b, n) == 0) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void rb_str(rbuf_t *b, const char *s)
{
	rb_put(b, s, strlen(s));
}

static void rb_u64(rbuf_t *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rb_put(b, tmp + i, sizeof(tmp) - i);
}

static void rb_i64(rbuf_t *b, int64_t v)
{
	if (v < 0) {
		rb_put(b, "-", 1);
		rb_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		rb_u64(b, (uint64_t)v);
	}
}

/* Nanoseconds as seconds with nine decimals ("0.000123456"). */
static void rb_seconds(rbuf_t *b, uint64_t ns)
{
	char frac[10];
	uint64_t f = ns % 1000000000u;
	rb_u64(b, ns / 1000000000u);
	for (int i = 8; i >= 0; i--) {
		frac[1 + i] = (char)('0' + f % 10);
		f /= 10;
	}
	frac[0] = '.';
	rb_put(b, frac, sizeof(frac));
}

/* ---------------------------------------------------------------- rendering */

typedef struct render {
	rbuf_t b;
	const family_t *f;
	int labelled;
	int worker;
} render_t;

/*
 * One sample line: name, suffix, then {worker, l1, l2, le} as present.
 * Values come as an unsigned integer or, for sums, nanoseconds.
 */
static void sample_head(render_t *r, const char *suffix, const char *l1, const char *v1,
	const char *l2, const char *v2, const char *le)
{
	rbuf_t *b = &r->b;
	int first = 1;
	rb_str(b, r->f->name);
	rb_str(b, suffix);
	if (r->labelled || l1 || le) {
		rb_put(b, "{", 1);
		if (r->labelled) {
			rb_str(b, "worker=\"");
			rb_i64(b, r->worker);
			rb_put(b, "\"", 1);
			first = 0;
		}
		const char *names[3] = { l1, l2, le ? "le" : NULL };
		const char *values[3] = { v1, v2, le };
		for (int i = 0; i < 3; i++) {
			if (names[i] == NULL) {
				continue;
			}
			if (!first) {
				rb_put(b, ",", 1);
			}
			first = 0;
			rb_str(b, names[i]);
			rb_str(b, "=\"");
			rb_str(b, values[i]);
			rb_put(b, "\"", 1);
		}
		rb_put(b, "}", 1);
	}
	rb_put(b, " ", 1);
}

static void sample_u64(render_t *r, const char *suffix, const char *l1, const char *v1,
	const char *l2, const char *v2, const char *le, uint64_t v)
{
	sample_head(r, suffix, l1, v1, l2, v2, le);
	rb_u64(&r->b, v);
	rb_put(&r->b, "\n", 1);
}

static void render_hist(render_t *r, const ws_metrics_hist_t *h, const char *l1, const char *v1)
{
	uint64_t cum = 0;
	for (size_t i = 0; i < WS_METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		sample_u64(r, "_bucket", l1, v1, NULL, NULL, bucket_le[i], cum);
	}
	cum += h->bucket[WS_METRICS_BUCKETS];
	sample_u64(r, "_bucket", l1, v1, NULL, NULL, "+Inf", cum);
	sample_u64(r, "_count", l1, v1, NULL, NULL, NULL, cum);
	sample_head(r, "_sum", l1, v1, NULL, NULL, NULL);
	rb_seconds(&r->b, h->sum_ns);
	rb_put(&r->b, "\n", 1);
}

static void render_series(render_t *r, const ws_metrics_t *m)
{
	const family_t *f = r->f;
	const char *base = (const char *)m + f->off;
	size_t n1 = f->d1 ? f->d1->n : 1, n2 = f->d2 ? f->d2->n : 1;
	for (size_t i = 0; i < n1; i++) {
		for (size_t j = 0; j < n2; j++) {
			const char *l1 = f->d1 ? f->d1->label : NULL, *v1 = f->d1 ? f->d1->values[i] : NULL;
			const char *l2 = f->d2 ? f->d2->label : NULL, *v2 = f->d2 ? f->d2->values[j] : NULL;
			if (f->type == F_HISTOGRAM) {
				render_hist(r, (const ws_metrics_hist_t *)base + i, l1, v1);
				continue;
			}
			uint64_t v;
			memcpy(&v, base + (i * n2 + j) * sizeof(uint64_t), sizeof(v));
			sample_u64(r, f->type == F_COUNTER ? "_total" : "", l1, v1, l2, v2, NULL, v);
		}
	}
}

static void render_meta(render_t *r, int openmetrics)
{
	rbuf_t *b = &r->b;
	const family_t *f = r->f;
	static const char *const type_names[] = { "counter", "gauge", "histogram" };
	/* The text format names a counter by its sample (with _total); OpenMetrics by its family. */
	const char *suffix = !openmetrics && f->type == F_COUNTER ? "_total" : "";
	if (openmetrics) {
		rb_str(b, "# TYPE ");
		rb_str(b, f->name);
		rb_put(b, " ", 1);
		rb_str(b, type_names[f->type]);
		rb_put(b, "\n", 1);
		if (f->unit) {
			rb_str(b, "# UNIT ");
			rb_str(b, f->name);
			rb_put(b, " ", 1);
			rb_str(b, f->unit);
			rb_put(b, "\n", 1);
		}
	}
	rb_str(b, "# HELP ");
	rb_str(b, f->name);
	rb_str(b, suffix);
	rb_put(b, " ", 1);
	rb_str(b, f->help);
	rb_put(b, "\n", 1);
	if (!openmetrics) {
		rb_str(b, "# TYPE ");
		rb_str(b, f->name);
		rb_str(b, suffix);
		rb_put(b, " ", 1);
		rb_str(b, type_names[f->type]);
		rb_put(b, "\n", 1);
	}
}

int ws_metrics_render(const ws_metrics_t *const *snaps, const int *worker_ids, size_t n,
	int openmetrics, char **out, size_t *out_len)
{
	return ws_metrics_render_node(snaps, worker_ids, n, NULL, openmetrics, out, out_len);
}

int ws_metrics_render_node(const ws_metrics_t *const *snaps, const int *worker_ids, size_t n,
	const ws_metrics_t *node, int openmetrics, char **out, size_t *out_len)
{
	render_t r;
	memset(&r, 0, sizeof(r));
	int labelled = n > 1 || (n == 1 && worker_ids != NULL && worker_ids[0] >= 0);
	if (node == NULL && n > 0) {
		node = snaps[0];
	}
	for (size_t k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		r.f = &families[k];
		render_meta(&r, openmetrics);
		if (is_node_field(r.f->off)) {
			/* One link per node: one unlabelled series, whoever is scraped. */
			r.labelled = 0;
			if (node) {
				render_series(&r, node);
			}
			continue;
		}
		r.labelled = labelled;
		for (size_t i = 0; i < n; i++) {
			r.worker = worker_ids ? worker_ids[i] : (int)i;
			render_series(&r, snaps[i]);
		}
	}
	if (openmetrics) {
		rb_str(&r.b, "# EOF\n");
	}
	if (rb_grow(&r.b, 0) != 0) {
		ws_free(r.b.p);
		*out = NULL;
		*out_len = 0;
		return WS_ERR_NOMEM;
	}
	r.b.p[r.b.len] = '\0';
	*out = r.b.p;
	*out_len = r.b.len;
	return 0;
}
