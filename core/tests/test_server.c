/*
 * test_server.c - the engine end to end, without PHP: a ws_server_t runs in
 * this thread while a client thread speaks the protocol over loopback,
 * using the project's own frame codec in the client role.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "test.h"
#include "ws_frame.h"
#include "ws_server.h"
#include "ws_server_test.h"

/* ---- what the server saw ---- */
typedef struct seen {
	int opens, closes, messages, http;
	unsigned last_code;
	char last_reason[128];
	char last_path[64];
} seen_t;

static seen_t g_seen;
static int g_port;

static void on_open(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	g_seen.opens++;
	snprintf(g_seen.last_path, sizeof(g_seen.last_path), "%.*s", (int)req->path.len, req->path.ptr);
	if (req->path.len > 7 && memcmp(req->path.ptr, "/topic/", 7) == 0) {
		ws_conn_subscribe(c, req->path.ptr + 7, req->path.len - 7);
	}
}

static void on_message(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary)
{
	g_seen.messages++;
	if (len == 4 && memcmp(data, "stop", 4) == 0) {
		ws_server_stop(s);
	} else if (len > 4 && memcmp(data, "pub:", 4) == 0) {
		ws_server_publish(s, "news", 4, data + 4, len - 4, 0, NULL);
	} else if (len > 6 && memcmp(data, "close:", 6) == 0) {
		ws_conn_close(c, 4001, data + 6, len - 6);
	} else {
		ws_conn_send(c, data, len, binary);
	}
}

static void on_close(ws_server_t *s, ws_conn_t *c, unsigned code, const char *reason, size_t len)
{
	g_seen.closes++;
	g_seen.last_code = code;
	snprintf(g_seen.last_reason, sizeof(g_seen.last_reason), "%.*s", (int)len, reason);
}

static void on_timer(ws_server_t *s, uint64_t id, void *data, int last)
{
}

static const ws_server_handler_t handler = {
	NULL, on_open, on_message, NULL, on_close, NULL, NULL, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* ---- a tiny blocking client on the project's codec ---- */
typedef struct client {
	int fd;
	ws_frame_parser_t p;
	char msg[70000];
	size_t msg_len;
	int have_msg;
	unsigned close_code;
	int closed;
} client_t;

static int cl_begin(void *u, ws_opcode_t op, int comp)
{
	((client_t *)u)->msg_len = 0;
	return 0;
}

static int cl_data(void *u, const uint8_t *d, size_t n)
{
	client_t *c = u;
	if (c->msg_len + n <= sizeof(c->msg)) {
		memcpy(c->msg + c->msg_len, d, n);
	}
	c->msg_len += n;
	return 0;
}

static int cl_end(void *u)
{
	((client_t *)u)->have_msg = 1;
	return WS_FRAME_PAUSE;
}

static int cl_control(void *u, ws_opcode_t op, unsigned code, const uint8_t *r, size_t n)
{
	client_t *c = u;
	if (op == WS_OPCODE_CLOSE) {
		c->closed = 1;
		c->close_code = code;
		return WS_FRAME_PAUSE;
	}
	return 0;
}

static const ws_frame_callbacks_t cl_cb = { cl_begin, cl_data, cl_end, cl_control, NULL };

static int cl_connect(client_t *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { 5, 0 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)g_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		return -1;
	}
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path);
	if (write(c->fd, req, (size_t)n) != n) {
		return -1;
	}
	/* Read the head byte by byte so no frame byte is swallowed. */
	char head[1024];
	size_t h = 0;
	while (h < sizeof(head) - 1 && read(c->fd, head + h, 1) == 1) {
		h++;
		if (h >= 4 && memcmp(head + h - 4, "\r\n\r\n", 4) == 0) {
			break;
		}
	}
	head[h] = '\0';
	ws_frame_config_t cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WS_ROLE_CLIENT;
	ws_frame_parser_init(&c->p, &cfg, &cl_cb, c);
	return strncmp(head, "HTTP/1.1 101 ", 13) == 0 && strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") ? 0 : -1;
}

