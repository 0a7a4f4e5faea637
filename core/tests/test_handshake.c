/*
 * test_handshake.c - tests for ws_handshake.c, ws_sha1.c and ws_base64.c.
 *
 * Every request vector is parsed whole and as every growing prefix (the
 * parser is stateless, so a prefix is exactly what it sees when bytes
 * trickle in), each time placed at the very end of a readable mapping that
 * is followed by a PROT_NONE page, so that reading one byte too far crashes
 * instead of passing by luck.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "test.h"
#include "../ws_handshake.h"

/* ---- guard-page buffers ---- */

#define GUARD_AREA (160 * 1024)

static char *guard_base;
static size_t guard_len;

/* Copies src[0..n) so that it ends exactly where an inaccessible page begins. */
static char *guarded(const void *src, size_t n)
{
	if (guard_base == NULL) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		char *m;

		guard_len = (GUARD_AREA + page - 1) / page * page;
		m = mmap(NULL, guard_len + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || mprotect(m + guard_len, page, PROT_NONE) != 0) {
			perror("mmap");
			exit(2);
		}
		guard_base = m;
	}
	if (n > guard_len) {
		fprintf(stderr, "guarded: %zu bytes do not fit\n", n);
		exit(2);
	}
	if (n > 0) {
		memcpy(guard_base + guard_len - n, src, n);
	}
	return guard_base + guard_len - n;
}

/* The bytes just before the guard page, as a writable output area of n bytes. */
static char *guarded_out(size_t n)
{
	guarded(NULL, 0);
	memset(guard_base + guard_len - n, '#', n);
	return guard_base + guard_len - n;
}

