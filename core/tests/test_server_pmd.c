/*
 * test_server_pmd.c - the engine's inflation of client messages
 * (permessage-deflate), without PHP: several connections over socketpairs,
 * stepped by hand, send compressed messages cut into frames and frames cut
 * into writes, interleaved across connections, so that many messages are in
 * progress at once.  With client_no_context_takeover one server-wide
 * inflater is lent to one message at a time (ws_in.c); these tests check
 * that every message still decodes, that a kept context still works when the
 * client may take it over, and that an idle connection holds no inflater.
 * White-box: reads the connection struct through ws_server_int.h.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"
#include "ws_frame.h"
#include "ws_server.h"
#include "ws_server_int.h"
#include "ws_server_test.h"

#define NCONN 6
#define MSG_MAX 20000

static uint64_t g_now = 1000000;

static uint64_t test_clock(void *arg)
{
	return g_now;
}

/* What the handler saw: per connection (by the "cN:" prefix), messages that matched and not. */
static int g_good[NCONN], g_bad;
static char g_expect[NCONN][4][MSG_MAX];
static size_t g_expect_len[NCONN][4];
static int g_next[NCONN];

static void on_message(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary)
{
	int i = len > 3 && data[0] == 'c' && data[2] == ':' ? data[1] - '0' : -1;
	if (i < 0 || i >= NCONN || g_next[i] >= 4) {
		g_bad++;
		return;
	}
	int k = g_next[i]++;
	if (len == g_expect_len[i][k] && memcmp(data, g_expect[i][k], len) == 0) {
		g_good[i]++;
	} else {
		g_bad++;
	}
}

static void on_close(ws_server_t *s, ws_conn_t *c, unsigned code, const char *reason, size_t len)
{
}

static void on_timer(ws_server_t *s, uint64_t id, void *data, int last)
{
}

