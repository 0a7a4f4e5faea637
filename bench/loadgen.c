/*
 * loadgen.c - the WebSocket load generator of ext-websocket's benchmark suite.
 *
 * One file, libc only, epoll.  Modes:
 *
 *   loadgen echo        -p PORT [-c CONNS] [-P INFLIGHT] [-s SIZE] [-d SECS] [-w SECS] [-t THREADS]
 *   loadgen connections -p PORT -n COUNT [-r PER_SEC] [--pid PID] [-d HOLD_SECS]
 *   loadgen broadcast   -p PORT -n RECEIVERS [-s SIZE] [-W WINDOW] [-d SECS] [-w SECS] [--port2 PORT2]
 *   loadgen wait        -p PORT [-d SECS]
 *
 * Every run prints a few human lines, then one machine-readable line:
 * "RESULT " followed by a JSON object.
 *
 * echo: every connection keeps INFLIGHT binary messages of SIZE bytes in
 * flight; a message counts when its echo arrives whole.  The first 16 bytes
 * of each payload carry the send time, a sequence number and the connection
 * number; the rest is a fixed pattern that is compared on arrival (every
 * message up to 4 KiB, every 16th above), and the length is always checked.
 * Latency is the round trip of each message (histogram, ~1.5% resolution).
 *
 * connections: opens COUNT connections at PER_SEC, keeps them idle, and
 * reports how many completed the handshake and, given the server's PID, its
 * resident memory per connection (VmRSS before and after, from /proc).
 *
 * broadcast: RECEIVERS connections plus one publisher, all of them
 * subscribers (the server sends every message to every client, the publisher
 * included).  The publisher keeps WINDOW messages whose fan-out is not
 * complete yet; deliveries/s counts messages received by all subscribers and
 * latency is publish-to-delivery, from the time stamp inside the message.
 * With --port2, every second connection (the publisher excepted) goes to
 * PORT2 instead: subscribers split over two servers that share a broker.
 *
 * Client frames are masked (a mask drawn per frame from a small set of keys,
 * whose masked payload templates are computed once, so that 64 KiB messages
 * cost no masking work here); output is gathered and written with one
 * writev() per connection per batch.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- options */

enum mode { M_ECHO, M_CONNECTIONS, M_BROADCAST, M_WAIT };

static struct {
	enum mode mode;
	const char *mode_name;
	const char *host;
	int port;
	int port2;          /* 0, or the port of every second connection (see connection_addr()) */
	const char *path;
	int conns;          /* echo: connections; connections/broadcast: -n */
	int inflight;
	size_t size;
	double duration;
	double warmup;
	int threads;
	double rate;
	long pid;
	int window;
	double settle;
	double open_timeout;
	int max_pending;
	int quiet;
} O = {
	.host = "127.0.0.1", .port = 0, .path = "/", .conns = 100, .inflight = 1, .size = 32,
	.duration = 5, .warmup = 1, .threads = 1, .rate = 0, .pid = 0, .window = 64,
	.settle = 1, .open_timeout = 30, .max_pending = 256,
};

#define PREFIX 16              /* time stamp, sequence, tag */
#define SMALL_COPY 1024        /* payloads up to this are copied into the output arena */
#define VERIFY_ALL 4096        /* payloads up to this are all compared */
#define NKEYS_MAX 8
#define READ_BUF (1024 * 1024)
#define TAG_PROBE 0xffffffffu
#define HIST_SUB 6
#define HIST_N (((64 - HIST_SUB) + 1) << HIST_SUB)