static int span_is(ws_span_t s, const char *z)
{
	return s.ptr != NULL && s.len == strlen(z) && memcmp(s.ptr, z, s.len) == 0;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- SHA-1 ---- */

static void test_sha1_fips(void)
{
	static const struct {
		const char *in;
		const char *digest;
	} v[] = {
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
			"84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
			"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
			"a49b2446a02c645bf419f995b67091253a04a259" },
	};
	uint8_t d[20];
	char h[41];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);
		ws_sha1((const uint8_t *)guarded(v[i].in, n), n, d);
		hex(d, 20, h);
		CHECK(strcmp(h, v[i].digest) == 0);
	}
	ws_sha1(NULL, 0, d);
	hex(d, 20, h);
	CHECK(strcmp(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709") == 0);
}

static void test_sha1_million(void)
{
	static uint8_t a[1000000];
	uint8_t d[20];
	char h[41];
	ws__sha1_ctx_t ctx;
	size_t off = 0, step = 1;

	memset(a, 'a', sizeof(a));
	ws_sha1(a, sizeof(a), d);
	hex(d, 20, h);
	CHECK(strcmp(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0);

	/* The same input in chunks of growing, block-unaligned sizes must give the same digest. */
	ws__sha1_init(&ctx);
	while (off < sizeof(a)) {
		size_t n = step < sizeof(a) - off ? step : sizeof(a) - off;
		ws__sha1_update(&ctx, a + off, n);
		off += n;
		step = step * 3 + 1;
		if (step > 5000) {
			step = 7;
		}
	}
	ws__sha1_final(&ctx, d);
	hex(d, 20, h);
	CHECK(strcmp(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0);
}

/* Lengths around the padding boundaries (55/56 bytes left in a block), one-shot and split at every offset. */
static void test_sha1_padding_boundaries(void)
{
	static const struct {
		size_t n;
		const char *digest;
	} v[] = {
		{ 55, "c1c8bbdc22796e28c0e15163d20899b65621d65a" },
		{ 56, "c2db330f6083854c99d4b5bfb6e8f29f201be699" },
		{ 57, "f08f24908d682555111be7ff6f004e78283d989a" },
		{ 63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5" },
		{ 64, "0098ba824b5c16427bd7a1122a5a442a25ec644d" },
		{ 65, "11655326c708d70319be2610e8a57d9a5b959d3b" },
		{ 119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56" },
		{ 120, "f34c1488385346a55709ba056ddd08280dd4c6d6" },
	};
	uint8_t a[128], d[20];
	char h[41];

	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ws_sha1(a, v[i].n, d);
		hex(d, 20, h);
		CHECK(strcmp(h, v[i].digest) == 0);
		for (size_t split = 0; split <= v[i].n; split++) {
			ws__sha1_ctx_t ctx;
			ws__sha1_init(&ctx);
			ws__sha1_update(&ctx, a, split);
			ws__sha1_update(&ctx, a + split, v[i].n - split);
			ws__sha1_final(&ctx, d);
			hex(d, 20, h);
			CHECK(strcmp(h, v[i].digest) == 0);
		}
	}
}

/* ---- base64 ---- */

static void test_base64_rfc4648(void)
{
	static const struct {
		const char *raw;
		const char *enc;
	} v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char enc[16];
	uint8_t dec[16];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].raw), en = strlen(v[i].enc);
		const char *in;

		CHECK_EQ_INT(WS_BASE64_LEN(n), en);
		memset(enc, '#', sizeof(enc));
		ws_base64_encode((const uint8_t *)v[i].raw, n, enc);
		CHECK_MEM(enc, v[i].enc, en);
		CHECK(enc[en] == '#');
		in = guarded(v[i].enc, en);
		CHECK_EQ_INT(ws_base64_decode(in, en, dec), n);
		CHECK_MEM(dec, v[i].raw, n);
	}
}

static void test_base64_all_bytes(void)
{
	uint8_t raw[256], dec[258];
	char enc[WS_BASE64_LEN(256)];

	for (int i = 0; i < 256; i++) {
		raw[i] = (uint8_t)i;
	}
	for (size_t n = 0; n <= 256; n++) {
		ws_base64_encode(raw, n, enc);
		CHECK_EQ_INT(ws_base64_decode(guarded(enc, WS_BASE64_LEN(n)), WS_BASE64_LEN(n), dec), n);
		CHECK_MEM(dec, raw, n);
	}
}

static void test_base64_bad(void)
{
	static const char *bad[] = {
		"Zg",           /* length not a multiple of 4 */
		"Zg=",
		"Zm9vY",
		"Zh==",         /* non-canonical: unused bits not zero */
		"Zm9=",
		"Zg==Zg==",     /* padding before the end */
		"Z===",         /* too much padding */
		"====",
		"=Zg=",
		"Zg=a",
		"Zm9v YmFy",    /* whitespace */
		"Zm9v\nYmFy",
		"Zm9-",         /* URL-safe alphabet */
		"Zm9_",
		"Zm9\x80",      /* non-ASCII */
		"Zm\0v",        /* NUL */
	};
	uint8_t dec[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* "Zm\0v" needs its length spelled out; every other entry is a plain string. */
		size_t n = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 4 : strlen(bad[i]);
		CHECK_EQ_INT(ws_base64_decode(guarded(bad[i], n), n, dec), -1);
	}
}

/* ---- accept key ---- */

static void test_accept(void)
{
	char out[WS_ACCEPT_KEY_LEN + 1];
	char longkey[200];

	out[WS_ACCEPT_KEY_LEN] = '#';
	ws_handshake_accept(guarded("dGhlIHNhbXBsZSBub25jZQ==", 24), 24, out);
	CHECK_MEM(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WS_ACCEPT_KEY_LEN);
	CHECK(out[WS_ACCEPT_KEY_LEN] == '#');

	ws_handshake_accept("", 0, out);
	CHECK_MEM(out, "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=", WS_ACCEPT_KEY_LEN);
	/* Keys longer than a SHA-1 block must work too: the API does not limit key_len. */
	memset(longkey, 'x', sizeof(longkey));
	ws_handshake_accept(longkey, sizeof(longkey), out);
	CHECK_MEM(out, "2/xdrRDawKrkzT3zWJGBWn134JI=", WS_ACCEPT_KEY_LEN);
}

/* ---- request vectors ---- */

#define RL   "GET /chat HTTP/1.1\r\n"
#define HOST "Host: server.example.com\r\n"
#define UPG  "Upgrade: websocket\r\n"
#define CONN "Connection: Upgrade\r\n"
#define KEY  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define VER  "Sec-WebSocket-Version: 13\r\n"
#define GOOD_TAIL HOST UPG CONN KEY VER "\r\n"

/* S() gives a literal and its length, so that vectors may contain NUL bytes. */
#define S(lit) lit, sizeof(lit) - 1

typedef struct req_vec {
	const char *name;
	const char *text;
	size_t len;
	int parse_rc;     /* 0: the whole vector is one complete head; else the parser's error */
	int early;        /* the parse error shows up in a proper prefix already: 1 before the head
	                   * is complete, 2 before the request line's LF has arrived */
	int validate_rc;  /* when parse_rc == 0: what ws_handshake_validate returns */
	int status;       /* HTTP status for the resulting error (0 when valid) */
	size_t nprot;     /* when valid: number of offered subprotocols */
} req_vec_t;

/* Also used on their own by test_request_fields. */
static const char repeated_protocols[] = RL HOST UPG CONN KEY VER
	"Sec-WebSocket-Protocol: chat\r\nX-Other: 1\r\nsec-websocket-protocol: superchat, v2.bin\r\n\r\n";
static const char two_origins[] = RL HOST UPG CONN KEY VER "Origin: http://a\r\nOrigin: http://b\r\n\r\n";

static const req_vec_t req_vectors[] = {
	/* valid upgrades */
	{ "rfc6455 sample", S("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n"), 0, 0, 0, 0, 2 },
	{ "odd case names", S("GET /chat HTTP/1.1\r\nhOsT: a\r\nUPGRADE: websocket\r\nconnection: upgrade\r\n"
		"SEC-WEBSOCKET-KEY: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"), 0, 0, 0, 0, 0 },
	{ "keep-alive, Upgrade + WebSocket", S(RL HOST "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
		KEY VER "\r\n"), 0, 0, 0, 0, 0 },
	{ "connection in two headers", S(RL HOST UPG "Connection: keep-alive\r\nConnection:Upgrade\r\n"
		KEY VER "\r\n"), 0, 0, 0, 0, 0 },
	{ "token list whitespace", S(RL HOST "Upgrade: h2c ,\twebsocket \r\nConnection: ,Upgrade,\r\n"
		KEY VER "\r\n"), 0, 0, 0, 0, 0 },
	{ "repeated protocol headers", repeated_protocols, sizeof(repeated_protocols) - 1, 0, 0, 0, 0, 3 },
	{ "bare LF", S("GET /chat HTTP/1.1\nHost: a\nUpgrade: websocket\nConnection: Upgrade\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n"), 0, 0, 0, 0, 0 },
	{ "mixed line ends", S("GET /chat HTTP/1.1\nHost: a\r\nUpgrade: websocket\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\r\n"), 0, 0, 0, 0, 0 },
	{ "leading empty lines", S("\r\n\nGET /chat HTTP/1.1\r\n" GOOD_TAIL), 0, 0, 0, 0, 0 },
	{ "absolute-form", S("GET http://server.example.com/chat?x=1 HTTP/1.1\r\n" GOOD_TAIL), 0, 0, 0, 0, 0 },
	{ "HTTP/1.2", S("GET /chat HTTP/1.2\r\n" GOOD_TAIL), 0, 0, 0, 0, 0 },
	{ "value whitespace trimmed", S(RL HOST UPG CONN "Sec-WebSocket-Key:\t dGhlIHNhbXBsZSBub25jZQ== \t\r\n"
		"Sec-WebSocket-Version:13  \r\n\r\n"), 0, 0, 0, 0, 0 },
	{ "content-length 0", S(RL HOST UPG CONN KEY VER "Content-Length: 0\r\n\r\n"), 0, 0, 0, 0, 0 },
	{ "empty protocol elements", S(RL HOST UPG CONN KEY VER "Sec-WebSocket-Protocol: , chat,,\r\n"
		"Sec-WebSocket-Protocol:\r\n\r\n"), 0, 0, 0, 0, 1 },
	{ "obs-text and empty values", S(RL HOST UPG CONN KEY VER "X-Name: caf\xc3\xa9\r\nX-Empty:\r\n\r\n"),
		0, 0, 0, 0, 0 },

	/* request-line errors: detected as soon as the bad byte arrives, before the line end */
	{ "HTTP/1.0", S("GET /chat HTTP/1.0\r\n" GOOD_TAIL), 0, 0, WS_ERR_HTTP_VERSION, 400, 0 },
	{ "HTTP/2.0", S("GET /chat HTTP/2.0\r\n" GOOD_TAIL), 0, 0, WS_ERR_HTTP_VERSION, 400, 0 },
	{ "POST", S("POST /chat HTTP/1.1\r\n" GOOD_TAIL), 0, 0, WS_ERR_HTTP_METHOD, 405, 0 },
	{ "lowercase get", S("get /chat HTTP/1.1\r\n" GOOD_TAIL), 0, 0, WS_ERR_HTTP_METHOD, 405, 0 },
	{ "double space", S("GET  /chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "trailing space", S("GET /chat HTTP/1.1 \r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "leading space", S(" GET /chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "tab separator", S("GET\t/chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "no version", S("GET /chat\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "lowercase version", S("GET /chat http/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "HTTP/11.1", S("GET /chat HTTP/11.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "HTTP/1.10", S("GET /chat HTTP/1.10\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "HTTX", S("GET /chat HTTX/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "relative target", S("GET chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "ftp target", S("GET ftp://a/chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "no authority", S("GET http:///chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "star with more", S("GET *x HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "NUL in request line", S("GET /ch\0at HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "NUL in method", S("GE\0 /chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "bare CR in request line", S("GET /chat HTTP/1.1\rX\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "bare CR before request", S("\rGET /chat HTTP/1.1\r\n" GOOD_TAIL), WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },
	{ "TLS client hello", S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
		WS_ERR_HTTP_MALFORMED, 2, 0, 400, 0 },

	/* header errors: found when the head is complete */
	{ "header without colon", S(RL HOST UPG "Connection Upgrade\r\n" KEY VER "\r\n"),
		WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "space before colon", S(RL HOST UPG "Connection : Upgrade\r\n" KEY VER "\r\n"),
		WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "empty name", S(RL HOST UPG CONN ": x\r\n" KEY VER "\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "obs-fold", S(RL HOST UPG CONN KEY VER "X-A: b\r\n c\r\n\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "obs-fold tab first", S(RL "\tHost: a\r\n" UPG CONN KEY VER "\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "NUL in value", S(RL HOST UPG CONN KEY VER "X-A: b\0c\r\n\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "NUL in name", S(RL HOST UPG CONN KEY VER "X-\0: b\r\n\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "control byte in value", S(RL HOST UPG CONN KEY VER "X-A: b\x01\r\n\r\n"),
		WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "DEL in value", S(RL HOST UPG CONN KEY VER "X-A: b\x7f\r\n\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "bare CR in value", S(RL HOST UPG CONN KEY VER "X-A: b\rc\r\n\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "CR CR LF", S(RL HOST UPG CONN KEY VER "X-A: b\r\r\n\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },
	{ "separator in name", S(RL HOST UPG CONN KEY VER "X(A): b\r\n\r\n"), WS_ERR_HTTP_MALFORMED, 0, 0, 400, 0 },

	/* validation errors */
	{ "missing Host", S(RL UPG CONN KEY VER "\r\n"), 0, 0, WS_ERR_HTTP_NO_HOST, 400, 0 },
	{ "two Hosts", S(RL HOST HOST UPG CONN KEY VER "\r\n"), 0, 0, WS_ERR_HTTP_MALFORMED, 400, 0 },
	{ "missing Upgrade", S(RL HOST CONN KEY VER "\r\n"), 0, 0, WS_ERR_HTTP_NOT_UPGRADE, 400, 0 },
	{ "Upgrade h2c", S(RL HOST "Upgrade: h2c\r\n" CONN KEY VER "\r\n"), 0, 0, WS_ERR_HTTP_NOT_UPGRADE, 400, 0 },
	{ "Upgrade websocketx", S(RL HOST "Upgrade: websocketx\r\n" CONN KEY VER "\r\n"),
		0, 0, WS_ERR_HTTP_NOT_UPGRADE, 400, 0 },
	{ "missing Connection", S(RL HOST UPG KEY VER "\r\n"), 0, 0, WS_ERR_HTTP_NOT_UPGRADE, 400, 0 },
	{ "Connection close", S(RL HOST UPG "Connection: close\r\n" KEY VER "\r\n"),
		0, 0, WS_ERR_HTTP_NOT_UPGRADE, 400, 0 },
	{ "missing version", S(RL HOST UPG CONN KEY "\r\n"), 0, 0, WS_ERR_WS_VERSION, 426, 0 },
	{ "version 8", S(RL HOST UPG CONN KEY "Sec-WebSocket-Version: 8\r\n\r\n"), 0, 0, WS_ERR_WS_VERSION, 426, 0 },
	{ "version 13, 8", S(RL HOST UPG CONN KEY "Sec-WebSocket-Version: 13, 8\r\n\r\n"),
		0, 0, WS_ERR_WS_VERSION, 426, 0 },
	{ "version 013", S(RL HOST UPG CONN KEY "Sec-WebSocket-Version: 013\r\n\r\n"), 0, 0, WS_ERR_WS_VERSION, 426, 0 },
	{ "two versions", S(RL HOST UPG CONN KEY VER VER "\r\n"), 0, 0, WS_ERR_WS_VERSION, 426, 0 },
	{ "missing key", S(RL HOST UPG CONN VER "\r\n"), 0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "15-byte key", S(RL HOST UPG CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0O\r\n" VER "\r\n"),
		0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "17-byte key", S(RL HOST UPG CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODxA=\r\n" VER "\r\n"),
		0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "key bad char", S(RL HOST UPG CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ!==\r\n" VER "\r\n"),
		0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "key non-canonical", S(RL HOST UPG CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n" VER "\r\n"),
		0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "key unpadded", S(RL HOST UPG CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" VER "\r\n"),
		0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "key with inner space", S(RL HOST UPG CONN "Sec-WebSocket-Key: dGhlIHNhbXBs ZSBub25jZQ==\r\n" VER "\r\n"),
		0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "two keys", S(RL HOST UPG CONN KEY KEY VER "\r\n"), 0, 0, WS_ERR_WS_KEY, 400, 0 },
	{ "content-length 5", S(RL HOST UPG CONN KEY VER "Content-Length: 5\r\n\r\n"), 0, 0, WS_ERR_HTTP_BODY, 400, 0 },
	{ "content-length empty", S(RL HOST UPG CONN KEY VER "Content-Length:\r\n\r\n"), 0, 0, WS_ERR_HTTP_BODY, 400, 0 },
	{ "chunked", S(RL HOST UPG CONN KEY VER "Transfer-Encoding: chunked\r\n\r\n"), 0, 0, WS_ERR_HTTP_BODY, 400, 0 },
	{ "protocol not a token", S(RL HOST UPG CONN KEY VER "Sec-WebSocket-Protocol: chat, super chat\r\n\r\n"),
		0, 0, WS_ERR_HTTP_MALFORMED, 400, 0 },
	{ "protocol with separator", S(RL HOST UPG CONN KEY VER "Sec-WebSocket-Protocol: chat;v=1\r\n\r\n"),
		0, 0, WS_ERR_HTTP_MALFORMED, 400, 0 },
	{ "two Origins", two_origins, sizeof(two_origins) - 1, 0, 0, WS_ERR_HTTP_MALFORMED, 400, 0 },
};


/*
 * Parses v in every prefix and whole, all at the end of a guarded page,
 * then validates it.  max_head is the default unless given.
 */
static void run_vector(const req_vec_t *v, size_t max_head)
{
	static ws_http_request_t req;
	ws_handshake_t hs;
	size_t limit = v->len, first_err = 0;
	int rc, final;

	final = ws_http_parse_request(&req, guarded(v->text, v->len), v->len, max_head);
	CHECK_EQ_INT(final, v->parse_rc == 0 ? (int)v->len : v->parse_rc);
	if (final != (v->parse_rc == 0 ? (int)v->len : v->parse_rc)) {
		fprintf(stderr, "  vector: %s\n", v->name);
	}

	/* Past max_head the parser no longer looks at new bytes; a few more prefixes prove it. */
	if (limit > max_head + 64) {
		limit = max_head + 64;
	}
	for (size_t k = 0; k < limit; k++) {
		rc = ws_http_parse_request(&req, guarded(v->text, k), k, max_head);
		if (first_err == 0 && rc != WS_ERR_AGAIN) {
			first_err = k;
			/* Only an early error may appear before the end, and it must be the final answer. */
			CHECK(v->early);
			CHECK_EQ_INT(rc, final);
			if (!v->early || rc != final) {
				fprintf(stderr, "  vector: %s, prefix %zu gives %d\n", v->name, k, rc);
			}
		} else if (first_err != 0) {
			/* Once an error is reported, every longer prefix reports the same one. */
			CHECK_EQ_INT(rc, final);
		}
	}
	if (v->early) {
		const char *lf = memchr(v->text, '\n', v->len);
		size_t bound = v->early == 2 && lf != NULL ? (size_t)(lf - v->text) : v->len - 1;

		CHECK(first_err != 0 && first_err <= bound);
		if (first_err == 0 || first_err > bound) {
			fprintf(stderr, "  vector: %s was not detected early (%zu)\n", v->name, first_err);
		}
	}

	if (v->parse_rc != 0) {
		CHECK_EQ_INT(ws_error_http_status(v->parse_rc), v->status);
		return;
	}
	rc = ws_http_parse_request(&req, guarded(v->text, v->len), v->len, max_head);
	CHECK_EQ_INT(rc, v->len);
	CHECK_EQ_INT(req.head_len, v->len);
	rc = ws_handshake_validate(&req, &hs);
	CHECK_EQ_INT(rc, v->validate_rc);
	if (rc != v->validate_rc) {
		fprintf(stderr, "  vector: %s\n", v->name);
	}
	if (rc == 0) {
		CHECK_EQ_INT(ws_handshake_is_upgrade(&req), 1);
		CHECK_EQ_INT(hs.num_protocols, v->nprot);
		CHECK(hs.key.len == 24);
		CHECK(hs.host.ptr != NULL);
	} else {
		CHECK_EQ_INT(ws_error_http_status(rc), v->status);
	}
}

static void test_request_table(void)
{
	for (size_t i = 0; i < sizeof(req_vectors) / sizeof(req_vectors[0]); i++) {
		run_vector(&req_vectors[i], WS_HTTP_DEFAULT_MAX_HEAD);
	}
}

static void test_request_fields(void)
{
	static ws_http_request_t req;
	ws_handshake_t hs;
	const req_vec_t *v = &req_vectors[0];
	const char *buf = guarded(v->text, v->len);
	size_t idx;
	ws_span_t s;

	CHECK_EQ_INT(ws_http_parse_request(&req, buf, v->len, 0), v->len);
	CHECK(span_is(req.method, "GET"));
	CHECK(span_is(req.target, "/chat"));
	CHECK(span_is(req.path, "/chat"));
	CHECK_EQ_INT(req.query.len, 0);
	CHECK_EQ_INT(req.version_major, 1);
	CHECK_EQ_INT(req.version_minor, 1);
	CHECK_EQ_INT(req.num_headers, 7);
	CHECK(span_is(req.headers[0].name, "Host"));
	CHECK(span_is(req.headers[0].value, "server.example.com"));
	CHECK_EQ_INT(ws_handshake_validate(&req, &hs), 0);
	CHECK(span_is(hs.key, "dGhlIHNhbXBsZSBub25jZQ=="));
	CHECK(span_is(hs.host, "server.example.com"));
	CHECK(span_is(hs.origin, "http://example.com"));
	CHECK_EQ_INT(hs.num_protocols, 2);
	CHECK(span_is(hs.protocols[0], "chat"));
	CHECK(span_is(hs.protocols[1], "superchat"));
	CHECK_EQ_INT(hs.num_extensions_raw, 0);

	s = ws_http_header_get(&req, "sec-websocket-KEY", 0, &idx);
	CHECK(span_is(s, "dGhlIHNhbXBsZSBub25jZQ=="));
	CHECK_EQ_INT(idx, 3);
	s = ws_http_header_get(&req, "Sec-WebSocket-Key", idx + 1, &idx);
	CHECK(s.ptr == NULL && s.len == 0);
	CHECK_EQ_INT(idx, req.num_headers);
	CHECK(ws_http_header_get(&req, "Hos", 0, NULL).ptr == NULL);
	CHECK(ws_http_header_get(&req, "Hostt", 0, NULL).ptr == NULL);

	/* Repeated headers, iterated with start = index + 1. */
	buf = guarded(repeated_protocols, sizeof(repeated_protocols) - 1);
	CHECK_EQ_INT(ws_http_parse_request(&req, buf, sizeof(repeated_protocols) - 1, 0),
		sizeof(repeated_protocols) - 1);
	s = ws_http_header_get(&req, "Sec-WebSocket-Protocol", 0, &idx);
	CHECK(span_is(s, "chat"));
	s = ws_http_header_get(&req, "Sec-WebSocket-Protocol", idx + 1, &idx);
	CHECK(span_is(s, "superchat, v2.bin"));
	CHECK(span_is(req.headers[idx].name, "sec-websocket-protocol"));
	CHECK(ws_http_header_get(&req, "Sec-WebSocket-Protocol", idx + 1, NULL).ptr == NULL);
	CHECK_EQ_INT(ws_handshake_validate(&req, &hs), 0);
	CHECK_EQ_INT(hs.num_protocols, 3);
	CHECK(span_is(hs.protocols[2], "v2.bin"));
	CHECK(hs.origin.ptr == NULL);
	CHECK_EQ_INT(ws_http_header_has_token(&req, "sec-websocket-protocol", "V2.BIN"), 1);
	CHECK_EQ_INT(ws_http_header_has_token(&req, "Sec-WebSocket-Protocol", "v2"), 0);
	CHECK_EQ_INT(ws_http_header_has_token(&req, "X-Missing", "v2"), 0);
}

static void test_request_targets(void)
{
	static const struct {
		const char *line;
		const char *path;
		const char *query;
	} v[] = {
		{ "GET /chat?room=1&x HTTP/1.1\r\n\r\n", "/chat", "room=1&x" },
		{ "GET /? HTTP/1.1\r\n\r\n", "/", "" },
		{ "GET / HTTP/1.1\r\n\r\n", "/", "" },
		{ "GET /a?b?c HTTP/1.1\r\n\r\n", "/a", "b?c" },
		{ "GET * HTTP/1.1\r\n\r\n", "*", "" },
		{ "GET http://h:80/x/y?q=1 HTTP/1.1\r\n\r\n", "/x/y", "q=1" },
		{ "GET HTTPS://h/x HTTP/1.1\r\n\r\n", "/x", "" },
		{ "GET http://h HTTP/1.1\r\n\r\n", "", "" },
		{ "GET http://h?q HTTP/1.1\r\n\r\n", "", "q" },
		{ "OPTIONS /%7e\xc3\xa9 HTTP/1.1\r\n\r\n", "/%7e\xc3\xa9", "" },
	};
	static ws_http_request_t req;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].line);
		const char *buf = guarded(v[i].line, n);

		CHECK_EQ_INT(ws_http_parse_request(&req, buf, n, 0), n);
		CHECK(req.path.len == strlen(v[i].path) && memcmp(req.path.ptr, v[i].path, req.path.len) == 0);
		CHECK(req.query.len == strlen(v[i].query) && memcmp(req.query.ptr, v[i].query, req.query.len) == 0);
		/* Even empty spans point into the buffer. */
		CHECK(req.path.ptr >= buf && req.path.ptr + req.path.len <= buf + n);
		CHECK(req.query.ptr >= buf && req.query.ptr + req.query.len <= buf + n);
		CHECK_EQ_INT(req.num_headers, 0);
	}
}

/* A 64 KiB header never completes within the default limit: 431 once max_head bytes are there. */
static void test_request_too_large(void)
{
	static char big[64 * 1024 + 256];
	req_vec_t v = { "64 KiB header", big, 0, WS_ERR_HTTP_HEADERS_TOO_LARGE, 1, 0, 431, 0 };
	static ws_http_request_t req;
	size_t n = 0;
	const char *head = RL HOST UPG CONN KEY VER "X-Big: ";

	memcpy(big, head, strlen(head));
	n = strlen(head);
	memset(big + n, 'a', 64 * 1024);
	n += 64 * 1024;
	memcpy(big + n, "\r\n\r\n", 4);
	n += 4;
	v.len = n;
	run_vector(&v, WS_HTTP_DEFAULT_MAX_HEAD);
	/* With a large enough limit the same request is fine. */
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(big, n), n, 128 * 1024), n);

	/* A head of exactly max_head bytes fits; one byte less of limit does not. */
	n = strlen(RL GOOD_TAIL);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(RL GOOD_TAIL, n), n, n), n);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(RL GOOD_TAIL, n), n, n - 1), WS_ERR_HTTP_HEADERS_TOO_LARGE);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(RL GOOD_TAIL, n - 1), n - 1, n - 1),
		WS_ERR_HTTP_HEADERS_TOO_LARGE);
	/* Bytes after the head (a pipelined first frame) are not part of it. */
	memcpy(big, RL GOOD_TAIL "\x81\x85", n + 2);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(big, n + 2), n + 2, 0), n);
	/* An unfinished request line longer than the limit is too large, not malformed. */
	memset(big, 'a', 100);
	memcpy(big, "GET /", 5);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(big, 100), 100, 64), WS_ERR_HTTP_HEADERS_TOO_LARGE);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(big, 63), 63, 64), WS_ERR_AGAIN);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded("", 0), 0, 0), WS_ERR_AGAIN);
}

