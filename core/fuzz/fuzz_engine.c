/*
 * fuzz_engine.c - libFuzzer target for the whole engine (ws_server.h): one
 * server with real handlers, up to four peers talking to it at once over
 * socketpairs, stepped without blocking (ws_server_run_once) on a clock the
 * input moves (ws_server_set_clock), so that every timeout can fire.
 *
 * Input layout:
 *   bytes 0-5  configuration (see configure()): limits, timeouts, compression,
 *              backpressure, socket buffers, peer addresses (IPv4, IPv6,
 *              IPv4-mapped), a document root, the metrics endpoint; byte 4 makes allocations fail
 *              (one, or periodically) to test the NULL paths
 *   then sections separated by SEP ("\n--\n"):
 *     1st      the control program, one byte per step (see run_op()): which
 *              peer sends how many of its next bytes, time steps, peer
 *              behaviour (stop reading, half-close, close, reconnect), server
 *              actions from outside a handler, stop
 *     2nd      the action tape: every handler call takes the next byte and does
 *              what it says (see act()): send, send by reference, close,
 *              publish, subscribe, unsubscribe, broadcast, ping, stop, break,
 *              timers, refuse a handshake...; once it runs out, messages are
 *              echoed and nothing else happens
 *     3rd-6th  the bytes of peers 0-3, typically a handshake and masked frames
 * When the program ends, the peers send what they have left, then the server
 * is stopped and time runs on until every connection is gone.
 *
 * Checked after every step: the open count is opens minus closes, the send
 * queues add up to the buffered_bytes statistic, nothing is left on the
 * touched or dead lists, a drain owed (a send returned QUEUED) to an open
 * connection whose backlog is under low_water_mark has fired, and every
 * topic's subscribers are the open connections the handlers subscribed.
 * Checked on every event: handshake, then open, then messages, pings and
 * drains, then exactly one close, then free, for each connection, and
 * nothing after its close; a drain reports a backlog under the mark; a send to
 * a closed connection is dropped; text messages are valid UTF-8 and within
 * max_message_size.  What the
 * server writes is parsed as a client would: it must be an HTTP response, and
 * after a 101 valid frames (inflated when compressed; text valid UTF-8) and
 * nothing after a close frame.  At the end: every open had its close, every
 * send_ref() buffer was released, per-IP counts and topics are empty, memory
 * accounting is back to the pooled output buffers alone, the statistics are
 * back to zero, and every descriptor the input opened is closed.  ASan and
 * UBSan watch the rest (use after free, double free, leaks).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_server_int.h"
#include "ws_metrics_http.h"
#include "ws_server_test.h"

#define CHECK(c) do { \
	if (!(c)) { \
		fprintf(stderr, "fuzz_engine.c:%d: CHECK failed: %s\n", __LINE__, #c); \
		abort(); \
	} \
} while (0)

#define SEP "\n--\n"
#define SEP_LEN 4
#define NPEERS 4
#define MAX_RECS 48         /* connections per input (initial ones and reconnects) */
#define NTIMERS 8
#define MAX_DEPTH 3         /* chained actions */
#define FD_WATCH 256        /* descriptors below this are checked for leaks */
#define BIG 200000          /* largest payload the handlers send */
#define CONFIG_BYTES 6

/* ---- state ---------------------------------------------------------------- */

typedef struct peer {
	int fd;                 /* our end of the socketpair, -1 once closed */
	const uint8_t *stream;  /* what this peer sends */
	size_t stream_len, off;
	int reading;            /* drains its socket after every step */
	int shut_wr;
	uint64_t conn_id;       /* the server's connection for the current socket */

	/* What the server sent, parsed as a client would. */
	char head[2048];
	size_t head_len;
	int head_done, upgraded, deflate;
	ws_frame_parser_t parser;
	int close_seen;
	int in_msg, msg_binary, msg_compressed;
	ws_utf8_t utf8;
	ws_inflater_t *inflater;
	uint64_t inflated;
} peer_t;

typedef struct rec {
	ws_conn_t *c;           /* NULL once freed */
	int slot;
	int handshakes, opened, closed, freed;
	int drain_owed;         /* a send returned QUEUED: a drain must follow while it is open */
	unsigned topics;        /* bit k: subscribed to topic_of(k), as the handlers saw it */
} rec_t;

static struct fuzz {
	ws_server_t *s;
	ws_server_config_t cfg;
	uint64_t now;
	int small_sndbuf, addresses;
	peer_t peers[NPEERS];
	int npeers;
	rec_t recs[MAX_RECS];
	size_t nrecs;           /* connection ids are 1..nrecs */
	const uint8_t *tape;
	size_t tape_len, tape_off;
	int opens, closes;
	long refs;              /* send_ref() buffers not released yet */
	uint64_t timers[NTIMERS];
	int ntimers;
	int broke;              /* an action called ws_server_break() */
	int depth;
	/* Failing allocations while armed: every fail_period-th one, or the fail_at-th one alone. */
	unsigned fail_period, fail_at;
	unsigned long alloc_count;
	int fail_armed;
	int fail_injected;      /* some allocation did fail */
} F;

static char payload[BIG];   /* ASCII, so that it is valid text too */
static char docroot[64];    /* made once, removed at exit */
static int trace;           /* FUZZ_ENGINE_TRACE=1: events on stderr (to read a reproducer) */

#define TRACE(...) do { if (trace) fprintf(stderr, __VA_ARGS__); } while (0)

/* ---- allocator with injected failures ------------------------------------ */

static int alloc_fails(void)
{
	if (!F.fail_armed || !(F.fail_period || F.fail_at)) {
		return 0;
	}
	F.alloc_count++;
	int fail = F.fail_period ? F.alloc_count % F.fail_period == 0 : F.alloc_count == F.fail_at;
	F.fail_injected |= fail;
	return fail;
}

static void *fz_malloc(size_t n)
{
	return alloc_fails() ? NULL : malloc(n);
}

static void *fz_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : realloc(p, n);
}

static void fz_free(void *p)
{
	free(p);
}