static const char WS_KEY[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char WS_ACCEPT[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loadgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t secs_ns(double s) { return (uint64_t)(s * 1e9); }

/* ---------------------------------------------------------------- histogram */

/* Log-linear buckets: values below 2^(SUB+1) exactly, then 2^SUB buckets per
 * power of two, so every bucket is within 1/64 of its value. */
typedef struct hist {
	uint64_t n[HIST_N];
	uint64_t count, max;
} hist_t;

static inline unsigned hist_index(uint64_t v)
{
	if (v < (2u << HIST_SUB)) return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - HIST_SUB;
	return ((shift + 1) << HIST_SUB) | (unsigned)((v >> shift) & ((1u << HIST_SUB) - 1));
}

static inline void hist_add(hist_t *h, uint64_t v)
{
	h->n[hist_index(v)]++;
	h->count++;
	if (v > h->max) h->max = v;
}

static uint64_t hist_value(unsigned idx)
{
	if (idx < (2u << HIST_SUB)) return idx;
	unsigned shift = (idx >> HIST_SUB) - 1;
	uint64_t sub = idx & ((1u << HIST_SUB) - 1);
	uint64_t lo = ((1ull << HIST_SUB) + sub) << shift;
	return lo + ((1ull << shift) >> 1);
}

static void hist_merge(hist_t *into, const hist_t *h)
{
	for (unsigned i = 0; i < HIST_N; i++) into->n[i] += h->n[i];
	into->count += h->count;
	if (h->max > into->max) into->max = h->max;
}

static double hist_pct_us(const hist_t *h, double q)
{
	if (h->count == 0) return 0;
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if (rank < 1) rank = 1;
	if (rank > h->count) rank = h->count;
	uint64_t acc = 0;
	for (unsigned i = 0; i < HIST_N; i++) {
		acc += h->n[i];
		if (acc >= rank) {
			uint64_t v = hist_value(i);
			return (double)(v > h->max ? h->max : v) / 1000.0;
		}
	}
	return (double)h->max / 1000.0;
}

/* ---------------------------------------------------------------- payload templates */

static struct {
	uint8_t *filler;              /* the expected payload, bytes PREFIX.. are checked */
	uint8_t *masked[NKEYS_MAX];   /* filler masked with keys[k] */
	uint8_t keys[NKEYS_MAX][4];
	int nkeys;
	struct sockaddr_in addr;
	struct sockaddr_in addr2;     /* --port2 */
} G;

static void templates_init(void)
{
	size_t s = O.size;
	G.filler = malloc(s);
	if (!G.filler) die("out of memory");
	for (size_t i = 0; i < s; i++) G.filler[i] = (uint8_t)(i * 131u + (i >> 8) * 7u + 0x5au);
	G.nkeys = NKEYS_MAX;
	while (G.nkeys > 1 && (size_t)G.nkeys * s > 64u * 1024 * 1024) G.nkeys /= 2;
	uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() ^ now_ns();
	for (int k = 0; k < G.nkeys; k++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		memcpy(G.keys[k], &x, 4);
		G.masked[k] = malloc(s);
		if (!G.masked[k]) die("out of memory");
		for (size_t i = 0; i < s; i++) G.masked[k][i] = G.filler[i] ^ G.keys[k][i & 3];
	}
}

/* ---------------------------------------------------------------- connections */

enum cstate { ST_IDLE, ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_DONE };

typedef struct outq {
	struct iovec *iov;
	int head, n, cap;
	uint8_t *arena;
	size_t alen, acap;
} outq_t;

struct thread;

typedef struct conn {
	int fd;
	uint8_t state;
	uint8_t want_out;
	uint8_t close_sent;
	uint8_t verify;
	uint8_t bad;
	uint8_t opcode;      /* of the frame being read */
	uint8_t fin;
	uint8_t in_msg;      /* a fragmented data message is open */
	uint8_t hdrlen;
	uint8_t hdr[14];
	uint32_t id;
	uint32_t inflight;
	uint32_t seq;
	uint32_t probe_seen;
	uint64_t flen, fgot; /* current frame: payload length, payload bytes read */
	uint64_t mlen;       /* data bytes of the current message in earlier frames */
	uint64_t opened_at;
	uint8_t pre[PREFIX];
	uint8_t ctl[125];
	char *hs;            /* handshake response, while in ST_HANDSHAKE */
	uint16_t hslen;
	outq_t *out;
	struct thread *th;
} conn_t;

typedef struct thread {
	int idx;
	int ep;
	pthread_t tid;
	conn_t *conns;
	int nconns;
	int next_open;       /* index of the next connection to open */
	int pending;         /* connecting or in the handshake */
	int nopen, nfailed, nclosed;
	int established;     /* open when the measurement started */
	uint64_t now;
	uint64_t last_scan;
	uint8_t *rbuf;
	uint64_t rng;
	/* results */
	hist_t hist;
	uint64_t msgs, bytes, errors, lost, late;
	uint64_t fail_refused, fail_status, fail_reset, fail_timeout, fail_other;
	uint64_t closes_by_server, eofs;
	uint32_t close_codes[8];
	uint16_t close_code_vals[8];
	int nclose_codes;
} thread_t;

static thread_t *T;
static volatile int g_stop;

/* measurement window, shared (written once by thread 0 before the barrier) */
static uint64_t g_t_begin, g_t_end;
static pthread_barrier_t g_barrier;

static inline uint64_t rng_next(thread_t *th)
{
	uint64_t x = th->rng;
	x ^= x << 13; x ^= x >> 7; x ^= x << 17;
	th->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void add_close_code(thread_t *th, unsigned code, uint32_t count)
{
	for (int i = 0; i < th->nclose_codes; i++)
		if (th->close_code_vals[i] == code) { th->close_codes[i] += count; return; }
	if (th->nclose_codes < 8) {
		th->close_code_vals[th->nclose_codes] = (uint16_t)code;
		th->close_codes[th->nclose_codes++] = count;
	}
}

static void note_close_code(thread_t *th, unsigned code) { add_close_code(th, code, 1); }

/* ---------------------------------------------------------------- output queue */

static outq_t *outq_get(conn_t *c)
{
	if (!c->out) {
		outq_t *q = calloc(1, sizeof(*q));
		if (!q) die("out of memory");
		size_t per = 14 + PREFIX + (O.size <= SMALL_COPY ? O.size : 0);
		int n = c->th ? (O.mode == M_BROADCAST ? O.window : O.inflight) : 1;
		q->acap = per * (size_t)(n + 1) + 512;
		q->arena = malloc(q->acap);
		q->cap = 3 * n + 16;
		q->iov = malloc(sizeof(struct iovec) * (size_t)q->cap);
		if (!q->arena || !q->iov) die("out of memory");
		c->out = q;
	}
	return c->out;
}

static inline int outq_pending(const conn_t *c) { return c->out && c->out->n > c->out->head; }

/* Room for len more bytes in the arena; grows it and moves the iovecs that
 * point into it. */
static uint8_t *arena_reserve(outq_t *q, size_t len)
{
	if (q->alen + len > q->acap) {
		size_t ncap = (q->acap + len) * 2;
		uint8_t *old = q->arena, *na = malloc(ncap);
		if (!na) die("out of memory");
		memcpy(na, old, q->alen);
		for (int i = q->head; i < q->n; i++) {
			uint8_t *b = q->iov[i].iov_base;
			if (b >= old && b <= old + q->alen) q->iov[i].iov_base = na + (b - old);
		}
		free(old);
		q->arena = na;
		q->acap = ncap;
	}
	return q->arena + q->alen;
}

static void iov_push(outq_t *q, const uint8_t *p, size_t len)
{
	if (len == 0) return;
	if (q->n > q->head) {
		struct iovec *last = &q->iov[q->n - 1];
		if ((const uint8_t *)last->iov_base + last->iov_len == p) { last->iov_len += len; return; }
	}
	if (q->n == q->cap) {
		if (q->head > 0) {
			memmove(q->iov, q->iov + q->head, sizeof(struct iovec) * (size_t)(q->n - q->head));
			q->n -= q->head;
			q->head = 0;
		} else {
			q->cap *= 2;
			q->iov = realloc(q->iov, sizeof(struct iovec) * (size_t)q->cap);
			if (!q->iov) die("out of memory");
		}
	}
	q->iov[q->n].iov_base = (void *)p;
	q->iov[q->n].iov_len = len;
	q->n++;
}

/* Appends bytes to the arena (copied) and to the queue. */
static void queue_copy(conn_t *c, const void *p, size_t len)
{
	outq_t *q = outq_get(c);
	uint8_t *d = arena_reserve(q, len);
	memcpy(d, p, len);
	q->alen += len;
	iov_push(q, d, len);
}

static void set_want_out(conn_t *c, int on)
{
	if (c->want_out == on) return;
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
	epoll_ctl(c->th->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = (uint8_t)on;
}

static void conn_fail_close(conn_t *c);

/* Writes what is queued: one writev() per call (two if the iovec limit is hit). */
static void flush(conn_t *c)
{
	outq_t *q = c->out;
	if (!q || q->n == q->head || c->state == ST_DONE) return;
	while (q->n > q->head) {
		int cnt = q->n - q->head;
		if (cnt > IOV_MAX) cnt = IOV_MAX;
		ssize_t w = writev(c->fd, q->iov + q->head, cnt);
		if (w < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) { set_want_out(c, 1); return; }
			c->th->fail_reset++;
			conn_fail_close(c);
			return;
		}
		size_t left = (size_t)w;
		while (left > 0 && q->head < q->n) {
			struct iovec *v = &q->iov[q->head];
			if (left >= v->iov_len) { left -= v->iov_len; q->head++; }
			else { v->iov_base = (uint8_t *)v->iov_base + left; v->iov_len -= left; left = 0; }
		}
		if (q->head < q->n && cnt < IOV_MAX) { set_want_out(c, 1); return; }
	}
	q->head = q->n = 0;
	q->alen = 0;
	set_want_out(c, 0);
}

/* ---------------------------------------------------------------- frames out */

static size_t put_header(uint8_t *h, uint8_t op, uint64_t len, const uint8_t key[4])
{
	size_t hl;
	h[0] = (uint8_t)(0x80 | op);
	if (len < 126) { h[1] = (uint8_t)(0x80 | len); hl = 2; }
	else if (len < 65536) { h[1] = 0x80 | 126; h[2] = (uint8_t)(len >> 8); h[3] = (uint8_t)len; hl = 4; }
	else {
		h[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		hl = 10;
	}
	memcpy(h + hl, key, 4);
	return hl + 4;
}

/* Queues one binary data message of O.size bytes. */
static void send_data(conn_t *c, uint64_t ts, uint32_t seq, uint32_t tag)
{
	thread_t *th = c->th;
	int k = G.nkeys > 1 ? (int)(rng_next(th) % (uint64_t)G.nkeys) : 0;
	const uint8_t *key = G.keys[k];
	outq_t *q = outq_get(c);
	size_t s = O.size;
	size_t inline_len = s <= SMALL_COPY ? s : PREFIX;
	uint8_t *d = arena_reserve(q, 14 + inline_len);
	size_t hl = put_header(d, 2, s, key);
	uint8_t *p = d + hl;
	memcpy(p, &ts, 8);
	memcpy(p + 8, &seq, 4);
	memcpy(p + 12, &tag, 4);
	for (int i = 0; i < PREFIX; i++) p[i] ^= key[i & 3];
	if (s <= SMALL_COPY) memcpy(p + PREFIX, G.masked[k] + PREFIX, s - PREFIX);
	q->alen += hl + inline_len;
	iov_push(q, d, hl + inline_len);
	if (s > SMALL_COPY) iov_push(q, G.masked[k] + PREFIX, s - PREFIX);
}

static void send_control(conn_t *c, uint8_t op, const uint8_t *payload, size_t len)
{
	uint8_t f[14 + 125];
	uint8_t key[4];
	uint64_t r = rng_next(c->th);
	memcpy(key, &r, 4);
	size_t hl = put_header(f, op, len, key);
	for (size_t i = 0; i < len; i++) f[hl + i] = payload[i] ^ key[i & 3];
	queue_copy(c, f, hl + len);
}

static void send_close(conn_t *c, unsigned code)
{
	if (c->close_sent) return;
	uint8_t p[2] = { (uint8_t)(code >> 8), (uint8_t)code };
	send_control(c, 8, p, 2);
	c->close_sent = 1;
}

/* ---------------------------------------------------------------- connection life */

static void conn_release(conn_t *c)
{
	thread_t *th = c->th;
	if (c->fd >= 0) {
		epoll_ctl(th->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) th->pending--;
	if (c->state == ST_OPEN) th->nopen--;
	free(c->hs);
	c->hs = NULL;
	c->state = ST_DONE;
}

/* The connection broke (or failed to open): counted, then released. */
static void conn_fail_close(conn_t *c)
{
	thread_t *th = c->th;
	if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) th->nfailed++;
	else if (c->state == ST_OPEN) th->nclosed++;
	conn_release(c);
}

/* Where c connects: with --port2, connections with an even id (never the first, id 1) go to PORT2. */
static const struct sockaddr_in *connection_addr(const conn_t *c)
{
	return O.port2 && c->id % 2 == 0 ? &G.addr2 : &G.addr;
}

static void conn_start(conn_t *c)
{
	thread_t *th = c->th;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) { th->fail_other++; th->nfailed++; c->state = ST_DONE; return; }
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->state = ST_CONNECTING;
	c->opened_at = th->now;
	th->pending++;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	c->want_out = 1;
	if (epoll_ctl(th->ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)connection_addr(c), sizeof(G.addr)) < 0 && errno != EINPROGRESS) {
		if (errno == ECONNREFUSED) th->fail_refused++; else th->fail_other++;
		conn_fail_close(c);
	}
}

static void conn_connected(conn_t *c)
{
	int err = 0;
	socklen_t el = sizeof(err);
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		if (err == ECONNREFUSED) c->th->fail_refused++;
		else if (err == ECONNRESET) c->th->fail_reset++;
		else c->th->fail_other++;
		conn_fail_close(c);
		return;
	}
	char req[512];
	int n = snprintf(req, sizeof(req),
		"GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		O.path, O.host, ntohs(connection_addr(c)->sin_port), WS_KEY);
	c->state = ST_HANDSHAKE;
	queue_copy(c, req, (size_t)n);
	flush(c);
}

static void on_open(conn_t *c);
static void on_message(conn_t *c, uint64_t len);
static void on_close_frame(conn_t *c, unsigned code);

/* ---------------------------------------------------------------- frame parser */

/* Length of a complete header at p (n bytes available), 0 if incomplete,
 * -1 if the frame is invalid for a server. */
static inline int parse_header(const uint8_t *p, size_t n, uint8_t *op, uint8_t *fin, uint64_t *plen)
{
	if (n < 2) return 0;
	if (p[1] & 0x80) return -1;            /* servers must not mask */
	if (p[0] & 0x70) return -1;            /* no extension negotiated */
	uint64_t l = p[1] & 0x7f;
	int hl = 2;
	if (l == 126) {
		if (n < 4) return 0;
		l = ((uint64_t)p[2] << 8) | p[3];
		hl = 4;
	} else if (l == 127) {
		if (n < 10) return 0;
		l = 0;
		for (int i = 0; i < 8; i++) l = (l << 8) | p[2 + i];
		hl = 10;
	}
	*op = p[0] & 0x0f;
	*fin = (uint8_t)(p[0] >> 7);
	*plen = l;
	return hl;
}

static void frame_done(conn_t *c)
{
	uint8_t op = c->opcode;
	if (op >= 8) {
		size_t n = (size_t)c->flen;
		if (op == 9) { if (!c->close_sent) send_control(c, 10, c->ctl, n); }
		else if (op == 8) {
			unsigned code = n >= 2 ? ((unsigned)c->ctl[0] << 8 | c->ctl[1]) : 1005;
			on_close_frame(c, code);
		}
		return;
	}
	c->mlen += c->flen;
	if (c->fin) {
		uint64_t len = c->mlen;
		c->mlen = 0;
		c->in_msg = 0;
		on_message(c, len);
		c->bad = 0;
	}
}

/* Feeds bytes read from the server to the frame parser. */
static void feed(conn_t *c, const uint8_t *p, size_t n)
{
	while (n > 0 && c->state == ST_OPEN) {
		if (c->flen == c->fgot && c->hdrlen != 0xff) {
			/* reading a header */
			int hl;
			uint8_t op, fin;
			uint64_t plen;
			if (c->hdrlen == 0) {
				hl = parse_header(p, n, &op, &fin, &plen);
				if (hl > 0) { p += hl; n -= (size_t)hl; }
			} else {
				size_t take = sizeof(c->hdr) - c->hdrlen;
				if (take > n) take = n;
				memcpy(c->hdr + c->hdrlen, p, take);
				hl = parse_header(c->hdr, c->hdrlen + take, &op, &fin, &plen);
				if (hl > 0) {
					size_t used = (size_t)hl - c->hdrlen;
					p += used; n -= used;
					c->hdrlen = 0;
				}
			}
			if (hl < 0) { c->th->errors++; conn_fail_close(c); return; }
			if (hl == 0) {
				if (c->hdrlen == 0) { memcpy(c->hdr, p, n); c->hdrlen = (uint8_t)n; }
				else c->hdrlen = (uint8_t)(c->hdrlen + n);
				return;
			}
			if (op >= 8 && (plen > 125 || !fin)) { c->th->errors++; conn_fail_close(c); return; }
			if (op < 8) {
				if (op == 0 ? !c->in_msg : c->in_msg) { c->th->errors++; conn_fail_close(c); return; }
				c->in_msg = 1;
				if (op != 0) c->verify = O.size <= VERIFY_ALL || (c->seq & 15) == 0;
			}
			c->opcode = op;
			c->fin = fin;
			c->flen = plen;
			c->fgot = 0;
			c->hdrlen = 0xff;   /* marks "header consumed" even for empty payloads */
		}
		/* payload */
		uint64_t want = c->flen - c->fgot;
		size_t take = want < n ? (size_t)want : n;
		if (take > 0) {
			if (c->opcode >= 8) {
				memcpy(c->ctl + c->fgot, p, take);
			} else {
				uint64_t pos = c->mlen + c->fgot;
				if (pos < PREFIX) {
					size_t k = PREFIX - (size_t)pos;
					if (k > take) k = take;
					memcpy(c->pre + pos, p, k);
				}
				if (c->verify) {
					uint64_t a = pos < PREFIX ? PREFIX : pos;
					uint64_t b = pos + take;
					if (b > O.size) b = O.size;
					if (a < b && memcmp(p + (a - pos), G.filler + a, (size_t)(b - a)) != 0) c->bad = 1;
				}
			}
			c->fgot += take;
			p += take;
			n -= take;
		}
		if (c->fgot == c->flen) {
			c->hdrlen = 0;
			frame_done(c);
		}
	}
}

/* Bytes of the handshake response; whatever follows its head is frames. */
static void handshake_input(conn_t *c, const uint8_t *p, size_t n)
{
	thread_t *th = c->th;
	if (!c->hs) {
		c->hs = malloc(4096);
		if (!c->hs) die("out of memory");
		c->hslen = 0;
	}
	size_t room = 4095 - c->hslen;
	size_t take = n < room ? n : room;
	memcpy(c->hs + c->hslen, p, take);
	c->hslen = (uint16_t)(c->hslen + take);
	c->hs[c->hslen] = 0;
	char *end = strstr(c->hs, "\r\n\r\n");
	if (!end) {
		if (c->hslen >= 4095) { th->fail_status++; conn_fail_close(c); }
		return;
	}
	size_t head = (size_t)(end + 4 - c->hs);
	int ok = strncmp(c->hs, "HTTP/1.1 101", 12) == 0 && memmem(c->hs, head, WS_ACCEPT, sizeof(WS_ACCEPT) - 1);
	if (!ok) { th->fail_status++; conn_fail_close(c); return; }
	/* the head ends inside this read: what follows it is frames */
	size_t off = head - (c->hslen - take);
	free(c->hs);
	c->hs = NULL;
	c->state = ST_OPEN;
	th->pending--;
	th->nopen++;
	c->hdrlen = 0;
	c->flen = c->fgot = 0;
	on_open(c);
	if (off < n && c->state == ST_OPEN) feed(c, p + off, n - off);
}

static void conn_readable(conn_t *c)
{
	thread_t *th = c->th;
	for (int round = 0; round < 4; round++) {
		ssize_t r = read(c->fd, th->rbuf, READ_BUF);
		if (r < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) return;
			th->fail_reset++;
			if (c->state == ST_OPEN) th->eofs++;
			conn_fail_close(c);
			return;
		}
		if (r == 0) {
			if (c->state == ST_HANDSHAKE) th->fail_reset++;
			else if (c->state == ST_OPEN && !c->close_sent) th->eofs++;
			conn_fail_close(c);
			return;
		}
		th->now = now_ns();
		if (c->state == ST_HANDSHAKE) handshake_input(c, th->rbuf, (size_t)r);
		else if (c->state == ST_OPEN) feed(c, th->rbuf, (size_t)r);
		if (c->state == ST_DONE || r < READ_BUF) return;
	}
}

/* ---------------------------------------------------------------- mode logic */

/* broadcast state (single thread) */
static struct {
	conn_t *pub;
	uint32_t next_seq, oldest;
	uint32_t *ring_seq, *ring_got;
	uint64_t oldest_since;
	uint32_t probe;
	int probe_count;
	int synced;
	int publishing;
	uint64_t published, missing;
} B;

static inline int in_window(uint64_t t) { return t >= g_t_begin && t < g_t_end; }

static void on_open(conn_t *c)
{
	(void)c;
}

static void on_close_frame(conn_t *c, unsigned code)
{
	thread_t *th = c->th;
	if (!c->close_sent) {
		th->closes_by_server++;
		note_close_code(th, code);
		send_close(c, code == 1005 ? 1000 : code);
		flush(c);
	}
	th->nclosed++;
	conn_release(c);
}

static void bcast_publish(thread_t *th)
{
	while (B.publishing && B.next_seq - B.oldest < (uint32_t)O.window && B.pub->state == ST_OPEN) {
		uint32_t s = B.next_seq++;
		B.ring_seq[s % (uint32_t)O.window] = s;
		B.ring_got[s % (uint32_t)O.window] = 0;
		if (B.next_seq - B.oldest == 1) B.oldest_since = th->now;
		send_data(B.pub, th->now, s, 0);
		B.published++;
	}
}

static void bcast_advance(thread_t *th)
{
	uint32_t expect = (uint32_t)th->nopen;
	int moved = 0;
	while (B.oldest != B.next_seq && B.ring_got[B.oldest % (uint32_t)O.window] >= expect) {
		B.oldest++;
		moved = 1;
	}
	if (moved) B.oldest_since = th->now;
}

static void on_message(conn_t *c, uint64_t len)
{
	thread_t *th = c->th;
	uint64_t ts;
	uint32_t seq, tag;
	memcpy(&ts, c->pre, 8);
	memcpy(&seq, c->pre + 8, 4);
	memcpy(&tag, c->pre + 12, 4);
	if (len != O.size || c->bad) th->errors++;
	if (O.mode == M_ECHO) {
		if (tag != c->id) th->errors++;
		if (c->inflight > 0) c->inflight--;
		if (in_window(th->now)) {
			th->msgs++;
			th->bytes += len;
			hist_add(&th->hist, th->now - ts);
		}
		if (!g_stop && th->now < g_t_end) {
			send_data(c, th->now, c->seq++, c->id);
			c->inflight++;
		}
		return;
	}
	if (O.mode == M_BROADCAST) {
		if (tag == TAG_PROBE) {
			if (seq == B.probe && c->probe_seen != seq) { c->probe_seen = seq; B.probe_count++; }
			return;
		}
		if (in_window(th->now)) {
			th->msgs++;
			th->bytes += len;
			hist_add(&th->hist, th->now - ts);
		}
		uint32_t slot = seq % (uint32_t)O.window;
		if (seq - B.oldest < B.next_seq - B.oldest && B.ring_seq[slot] == seq) {
			B.ring_got[slot]++;
			if (seq == B.oldest) bcast_advance(th);
		} else {
			th->late++;
		}
		return;
	}
	/* connections mode: data is unexpected but harmless */
}

/* ---------------------------------------------------------------- loop */

static void handle_event(struct epoll_event *e)
{
	conn_t *c = e->data.ptr;
	if (c->state == ST_DONE) return;
	if (c->state == ST_CONNECTING) {
		if (e->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) conn_connected(c);
		return;
	}
	if (e->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_readable(c);
	if (c->state != ST_DONE && (e->events & EPOLLOUT)) flush(c);
	else if (c->state != ST_DONE && outq_pending(c) && !c->want_out) flush(c);
}

/* One pass of the event loop: waits at most timeout_ms. */
static void loop_once(thread_t *th, int timeout_ms)
{
	struct epoll_event evs[512];
	int n = epoll_wait(th->ep, evs, 512, timeout_ms);
	th->now = now_ns();
	if (n < 0) {
		if (errno == EINTR) return;
		die("epoll_wait: %s", strerror(errno));
	}
	for (int i = 0; i < n; i++) handle_event(&evs[i]);
}

/* Opens connections (bounded concurrency, optional rate) until every one of
 * this thread's connections is open or failed, or the deadline passes. */
static void open_all(thread_t *th, uint64_t deadline)
{
	uint64_t t0 = th->now = now_ns();
	for (;;) {
		uint64_t allowed = (uint64_t)th->nconns;
		if (O.rate > 0) {
			double el = (double)(th->now - t0) / 1e9;
			uint64_t a = (uint64_t)(el * O.rate / O.threads) + 1;
			if (a < allowed) allowed = a;
		}
		while ((uint64_t)th->next_open < allowed && th->pending < O.max_pending) {
			conn_start(&th->conns[th->next_open++]);
		}
		if (th->next_open == th->nconns && th->pending == 0) break;
		if (th->now >= deadline || g_stop) {
			for (int i = 0; i < th->nconns; i++) {
				conn_t *c = &th->conns[i];
				if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) { th->fail_timeout++; conn_fail_close(c); }
				else if (c->state == ST_IDLE) { th->fail_timeout++; th->nfailed++; c->state = ST_DONE; }
			}
			break;
		}
		loop_once(th, 1);
		/* a handshake that takes more than 10 s counts as a failure */
		if (th->now - th->last_scan > secs_ns(0.1)) {
			th->last_scan = th->now;
			for (int i = 0; i < th->next_open; i++) {
				conn_t *c = &th->conns[i];
				if ((c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) && th->now - c->opened_at > secs_ns(10)) {
					th->fail_timeout++;
					conn_fail_close(c);
				}
			}
		}
	}
}

static void close_all(thread_t *th)
{
	for (int i = 0; i < th->nconns; i++) {
		conn_t *c = &th->conns[i];
		if (c->state == ST_OPEN) {
			send_close(c, 1000);
			flush(c);
		}
		if (c->state != ST_DONE) conn_release(c);
	}
}

static void thread_init(thread_t *th)
{
	th->ep = epoll_create1(EPOLL_CLOEXEC);
	if (th->ep < 0) die("epoll_create1: %s", strerror(errno));
	th->rbuf = malloc(READ_BUF);
	if (!th->rbuf) die("out of memory");
	th->rng = 0x853c49e6748fea9bull ^ ((uint64_t)(th->idx + 1) * 0x9e3779b97f4a7c15ull) ^ now_ns();
	for (int i = 0; i < th->nconns; i++) {
		th->conns[i].fd = -1;
		th->conns[i].th = th;
	}
}

typedef struct cpu_probe cpu_probe_t;
static void cpu_begin(cpu_probe_t *p);
static void cpu_end(cpu_probe_t *p);
static cpu_probe_t *g_cpu;

static void *echo_thread(void *arg)
{
	thread_t *th = arg;
	open_all(th, now_ns() + secs_ns(O.open_timeout));
	th->established = th->nopen;
	pthread_barrier_wait(&g_barrier);
	if (th->idx == 0) {
		uint64_t t = now_ns();
		g_t_begin = t + secs_ns(O.warmup);
		g_t_end = g_t_begin + secs_ns(O.duration);
	}
	pthread_barrier_wait(&g_barrier);
	th->now = now_ns();
	for (int i = 0; i < th->nconns; i++) {
		conn_t *c = &th->conns[i];
		if (c->state != ST_OPEN) continue;
		for (int k = 0; k < O.inflight; k++) { send_data(c, th->now, c->seq++, c->id); c->inflight++; }
		flush(c);
	}
	int probing = 0;
	while (!g_stop && th->now < g_t_end) {
		loop_once(th, 10);
		if (th->idx == 0 && !probing && th->now >= g_t_begin) { cpu_begin(g_cpu); probing = 1; }
	}
	if (th->idx == 0) { if (!probing) cpu_begin(g_cpu); cpu_end(g_cpu); }
	/* drain: the answers to what is still in flight */
	uint64_t drain_end = th->now + secs_ns(2);
	for (;;) {
		uint64_t left = 0;
		for (int i = 0; i < th->nconns; i++) if (th->conns[i].state == ST_OPEN) left += th->conns[i].inflight;
		if (left == 0 || th->now >= drain_end || g_stop) { th->lost = left; break; }
		loop_once(th, 10);
	}
	close_all(th);
	return NULL;
}

/* ---------------------------------------------------------------- /proc */

static long read_rss_kb(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (!f) return -1;
	long kb = -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0) { kb = strtol(line + 6, NULL, 10); break; }
	fclose(f);
	return kb;
}