static void test_request_header_count(void)
{
	static char buf[8192];
	static ws_http_request_t req;
	ws_handshake_t hs;
	size_t n;
	req_vec_t v = { "64 headers", buf, 0, 0, 0, 0, 0, 0 };

	/* 5 required headers plus 59 others: exactly the maximum. */
	n = (size_t)sprintf(buf, "%s", RL HOST UPG CONN KEY VER);
	for (int i = 0; i < WS_HTTP_MAX_HEADERS - 5; i++) {
		n += (size_t)sprintf(buf + n, "X-H%d: %d\r\n", i, i);
	}
	memcpy(buf + n, "\r\n", 2);
	v.len = n + 2;
	run_vector(&v, WS_HTTP_DEFAULT_MAX_HEAD);
	CHECK_EQ_INT(ws_http_parse_request(&req, guarded(buf, v.len), v.len, 0), v.len);
	CHECK_EQ_INT(req.num_headers, WS_HTTP_MAX_HEADERS);
	CHECK_EQ_INT(ws_handshake_validate(&req, &hs), 0);

	n += (size_t)sprintf(buf + n, "X-One-More: 1\r\n\r\n");
	v.name = "65 headers";
	v.len = n;
	v.parse_rc = WS_ERR_HTTP_TOO_MANY_HEADERS;
	v.status = 431;
	run_vector(&v, WS_HTTP_DEFAULT_MAX_HEAD);
}