static const ws_allocator_t fz_allocator = { fz_malloc, fz_realloc, fz_free };

/* ---- connection records ---------------------------------------------------- */

static rec_t *rec_of(ws_conn_t *c)
{
	uint64_t id = ws_conn_id(c);
	CHECK(id >= 1 && id <= F.nrecs);
	rec_t *r = &F.recs[id - 1];
	CHECK(!r->freed && r->c == c);
	return r;
}

/* Any connection still in memory, picked by k (NULL if none). */
static ws_conn_t *pick_conn(unsigned k)
{
	size_t live = 0;
	for (size_t i = 0; i < F.nrecs; i++) {
		live += F.recs[i].c != NULL;
	}
	if (live == 0) {
		return NULL;
	}
	k %= live;
	for (size_t i = 0; i < F.nrecs; i++) {
		if (F.recs[i].c != NULL && k-- == 0) {
			return F.recs[i].c;
		}
	}
	return NULL;
}

/* ---- the handlers' actions -------------------------------------------------- */

enum where { AT_HANDSHAKE, AT_HTTP, AT_OPEN, AT_MESSAGE, AT_PING, AT_DRAIN, AT_CLOSE, AT_TIMER, AT_OUTSIDE };

static const size_t sizes[8] = { 0, 1, 5, 125, 126, 1000, 16384, 70000 };
static const unsigned codes[8] = { 1000, 1001, 1003, 1008, 1011, 3000, 4000, 4999 };
static const char *const topics[4] = { "a", "news", "room/1", NULL /* WS_TOPIC_MAX bytes */ };

static int tape_next(void)
{
	return F.tape_off < F.tape_len ? F.tape[F.tape_off++] : -1;
}

static void topic_of(unsigned k, const char **name, size_t *len)
{
	static char longest[WS_TOPIC_MAX];
	k &= 3;
	if (topics[k] == NULL) {
		memset(longest, 't', sizeof(longest));
		*name = longest;
		*len = sizeof(longest);
	} else {
		*name = topics[k];
		*len = strlen(topics[k]);
	}
}

static void ref_release(void *ctx)
{
	CHECK(ctx == &F.refs);
	F.refs--;
	CHECK(F.refs >= 0);
}

static void check_send(ws_conn_t *c, int was_open, ws_send_status_t st)
{
	CHECK(st == WS_SEND_DROPPED || st == WS_SEND_SENT || st == WS_SEND_QUEUED);
	if (!was_open) {
		CHECK(st == WS_SEND_DROPPED);
	}
	if (st == WS_SEND_QUEUED) {
		rec_of(c)->drain_owed = 1;
	}
}

static void send_some(ws_conn_t *c, unsigned arg, int by_ref)
{
	size_t len = sizes[arg & 7];
	int binary = (arg >> 3) & 1;
	int was_open = ws_conn_is_open(c);
	if (by_ref) {
		F.refs++;
		check_send(c, was_open, ws_conn_send_ref(c, payload, len, binary, ref_release, &F.refs));
	} else {
		check_send(c, was_open, ws_conn_send(c, payload, len, binary));
	}
}

static void timer_forget(uint64_t id)
{
	for (int i = 0; i < F.ntimers; i++) {
		if (F.timers[i] == id) {
			F.timers[i] = F.timers[--F.ntimers];
			return;
		}
	}
	CHECK(0 && "unknown timer");
}

static void count_topic(void *arg, const char *name, size_t len)
{
	CHECK(len >= 1 && len <= WS_TOPIC_MAX);
	(*(size_t *)arg)++;
}

static void check_topic(void *arg, const char *name, size_t len, size_t subscribers)
{
	CHECK(subscribers >= 1);
	CHECK(ws_server_subscribers(F.s, name, len) == subscribers);
	(*(size_t *)arg)++;
}

/* Reads everything the public API tells about c and the server, and checks it agrees. */
static void introspect(ws_conn_t *c)
{
	ws_server_t *s = F.s;
	size_t n = 0;
	for (ws_conn_t *o = ws_server_first(s); o; o = ws_server_next(o)) {
		n++;
	}
	CHECK(n == ws_server_count(s));
	n = 0;
	ws_server_each_topic(s, check_topic, &n);
	if (c == NULL) {
		return;
	}
	char addr[64];
	CHECK(ws_conn_remote_address(c, addr, sizeof(addr)) > 0);
	ws_span_t p = ws_conn_path(c);
	CHECK(p.ptr != NULL && p.len >= 1);
	ws_span_t sp = ws_conn_subprotocol(c);
	CHECK((sp.ptr == NULL) == (sp.len == 0));
	(void)ws_conn_extensions(c);
	CHECK(!ws_conn_is_secure(c));
	CHECK(ws_conn_tls_subject(c, addr, sizeof(addr)) == 0);
	CHECK(ws_conn_server(c) == s);
	ws_conn_set_user(c, c);
	CHECK(ws_conn_user(c) == c);
	n = 0;
	ws_conn_each_topic(c, count_topic, &n);
	CHECK(n == c->nsubs);
	(void)ws_conn_buffered_amount(c);
}

/*
 * Does what the next byte of the tape says, for connection c (may be NULL)
 * in the handler `where`.  msg/len/binary: the message being handled, if any.
 * Returns 1 if a byte was taken.
 */