/* utime + stime of a process, in clock ticks. */
static long long read_cpu_ticks(long pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f) return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p) return -1;
	/* after ") ": state(3) ... utime is field 14, stime 15 */
	long long ut = 0, st = 0;
	int field = 2;
	for (char *s = p + 1; *s; s++) {
		if (*s == ' ') {
			field++;
			if (field == 14) ut = strtoll(s + 1, NULL, 10);
			else if (field == 15) { st = strtoll(s + 1, NULL, 10); break; }
		}
	}
	return ut + st;
}

/* Busy time of the whole machine, in seconds summed over every CPU. */
static double machine_busy_s(void)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f) return -1;
	unsigned long long v[8] = { 0 };
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5) return -1;
	unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

/* CPU use while measuring: the server's, ours, and everything else's (in
 * cores), to tell a server-bound run from a generator-bound or noisy one. */
struct cpu_probe {
	long long srv0;
	double self0, mach0;
	uint64_t wall0;
	double server, self, other;
};

static double self_cpu_s(void);

static void cpu_begin(cpu_probe_t *p)
{
	p->srv0 = O.pid ? read_cpu_ticks(O.pid) : -1;
	p->self0 = self_cpu_s();
	p->mach0 = machine_busy_s();
	p->wall0 = now_ns();
}