static void cl_send(client_t *c, ws_opcode_t op, const void *data, size_t len, int masked)
{
	uint8_t frame[WS_FRAME_HEADER_MAX + 70000];
	uint8_t key[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t hl = ws_frame_encode_header(frame, 1, 0, op, len, masked ? key : NULL);
	memcpy(frame + hl, data, len);
	if (masked) {
		ws_frame_mask(frame + hl, len, key, 0);
	}
	ssize_t w = write(c->fd, frame, hl + len);
	(void)w;
}

/* Reads until a whole message or a close frame arrived.  0 on success. */
static int cl_recv(client_t *c)
{
	uint8_t buf[4096];
	c->have_msg = 0;
	while (!c->have_msg && !c->closed) {
		ssize_t n = read(c->fd, buf, 1);  /* one byte at a time: nothing is lost after a pause */
		if (n <= 0) {
			return -1;
		}
		if (ws_frame_parser_feed(&c->p, buf, (size_t)n) < 0) {
			return -1;
		}
	}
	return 0;
}

/* 1 once the server has closed the TCP connection. */
static int cl_eof(client_t *c)
{
	uint8_t b;
	return read(c->fd, &b, 1) == 0;
}

/* ---- the client scenario, run in a thread while the server loops ---- */
static int results[16];
static int nresults;

static void *client_main(void *arg)
{
	client_t a, b, t1, t2;
	int r = 0;

	/* 1. echo, text and binary, a 65536-byte message */
	results[r++] = cl_connect(&a, "/echo") == 0;
	cl_send(&a, WS_OPCODE_TEXT, "hello", 5, 1);
	results[r++] = cl_recv(&a) == 0 && a.msg_len == 5 && memcmp(a.msg, "hello", 5) == 0;
	static char big[65536];
	memset(big, 'z', sizeof(big));
	cl_send(&a, WS_OPCODE_BINARY, big, sizeof(big), 1);
	results[r++] = cl_recv(&a) == 0 && a.msg_len == sizeof(big);

	/* 2. server-initiated close: the client sees 4001 and the reason */
	cl_send(&a, WS_OPCODE_TEXT, "close:bye", 9, 1);
	results[r++] = cl_recv(&a) == 0 && a.closed && a.close_code == 4001;
	cl_send(&a, WS_OPCODE_CLOSE, "\x0f\xa1", 2, 1);
	results[r++] = cl_eof(&a);
	close(a.fd);

	/* 3. an unmasked client frame fails the connection with 1002 */
	results[r++] = cl_connect(&b, "/bad") == 0;
	cl_send(&b, WS_OPCODE_TEXT, "oops", 4, 0);
	results[r++] = cl_recv(&b) == 0 && b.closed && b.close_code == 1002;
	close(b.fd);

	/* 4. topics: two subscribers get a publish, the publisher (not subscribed) does not */
	results[r++] = cl_connect(&t1, "/topic/news") == 0 && cl_connect(&t2, "/topic/news") == 0;
	client_t pub;
	results[r++] = cl_connect(&pub, "/publisher") == 0;
	cl_send(&pub, WS_OPCODE_TEXT, "pub:extra", 9, 1);
	results[r++] = cl_recv(&t1) == 0 && t1.msg_len == 5 && memcmp(t1.msg, "extra", 5) == 0
		&& cl_recv(&t2) == 0 && t2.msg_len == 5;

	/* 5. stop(): every open client gets 1001 */
	cl_send(&pub, WS_OPCODE_TEXT, "stop", 4, 1);
	results[r++] = cl_recv(&t1) == 0 && t1.closed && t1.close_code == 1001;
	results[r++] = cl_recv(&t2) == 0 && t2.closed && t2.close_code == 1001;
	/* Answer the close frames so the server finishes its shutdown at once. */
	cl_send(&t1, WS_OPCODE_CLOSE, "\x03\xe9", 2, 1);
	cl_send(&t2, WS_OPCODE_CLOSE, "\x03\xe9", 2, 1);
	cl_send(&pub, WS_OPCODE_CLOSE, "\x03\xe8", 2, 1);
	close(t1.fd);
	close(t2.fd);
	close(pub.fd);
	nresults = r;
	return NULL;
}

static void test_server_end_to_end(void)
{
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	cfg.shutdown_timeout_ms = 3000;
	ws_server_t *s = ws_server_new(&cfg, &handler, NULL);
	CHECK(s != NULL);
	char err[256];
	CHECK_EQ_INT(ws_server_listen(s, "127.0.0.1", 0, NULL, err, sizeof(err)), 0);
	g_port = ws_server_port(s, 0);
	CHECK(g_port > 0);

	pthread_t th;
	memset(results, 0, sizeof(results));
	pthread_create(&th, NULL, client_main, NULL);
	CHECK_EQ_INT(ws_server_run(s), 0);
	pthread_join(th, NULL);

	CHECK_EQ_INT(nresults, 12);
	for (int i = 0; i < nresults; i++) {
		if (!results[i]) {
			fprintf(stderr, "client step %d failed\n", i);
		}
		CHECK(results[i]);
	}
	CHECK_EQ_INT(g_seen.opens, 5);
	CHECK_EQ_INT(g_seen.closes, 5);
	CHECK_EQ_INT(ws_server_count(s), 0);
	ws_server_free(s);
}

static void test_listen_errors(void)
{
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	ws_server_t *s1 = ws_server_new(&cfg, &handler, NULL);
	ws_server_t *s2 = ws_server_new(&cfg, &handler, NULL);
	char err[256];
	CHECK_EQ_INT(ws_server_listen(s1, "127.0.0.1", 0, NULL, err, sizeof(err)), 0);
	int port = ws_server_port(s1, 0);
	/* Same address again: EADDRINUSE, with the address in the message. */
	CHECK_EQ_INT(ws_server_listen(s2, "127.0.0.1", port, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "127.0.0.1") != NULL);
	CHECK_EQ_INT(ws_server_listen(s2, "no-such-host.invalid", 0, NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot resolve") != NULL);
	ws_server_free(s1);
	ws_server_free(s2);
}

/* ---- one connection over a socketpair, stepped by hand (ws_server_test.h) ---- */

static uint64_t g_now = 1000000;

static uint64_t test_clock(void *arg)
{
	return g_now;
}

/* A server with cfg and h, and one adopted connection; *peer gets the client's end. */
static ws_server_t *paired_server(const ws_server_config_t *cfg, const ws_server_handler_t *h, int sndbuf, int *peer)
{
	int sv[2];
	ws_server_t *s = ws_server_new(cfg, h, NULL);
	CHECK(s != NULL);
	ws_server_set_clock(s, test_clock, NULL);
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (sndbuf) {
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	CHECK(ws_server_adopt_fd(s, sv[1], NULL, 0) != NULL);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	*peer = sv[0];
	return s;
}

static const char test_request[] = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/* What a client read: the response head, then the frames, parsed. */
typedef struct reader {
	char head[512];
	size_t head_len;
	int head_done, bad;
	ws_frame_parser_t p;
	size_t msg_len;
	size_t lens[8];
	int nmsgs;
	unsigned close_code;
	int closed, eof;
} reader_t;

static int rd_begin(void *u, ws_opcode_t op, int comp)
{
	((reader_t *)u)->msg_len = 0;
	return 0;
}

static int rd_data(void *u, const uint8_t *d, size_t n)
{
	((reader_t *)u)->msg_len += n;
	return 0;
}

static int rd_end(void *u)
{
	reader_t *r = u;
	if (r->nmsgs < 8) {
		r->lens[r->nmsgs] = r->msg_len;
	}
	r->nmsgs++;
	return 0;
}

static int rd_control(void *u, ws_opcode_t op, unsigned code, const uint8_t *reason, size_t n)
{
	reader_t *r = u;
	if (op == WS_OPCODE_CLOSE) {
		r->closed = 1;
		r->close_code = code;
	}
	return 0;
}

static const ws_frame_callbacks_t rd_cb = { rd_begin, rd_data, rd_end, rd_control, NULL };

static void reader_take(reader_t *r, int fd)
{
	uint8_t buf[65536];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		size_t off = 0;
		while (!r->head_done && off < (size_t)n && r->head_len < sizeof(r->head) - 1) {
			r->head[r->head_len++] = (char)buf[off++];
			r->head_done = r->head_len >= 4 && memcmp(r->head + r->head_len - 4, "\r\n\r\n", 4) == 0;
		}
		if (!r->head_done) {
			continue;
		}
		if (r->p.cb == NULL) {
			ws_frame_config_t fc;
			memset(&fc, 0, sizeof(fc));
			fc.role = WS_ROLE_CLIENT;
			ws_frame_parser_init(&r->p, &fc, &rd_cb, r);
		}
		if (off < (size_t)n && ws_frame_parser_feed(&r->p, buf + off, (size_t)n - off) < 0) {
			r->bad = 1;
		}
	}
	if (n == 0) {
		r->eof = 1;
	}
}

/* Steps the server and reads, until the server has closed the socket (at most n steps). */
static void pump_until_eof(ws_server_t *s, int fd, reader_t *r, int n)
{
	for (int i = 0; i < n && !r->eof; i++) {
		ws_server_run_once(s, 0);
		reader_take(r, fd);
		g_now += 10;
	}
}

static int bp_sent;

static void bp_open(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	static char big[70000];
	/* Admitted (the queue holds only the 101), then over the limit: closed with 1008. */
	bp_sent = ws_conn_send(c, big, sizeof(big), 1);
	ws_conn_send(c, "x", 1, 0);
}

static void test_backpressure_keeps_handshake(void)
{
	/*
	 * Regression (found by fuzz_engine): the backpressure close discarded the
	 * whole unsent queue, the 101 response included, so the client got a
	 * close frame where it waited for HTTP.
	 */
	static const ws_server_handler_t h = { NULL, bp_open, on_message, NULL, on_close, NULL, NULL, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	cfg.max_buffered_amount = 4096;
	cfg.low_water_mark = 1024;
	int fd;
	ws_server_t *s = paired_server(&cfg, &h, 0, &fd);
	CHECK_EQ_INT(write(fd, test_request, sizeof(test_request) - 1), sizeof(test_request) - 1);
	reader_t r;
	memset(&r, 0, sizeof(r));
	pump_until_eof(s, fd, &r, 100);
	CHECK(bp_sent != WS_SEND_DROPPED);
	CHECK(r.head_done && strncmp(r.head, "HTTP/1.1 101 ", 13) == 0);
	CHECK(!r.bad);
	CHECK_EQ_INT(r.nmsgs, 0);
	CHECK(r.closed && r.close_code == 1008);
	CHECK(r.eof);
	CHECK_EQ_INT(ws_server_count(s), 0);
	close(fd);
	ws_server_free(s);
}

static int ref_released;

static void ref_release(void *ctx)
{
	ref_released++;
}

static void ref_open(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	static char a[10000], b[20000];
	/*
	 * The 101, the first message and the second one's header share one
	 * buffer; the second one's payload is referenced, in a segment of its own.
	 */
	ws_conn_send(c, a, sizeof(a), 1);
	ws_conn_send_ref(c, b, sizeof(b), 1, ref_release, NULL);
}

static void ref_message(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary)
{
	/* Over max_buffered_amount while the first segment is partly written: 1008. */
	ws_conn_send(c, "over", 4, 0);
}

static void test_backpressure_keeps_referenced_payload(void)
{
	/*
	 * Regression: a backpressure close keeps the partly written segment, but
	 * dropped the referenced payload whose header ended that segment, so
	 * the client got a frame header without its payload.
	 */
	static const ws_server_handler_t h = { NULL, ref_open, ref_message, NULL, on_close, NULL, NULL, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	cfg.max_buffered_amount = 16384;
	cfg.low_water_mark = 1024;
	int fd;
	ws_server_t *s = paired_server(&cfg, &h, 4096, &fd);
	CHECK_EQ_INT(write(fd, test_request, sizeof(test_request) - 1), sizeof(test_request) - 1);
	ws_server_run_once(s, 0);
	CHECK(ws_server_first(s) != NULL && ws_conn_buffered_amount(ws_server_first(s)) > 16384);
	/* A message while the queue is still over the limit (the client has read nothing). */
	uint8_t frame[16];
	uint8_t key[4] = { 1, 2, 3, 4 };
	size_t hl = ws_frame_encode_header(frame, 1, 0, WS_OPCODE_TEXT, 1, key);
	frame[hl] = 'm' ^ key[0];
	CHECK_EQ_INT(write(fd, frame, hl + 1), (ssize_t)(hl + 1));
	ws_server_run_once(s, 0);
	reader_t r;
	memset(&r, 0, sizeof(r));
	pump_until_eof(s, fd, &r, 200);
	CHECK(r.head_done && strncmp(r.head, "HTTP/1.1 101 ", 13) == 0);
	CHECK(!r.bad);
	CHECK_EQ_INT(r.nmsgs, 2);
	CHECK_EQ_INT(r.lens[0], 10000);
	CHECK_EQ_INT(r.lens[1], 20000);
	CHECK(r.closed && r.close_code == 1008);
	CHECK_EQ_INT(ref_released, 1);
	close(fd);
	ws_server_free(s);
}

static void ref_open_big(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	static char big[200000];
	ws_conn_send_ref(c, big, sizeof(big), 1, ref_release, NULL);
}

static void test_teardown_releases_referenced_payload(void)
{
	/*
	 * Regression (found by fuzz_engine in the fix above): a connection torn
	 * down while a referenced payload headed its queue kept that segment, so
	 * the reference was never released and buffered_bytes never went back
	 * to zero.
	 */
	static const ws_server_handler_t h = { NULL, ref_open_big, on_message, NULL, on_close, NULL, NULL, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	int fd;
	ref_released = 0;
	ws_server_t *s = paired_server(&cfg, &h, 4096, &fd);
	CHECK_EQ_INT(write(fd, test_request, sizeof(test_request) - 1), sizeof(test_request) - 1);
	ws_server_run_once(s, 0);
	reader_t r;
	memset(&r, 0, sizeof(r));
	reader_take(&r, fd);
	ws_server_run_once(s, 0);
	ws_server_stats_t st;
	ws_server_get_stats(s, &st);
	CHECK(st.buffered_bytes > 0 && st.buffered_bytes < 200000); /* the payload has started to leave */
	close(fd);
	for (int i = 0; i < 10; i++) {
		ws_server_run_once(s, 0);
	}
	ws_server_get_stats(s, &st);
	CHECK_EQ_INT(st.connections + st.pending, 0);
	CHECK_EQ_INT(ref_released, 1);
	CHECK_EQ_INT(st.buffered_bytes, 0);
	ws_server_free(s);
}

static void pool_open(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	static char chunk[15000];
	/* Five output buffers: over the 64 KiB budget, so this connection is shed (1008). */
	for (int i = 0; i < 5; i++) {
		ws_conn_send(c, chunk, sizeof(chunk), 1);
	}
}

static void test_memory_budget_not_held_by_pool(void)
{
	/*
	 * Regression: output buffers kept in the pool for reuse counted against
	 * max_memory, and nothing gave them back, so after one burst a small
	 * budget stayed exhausted with no connection left to shed: every later
	 * handshake got 503.
	 */
	static const ws_server_handler_t h = { NULL, pool_open, on_message, NULL, on_close, NULL, NULL, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	cfg.max_memory = 64 * 1024;
	int fd;
	ws_server_t *s = paired_server(&cfg, &h, 0, &fd);
	CHECK_EQ_INT(write(fd, test_request, sizeof(test_request) - 1), sizeof(test_request) - 1);
	reader_t r;
	memset(&r, 0, sizeof(r));
	pump_until_eof(s, fd, &r, 100);
	CHECK(r.head_done && strncmp(r.head, "HTTP/1.1 101 ", 13) == 0);
	CHECK(r.closed && r.close_code == 1008);
	close(fd);
	for (int i = 0; i < 5; i++) {
		ws_server_run_once(s, 0);
	}
	/* A newcomer, once the server is idle again. */
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK(ws_server_adopt_fd(s, sv[1], NULL, 0) != NULL);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	CHECK_EQ_INT(write(sv[0], test_request, sizeof(test_request) - 1), sizeof(test_request) - 1);
	ws_server_run_once(s, 0);
	memset(&r, 0, sizeof(r));
	reader_take(&r, sv[0]);
	CHECK(r.head_done && strncmp(r.head, "HTTP/1.1 101 ", 13) == 0);
	close(sv[0]);
	ws_server_free(s);
}

static int drain_calls, drain_over, drain_queued;

static void drain_message(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary)
{
	static char big[70000];
	/* Over the low-water mark, and over half max_buffered_amount: reading pauses. */
	if (ws_conn_send(c, big, sizeof(big), 1) == WS_SEND_QUEUED) {
		drain_queued++;
	}
}

static void drain_drain(ws_server_t *s, ws_conn_t *c)
{
	drain_calls++;
	drain_over += ws_conn_buffered_amount(c) > ws_server_config(s)->low_water_mark;
}

static void test_drain_fires_under_low_water(void)
{
	/*
	 * Regression (found by fuzz_engine): when reading had paused on
	 * backpressure, the input saved meanwhile was processed before the
	 * drain event, so its replies filled the queue again and "drain"
	 * reported a backlog over the low-water mark.
	 */
	static const ws_server_handler_t h = { NULL, NULL, drain_message, NULL, on_close, drain_drain, NULL, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	cfg.max_buffered_amount = 4096;
	cfg.low_water_mark = 1024;
	int fd;
	ws_server_t *s = paired_server(&cfg, &h, 0, &fd);
	uint8_t buf[sizeof(test_request) + 32];
	memcpy(buf, test_request, sizeof(test_request) - 1);
	size_t n = sizeof(test_request) - 1;
	uint8_t key[4] = { 9, 8, 7, 6 };
	for (int i = 0; i < 2; i++) {
		n += ws_frame_encode_header(buf + n, 1, 0, WS_OPCODE_TEXT, 1, key);
		buf[n++] = 'q' ^ key[0];
	}
	CHECK_EQ_INT(write(fd, buf, n), (ssize_t)n);
	reader_t r;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 50; i++) {
		ws_server_run_once(s, 0);
		reader_take(&r, fd);
	}
	CHECK_EQ_INT(r.nmsgs, 2);
	CHECK_EQ_INT(drain_queued, 2);
	CHECK(drain_calls >= 1);
	CHECK_EQ_INT(drain_over, 0);
	close(fd);
	ws_server_free(s);
}

static void test_run_once_reports_the_end(void)
{
	/*
	 * ws_server_run_once() returns 0 once the server has stopped, also when
	 * ws_server_stop() completed at once outside an iteration (no connection
	 * left: it used to start the server again) or ws_server_break() was
	 * called there; the call after that starts it again.
	 */
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	ws_server_t *s = ws_server_new(&cfg, &handler, NULL);
	CHECK(s != NULL);
	ws_server_set_clock(s, test_clock, NULL);
	CHECK_EQ_INT(ws_server_run_once(s, 0), 1);
	CHECK(ws_server_is_running(s));
	ws_server_stop(s);
	CHECK_EQ_INT(ws_server_run_once(s, 0), 0);
	CHECK(!ws_server_is_running(s));
	CHECK_EQ_INT(ws_server_run_once(s, 0), 1);
	ws_server_break(s);
	CHECK_EQ_INT(ws_server_run_once(s, 0), 0);
	CHECK_EQ_INT(ws_server_run_once(s, 0), 1);
	ws_server_stop(s);
	CHECK_EQ_INT(ws_server_run_once(s, 0), 0);
	ws_server_free(s);
}

static const test_case_t tests[] = {
	TEST(test_server_end_to_end),
	TEST(test_listen_errors),
	TEST(test_backpressure_keeps_handshake),
	TEST(test_backpressure_keeps_referenced_payload),
	TEST(test_teardown_releases_referenced_payload),
	TEST(test_memory_budget_not_held_by_pool),
	TEST(test_drain_fires_under_low_water),
	TEST(test_run_once_reports_the_end),
};

TEST_MAIN("server", tests)