static int act(ws_conn_t *c, enum where where, const char *msg, size_t len, int binary)
{
	ws_server_t *s = F.s;
	int a = tape_next();
	if (a < 0) {
		return 0;
	}
	unsigned kind = (unsigned)a & 15, arg = (unsigned)a >> 4;
	TRACE("  action %u(%u) on %llu\n", kind, arg, c ? (unsigned long long)ws_conn_id(c) : 0ULL);
	const char *name;
	size_t nlen;
	F.depth++;
	switch (kind) {
	case 0:
		break;
	case 1: /* send: the message itself (echo) or a payload */
		if (c == NULL) {
			break;
		}
		if (where == AT_MESSAGE && arg < 4) {
			int was_open = ws_conn_is_open(c);
			check_send(c, was_open, ws_conn_send(c, msg, len, binary));
		} else {
			send_some(c, arg, 0);
		}
		break;
	case 2: /* send by reference */
		if (c != NULL) {
			send_some(c, arg, 1);
		}
		break;
	case 3: /* close */
		if (c != NULL) {
			size_t rlen = (arg & 8) ? WS_CLOSE_REASON_MAX : 0;
			char reason[WS_CLOSE_REASON_MAX];
			memset(reason, 'r', sizeof(reason));
			ws_conn_close(c, codes[arg & 7], reason, rlen);
			CHECK(!ws_conn_is_open(c));
		}
		break;
	case 4: /* subscribe */
		if (c != NULL) {
			int open = c->state == ST_OPEN;
			topic_of(arg, &name, &nlen);
			int r = ws_conn_subscribe(c, name, nlen);
			CHECK(r >= -1 && r <= 1);
			if (!open || where == AT_CLOSE) {
				CHECK(r == 0);
			}
			rec_t *rc = rec_of(c);
			CHECK(r != 1 || !(rc->topics & (1u << (arg & 3))));
			CHECK(r != 0 || !open || (rc->topics & (1u << (arg & 3))));
			if (r == 1) {
				rc->topics |= 1u << (arg & 3);
			}
		}
		break;
	case 5: /* unsubscribe */
		if (c != NULL) {
			topic_of(arg, &name, &nlen);
			int r = ws_conn_unsubscribe(c, name, nlen);
			CHECK(r == 0 || r == 1);
			rec_t *rc = rec_of(c);
			CHECK(r == !!(rc->topics & (1u << (arg & 3))));
			rc->topics &= ~(1u << (arg & 3));
		}
		break;
	case 6: /* publish */
	{
		int b = tape_next();
		unsigned bb = b < 0 ? 0 : (unsigned)b;
		topic_of(arg, &name, &nlen);
		size_t subs = ws_server_subscribers(s, name, nlen);
		size_t n = ws_server_publish(s, name, nlen, payload, sizes[bb & 7], (bb >> 3) & 1,
			(arg & 4) ? c : NULL);
		CHECK(n <= subs);
		break;
	}
	case 7: /* broadcast */
	{
		size_t n = ws_server_broadcast(s, payload, sizes[arg & 7], 0, (arg & 8) ? c : NULL);
		CHECK(n <= ws_server_count(s));
		break;
	}
	case 8: /* ping (more than 125 bytes is cut) */
		if (c != NULL) {
			int was_open = ws_conn_is_open(c);
			int r = ws_conn_ping(c, payload, arg * 9);
			CHECK(r == 0 || r == 1);
			if (!was_open) {
				CHECK(r == 0);
			}
		}
		break;
	case 9: /* stop, or break (an unhandled error in a handler) */
		if ((arg & 7) == 7 && where != AT_OUTSIDE) {
			ws_server_break(s);
			F.broke = 1;
		} else {
			ws_server_stop(s);
		}
		break;
	case 10: /* close another connection */
	{
		ws_conn_t *o = pick_conn(arg);
		if (o != NULL) {
			ws_conn_close(o, codes[arg & 7], "other", 5);
		}
		break;
	}
	case 11: /* send to another connection */
	{
		ws_conn_t *o = pick_conn(arg);
		if (o != NULL) {
			send_some(o, arg >> 1, arg & 1);
		}
		break;
	}
	case 12: /* timers */
		if (arg & 8) {
			if (F.ntimers > 0) {
				uint64_t id = F.timers[arg % (unsigned)F.ntimers];
				void *data = ws_server_timer_clear(s, id);
				CHECK(data == (void *)(uintptr_t)id);
				timer_forget(id);
			}
		} else if (F.ntimers < NTIMERS) {
			static const uint64_t ms[4] = { 0, 10, 100, 1000 };
			/* The data pointer carries the id the timer will get. */
			uint64_t want = s->next_timer_id;
			uint64_t id = ws_server_timer_add(s, ms[arg & 3], (arg >> 2) & 1, (void *)(uintptr_t)want);
			if (id != 0) {
				CHECK(id == want);
				F.timers[F.ntimers++] = id;
			}
		}
		break;
	case 13: /* answer the request (handshake or plain HTTP), or try to where it is not allowed */
		if (c == NULL) {
			break;
		}
		if (where == AT_HANDSHAKE && (arg & 8)) {
			if (arg & 1) {
				CHECK(ws_conn_set_subprotocol(c, "chat", 4) == 0 || F.fail_injected);
			}
			if (arg & 2) {
				CHECK(ws_conn_add_response_header(c, "X-Fuzz", 6, "1", 1) == 0 || F.fail_injected);
			}
			if (arg & 4) {
				ws_conn_close(c, 1000, NULL, 0);
			}
		} else if (where == AT_HANDSHAKE || where == AT_HTTP) {
			static const int status[4] = { 200, 401, 404, 503 };
			const char *hdr = (arg & 4) ? "Retry-After: 1\r\n" : NULL;
			int r = ws_conn_respond(c, status[arg & 3], hdr, hdr ? strlen(hdr) : 0, payload, sizes[(arg >> 1) & 7]);
			CHECK(r == 0 || r == -1);
			CHECK(r != 0 || ws_conn_responded(c));
		} else if (where != AT_TIMER && where != AT_OUTSIDE) {
			CHECK(ws_conn_respond(c, 200, NULL, 0, "x", 1) == -1);
			CHECK(ws_conn_set_subprotocol(c, "chat", 4) == -1);
			CHECK(ws_conn_add_response_header(c, "X-Fuzz", 6, "1", 1) == -1);
		}
		break;
	case 14: /* two more actions */
		if (F.depth < MAX_DEPTH) {
			act(c, where, msg, len, binary);
			act(c, where, msg, len, binary);
		}
		break;
	case 15:
		introspect(arg & 1 ? NULL : c);
		break;
	}
	F.depth--;
	return 1;
}

/* ---- handlers ----------------------------------------------------------------- */

static int utf8_ok(const char *p, size_t n)
{
	return ws_utf8_valid((const uint8_t *)p, n);
}