static void cpu_end(cpu_probe_t *p)
{
	double wall = (double)(now_ns() - p->wall0) / 1e9;
	long long srv1 = O.pid ? read_cpu_ticks(O.pid) : -1;
	double mach1 = machine_busy_s();
	p->server = p->srv0 >= 0 && srv1 >= 0 ? (double)(srv1 - p->srv0) / (double)sysconf(_SC_CLK_TCK) / wall : -1;
	p->self = (self_cpu_s() - p->self0) / wall;
	double mach = p->mach0 >= 0 && mach1 >= 0 ? (mach1 - p->mach0) / wall : -1;
	p->other = mach >= 0 && p->server >= 0 ? mach - p->server - p->self : -1;
	if (p->other < 0 && mach >= 0 && p->server >= 0) p->other = 0;
}

static void print_cpu(const cpu_probe_t *p)
{
	printf("\"server_cpu\":%.3f,\"loadgen_cpu\":%.3f,\"other_cpu\":%.3f", p->server, p->self, p->other);
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------- results */

static void sum_threads(thread_t *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (int t = 0; t < O.threads; t++) {
		thread_t *th = &T[t];
		hist_merge(&sum->hist, &th->hist);
		sum->msgs += th->msgs; sum->bytes += th->bytes; sum->errors += th->errors;
		sum->lost += th->lost; sum->late += th->late;
		sum->fail_refused += th->fail_refused; sum->fail_status += th->fail_status;
		sum->fail_reset += th->fail_reset; sum->fail_timeout += th->fail_timeout;
		sum->fail_other += th->fail_other;
		sum->closes_by_server += th->closes_by_server; sum->eofs += th->eofs;
		sum->nopen += th->nopen; sum->nfailed += th->nfailed; sum->nclosed += th->nclosed;
		sum->established += th->established;
		for (int i = 0; i < th->nclose_codes; i++) add_close_code(sum, th->close_code_vals[i], th->close_codes[i]);
	}
}

static void print_close_codes(const thread_t *s)
{
	printf("\"close_codes\":{");
	for (int i = 0; i < s->nclose_codes; i++)
		printf("%s\"%u\":%u", i ? "," : "", s->close_code_vals[i], s->close_codes[i]);
	printf("}");
}

static void print_latency(const hist_t *h)
{
	printf("\"lat_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}",
		hist_pct_us(h, 0.50), hist_pct_us(h, 0.99), hist_pct_us(h, 0.999), (double)h->max / 1000.0);
}

/* ---------------------------------------------------------------- modes */

static void alloc_threads(int total)
{
	T = calloc((size_t)O.threads, sizeof(thread_t));
	if (!T) die("out of memory");
	for (int t = 0; t < O.threads; t++) {
		T[t].idx = t;
		T[t].nconns = total / O.threads + (t < total % O.threads ? 1 : 0);
		T[t].conns = calloc((size_t)(T[t].nconns ? T[t].nconns : 1), sizeof(conn_t));
		if (!T[t].conns) die("out of memory");
	}
	uint32_t id = 1;
	for (int t = 0; t < O.threads; t++) {
		for (int i = 0; i < T[t].nconns; i++) T[t].conns[i].id = id++;
		thread_init(&T[t]);
	}
}

static int run_echo(void)
{
	if (O.size < PREFIX) die("echo: -s must be at least %d bytes", PREFIX);
	templates_init();
	alloc_threads(O.conns);
	pthread_barrier_init(&g_barrier, NULL, (unsigned)O.threads);
	cpu_probe_t cpu;
	g_cpu = &cpu;
	for (int t = 1; t < O.threads; t++) pthread_create(&T[t].tid, NULL, echo_thread, &T[t]);
	echo_thread(&T[0]);
	for (int t = 1; t < O.threads; t++) pthread_join(T[t].tid, NULL);
	thread_t s;
	sum_threads(&s);
	double secs = O.duration;
	double mps = (double)s.msgs / secs, bps = (double)s.bytes / secs;
	int established = s.established;
	if (!O.quiet) {
		printf("echo: %d/%d connections, %d in flight, %zu B, %.1f s (+%.1f s warm-up), %d thread(s)\n",
			established, O.conns, O.inflight, O.size, O.duration, O.warmup, O.threads);
		printf("  %.0f msgs/s, %.2f MB/s, latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
			mps, bps / 1e6, hist_pct_us(&s.hist, .5), hist_pct_us(&s.hist, .99), hist_pct_us(&s.hist, .999), s.hist.max / 1000.0);
		printf("  errors %" PRIu64 ", lost %" PRIu64 ", closed by server %" PRIu64 ", eof %" PRIu64
			", cpu: server %.0f%%, loadgen %.0f%%, other processes %.0f%%\n",
			s.errors, s.lost, s.closes_by_server, s.eofs, cpu.server * 100, cpu.self * 100, cpu.other * 100);
	}
	printf("RESULT {\"mode\":\"echo\",\"conns\":%d,\"established\":%d,\"inflight\":%d,\"size\":%zu,\"threads\":%d,"
		"\"duration\":%.3f,\"msgs\":%" PRIu64 ",\"msgs_per_s\":%.1f,\"bytes_per_s\":%.1f,\"mb_per_s\":%.3f,",
		O.conns, established, O.inflight, O.size, O.threads, secs, s.msgs, mps, bps, bps / 1e6);
	print_latency(&s.hist);
	printf(",\"errors\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"failed\":%d,\"closed\":%d,\"eof\":%" PRIu64 ",",
		s.errors, s.lost, s.nfailed, s.nclosed, s.eofs);
	print_close_codes(&s);
	printf(",");
	print_cpu(&cpu);
	printf("}\n");
	return s.errors || s.nfailed || established < O.conns ? 1 : 0;
}

static int run_connections(void)
{
	O.threads = 1;
	O.size = 0;
	alloc_threads(O.conns);
	thread_t *th = &T[0];
	long rss0 = O.pid ? read_rss_kb(O.pid) : -1;
	uint64_t t0 = now_ns();
	open_all(th, t0 + secs_ns(O.open_timeout));
	uint64_t t_opened = now_ns();
	/* settle: let the server finish whatever it does after the handshakes */
	uint64_t until = t_opened + secs_ns(O.settle);
	while (th->now < until && !g_stop) loop_once(th, 20);
	long rss1 = O.pid ? read_rss_kb(O.pid) : -1;
	int open_after_settle = th->nopen;
	until = th->now + secs_ns(O.duration);
	while (th->now < until && !g_stop) loop_once(th, 50);
	long rss2 = O.pid ? read_rss_kb(O.pid) : -1;
	int held = th->nopen;
	thread_t s;
	sum_threads(&s);
	int ok = s.nopen + s.nclosed;
	double per = ok > 0 && rss0 >= 0 && rss1 >= 0 ? (double)(rss1 - rss0) * 1024.0 / ok : -1;
	double per_end = ok > 0 && rss0 >= 0 && rss2 >= 0 ? (double)(rss2 - rss0) * 1024.0 / ok : -1;
	double open_s = (double)(t_opened - t0) / 1e9;
	if (!O.quiet) {
		printf("connections: %d of %d opened in %.2f s (%d failed: refused %" PRIu64 ", bad status %" PRIu64
			", reset %" PRIu64 ", timeout %" PRIu64 ", other %" PRIu64 "), %d still open after %.1f s\n",
			ok, O.conns, open_s, s.nfailed, s.fail_refused, s.fail_status, s.fail_reset, s.fail_timeout, s.fail_other,
			held, O.settle + O.duration);
		if (O.pid)
			printf("  server RSS %ld kB -> %ld kB (%ld kB after holding): %.0f B per connection\n", rss0, rss1, rss2, per);
	}
	printf("RESULT {\"mode\":\"connections\",\"target\":%d,\"ok\":%d,\"failed\":%d,\"fail\":{\"refused\":%" PRIu64
		",\"status\":%" PRIu64 ",\"reset\":%" PRIu64 ",\"timeout\":%" PRIu64 ",\"other\":%" PRIu64 "},"
		"\"open_s\":%.3f,\"open_after_settle\":%d,\"open_after_hold\":%d,\"closed_by_server\":%" PRIu64 ",",
		O.conns, ok, s.nfailed, s.fail_refused, s.fail_status, s.fail_reset, s.fail_timeout, s.fail_other,
		open_s, open_after_settle, held, s.closes_by_server);
	print_close_codes(&s);
	printf(",\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,\"rss_hold_end_kb\":%ld,\"rss_per_conn_bytes\":%.1f,"
		"\"rss_per_conn_hold_end_bytes\":%.1f}\n", rss0, rss1, rss2, per, per_end);
	close_all(th);
	return ok < O.conns ? 1 : 0;
}

static int run_broadcast(void)
{
	O.threads = 1;
	if (O.size < PREFIX) die("broadcast: -s must be at least %d bytes", PREFIX);
	if (O.window < 1) die("broadcast: -W must be at least 1");
	templates_init();
	int total = O.conns + 1;
	alloc_threads(total);
	thread_t *th = &T[0];
	B.ring_seq = calloc((size_t)O.window, 4);
	B.ring_got = calloc((size_t)O.window, 4);
	if (!B.ring_seq || !B.ring_got) die("out of memory");
	B.pub = &th->conns[0];
	open_all(th, now_ns() + secs_ns(O.open_timeout));
	int subscribers = th->nopen;
	if (B.pub->state != ST_OPEN) die("broadcast: the publisher did not connect");
	/* sync: probes until one reaches every open connection */
	uint64_t sync_end = th->now + secs_ns(15);
	uint64_t next_probe = 0;
	while (!g_stop) {
		if (B.probe && B.probe_count >= th->nopen) { B.synced = 1; break; }
		if (th->now >= sync_end) break;
		if (th->now >= next_probe) {
			B.probe++;
			B.probe_count = 0;
			send_data(B.pub, th->now, B.probe, TAG_PROBE);
			flush(B.pub);
			next_probe = th->now + secs_ns(0.5);
		}
		loop_once(th, 5);
	}
	if (!B.synced) fprintf(stderr, "loadgen: broadcast: probe reached %d of %d connections\n", B.probe_count, th->nopen);
	cpu_probe_t cpu;
	int probing = 0;
	th->now = now_ns();
	g_t_begin = th->now + secs_ns(O.warmup);
	g_t_end = g_t_begin + secs_ns(O.duration);
	B.oldest = B.next_seq = 0;
	B.publishing = 1;
	bcast_publish(th);
	flush(B.pub);
	while (!g_stop && th->now < g_t_end) {
		loop_once(th, 10);
		if (!probing && th->now >= g_t_begin) { cpu_begin(&cpu); probing = 1; }
		bcast_advance(th);
		/* a message some subscriber never got would stall the window */
		if (B.oldest != B.next_seq && th->now - B.oldest_since > secs_ns(1)) {
			uint32_t slot = B.oldest % (uint32_t)O.window;
			uint32_t want = (uint32_t)th->nopen;
			B.missing += B.ring_got[slot] < want ? want - B.ring_got[slot] : 0;
			B.oldest++;
			B.oldest_since = th->now;
		}
		bcast_publish(th);
		if (B.pub->state == ST_OPEN) flush(B.pub);
		else break;
	}
	if (!probing) cpu_begin(&cpu);
	cpu_end(&cpu);
	B.publishing = 0;
	uint64_t drain_end = th->now + secs_ns(5);
	while (!g_stop && B.oldest != B.next_seq && th->now < drain_end) { loop_once(th, 10); bcast_advance(th); }
	uint64_t undelivered = 0;
	for (uint32_t s = B.oldest; s != B.next_seq; s++) {
		uint32_t got = B.ring_got[s % (uint32_t)O.window];
		if (got < (uint32_t)th->nopen) undelivered += (uint32_t)th->nopen - got;
	}
	thread_t s;
	sum_threads(&s);
	double dps = (double)s.msgs / O.duration;
	if (!O.quiet) {
		printf("broadcast: %d subscribers (%d receivers + the publisher), %zu B, window %d, %.1f s (+%.1f s warm-up)%s\n",
			subscribers, subscribers - 1, O.size, O.window, O.duration, O.warmup, B.synced ? "" : " [probe did not reach everyone]");
		printf("  %.0f deliveries/s (%" PRIu64 " published), latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n",
			dps, B.published, hist_pct_us(&s.hist, .5), hist_pct_us(&s.hist, .99), hist_pct_us(&s.hist, .999));
		printf("  errors %" PRIu64 ", missing %" PRIu64 ", undelivered at end %" PRIu64 ", closed by server %" PRIu64
			", eof %" PRIu64 ", cpu: server %.0f%%, loadgen %.0f%%, other processes %.0f%%\n",
			s.errors, B.missing, undelivered, s.closes_by_server, s.eofs, cpu.server * 100, cpu.self * 100, cpu.other * 100);
	}
	printf("RESULT {\"mode\":\"broadcast\",\"subscribers\":%d,\"receivers\":%d,\"target\":%d,\"size\":%zu,\"window\":%d,"
		"\"duration\":%.3f,\"synced\":%s,\"published\":%" PRIu64 ",\"deliveries\":%" PRIu64 ",\"deliveries_per_s\":%.1f,",
		subscribers, subscribers - 1, total, O.size, O.window, O.duration, B.synced ? "true" : "false",
		B.published, s.msgs, dps);
	print_latency(&s.hist);
	printf(",\"errors\":%" PRIu64 ",\"missing\":%" PRIu64 ",\"undelivered\":%" PRIu64 ",\"late\":%" PRIu64
		",\"failed\":%d,\"closed\":%d,\"eof\":%" PRIu64 ",",
		s.errors, B.missing, undelivered, s.late, s.nfailed, s.nclosed, s.eofs);
	print_close_codes(&s);
	printf(",");
	print_cpu(&cpu);
	printf("}\n");
	close_all(th);
	return s.errors || !B.synced || subscribers < total ? 1 : 0;
}

/* Waits until one connection completes a handshake. */
static int run_wait(void)
{
	uint64_t end = now_ns() + secs_ns(O.duration);
	O.threads = 1;
	for (;;) {
		alloc_threads(1);
		thread_t *th = &T[0];
		open_all(th, now_ns() + secs_ns(2));
		int ok = th->nopen;
		close_all(th);
		close(th->ep);
		free(th->rbuf);
		free(th->conns);
		free(T);
		if (ok) { printf("RESULT {\"mode\":\"wait\",\"ok\":true}\n"); return 0; }
		if (now_ns() >= end) { printf("RESULT {\"mode\":\"wait\",\"ok\":false}\n"); return 1; }
		usleep(50000);
	}
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen MODE -p PORT [options]\n"
		"  MODE: echo | connections | broadcast | wait\n"
		"  -H HOST      IPv4 address of the server (default 127.0.0.1)\n"
		"  -p PORT      server port (required)\n"
		"  -u PATH      request path (default /)\n"
		"  -c N         echo: connections (default 100)\n"
		"  -n N         connections: how many to open; broadcast: receivers besides the publisher\n"
		"  -P N         echo: messages in flight per connection (default 1)\n"
		"  -s BYTES     payload size (default 32, at least 16)\n"
		"  -d SECS      measured duration (default 5); connections: how long to hold; wait: how long to try\n"
		"  -w SECS      warm-up before measuring (default 1)\n"
		"  -t N         echo: threads (default 1)\n"
		"  -r N         connections per second while opening (default: as fast as possible)\n"
		"  -W N         broadcast: publications whose fan-out may be incomplete (default 64)\n"
		"  --port2 P    every second connection (not the first) goes to port P of the same host\n"
		"  -S SECS      connections: settle time before reading RSS (default 1)\n"
		"  -m N         at most N handshakes in progress at once (default 256)\n"
		"  --pid PID    server process: RSS per connection, server CPU use\n"
		"  -q           only the RESULT line\n");
	exit(2);
}