/* ---- Sec-WebSocket-Extensions ---- */

/* Writes offers as "name[p,p=v]|name" for compact comparison. */
static void ext_dump(const ws_ext_offer_t *o, int n, char *out)
{
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i > 0) {
			strcat(out, "|");
		}
		strncat(out, o[i].name.ptr, o[i].name.len);
		if (o[i].num_params > 0) {
			strcat(out, "[");
			for (size_t j = 0; j < o[i].num_params; j++) {
				if (j > 0) {
					strcat(out, ",");
				}
				strncat(out, o[i].params[j].name.ptr, o[i].params[j].name.len);
				if (o[i].params[j].value.ptr != NULL) {
					strcat(out, "=");
					strncat(out, o[i].params[j].value.ptr, o[i].params[j].value.len);
				}
			}
			strcat(out, "]");
		}
	}
}

static void test_extensions(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *dump;
	} v[] = {
		{ "permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=10", 2,
			"permessage-deflate[client_max_window_bits]|permessage-deflate[server_max_window_bits=10]" },
		{ "permessage-deflate", 1, "permessage-deflate" },
		{ "permessage-deflate;server_no_context_takeover;client_no_context_takeover", 1,
			"permessage-deflate[server_no_context_takeover,client_no_context_takeover]" },
		{ "permessage-deflate; server_max_window_bits=\"10\"", 1, "permessage-deflate[server_max_window_bits=10]" },
		{ "x ; a = \"b\" ; c\t=\td ,\ty", 2, "x[a=b,c=d]|y" },
		{ "foo, , bar,", 2, "foo|bar" },
		{ "", 0, "" },
		{ " \t ", 0, "" },
		{ ",,", 0, "" },
		{ "a;p1;p2;p3;p4;p5;p6;p7;p8", 1, "a[p1,p2,p3,p4,p5,p6,p7,p8]" },
		{ "a, b, c, d, e", 4, "a|b|c|d" },                  /* only max (4) are kept */
		{ "permessage-deflate;", WS_ERR_HTTP_MALFORMED, NULL },
		{ "; a", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;=1", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=\"\"", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=\"1\\0\"", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=\"1 0\"", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=\"10", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=\"10\"x", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=c d", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b==c", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a b", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a=b", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b;", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;p1;p2;p3;p4;p5;p6;p7;p8;p9", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a, b, c, d, e;", WS_ERR_HTTP_MALFORMED, NULL },  /* dropped offers are still checked */
		{ "\"a\"", WS_ERR_HTTP_MALFORMED, NULL },
		{ "a;b=c\x01", WS_ERR_HTTP_MALFORMED, NULL },
	};
	ws_ext_offer_t offers[4];
	char dump[512];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);
		int rc = ws_handshake_parse_extensions(guarded(v[i].in, n), n, offers, 4);

		CHECK_EQ_INT(rc, v[i].rc);
		if (rc != v[i].rc) {
			fprintf(stderr, "  extensions: '%s'\n", v[i].in);
		}
		if (rc >= 0 && v[i].dump != NULL) {
			ext_dump(offers, rc, dump);
			CHECK(strcmp(dump, v[i].dump) == 0);
			if (strcmp(dump, v[i].dump) != 0) {
				fprintf(stderr, "  got '%s', want '%s'\n", dump, v[i].dump);
			}
		}
		/* Validation alone (max 0, no array) must reach the same verdict. */
		rc = ws_handshake_parse_extensions(guarded(v[i].in, n), n, NULL, 0);
		CHECK_EQ_INT(rc, v[i].rc < 0 ? v[i].rc : 0);
	}
}