static void h_handshake(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req, const ws_handshake_t *hs)
{
	rec_t *r = rec_of(c);
	TRACE("handshake %llu\n", (unsigned long long)ws_conn_id(c));
	CHECK(!r->opened && !r->closed && r->handshakes == 0);
	r->handshakes++;
	act(c, AT_HANDSHAKE, NULL, 0, 0);
}

static void h_open(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	rec_t *r = rec_of(c);
	TRACE("open %llu\n", (unsigned long long)ws_conn_id(c));
	CHECK(r->handshakes == 1 && !r->opened && !r->closed);
	CHECK(ws_conn_is_open(c));
	r->opened = 1;
	F.opens++;
	act(c, AT_OPEN, NULL, 0, 0);
}

static void h_message(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary)
{
	rec_t *r = rec_of(c);
	TRACE("message %llu: %zu bytes%s\n", (unsigned long long)ws_conn_id(c), len, binary ? " binary" : "");
	CHECK(r->opened && !r->closed);
	CHECK(data != NULL);
	CHECK(len <= F.cfg.max_message_size);
	if (!binary) {
		CHECK(utf8_ok(data, len));
	}
	if (!act(c, AT_MESSAGE, data, len, binary)) {
		int was_open = ws_conn_is_open(c);
		check_send(c, was_open, ws_conn_send(c, data, len, binary));
	}
}

static void h_ping(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int is_pong)
{
	rec_t *r = rec_of(c);
	TRACE("%s %llu\n", is_pong ? "pong" : "ping", (unsigned long long)ws_conn_id(c));
	CHECK(r->opened && !r->closed);
	CHECK(len <= WS_CONTROL_PAYLOAD_MAX);
	act(c, AT_PING, NULL, 0, 0);
}

static void h_close(ws_server_t *s, ws_conn_t *c, unsigned code, const char *reason, size_t len)
{
	rec_t *r = rec_of(c);
	TRACE("close %llu: %u\n", (unsigned long long)ws_conn_id(c), code);
	CHECK(r->opened && !r->closed);
	CHECK(code == WS_CLOSE_NO_STATUS || code == WS_CLOSE_ABNORMAL || ws_close_code_is_valid(code));
	CHECK(reason != NULL && len <= WS_CLOSE_REASON_MAX);
	CHECK(!ws_conn_is_open(c));
	r->closed = 1;
	r->topics = 0; /* a closed connection has left its topics */
	F.closes++;
	act(c, AT_CLOSE, NULL, 0, 0);
	/* Nothing reopens it: sends are dropped, subscriptions refused. */
	CHECK(ws_conn_send(c, "late", 4, 0) == WS_SEND_DROPPED);
	CHECK(ws_conn_subscribe(c, "late", 4) == 0);
	CHECK(c->nsubs == 0);
}

static void h_drain(ws_server_t *s, ws_conn_t *c)
{
	rec_t *r = rec_of(c);
	TRACE("drain %llu\n", (unsigned long long)ws_conn_id(c));
	CHECK(r->opened && !r->closed);
	CHECK(ws_conn_buffered_amount(c) <= F.cfg.low_water_mark);
	r->drain_owed = 0;
	act(c, AT_DRAIN, NULL, 0, 0);
}

static int h_http(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	rec_t *r = rec_of(c);
	TRACE("http %llu\n", (unsigned long long)ws_conn_id(c));
	CHECK(!r->opened && r->handshakes == 0);
	return act(c, AT_HTTP, NULL, 0, 0);
}

static void h_timer(ws_server_t *s, uint64_t id, void *data, int last)
{
	TRACE("timer %llu%s\n", (unsigned long long)id, last ? " (last)" : "");
	CHECK(data == (void *)(uintptr_t)id);
	int known = 0;
	for (int i = 0; i < F.ntimers; i++) {
		known |= F.timers[i] == id;
	}
	CHECK(known);
	if (last) {
		timer_forget(id);
	}
	int a = F.tape_off < F.tape_len ? F.tape[F.tape_off] : 0;
	act(pick_conn((unsigned)a >> 4), AT_TIMER, NULL, 0, 0);
}

static void h_free(ws_server_t *s, ws_conn_t *c)
{
	rec_t *r = rec_of(c);
	TRACE("free %llu\n", (unsigned long long)ws_conn_id(c));
	/* Only ws_server_free() may skip the close, and it is never called with connections left. */
	CHECK(r->opened == r->closed);
	r->freed = 1;
	r->c = NULL;
}

static void h_warning(ws_server_t *s, const char *msg)
{
	CHECK(msg != NULL);
}

/*
 * The handler's own storage for large messages (message_alloc): every other
 * allocation fails at once, so that both the storage path and its fallback
 * run; storage that is neither delivered nor freed leaks (ASan).
 */
static int h_allocs;

static void *h_message_alloc(ws_server_t *s, ws_conn_t *c, size_t len)
{
	(void)s;
	(void)c;
	CHECK(len >= WS_FRAME_BUFFER_MIN);
	if ((++h_allocs & 1) == 0) {
		return NULL;
	}
	return malloc(len);
}

static void h_message_owned(ws_server_t *s, ws_conn_t *c, void *buf, size_t len, int binary)
{
	h_message(s, c, buf, len, binary);
	free(buf);
}

static void h_message_free(ws_server_t *s, ws_conn_t *c, void *buf)
{
	(void)s;
	(void)c;
	free(buf);
}

static const ws_server_handler_t handler = {
	h_handshake, h_open, h_message, h_ping, h_close, h_drain, h_http, h_timer, h_free, h_warning, NULL, NULL,
	h_message_alloc, h_message_owned, h_message_free
};

/* ---- peers: what the server wrote, as a client sees it ------------------------ */

static int pc_begin(void *u, ws_opcode_t op, int compressed)
{
	peer_t *p = u;
	CHECK(!p->close_seen && !p->in_msg);
	CHECK(!compressed || p->deflate);
	p->in_msg = 1;
	p->msg_binary = op == WS_OPCODE_BINARY;
	p->msg_compressed = compressed;
	ws_utf8_init(&p->utf8);
	if (compressed) {
		if (p->inflater == NULL) {
			p->inflater = ws_inflater_new();
			CHECK(p->inflater != NULL);
		}
		p->inflated = 0;
	}
	return 0;
}