static void on_signal(int sig) { (void)sig; g_stop = 1; }

int main(int argc, char **argv)
{
	if (argc < 2) usage();
	const char *m = argv[1];
	if (!strcmp(m, "echo")) O.mode = M_ECHO;
	else if (!strcmp(m, "connections")) { O.mode = M_CONNECTIONS; O.duration = 2; }
	else if (!strcmp(m, "broadcast")) { O.mode = M_BROADCAST; O.conns = 1000; }
	else if (!strcmp(m, "wait")) { O.mode = M_WAIT; O.duration = 10; O.conns = 1; }
	else usage();
	O.mode_name = m;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-q")) { O.quiet = 1; continue; }
		if (!v) usage();
		i++;
		if (!strcmp(a, "-H")) O.host = v;
		else if (!strcmp(a, "-p")) O.port = atoi(v);
		else if (!strcmp(a, "--port2")) O.port2 = atoi(v);
		else if (!strcmp(a, "-u")) O.path = v;
		else if (!strcmp(a, "-c") || !strcmp(a, "-n")) O.conns = atoi(v);
		else if (!strcmp(a, "-P")) O.inflight = atoi(v);
		else if (!strcmp(a, "-s")) O.size = (size_t)strtoull(v, NULL, 10);
		else if (!strcmp(a, "-d")) O.duration = atof(v);
		else if (!strcmp(a, "-w")) O.warmup = atof(v);
		else if (!strcmp(a, "-t")) O.threads = atoi(v);
		else if (!strcmp(a, "-r")) O.rate = atof(v);
		else if (!strcmp(a, "-W")) O.window = atoi(v);
		else if (!strcmp(a, "-S")) O.settle = atof(v);
		else if (!strcmp(a, "-m")) O.max_pending = atoi(v);
		else if (!strcmp(a, "--pid")) O.pid = atol(v);
		else usage();
	}
	if (O.port <= 0 || O.port > 65535) die("-p PORT is required");
	if (O.conns < 1 || O.inflight < 1 || O.threads < 1 || O.max_pending < 1 || O.duration <= 0) die("bad option value");
	if (O.threads > O.conns) O.threads = O.conns;
	memset(&G.addr, 0, sizeof(G.addr));
	G.addr.sin_family = AF_INET;
	G.addr.sin_port = htons((uint16_t)O.port);
	if (inet_pton(AF_INET, O.host, &G.addr.sin_addr) != 1) die("-H wants an IPv4 address");
	if (O.port2 < 0 || O.port2 > 65535) die("bad --port2");
	G.addr2 = G.addr;
	G.addr2.sin_port = htons((uint16_t)O.port2);

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)O.conns + 64 > rl.rlim_cur)
		fprintf(stderr, "loadgen: warning: open-files limit %llu is below %d connections\n",
			(unsigned long long)rl.rlim_cur, O.conns);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	switch (O.mode) {
	case M_ECHO: return run_echo();
	case M_CONNECTIONS: return run_connections();
	case M_BROADCAST: return run_broadcast();
	case M_WAIT: return run_wait();
	}
	return 2;
}