/* ---- responses ---- */

/*
 * Checks that every cap below the needed size returns that size and writes
 * nothing, with the output area ending at the guard page.  call must use
 * sc_out and sc_cap as its buffer and capacity.
 */
#define CHECK_SMALL_CAPS(call, need) do { \
	for (size_t sc_cap = 0; sc_cap < (need); sc_cap++) { \
		char *sc_out = guarded_out(sc_cap); \
		CHECK_EQ_INT((call), (need)); \
		for (size_t sc_j = 0; sc_j < sc_cap; sc_j++) { \
			if (sc_out[sc_j] != '#') { \
				CHECK(sc_out[sc_j] == '#'); \
				break; \
			} \
		} \
	} \
} while (0)

static void test_handshake_response(void)
{
	static const char exp1[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	static const char exp2[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n"
		"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
		"Server: test\r\nX-A: b\r\n\r\n";
	const char *accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
	const char *ext = "permessage-deflate; server_no_context_takeover";
	const char *extra = "Server: test\r\nX-A: b\r\n";
	size_t n;
	char *out;

	out = guarded_out(sizeof(exp1) - 1);
	n = ws_handshake_response(out, sizeof(exp1) - 1, accept, NULL, 0, NULL, 0, NULL, 0);
	CHECK_EQ_INT(n, sizeof(exp1) - 1);
	CHECK_MEM(out, exp1, sizeof(exp1) - 1);
	/* Empty strings are omitted like NULL ones. */
	n = ws_handshake_response(out, sizeof(exp1) - 1, accept, "", 0, "", 0, "", 0);
	CHECK_EQ_INT(n, sizeof(exp1) - 1);
	CHECK_MEM(out, exp1, sizeof(exp1) - 1);
	CHECK_EQ_INT(ws_handshake_response(NULL, 0, accept, NULL, 0, NULL, 0, NULL, 0), sizeof(exp1) - 1);
	CHECK_SMALL_CAPS(ws_handshake_response(sc_out, sc_cap, accept, NULL, 0, NULL, 0, NULL, 0), sizeof(exp1) - 1);

	out = guarded_out(sizeof(exp2) - 1);
	n = ws_handshake_response(out, sizeof(exp2) - 1, accept, "chat", 4, ext, strlen(ext), extra, strlen(extra));
	CHECK_EQ_INT(n, sizeof(exp2) - 1);
	CHECK_MEM(out, exp2, sizeof(exp2) - 1);
	CHECK_SMALL_CAPS(ws_handshake_response(sc_out, sc_cap, accept, "chat", 4, ext, strlen(ext), extra, strlen(extra)),
		sizeof(exp2) - 1);
	/* A bigger buffer than needed is fine and gets the same bytes. */
	out = guarded_out(sizeof(exp2) + 10);
	n = ws_handshake_response(out, sizeof(exp2) + 10, accept, "chat", 4, ext, strlen(ext), extra, strlen(extra));
	CHECK_EQ_INT(n, sizeof(exp2) - 1);
	CHECK_MEM(out, exp2, sizeof(exp2) - 1);
}

static void test_http_response(void)
{
	static const struct {
		int status;
		const char *extra;
		const char *body;
		int close;
		int head_only;
		const char *expect;
	} v[] = {
		{ 400, NULL, "bad request\n", 1, 0,
			"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n"
			"Connection: close\r\n\r\nbad request\n" },
		{ 426, NULL, "", 1, 0,
			"HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n"
			"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n" },
		{ 405, "Allow: GET\r\n", "no", 0, 0,
			"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"Content-Length: 2\r\n\r\nno" },
		{ 200, "X-A: 1\r\ncontent-TYPE: text/html\r\n", "<p>hi</p>", 0, 0,
			"HTTP/1.1 200 OK\r\nX-A: 1\r\ncontent-TYPE: text/html\r\nContent-Length: 9\r\n\r\n<p>hi</p>" },
		{ 200, "X-Content-Type: a\r\n", "hi", 0, 1,
			"HTTP/1.1 200 OK\r\nX-Content-Type: a\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"Content-Length: 2\r\n\r\n" },
		{ 431, NULL, NULL, 1, 0,
			"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
			"Content-Length: 0\r\nConnection: close\r\n\r\n" },
		{ 599, NULL, "x", 0, 0,
			"HTTP/1.1 599 Unknown\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 1\r\n\r\nx" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t need = strlen(v[i].expect);
		size_t extra_len = v[i].extra != NULL ? strlen(v[i].extra) : 0;
		size_t body_len = v[i].body != NULL ? strlen(v[i].body) : 0;
		char *out = guarded_out(need);
		size_t n = ws_http_response(out, need, v[i].status, v[i].extra, extra_len,
			v[i].body, body_len, v[i].close, v[i].head_only);

		CHECK_EQ_INT(n, need);
		CHECK_MEM(out, v[i].expect, need);
		if (n != need || memcmp(out, v[i].expect, need) != 0) {
			fprintf(stderr, "  http response %zu: got '%.*s'\n", i, (int)(n < need ? n : need), out);
		}
		CHECK_EQ_INT(ws_http_response(NULL, 0, v[i].status, v[i].extra, extra_len,
			v[i].body, body_len, v[i].close, v[i].head_only), need);
		CHECK_SMALL_CAPS(ws_http_response(sc_out, sc_cap, v[i].status, v[i].extra, extra_len,
			v[i].body, body_len, v[i].close, v[i].head_only), need);
	}
}

/* The error codes of this module map to the statuses the server answers with. */
static void test_error_statuses(void)
{
	CHECK_EQ_INT(ws_error_http_status(WS_ERR_HTTP_MALFORMED), 400);
	CHECK_EQ_INT(ws_error_http_status(WS_ERR_HTTP_HEADERS_TOO_LARGE), 431);
	CHECK_EQ_INT(ws_error_http_status(WS_ERR_HTTP_TOO_MANY_HEADERS), 431);
	CHECK_EQ_INT(ws_error_http_status(WS_ERR_HTTP_METHOD), 405);
	CHECK_EQ_INT(ws_error_http_status(WS_ERR_WS_VERSION), 426);
	CHECK_EQ_INT(ws_error_http_status(WS_ERR_WS_KEY), 400);
	CHECK_EQ_INT(ws_error_http_status(WS_ERR_HTTP_BODY), 400);
}

static const test_case_t tests[] = {
	TEST(test_sha1_fips),
	TEST(test_sha1_million),
	TEST(test_sha1_padding_boundaries),
	TEST(test_base64_rfc4648),
	TEST(test_base64_all_bytes),
	TEST(test_base64_bad),
	TEST(test_accept),
	TEST(test_request_table),
	TEST(test_request_fields),
	TEST(test_request_targets),
	TEST(test_request_too_large),
	TEST(test_request_header_count),
	TEST(test_extensions),
	TEST(test_handshake_response),
	TEST(test_http_response),
	TEST(test_error_statuses),
};

TEST_MAIN("handshake", tests)