static int pc_sink(void *u, const uint8_t *data, size_t len)
{
	peer_t *p = u;
	if (!p->msg_binary) {
		CHECK(ws_utf8_feed(&p->utf8, data, len, NULL) == 0);
	}
	return 0;
}

static int pc_data(void *u, const uint8_t *data, size_t len)
{
	peer_t *p = u;
	CHECK(!p->close_seen && p->in_msg);
	if (p->msg_compressed) {
		CHECK(ws_inflater_feed(p->inflater, data, len, 0, &p->inflated, 0, pc_sink, p) == 0);
		return 0;
	}
	return pc_sink(p, data, len);
}

static int pc_end(void *u)
{
	peer_t *p = u;
	CHECK(!p->close_seen && p->in_msg);
	if (p->msg_compressed) {
		CHECK(ws_inflater_feed(p->inflater, NULL, 0, 1, &p->inflated, 0, pc_sink, p) == 0);
	}
	if (!p->msg_binary) {
		CHECK(ws_utf8_is_complete(&p->utf8));
	}
	p->in_msg = 0;
	TRACE("  peer got a %s message\n", p->msg_binary ? "binary" : "text");
	return 0;
}

static int pc_control(void *u, ws_opcode_t op, unsigned code, const uint8_t *reason, size_t len)
{
	peer_t *p = u;
	CHECK(!p->close_seen);
	TRACE("  peer got control %d (%u)\n", (int)op, code);
	if (op == WS_OPCODE_CLOSE) {
		/* Codes that only exist inside an endpoint never go on the wire. */
		CHECK(code != WS_CLOSE_ABNORMAL && code != WS_CLOSE_TLS_HANDSHAKE);
		p->close_seen = 1;
	}
	return 0;
}

static const ws_frame_callbacks_t peer_callbacks = { pc_begin, pc_data, pc_end, pc_control, NULL };

static void peer_frames(peer_t *p, uint8_t *buf, size_t n)
{
	if (n > 0) {
		ssize_t r = ws_frame_parser_feed(&p->parser, buf, n);
		if (r < 0) {
			fprintf(stderr, "server frame rejected by a client: %s\n", ws_strerror((int)r));
		}
		CHECK(r == (ssize_t)n);
	}
}

/* Bytes from the server: the HTTP response head, then frames after a 101. */
static void peer_take(peer_t *p, uint8_t *buf, size_t n)
{
	if (p->head_done) {
		if (p->upgraded) {
			peer_frames(p, buf, n);
		}
		return;
	}
	size_t room = sizeof(p->head) - p->head_len;
	size_t k = n < room ? n : room;
	memcpy(p->head + p->head_len, buf, k);
	p->head_len += k;
	const char *end = memmem(p->head, p->head_len, "\r\n\r\n", 4);
	if (end == NULL) {
		CHECK(p->head_len < sizeof(p->head));
		if (!(p->head_len < 9 || memcmp(p->head, "HTTP/1.1 ", 9) == 0)) {
			fprintf(stderr, "peer got: %.*s\n", (int)p->head_len, p->head);
		}
		CHECK(p->head_len < 9 || memcmp(p->head, "HTTP/1.1 ", 9) == 0);
		return;
	}
	size_t hl = (size_t)(end + 4 - p->head);
	CHECK(memcmp(p->head, "HTTP/1.1 ", 9) == 0);
	p->head_done = 1;
	p->upgraded = memcmp(p->head, "HTTP/1.1 101 ", 13) == 0;
	TRACE("  peer got %.12s\n", p->head);
	if (!p->upgraded) {
		return; /* a plain answer or a refusal: the body is not checked */
	}
	p->deflate = memmem(p->head, hl, "permessage-deflate", 18) != NULL;
	ws_frame_config_t fc;
	memset(&fc, 0, sizeof(fc));
	fc.role = WS_ROLE_CLIENT;
	fc.allow_rsv1 = p->deflate;
	ws_frame_parser_init(&p->parser, &fc, &peer_callbacks, p);
	peer_frames(p, (uint8_t *)p->head + hl, p->head_len - hl);
	peer_frames(p, buf + k, n - k);
}

static void peer_read(peer_t *p)
{
	uint8_t buf[65536];
	if (p->fd < 0) {
		return;
	}
	int armed = F.fail_armed;
	F.fail_armed = 0; /* the client side does not fail */
	for (;;) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0) {
			break;
		}
		peer_take(p, buf, (size_t)n);
	}
	F.fail_armed = armed;
}

static void peer_reset(peer_t *p)
{
	p->off = 0;
	p->reading = 1;
	p->shut_wr = 0;
	p->conn_id = 0;
	p->head_len = 0;
	p->head_done = p->upgraded = p->deflate = 0;
	p->close_seen = 0;
	p->in_msg = 0;
	ws_inflater_free(p->inflater);
	p->inflater = NULL;
	ws_frame_parser_release(&p->parser);
}

static void peer_close(peer_t *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
}