static const ws_server_handler_t handler = {
	NULL, NULL, on_message, NULL, on_close, NULL, NULL, on_timer, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

typedef struct peer {
	int fd;
	ws_conn_t *conn;
	z_stream z;           /* the client's compressor */
	uint8_t out[65536];   /* bytes to write, in pieces */
	size_t out_len;
} peer_t;

/* Reads the 101 response head; 1 if it arrived, its text in head. */
static int read_head(peer_t *p, char *head, size_t cap)
{
	size_t h = 0;
	while (h < cap - 1 && recv(p->fd, head + h, 1, MSG_DONTWAIT) == 1) {
		h++;
		if (h >= 4 && memcmp(head + h - 4, "\r\n\r\n", 4) == 0) {
			head[h] = '\0';
			return 1;
		}
	}
	head[h] = '\0';
	return 0;
}

/*
 * Compresses msg as the client would (sync flush, tail dropped; reset after
 * it without context takeover), and appends it to p->out as nframes frames:
 * the first with RSV1, the rest continuations.
 */
static void queue_message(peer_t *p, const char *msg, size_t len, int nframes, int reset)
{
	static uint8_t comp[MSG_MAX + 1024];
	p->z.next_in = (Bytef *)(uintptr_t)msg;
	p->z.avail_in = (uInt)len;
	p->z.next_out = comp;
	p->z.avail_out = sizeof(comp);
	CHECK_EQ_INT(deflate(&p->z, Z_SYNC_FLUSH), Z_OK);
	size_t n = sizeof(comp) - p->z.avail_out;
	CHECK(n >= 4 && memcmp(comp + n - 4, "\x00\x00\xff\xff", 4) == 0);
	n -= 4;
	if (reset) {
		deflateReset(&p->z);
	}
	size_t step = (n + (size_t)nframes - 1) / (size_t)nframes, off = 0;
	uint8_t key[4] = { 0x11, 0x22, 0x33, 0x44 };
	for (int f = 0; f < nframes; f++) {
		size_t m = f == nframes - 1 ? n - off : (step < n - off ? step : n - off);
		uint8_t *o = p->out + p->out_len;
		size_t hl = ws_frame_encode_header(o, f == nframes - 1, f == 0,
			f == 0 ? WS_OPCODE_TEXT : WS_OPCODE_CONTINUATION, m, key);
		memcpy(o + hl, comp + off, m);
		ws_frame_mask(o + hl, m, key, 0);
		p->out_len += hl + m;
		off += m;
	}
	CHECK(p->out_len <= sizeof(p->out));
}

/* A chat-like message of about len bytes for connection i, message k; repetitive so it compresses. */
static void make_message(int i, int k, size_t len)
{
	char *m = g_expect[i][k];
	size_t n = (size_t)snprintf(m, MSG_MAX, "c%d:{\"type\":\"message\",\"k\":%d,\"text\":\"", i, k);
	static const char *words[] = { "hello ", "deploy ", "review ", "merge ", "tomorrow ", "\xc3\xa9t\xc3\xa9 " };
	unsigned seed = (unsigned)(i * 31 + k * 7 + 1);
	while (n < len - 2) {
		seed = seed * 1103515245u + 12345u;
		const char *w = words[(seed >> 16) % 6];
		size_t wl = strlen(w);
		if (n + wl > len - 2) {
			break;
		}
		memcpy(m + n, w, wl);
		n += wl;
	}
	memcpy(m + n, "\"}", 2);
	g_expect_len[i][k] = n + 2;
}

/* Opens NCONN connections on s; returns how many answers carried client_no_context_takeover. */
static int open_peers(ws_server_t *s, peer_t *peers)
{
	int cnct = 0;
	for (int i = 0; i < NCONN; i++) {
		int sv[2];
		peer_t *p = &peers[i];
		memset(p, 0, sizeof(*p));
		CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		p->conn = ws_server_adopt_fd(s, sv[1], NULL, 0);
		CHECK(p->conn != NULL);
		p->fd = sv[0];
		CHECK_EQ_INT(write(p->fd, request, sizeof(request) - 1), (long)sizeof(request) - 1);
		ws_server_run_once(s, 0);
		char head[1024];
		CHECK(read_head(p, head, sizeof(head)));
		CHECK(strncmp(head, "HTTP/1.1 101 ", 13) == 0);
		CHECK(strstr(head, "permessage-deflate") != NULL);
		cnct += strstr(head, "client_no_context_takeover") != NULL;
		CHECK_EQ_INT(deflateInit2(&p->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	}
	return cnct;
}

static void close_peers(ws_server_t *s, peer_t *peers)
{
	for (int i = 0; i < NCONN; i++) {
		deflateEnd(&peers[i].z);
		close(peers[i].fd);
	}
	for (int i = 0; i < 20 && ws_server_count(s) > 0; i++) {
		ws_server_run_once(s, 0);
		g_now += 10;
	}
	CHECK_EQ_INT(ws_server_count(s), 0);
}

/*
 * Writes every peer's queued bytes in rounds of piece bytes per peer, one
 * peer after the other, stepping the server after each write: every
 * message is in progress on every connection at once.  Returns the most
 * connections seen holding an inflater at the same time.
 */
static int interleave(ws_server_t *s, peer_t *peers, size_t piece)
{
	size_t off[NCONN] = { 0 };
	int busy = 1, most = 0;
	while (busy) {
		busy = 0;
		for (int i = 0; i < NCONN; i++) {
			peer_t *p = &peers[i];
			if (off[i] >= p->out_len) {
				continue;
			}
			size_t n = p->out_len - off[i] < piece ? p->out_len - off[i] : piece;
			CHECK_EQ_INT(write(p->fd, p->out + off[i], n), (long)n);
			off[i] += n;
			busy = 1;
			ws_server_run_once(s, 0);
			int held = 0;
			for (int j = 0; j < NCONN; j++) {
				held += peers[j].conn != NULL && peers[j].conn->inflater != NULL;
			}
			most = held > most ? held : most;
		}
	}
	for (int i = 0; i < NCONN; i++) {
		peers[i].out_len = 0;
	}
	return most;
}

static void reset_seen(void)
{
	memset(g_good, 0, sizeof(g_good));
	memset(g_next, 0, sizeof(g_next));
	g_bad = 0;
}

/* A server whose permessage-deflate lets clients keep their context or not, with the test clock; nothing seen yet. */
static ws_server_t *start_server(int client_context_takeover)
{
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	cfg.deflate.client_context_takeover = (unsigned)client_context_takeover;
	ws_server_t *s = ws_server_new(&cfg, &handler, NULL);
	ws_server_set_clock(s, test_clock, NULL);
	reset_seen();
	return s;
}

static void test_shared_inflater_interleaved(void)
{
	peer_t peers[NCONN];
	ws_server_t *s = start_server(0);
	int cnct = open_peers(s, peers);
	CHECK_EQ_INT(cnct, NCONN);
	/* Four messages each: two cut in 3 and 5 frames, one whole, one in 2; writes of 7 bytes. */
	static const int frames[4] = { 3, 1, 5, 2 };
	for (int i = 0; i < NCONN; i++) {
		for (int k = 0; k < 4; k++) {
			make_message(i, k, 200 + (size_t)(i * 1500 + k * 900));
			queue_message(&peers[i], g_expect[i][k], g_expect_len[i][k], frames[k], 1);
		}
	}
	int most = interleave(s, peers, 7);
	for (int i = 0; i < NCONN; i++) {
		CHECK_EQ_INT(g_good[i], 4);
	}
	CHECK_EQ_INT(g_bad, 0);
	/* Messages overlapped (so private inflaters were lent too), yet idle connections hold none. */
	CHECK(most > 1);
	for (int i = 0; i < NCONN; i++) {
		CHECK(peers[i].conn->inflater == NULL);
		CHECK(peers[i].conn->busy == NULL || peers[i].conn->busy->msg == NULL);
	}
	CHECK(s->shared_inflater != NULL);
	CHECK(s->inflater_holder == NULL);

	/* Again, with every peer's whole batch in one write: several messages per read. */
	reset_seen();
	for (int i = 0; i < NCONN; i++) {
		for (int k = 0; k < 4; k++) {
			queue_message(&peers[i], g_expect[i][k], g_expect_len[i][k], frames[3 - k], 1);
		}
	}
	most = interleave(s, peers, sizeof(peers[0].out));
	CHECK_EQ_INT(most, 0); /* whole messages within one read: nothing is held between reads */
	for (int i = 0; i < NCONN; i++) {
		CHECK_EQ_INT(g_good[i], 4);
	}
	CHECK_EQ_INT(g_bad, 0);
	close_peers(s, peers);
	CHECK(s->inflater_holder == NULL);
	ws_server_free(s);
}

static void test_context_takeover_kept(void)
{
	/* The client may keep its context: each connection keeps its own inflater and window. */
	peer_t peers[NCONN];
	ws_server_t *s = start_server(1);
	int cnct = open_peers(s, peers);
	CHECK_EQ_INT(cnct, 0);
	static const int frames[4] = { 2, 4, 1, 3 };
	for (int i = 0; i < NCONN; i++) {
		for (int k = 0; k < 4; k++) {
			/* Messages 2 and 3 repeat 0 and 1: with a kept context they refer back into them. */
			if (k < 2) {
				make_message(i, k, 300 + (size_t)(i * 700 + k * 400));
			} else {
				memcpy(g_expect[i][k], g_expect[i][k - 2], g_expect_len[i][k - 2]);
				g_expect_len[i][k] = g_expect_len[i][k - 2];
			}
			queue_message(&peers[i], g_expect[i][k], g_expect_len[i][k], frames[k], 0);
		}
	}
	interleave(s, peers, 5);
	for (int i = 0; i < NCONN; i++) {
		CHECK_EQ_INT(g_good[i], 4);
		CHECK(peers[i].conn->inflater != NULL);
		CHECK(peers[i].conn->inflater != s->shared_inflater);
	}
	CHECK_EQ_INT(g_bad, 0);
	CHECK(s->shared_inflater == NULL);
	close_peers(s, peers);
	ws_server_free(s);
}

static void test_holder_fails_mid_message(void)
{
	/*
	 * The holder of the shared inflater sends corrupt data in the middle of a
	 * fragmented message: it is failed (1002) and the inflater goes back at
	 * once, reset, to the next message on another connection.
	 */
	peer_t peers[NCONN];
	ws_server_t *s = start_server(0);
	open_peers(s, peers);
	/*
	 * Peer 0: a first frame of whole blocks (a sync flush, its tail kept), so
	 * the shared inflater waits at a block boundary; then a continuation
	 * whose byte 0xff starts a block of the reserved type 3: corrupt.
	 */
	static const char part[] = "c0:the first part of a message that never ends";
	peer_t *p = &peers[0];
	uint8_t comp[256], frame[300], key[4] = { 1, 2, 3, 4 };
	p->z.next_in = (Bytef *)(uintptr_t)part;
	p->z.avail_in = sizeof(part) - 1;
	p->z.next_out = comp;
	p->z.avail_out = sizeof(comp);
	CHECK_EQ_INT(deflate(&p->z, Z_SYNC_FLUSH), Z_OK);
	size_t n = sizeof(comp) - p->z.avail_out;
	size_t hl = ws_frame_encode_header(frame, 0, 1, WS_OPCODE_TEXT, n, key);
	memcpy(frame + hl, comp, n);
	ws_frame_mask(frame + hl, n, key, 0);
	CHECK_EQ_INT(write(p->fd, frame, hl + n), (long)(hl + n));
	ws_server_run_once(s, 0);
	CHECK(s->inflater_holder == p->conn);
	uint8_t junk[] = { 0x80, 0x82, 0, 0, 0, 0, 0xff, 0xff };
	CHECK_EQ_INT(write(p->fd, junk, sizeof(junk)), (long)sizeof(junk));
	ws_server_run_once(s, 0);
	CHECK(s->inflater_holder == NULL);
	p->conn = NULL; /* failed: it may be gone, do not look at it again */
	/* Peer 1 now gets the shared inflater, clean. */
	make_message(1, 0, 2500);
	queue_message(&peers[1], g_expect[1][0], g_expect_len[1][0], 3, 1);
	interleave(s, peers, 11);
	CHECK_EQ_INT(g_good[1], 1);
	CHECK_EQ_INT(g_bad, 0);
	close_peers(s, peers);
	ws_server_free(s);
}

static const test_case_t tests[] = {
	TEST(test_shared_inflater_interleaved),
	TEST(test_context_takeover_kept),
	TEST(test_holder_fails_mid_message),
};

TEST_MAIN("server pmd", tests)