/* A new socket for slot i, handed to the server; the stream starts again. */
static void peer_connect(int i)
{
	peer_t *p = &F.peers[i];
	int sv[2];
	peer_close(p);
	peer_reset(p);
	if (F.nrecs == MAX_RECS) {
		return;
	}
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
	if (F.small_sndbuf) {
		int sz = 4096;
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	/* 0: every peer 127.0.0.1, 1: 127.0.0.1-4, 2: IPv6 2001:db8::1-2 (peers 0, 2 and 1, 3
	 * share one), 3: 127.0.0.1-2 as IPv4-mapped IPv6 (the same two addresses as mode 1's) */
	struct sockaddr_in a;
	struct sockaddr_in6 a6;
	struct sockaddr *sa = (struct sockaddr *)&a;
	socklen_t salen = sizeof(a);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)(40000 + i));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (F.addresses == 1 ? (uint32_t)i : 0));
	if (F.addresses >= 2) {
		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6;
		a6.sin6_port = a.sin_port;
		if (F.addresses == 2) {
			static const uint8_t net[16] = { 0x20, 0x01, 0x0d, 0xb8 };
			memcpy(&a6.sin6_addr, net, 16);
		} else {
			static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 0 };
			memcpy(&a6.sin6_addr, mapped, 16);
		}
		a6.sin6_addr.s6_addr[15] = (uint8_t)(1 + (i & 1));
		sa = (struct sockaddr *)&a6;
		salen = sizeof(a6);
	}
	ws_conn_t *c = ws_server_adopt_fd(F.s, sv[1], sa, salen);
	p->fd = sv[0];
	if (c == NULL) {
		CHECK(F.fail_injected); /* only an allocation can fail */
		return;
	}
	CHECK(ws_conn_id(c) == F.nrecs + 1);
	rec_t *r = &F.recs[F.nrecs++];
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->slot = i;
	p->conn_id = ws_conn_id(c);
}

/* Sends up to n more bytes of peer i's stream (as many as its socket takes). */
static void peer_send(int i, size_t n)
{
	peer_t *p = &F.peers[i];
	if (p->fd < 0 || p->shut_wr || p->off >= p->stream_len) {
		return;
	}
	if (n > p->stream_len - p->off) {
		n = p->stream_len - p->off;
	}
	ssize_t w = send(p->fd, p->stream + p->off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w > 0) {
		p->off += (size_t)w;
	}
}

/* ---- stepping and the invariants ------------------------------------------ */

static uint64_t fuzz_clock(void *arg)
{
	return *(uint64_t *)arg;
}

static size_t conns_left(void)
{
	ws_server_stats_t st;
	ws_server_get_stats(F.s, &st);
	return st.connections + st.pending;
}

static void check_running(void)
{
	ws_server_t *s = F.s;
	ws_server_stats_t st;
	ws_server_get_stats(s, &st);
	CHECK(st.connections == (size_t)(F.opens - F.closes));
	CHECK(st.connections + st.pending == s->nconns);
	size_t buffered = 0, sockets = 0;
	for (ws_conn_t *c = ws_server_first_socket(s); c; c = ws_server_next_socket(c)) {
		buffered += ws_conn_buffered_amount(c);
		sockets++;
		CHECK(c->state != ST_DEAD);
		rec_of(c);
	}
	CHECK(sockets == s->nconns);
	/* A drain owed to an open connection fires as soon as its backlog is back under the mark. */
	for (ws_conn_t *c = ws_server_first(s); c; c = ws_server_next(c)) {
		if (rec_of(c)->drain_owed && ws_conn_is_open(c)) {
			CHECK(ws_conn_buffered_amount(c) > F.cfg.low_water_mark);
		}
	}
	/* Each topic's subscribers are those the handlers subscribed and that are still open. */
	for (unsigned k = 0; k < 4; k++) {
		const char *name;
		size_t nlen, n = 0;
		topic_of(k, &name, &nlen);
		for (size_t i = 0; i < F.nrecs; i++) {
			n += F.recs[i].c != NULL && (F.recs[i].topics >> k) & 1;
		}
		CHECK(ws_server_subscribers(s, name, nlen) == n);
	}
	TRACE("  [buffered %zu, stat %zu, mem %zu]\n", buffered, st.buffered_bytes, st.memory_bytes);
	CHECK(buffered == st.buffered_bytes);
	CHECK(s->ntouched == 0 && s->dead == NULL);
}

/* One iteration of the server, then the peers that read take what it wrote. */
static void step(void)
{
	int r = ws_server_run_once(F.s, 0);
	/* Starting fails only without memory for the read buffer. */
	CHECK(r == 0 || r == 1 || (r == -1 && errno == ENOMEM && F.fail_injected));
	CHECK((r == 1) == ws_server_is_running(F.s) || r == -1);
	if (r == 0 && F.broke) {
		/* What the binding does when a handler's exception stopped run(). */
		F.broke = 0;
		ws_server_close_all(F.s, WS_CLOSE_INTERNAL_ERROR, "internal error");
		CHECK(conns_left() == 0);
	}
	check_running();
	for (int i = 0; i < F.npeers; i++) {
		if (F.peers[i].reading) {
			peer_read(&F.peers[i]);
		}
	}
}

static void advance(uint64_t ms)
{
	F.now += ms;
	step();
}

/*
 * One byte of the control program: kind in the low 3 bits, argument above.
 *   0 send: peer arg&3 sends its next sizes[arg>>2] bytes
 *   1 iterate (arg&3)+1 times
 *   2 time: advance by steps[arg&7] ms
 *   3 peer arg&3 does arg>>2: stop reading, read again, half-close, close,
 *     reconnect, read once, send everything left, read once with nothing else
 *   4 an action from outside a handler, on peer arg&3's connection
 *   5 every peer sends chunk[arg&7] bytes, round robin, for (arg>>3)+1 rounds
 *   6 ws_server_stop()
 *   7 time: advance to just around a configured timeout
 */
static void run_op(uint8_t op)
{
	static const size_t chunk[8] = { 1, 2, 5, 17, 100, 700, 4000, SIZE_MAX };
	static const uint64_t steps[8] = { 1, 9, 100, 999, 1000, 5000, 30000, 100000 };
	unsigned kind = op & 7, arg = op >> 3;
	TRACE("op %u(%u) at %llu ms\n", kind, arg, (unsigned long long)F.now);
	int slot = F.npeers ? (int)(arg & 3) % F.npeers : -1;
	switch (kind) {
	case 0:
		if (slot >= 0) {
			peer_send(slot, chunk[arg >> 2]);
		}
		step();
		break;
	case 1:
		for (unsigned i = 0; i <= (arg & 3); i++) {
			step();
		}
		break;
	case 2:
		advance(steps[arg & 7]);
		break;
	case 3:
		if (slot < 0) {
			break;
		}
		{
			peer_t *p = &F.peers[slot];
			switch (arg >> 2) {
			case 0:
				p->reading = 0;
				break;
			case 1:
				p->reading = 1;
				break;
			case 2:
				if (p->fd >= 0 && !p->shut_wr) {
					shutdown(p->fd, SHUT_WR);
					p->shut_wr = 1;
				}
				break;
			case 3:
				peer_close(p);
				break;
			case 4:
				peer_connect(slot);
				break;
			case 5:
				peer_read(p);
				break;
			case 6:
				peer_send(slot, SIZE_MAX);
				break;
			case 7:
				if (p->fd >= 0) {
					shutdown(p->fd, SHUT_RD);
				}
				break;
			}
		}
		step();
		break;
	case 4:
	{
		ws_conn_t *c = NULL;
		if (slot >= 0 && F.peers[slot].conn_id != 0) {
			c = F.recs[F.peers[slot].conn_id - 1].c;
		}
		act(c, AT_OUTSIDE, NULL, 0, 0);
		step();
		break;
	}
	case 5:
		for (unsigned round = 0; round <= (arg >> 3); round++) {
			for (int i = 0; i < F.npeers; i++) {
				peer_send(i, chunk[arg & 7]);
			}
			step();
		}
		break;
	case 6:
		ws_server_stop(F.s);
		step();
		break;
	case 7:
	{
		const ws_server_config_t *cfg = ws_server_config(F.s);
		const uint64_t d[8] = {
			cfg->handshake_timeout_ms, cfg->idle_timeout_ms, cfg->ping_interval_ms, cfg->pong_timeout_ms,
			cfg->close_timeout_ms, cfg->shutdown_timeout_ms, WS_LINGER_MS, WS_ACCEPT_PAUSE_MS
		};
		uint64_t ms = d[arg & 7];
		unsigned delta = arg >> 3; /* -1, 0, +1, +2 */
		ms = ms + delta >= 1 ? ms + delta - 1 : 0;
		advance(ms);
		break;
	}
	}
}

/* ---- configuration ---------------------------------------------------------- */

static void configure(const uint8_t c[CONFIG_BYTES], ws_server_config_t *cfg)
{
	static const size_t buffered[4] = { 4 * 1024 * 1024, 256, 4096, 65536 };
	static const size_t low[4] = { 64 * 1024, 64, 1024, 16384 };
	static const uint64_t msg_max[4] = { 16 * 1024 * 1024, 125, 1000, 70000 };
	static const uint32_t hs_to[4] = { 10000, 0, 30, 2000 };
	static const uint32_t idle_to[4] = { 0, 50, 1500, 30000 };
	static const uint32_t ping_iv[4] = { 30000, 0, 40, 1000 };
	static const uint32_t close_to[4] = { 5000, 0, 25, 1000 };
	static const uint32_t shut_to[4] = { 5000, 0, 50, 1000 };
	static const size_t max_conns[4] = { 10000, 1, 2, 3 };
	static const int levels[4] = { -1, 0, 1, 9 };
	static const int windows[4] = { 15, 9, 12, 10 };

	ws_server_config_defaults(cfg);
	cfg->deflate.enabled = (c[0] & 1) && ws_deflate_available();
	cfg->deflate.server_context_takeover = (c[0] >> 1) & 1;
	cfg->deflate.client_context_takeover = (c[0] >> 2) & 1;
	cfg->backpressure = (c[0] >> 3) & 1 ? WS_BACKPRESSURE_DROP : WS_BACKPRESSURE_CLOSE;
	cfg->max_buffered_amount = buffered[(c[0] >> 4) & 3];
	cfg->low_water_mark = low[(c[0] >> 4) & 3];
	F.small_sndbuf = (c[0] >> 6) & 1;
	cfg->max_memory = (c[0] >> 7) ? ((c[5] >> 3) & 1 ? 24 * 1024 : 96 * 1024) : 0;

	cfg->max_message_size = msg_max[c[1] & 3];
	cfg->max_frame_size = (c[1] >> 2) & 1 ? 64 : 0;
	cfg->handshake_timeout_ms = hs_to[(c[1] >> 3) & 3];
	cfg->idle_timeout_ms = idle_to[(c[1] >> 5) & 3];
	cfg->max_header_size = (c[1] >> 7) ? 256 : cfg->max_header_size;

	cfg->ping_interval_ms = ping_iv[c[2] & 3];
	cfg->pong_timeout_ms = (c[2] >> 2) & 1 ? 30 : 10000;
	cfg->close_timeout_ms = close_to[(c[2] >> 3) & 3];
	cfg->shutdown_timeout_ms = shut_to[(c[2] >> 5) & 3];
	cfg->deflate.threshold = (c[2] >> 7) ? 0 : cfg->deflate.threshold;

	cfg->max_connections = max_conns[c[3] & 3];
	cfg->max_connections_per_ip = (c[3] >> 2) & 3;
	/* bits 4-5: subprotocols and origins, set in LLVMFuzzerTestOneInput() */
	/* bits 6-7: the metrics endpoint at /metrics, and whether it asks for a bearer token */

	F.addresses = c[5] & 3;
	/* bit 2: the document root, bit 3: the smaller max_memory */
	cfg->deflate.level = levels[(c[5] >> 4) & 3];
	cfg->deflate.window_bits = windows[c[5] >> 6];

	if (c[4] & 0x80) {
		F.fail_period = 8u + (c[4] & 0x7fu) * 4u;
	} else {
		F.fail_at = (unsigned)c[4] * c[4];
	}
}

/* ---- descriptors ------------------------------------------------------------ */

static void fds_open(uint8_t out[FD_WATCH / 8])
{
	memset(out, 0, FD_WATCH / 8);
	for (int fd = 0; fd < FD_WATCH; fd++) {
		if (fcntl(fd, F_GETFD) != -1) {
			out[fd / 8] |= (uint8_t)(1u << (fd % 8));
		}
	}
}

/* ---- one input ----------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_docroot(void)
{
	char file[sizeof(docroot) + 16];
	snprintf(file, sizeof(file), "%s/index.html", docroot);
	unlink(file);
	rmdir(docroot);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGPIPE, SIG_IGN);
	trace = getenv("FUZZ_ENGINE_TRACE") != NULL;
	for (size_t i = 0; i < sizeof(payload); i++) {
		payload[i] = (char)('a' + i % 26);
	}
	ws_set_allocator(&fz_allocator);
	/* A document root with one small file, for plain HTTP requests. */
	char tmpl[] = "/tmp/fuzz_engine_docroot.______";
	memset(strrchr(tmpl, '.') + 1, 'X', 6); /* the six characters mkdtemp() replaces */
	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(docroot, sizeof(docroot), "%s", tmpl);
	char file[sizeof(docroot) + 16];
	snprintf(file, sizeof(file), "%s/index.html", docroot);
	FILE *f = fopen(file, "w");
	CHECK(f != NULL);
	fputs("<!doctype html><p>hello</p>\n", f);
	fclose(f);
	atexit(remove_docroot);
	return 0;
}

/* Splits data at SEP; returns the number of sections (at most max). */
static size_t split(const uint8_t *data, size_t size, const uint8_t **sec, size_t *len, size_t max)
{
	size_t n = 0;
	while (n < max) {
		const uint8_t *end = memmem(data, size, SEP, SEP_LEN);
		sec[n] = data;
		if (end == NULL || n == max - 1) {
			len[n++] = size;
			break;
		}
		len[n++] = (size_t)(end - data);
		size -= (size_t)(end - data) + SEP_LEN;
		data = end + SEP_LEN;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t fds_before[FD_WATCH / 8], fds_after[FD_WATCH / 8];
	const uint8_t *sec[2 + NPEERS];
	size_t len[2 + NPEERS];

	if (size < CONFIG_BYTES) {
		return 0;
	}
	fds_open(fds_before);
	memset(&F, 0, sizeof(F));
	configure(data, &F.cfg);
	size_t nsec = split(data + CONFIG_BYTES, size - CONFIG_BYTES, sec, len, 2 + NPEERS);
	const uint8_t *program = sec[0];
	size_t program_len = len[0];
	F.tape = nsec > 1 ? sec[1] : NULL;
	F.tape_len = nsec > 1 ? len[1] : 0;
	F.npeers = nsec > 2 ? (int)nsec - 2 : 0;

	F.now = 1000000;
	F.s = ws_server_new(&F.cfg, &handler, NULL);
	CHECK(F.s != NULL);
	F.cfg = *ws_server_config(F.s);
	ws_server_set_clock(F.s, fuzz_clock, &F.now);
	if (data[3] & 0x10) {
		static const char *const names[2] = { "superchat", "chat" };
		static const size_t lens[2] = { 9, 4 };
		CHECK(ws_server_set_subprotocols(F.s, names, lens, 2) == 0);
	}
	if (data[3] & 0x20) {
		static const char *const names[1] = { "http://ok.example" };
		static const size_t lens[1] = { 17 };
		CHECK(ws_server_set_allowed_origins(F.s, names, lens, 1) == 0);
	}
	if (data[5] & 0x04) {
		CHECK(ws_server_set_document_root(F.s, docroot) == 0);
	}
	if (data[3] & 0x40) {
		/* Loopback peers only, or anyone with the token ("Authorization: Bearer fuzz"). */
		ws_metrics_endpoint_config_t mc;
		char err[128];
		memset(&mc, 0, sizeof(mc));
		if (data[3] & 0x80) {
			mc.token = "fuzz";
			mc.token_len = 4;
		}
		CHECK(ws_server_set_metrics_endpoint(F.s, &mc, err, sizeof(err)) == 0 || F.fail_injected);
	}
	for (int i = 0; i < NPEERS; i++) {
		F.peers[i].fd = -1;
	}
	F.fail_armed = 1;
	for (int i = 0; i < F.npeers; i++) {
		F.peers[i].stream = sec[2 + i];
		F.peers[i].stream_len = len[2 + i];
		peer_connect(i);
	}

	for (size_t i = 0; i < program_len; i++) {
		run_op(program[i]);
	}

	/* The peers send what they have left... */
	for (int round = 0; round < 64; round++) {
		int more = 0;
		for (int i = 0; i < F.npeers; i++) {
			peer_t *p = &F.peers[i];
			peer_send(i, 65536);
			more |= p->fd >= 0 && !p->shut_wr && p->off < p->stream_len;
		}
		step();
		if (!more) {
			break;
		}
	}
	/* ...then the server stops, and time runs on until every connection is gone. */
	TRACE("end of the program\n");
	for (int round = 0; conns_left() > 0; round++) {
		CHECK(round < 400);
		ws_server_stop(F.s);
		advance(250);
	}
	ws_server_stop(F.s);
	step();
	F.fail_armed = 0;

	ws_server_t *s = F.s;
	ws_server_stats_t st;
	ws_server_get_stats(s, &st);
	CHECK(F.opens == F.closes);
	for (size_t i = 0; i < F.nrecs; i++) {
		CHECK(F.recs[i].freed && F.recs[i].opened == F.recs[i].closed);
	}
	CHECK(F.refs == 0);
	CHECK(st.connections == 0 && st.pending == 0 && st.buffered_bytes == 0);
	CHECK(s->per_ip.count == 0 && s->topics.count == 0);
	CHECK(s->open_head == NULL && s->open_tail == NULL && s->conns == NULL);
	/*
	 * Pooled output buffers and the spare reassembly buffer (lent to inflated
	 * messages) stay counted until the server is freed; nothing else may.
	 */
	CHECK(st.memory_bytes == s->npool * (sizeof(ws_buf_t) + WS_OUT_CHUNK) + s->spare_msg_cap);
	ws_server_timer_clear_all(s, NULL);
	ws_server_free(s);
	F.s = NULL;

	for (int i = 0; i < NPEERS; i++) {
		peer_close(&F.peers[i]);
		peer_reset(&F.peers[i]);
	}
	fds_open(fds_after);
	CHECK(memcmp(fds_before, fds_after, sizeof(fds_before)) == 0);
	return 0;
}
