/*
 * test_frame.c - tests of the RFC 6455 frame codec (../frame.c).
 *
 * Every vector is parsed whole, one byte at a time, split in two at every
 * offset (sampled offsets for the 64 KiB ones) and again with every callback
 * pausing; each run's event log must match.  Every feed hands the parser a
 * copy of its bytes that ends right where a PROT_NONE page begins, so a read
 * past the end of the buffer faults at once (the picohttpparser trick).
 *
 * The event log is a string: "B<opcode>c<compressed>;" for a message begin,
 * "E<bytes of data so far>;" for its end, "C<opcode>:<code>:<payload>;" for
 * a control frame, and "!<error>@<offset>" when the parser fails.  The data
 * of all messages is gathered separately, so the log does not depend on how
 * the payload was cut into on_message_data calls.
 *
 * Every run is made three times: with borrowed spans only, with storage of
 * the test's (on_frame_buffer) for large single-frame messages, and with that
 * storage filled directly (ws_frame_parser_payload_dest: the bytes of the
 * chunk that belong to the frame's payload are copied straight there, as a
 * recv would, and fed from there).  The logs must not differ.
 */
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../ws_error.h"
#include "../ws_frame.h"
#include "test.h"

#include "frame_rec.h"

/* ---- vectors ------------------------------------------------------------ */

#define CLIENT { WS_ROLE_CLIENT, 0, 0, 0 }
#define SERVER { WS_ROLE_SERVER, 0, 0, 0 }
#define CLIENT_RSV1 { WS_ROLE_CLIENT, 1, 0, 0 }

typedef struct vec {
	const char *name;
	cfg_t cfg;
	const char *hex;
	const char *log;
	const char *data; /* hex */
} vec_t;

static const vec_t good[] = {
	/* RFC 6455 section 5.7. */
	{ "rfc unmasked Hello", CLIENT, "81 05 48656c6c6f", "B1c0;E5;", "48656c6c6f" },
	{ "rfc masked Hello", SERVER, "81 85 37fa213d 7f9f4d5158", "B1c0;E5;", "48656c6c6f" },
	{ "rfc fragmented Hel lo", CLIENT, "01 03 48656c 80 02 6c6f", "B1c0;E5;", "48656c6c6f" },
	{ "rfc unmasked ping", CLIENT, "89 05 48656c6c6f", "C9:0:Hello;", "" },
	{ "rfc masked pong", SERVER, "8a 85 37fa213d 7f9f4d5158", "C10:0:Hello;", "" },
	{ "masked ping", SERVER, "89 85 37fa213d 7f9f4d5158", "C9:0:Hello;", "" },
	{ "ping between fragments", CLIENT, "01 03 48656c 89 00 80 02 6c6f", "B1c0;C9:0:;E5;", "48656c6c6f" },
	{ "masked ping between fragments", SERVER,
		"01 83 01020304 49 67 6f  89 82 0a0b0c0d 6262  80 82 00000000 6c6f",
		"B1c0;C9:0:hi;E5;", "48656c6c6f" },
	{ "close 1000 bye", CLIENT, "88 05 03e8 627965", "C8:1000:bye;", "" },
	{ "close 4999", CLIENT, "88 02 1387", "C8:4999:;", "" },
	{ "close 3000", CLIENT, "88 02 0bb8", "C8:3000:;", "" },
	{ "masked close 1001", SERVER, "88 82 11223344 12cb", "C8:1001:;", "" },
	{ "empty close", CLIENT, "88 00", "C8:1005:;", "" },
	{ "close with utf8 reason", CLIENT, "88 04 03e8 c3a9", "C8:1000:\\xc3\\xa9;", "" },
	{ "empty text", CLIENT, "81 00", "B1c0;E0;", "" },
	{ "empty masked binary", SERVER, "82 80 01020304", "B2c0;E0;", "" },
	{ "empty first fragment", CLIENT, "01 00 80 03 414243", "B1c0;E3;", "414243" },
	{ "empty last fragment", CLIENT, "01 03 414243 80 00", "B1c0;E3;", "414243" },
	{ "three fragments binary", CLIENT, "02 01 00 00 01 ff 80 01 7f", "B2c0;E3;", "00ff7f" },
	{ "two messages", CLIENT, "81 02 4869 82 02 0001", "B1c0;E2;B2c0;E4;", "48690001" },
	{ "utf8 split over fragments", CLIENT, "01 01 ce 00 01 ba 00 02 e282 00 00 80 01 ac",
		"B1c0;E5;", "cebae282ac" },
	{ "binary is not utf8-checked", CLIENT, "82 03 ff c0 80", "B2c0;E3;", "ffc080" },
	{ "non-minimal 16-bit length", CLIENT, "81 7e 0005 48656c6c6f", "B1c0;E5;", "48656c6c6f" },
	{ "non-minimal 64-bit length", CLIENT, "81 7f 0000000000000005 48656c6c6f", "B1c0;E5;", "48656c6c6f" },
	{ "masked 64-bit length", SERVER, "82 ff 0000000000000002 a1b2c3d4 a1b2", "B2c0;E2;", "0000" },
	{ "compressed text not utf8-checked", CLIENT_RSV1, "c1 03 ff fe fd", "B1c1;E3;", "fffefd" },
	{ "compressed fragmented", CLIENT_RSV1, "41 01 ff 80 01 c0", "B1c1;E2;", "ffc0" },
	{ "compressed binary", CLIENT_RSV1, "c2 01 00", "B2c1;E1;", "00" },
	{ "uncompressed with rsv1 allowed", CLIENT_RSV1, "81 01 41", "B1c0;E1;", "41" },
	{ "frame limit exact", { WS_ROLE_CLIENT, 0, 5, 0 }, "81 05 48656c6c6f", "B1c0;E5;", "48656c6c6f" },
	{ "message limit exact", { WS_ROLE_CLIENT, 0, 0, 5 }, "01 03 48656c 80 02 6c6f", "B1c0;E5;", "48656c6c6f" },
	{ "message limit ignores control", { WS_ROLE_CLIENT, 0, 0, 3 }, "01 03 48656c 89 05 48656c6c6f 80 00",
		"B1c0;C9:0:Hello;E3;", "48656c" },
	{ "compressed message not limited", { WS_ROLE_CLIENT, 1, 0, 2 }, "41 02 0102 80 02 0304", "B1c1;E4;", "01020304" },
	{ "limits reset between messages", { WS_ROLE_CLIENT, 0, 0, 3 }, "81 03 414243 81 03 444546", "B1c0;E3;B1c0;E6;",
		"414243444546" },
};

typedef struct bad_vec {
	const char *name;
	cfg_t cfg;
	const char *hex;
	int err;
	int close_code;
	uint64_t offset;
	const char *log_before; /* events expected before the error */
} bad_vec_t;

static const bad_vec_t bad[] = {
	{ "reserved opcode 3", CLIENT, "83 00", WS_ERR_RESERVED_OPCODE, 1002, 0, "" },
	{ "reserved opcode 7", CLIENT, "87 00", WS_ERR_RESERVED_OPCODE, 1002, 0, "" },
	{ "reserved opcode B", CLIENT, "8b 00", WS_ERR_RESERVED_OPCODE, 1002, 0, "" },
	{ "reserved opcode F", SERVER, "8f 80 00000000", WS_ERR_RESERVED_OPCODE, 1002, 0, "" },
	{ "rsv1 not negotiated", CLIENT, "c1 00", WS_ERR_RESERVED_BITS, 1002, 0, "" },
	{ "rsv2", CLIENT_RSV1, "a1 00", WS_ERR_RESERVED_BITS, 1002, 0, "" },
	{ "rsv3", CLIENT_RSV1, "91 00", WS_ERR_RESERVED_BITS, 1002, 0, "" },
	{ "rsv1 on continuation", CLIENT_RSV1, "41 01 41 c0 01 42", WS_ERR_RESERVED_BITS, 1002, 3, "B1c1;" },
	{ "rsv1 on control", CLIENT_RSV1, "c9 00", WS_ERR_RESERVED_BITS, 1002, 0, "" },
	{ "unmasked to server", SERVER, "81 05 48656c6c6f", WS_ERR_UNMASKED_FRAME, 1002, 1, "" },
	{ "masked to client", CLIENT, "81 85 37fa213d 7f9f4d5158", WS_ERR_MASKED_FRAME, 1002, 1, "" },
	{ "ping 126", CLIENT, "89 7e 007e", WS_ERR_CONTROL_TOO_LONG, 1002, 1, "" },
	{ "close 127", CLIENT, "88 7f 0000000000000080", WS_ERR_CONTROL_TOO_LONG, 1002, 1, "" },
	{ "fragmented ping", CLIENT, "09 00", WS_ERR_CONTROL_FRAGMENTED, 1002, 0, "" },
	{ "fragmented close", SERVER, "08 80 00000000", WS_ERR_CONTROL_FRAGMENTED, 1002, 0, "" },
	{ "lone continuation", CLIENT, "80 01 41", WS_ERR_UNEXPECTED_CONTINUATION, 1002, 0, "" },
	{ "continuation after end", CLIENT, "81 01 41 80 01 42", WS_ERR_UNEXPECTED_CONTINUATION, 1002, 3, "B1c0;E1;" },
	{ "text inside message", CLIENT, "01 01 41 81 01 42", WS_ERR_EXPECTED_CONTINUATION, 1002, 3, "B1c0;" },
	{ "binary inside message", CLIENT, "02 01 41 02 01 42", WS_ERR_EXPECTED_CONTINUATION, 1002, 3, "B2c0;" },
	{ "64-bit length msb", CLIENT, "82 7f 8000000000000000", WS_ERR_LENGTH_MSB, 1002, 2, "" },
	{ "64-bit length all ones", SERVER, "82 ff ffffffffffffffff", WS_ERR_LENGTH_MSB, 1002, 2, "" },
	{ "close payload 1", CLIENT, "88 01 03", WS_ERR_CLOSE_PAYLOAD, 1002, 1, "" },
	{ "close code 0", CLIENT, "88 02 0000", WS_ERR_CLOSE_CODE, 1002, 3, "" },
	{ "close code 999", CLIENT, "88 02 03e7", WS_ERR_CLOSE_CODE, 1002, 3, "" },
	{ "close code 1004", CLIENT, "88 02 03ec", WS_ERR_CLOSE_CODE, 1002, 3, "" },
	{ "close code 1005", CLIENT, "88 02 03ed", WS_ERR_CLOSE_CODE, 1002, 3, "" },
	{ "close code 1006", CLIENT, "88 02 03ee", WS_ERR_CLOSE_CODE, 1002, 3, "" },
	{ "close code 1015", CLIENT, "88 02 03f7", WS_ERR_CLOSE_CODE, 1002, 3, "" },
	{ "close code 2999", CLIENT, "88 03 0bb7 41", WS_ERR_CLOSE_CODE, 1002, 4, "" },
	{ "close code 5000", SERVER, "88 82 00000000 1388", WS_ERR_CLOSE_CODE, 1002, 7, "" },
	{ "close reason bad utf8", CLIENT, "88 04 03e8 c328", WS_ERR_INVALID_UTF8, 1007, 5, "" },
	{ "close reason truncated utf8", CLIENT, "88 03 03e8 c3", WS_ERR_INVALID_UTF8, 1007, 4, "" },
	{ "text bad byte mid frame", CLIENT, "81 05 48 65 ff 6c 6f", WS_ERR_INVALID_UTF8, 1007, 4, "B1c0;" },
	{ "masked text bad byte", SERVER, "81 85 00000000 48 65 ff 6c 6f", WS_ERR_INVALID_UTF8, 1007, 8, "B1c0;" },
	{ "masked text surrogate", SERVER, "81 83 01020304 ec a2 83", WS_ERR_INVALID_UTF8, 1007, 7, "B1c0;" },
	{ "text overlong", CLIENT, "81 02 c0 af", WS_ERR_INVALID_UTF8, 1007, 2, "B1c0;" },
	{ "text above 10FFFF", CLIENT, "81 04 f4 90 80 80", WS_ERR_INVALID_UTF8, 1007, 3, "B1c0;" },
	{ "text ends mid character", CLIENT, "81 03 48 e2 82", WS_ERR_INVALID_UTF8, 1007, 4, "B1c0;" },
	{ "fragments end mid character", CLIENT, "01 01 c3 80 00", WS_ERR_INVALID_UTF8, 1007, 4, "B1c0;" },
	{ "bad utf8 in second fragment", CLIENT, "01 01 c3 80 01 41", WS_ERR_INVALID_UTF8, 1007, 5, "B1c0;" },
	{ "masked ascii where continuation due", SERVER, "01 81 00000000 c3 80 82 01010101 4040",
		WS_ERR_INVALID_UTF8, 1007, 13, "B1c0;" },
	{ "frame too big", { WS_ROLE_CLIENT, 0, 4, 0 }, "81 05 48656c6c6f", WS_ERR_FRAME_TOO_BIG, 1009, 1, "" },
	{ "frame too big 16", { WS_ROLE_SERVER, 0, 255, 0 }, "82 fe 0100 00000000", WS_ERR_FRAME_TOO_BIG, 1009, 3, "" },
	{ "frame too big 64", { WS_ROLE_CLIENT, 0, 65536, 0 }, "82 7f 0000000000010001", WS_ERR_FRAME_TOO_BIG, 1009, 9, "" },
	{ "control over frame limit", { WS_ROLE_CLIENT, 0, 4, 0 }, "89 05 48656c6c6f", WS_ERR_FRAME_TOO_BIG, 1009, 1, "" },
	{ "message too big", { WS_ROLE_CLIENT, 0, 0, 4 }, "01 03 414243 80 02 4445", WS_ERR_MESSAGE_TOO_BIG, 1009, 6, "B1c0;" },
	{ "message too big third frame", { WS_ROLE_CLIENT, 0, 0, 5 }, "01 02 4142 00 02 4344 80 02 4546",
		WS_ERR_MESSAGE_TOO_BIG, 1009, 9, "B1c0;" },
	{ "message too big first frame", { WS_ROLE_CLIENT, 0, 0, 4 }, "81 05 48656c6c6f", WS_ERR_MESSAGE_TOO_BIG, 1009, 1, "" },
	{ "message too big 64", { WS_ROLE_CLIENT, 0, 0, 1000 }, "82 7f 0000000000010000", WS_ERR_MESSAGE_TOO_BIG, 1009, 9, "" },
	{ "rsv1 compressed then uncompressed too big", { WS_ROLE_CLIENT, 1, 0, 2 }, "c1 03 414243 81 03 414243",
		WS_ERR_MESSAGE_TOO_BIG, 1009, 6, "B1c1;E3;" },
};

static void test_good_vectors(void)
{
	guard_setup();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t in[512], want[512];
		size_t n = unhex(good[i].hex, in);
		size_t wn = unhex(good[i].data, want);
		check_vector(good[i].name, &good[i].cfg, in, n, good[i].log, want, wn);
	}
}

static void test_bad_vectors(void)
{
	guard_setup();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t in[512];
		char log[256];
		size_t n = unhex(bad[i].hex, in);
		snprintf(log, sizeof(log), "%s!%d@%llu", bad[i].log_before, bad[i].err,
			(unsigned long long)bad[i].offset);
		/* Data delivered before the error is a prefix of the unmasked payload; unchecked here. */
		check_vector(bad[i].name, &bad[i].cfg, in, n, log, NULL, 0);
		CHECK_EQ_INT(ws_error_close_code(bad[i].err), bad[i].close_code);
	}
}

/* A payload of n bytes with a recognisable pattern (ASCII, so it is also valid text). */
static void pattern(uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		d[i] = (uint8_t)('A' + (i * 7 + i / 251) % 26);
	}
}

/* Builds a whole frame (encoder under test) into a malloc'd buffer. */
static uint8_t *build_frame(int fin, int rsv1, ws_opcode_t op, const uint8_t *payload, size_t n,
	const uint8_t *key, size_t *out_len)
{
	uint8_t *f = malloc(WS_FRAME_HEADER_MAX + n + 1);
	size_t h = ws_frame_encode_header(f, fin, rsv1, op, n, key);
	CHECK_EQ_INT(h, ws_frame_header_size(n, key != NULL));
	if (n != 0) {
		memcpy(f + h, payload, n);
	}
	if (key != NULL) {
		ws_frame_mask(f + h, n, key, 0);
	}
	*out_len = h + n;
	return f;
}

/* Control frames of exactly 125 bytes, masked and not, also between fragments. */
static void test_control_125(void)
{
	static const uint8_t key[4] = { 0x10, 0x20, 0x30, 0x40 };
	uint8_t payload[WS_CONTROL_PAYLOAD_MAX], in[512];
	char log[256];
	cfg_t client = CLIENT, server = SERVER;
	size_t flen, n = 0;
	uint8_t *f;

	guard_setup();
	pattern(payload, sizeof(payload));
	snprintf(log, sizeof(log), "C10:0:%.125s;", (const char *)payload);
	f = build_frame(1, 0, WS_OPCODE_PONG, payload, sizeof(payload), NULL, &flen);
	CHECK_EQ_INT(flen, 127);
	check_vector("pong 125", &client, f, flen, log, (const uint8_t *)"", 0);
	free(f);

	/* Text "ab" | ping 125 | "c", all masked. */
	f = build_frame(0, 0, WS_OPCODE_TEXT, (const uint8_t *)"ab", 2, key, &flen);
	memcpy(in + n, f, flen);
	n += flen;
	free(f);
	f = build_frame(1, 0, WS_OPCODE_PING, payload, sizeof(payload), key, &flen);
	memcpy(in + n, f, flen);
	n += flen;
	free(f);
	f = build_frame(1, 0, WS_OPCODE_CONTINUATION, (const uint8_t *)"c", 1, key, &flen);
	memcpy(in + n, f, flen);
	n += flen;
	free(f);
	snprintf(log, sizeof(log), "B1c0;C9:0:%.125s;E3;", (const char *)payload);
	check_vector("ping 125 between fragments", &server, in, n, log, (const uint8_t *)"abc", 3);
}

static void test_rfc_big_binary(void)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	cfg_t client = CLIENT, server = SERVER;
	size_t sizes[] = { 256, 65536 };

	guard_setup();
	for (size_t s = 0; s < 2; s++) {
		size_t n = sizes[s], flen;
		uint8_t *payload = malloc(n);
		uint8_t *f;
		char log[64];

		for (size_t i = 0; i < n; i++) {
			payload[i] = (uint8_t)(i * 13 + 5);
		}
		snprintf(log, sizeof(log), "B2c0;E%zu;", n);

		/* Unmasked, exactly as RFC 6455 5.7 spells the header. */
		f = build_frame(1, 0, WS_OPCODE_BINARY, payload, n, NULL, &flen);
		if (n == 256) {
			CHECK_MEM(f, "\x82\x7E\x01\x00", 4);
		} else {
			CHECK_MEM(f, "\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10);
		}
		check_vector(n == 256 ? "rfc 256 unmasked" : "rfc 64K unmasked", &client, f, flen, log, payload, n);
		free(f);

		f = build_frame(1, 0, WS_OPCODE_BINARY, payload, n, key, &flen);
		check_vector(n == 256 ? "256 masked" : "64K masked", &server, f, flen, log, payload, n);
		free(f);
		free(payload);
	}
}

/*
 * Big masked text with multi-byte characters everywhere (some straddling
 * the parser's 4 KiB unmask blocks), then the same with one bad byte deep
 * inside, so the fused unmask + validate path reports the right offset.
 */
static void test_big_masked_text(void)
{
	static const uint8_t key[4] = { 0xde, 0xad, 0xbe, 0xef };
	static const char *pieces[] = { "abc", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "0123456789ABCDEFGHIJ" };
	cfg_t server = SERVER;
	size_t n = 0, cap = 70000, flen;
	uint8_t *text = malloc(cap);
	uint8_t *f;
	char log[64];

	guard_setup();
	for (size_t i = 0; n + 32 < cap; i++) {
		const char *s = pieces[(i * 3 + i / 7) % 5];
		memcpy(text + n, s, strlen(s));
		n += strlen(s);
	}
	CHECK(ws_utf8_valid(text, n));
	snprintf(log, sizeof(log), "B1c0;E%zu;", n);
	f = build_frame(1, 0, WS_OPCODE_TEXT, text, n, key, &flen);
	check_vector("big masked text", &server, f, flen, log, text, n);
	free(f);

	/* Two fragments, the cut inside a character. */
	{
		size_t cut = 40001, f1len, f2len;
		uint8_t *f1, *f2, *both;
		while ((text[cut] & 0xC0) != 0x80) {
			cut++;
		}
		f1 = build_frame(0, 0, WS_OPCODE_TEXT, text, cut, key, &f1len);
		f2 = build_frame(1, 0, WS_OPCODE_CONTINUATION, text + cut, n - cut, key, &f2len);
		both = malloc(f1len + f2len);
		memcpy(both, f1, f1len);
		memcpy(both + f1len, f2, f2len);
		check_vector("big masked text, split character", &server, both, f1len + f2len, log, text, n);
		free(f1);
		free(f2);
		free(both);
	}

	/* One bad byte at 50000 (+ header 14 bytes). */
	text[50000] = 0xFF;
	snprintf(log, sizeof(log), "B1c0;!%d@%d", WS_ERR_INVALID_UTF8, 50000 + 14);
	f = build_frame(1, 0, WS_OPCODE_TEXT, text, n, key, &flen);
	check_vector("big masked text, bad byte", &server, f, flen, log, text, n);
	free(f);
	free(text);
}

/* Concatenates frames into one stream (freeing them); returns it, its length in *n. */
static uint8_t *concat_frames(size_t *n, int count, ...)
{
	va_list ap;
	uint8_t *out = NULL;
	size_t len = 0;

	va_start(ap, count);
	for (int i = 0; i < count; i++) {
		uint8_t *fr = va_arg(ap, uint8_t *);
		size_t fl = va_arg(ap, size_t);
		out = realloc(out, len + fl);
		memcpy(out + len, fr, fl);
		len += fl;
		free(fr);
	}
	va_end(ap);
	*n = len;
	return out;
}

/* How many storages one whole run in buffer mode 1 handed out. */
static int stores_of(const cfg_t *c, const uint8_t *in, size_t n)
{
	rec_t *r = malloc(sizeof(*r));
	int k;
	buffer_mode = 1;
	run_cuts(r, c, in, n, NULL, 0, 0);
	buffer_mode = 0;
	k = r->stores;
	rec_free(r);
	free(r);
	return k;
}

/*
 * Storage of the caller's for large single-frame messages (on_frame_buffer,
 * ws_frame_parser_payload_dest): sizes around WS_FRAME_BUFFER_MIN, large
 * frames between small ones and control frames, masked and not, a large
 * fragmented message (never given storage), bad UTF-8 late in a large text
 * frame; each at every cut, pausing, in the three buffer modes.
 */
static void test_frame_buffer(void)
{
	static const uint8_t key[4] = { 0x5a, 0x01, 0xff, 0x80 };
	cfg_t server = SERVER, client = CLIENT;
	size_t big = 3000, n, f1;
	uint8_t *payload = malloc(big + 16), *want = malloc(2 * big + 64), *in;
	char log[128];

	guard_setup();
	pattern(payload, big + 16);

	/* Just under, at and just over the threshold. */
	for (size_t len = WS_FRAME_BUFFER_MIN - 1; len <= WS_FRAME_BUFFER_MIN + 1; len++) {
		uint8_t *fr = build_frame(1, 0, WS_OPCODE_BINARY, payload, len, key, &f1);
		snprintf(log, sizeof(log), "B2c0;E%zu;", len);
		check_vector("around the threshold", &server, fr, f1, log, payload, len);
		CHECK_EQ_INT(stores_of(&server, fr, f1), len >= WS_FRAME_BUFFER_MIN);
		free(fr);
	}

	/* small text, large binary, ping, large text, small binary: two storages. */
	{
		size_t l1, l2, l3, l4, l5;
		uint8_t *a = build_frame(1, 0, WS_OPCODE_TEXT, payload, 5, key, &l1);
		uint8_t *b = build_frame(1, 0, WS_OPCODE_BINARY, payload + 1, big, key, &l2);
		uint8_t *c = build_frame(1, 0, WS_OPCODE_PING, payload, 4, key, &l3);
		uint8_t *d = build_frame(1, 0, WS_OPCODE_TEXT, payload + 2, big, key, &l4);
		uint8_t *e = build_frame(1, 0, WS_OPCODE_BINARY, payload + 3, 7, key, &l5);
		in = concat_frames(&n, 5, a, l1, b, l2, c, l3, d, l4, e, l5);
	}
	memcpy(want, payload, 5);
	memcpy(want + 5, payload + 1, big);
	memcpy(want + 5 + big, payload + 2, big);
	memcpy(want + 5 + 2 * big, payload + 3, 7);
	snprintf(log, sizeof(log), "B1c0;E5;B2c0;E%zu;C9:0:ABCD;B1c0;E%zu;B2c0;E%zu;", 5 + big, 5 + 2 * big, 12 + 2 * big);
	/* The ping's payload is the pattern's first 4 bytes. */
	{
		char ping[8] = { 0 };
		memcpy(ping, payload, 4);
		char *at = strstr(log, "ABCD");
		memcpy(at, ping, 4);
	}
	check_vector("large between small", &server, in, n, log, want, 12 + 2 * big);
	CHECK_EQ_INT(stores_of(&server, in, n), 2);
	free(in);

	/* Unmasked (a client parsing a server): copied, not unmasked. */
	in = build_frame(1, 0, WS_OPCODE_TEXT, payload, big, NULL, &n);
	snprintf(log, sizeof(log), "B1c0;E%zu;", big);
	check_vector("large unmasked", &client, in, n, log, payload, big);
	CHECK_EQ_INT(stores_of(&client, in, n), 1);
	free(in);

	/* A large fragmented message with a ping inside: spans as before, no storage. */
	{
		size_t l1, l2, l3;
		uint8_t *a = build_frame(0, 0, WS_OPCODE_BINARY, payload, big, key, &l1);
		uint8_t *b = build_frame(1, 0, WS_OPCODE_PING, payload, 0, key, &l2);
		uint8_t *c = build_frame(1, 0, WS_OPCODE_CONTINUATION, payload + big, 16, key, &l3);
		in = concat_frames(&n, 3, a, l1, b, l2, c, l3);
	}
	snprintf(log, sizeof(log), "B2c0;C9:0:;E%zu;", big + 16);
	check_vector("large fragmented", &server, in, n, log, payload, big + 16);
	CHECK_EQ_INT(stores_of(&server, in, n), 0);
	free(in);

	/* Bad UTF-8 late in a large text frame (a lone continuation byte). */
	memcpy(want, payload, big);
	want[big - 10] = 0x80;
	in = build_frame(1, 0, WS_OPCODE_TEXT, want, big, key, &n);
	snprintf(log, sizeof(log), "B1c0;!%d@%zu", WS_ERR_INVALID_UTF8, 4 + 4 + big - 10);
	check_vector("large text, bad byte", &server, in, n, log, want, big);
	free(in);

	/* The caller takes its storage back mid-frame: the rest comes as spans of the input. */
	{
		rec_t *r = malloc(sizeof(*r));
		uint8_t *fr = build_frame(1, 0, WS_OPCODE_BINARY, payload, big, key, &n);
		uint8_t *copy = malloc(n);
		memcpy(copy, fr, n);
		rec_init(r, &server);
		r->buffers = 1;
		r->feed_lo = copy;
		r->feed_hi = copy + 1000;
		CHECK_EQ_INT(ws_frame_parser_feed(&r->p, copy, 1000), 1000);
		CHECK(r->store != NULL);
		ws_frame_parser_forget_buffer(&r->p);
		free(r->store);
		r->store = NULL;
		{
			uint8_t *dst = NULL;
			CHECK_EQ_INT(ws_frame_parser_payload_dest(&r->p, &dst), 0);
		}
		r->feed_lo = copy + 1000;
		r->feed_hi = copy + n;
		CHECK_EQ_INT(ws_frame_parser_feed(&r->p, copy + 1000, n - 1000), n - 1000);
		CHECK_EQ_INT(r->data_len, big);
		CHECK_MEM(r->data, payload, big);
		CHECK_EQ_INT(r->bad_span, 0);
		CHECK_EQ_INT(r->bad_store, 0);
		rec_free(r);
		free(r);
		free(fr);
		free(copy);
	}
	free(payload);
	free(want);
}

static void test_mask_against_naive(void)
{
	static const uint8_t key[4] = { 0x01, 0x80, 0xfe, 0x5a };
	static const size_t big[] = { 63, 64, 65, 1000, 4095, 4097, 65537 };
	uint8_t *buf = malloc(65537 + 16), *want = malloc(65537 + 16);

	for (size_t align = 0; align < 8; align++) {
		for (uint64_t off = 0; off < 8; off++) {
			for (size_t len = 0; len <= 40 + sizeof(big) / sizeof(big[0]); len++) {
				size_t n = len <= 40 ? len : big[len - 41];
				uint8_t *d = buf + align;
				for (size_t i = 0; i < n; i++) {
					d[i] = (uint8_t)(i * 31 + align);
					want[i] = (uint8_t)(d[i] ^ key[(off + i) % 4]);
				}
				ws_frame_mask(d, n, key, off);
				CHECK_MEM(d, want, n);
			}
		}
	}
	/* Masking in pieces at running offsets equals masking at once; a 64-bit offset works too. */
	{
		uint8_t a[100], b[100];
		pattern(a, sizeof(a));
		memcpy(b, a, sizeof(b));
		ws_frame_mask(a, sizeof(a), key, 0);
		ws_frame_mask(b, 3, key, 0);
		ws_frame_mask(b + 3, 50, key, 3);
		ws_frame_mask(b + 53, 47, key, 53 + (1ull << 40));
		CHECK_MEM(a, b, sizeof(a));
	}
	free(buf);
	free(want);
}

static void test_encode_header_bytes(void)
{
	static const uint8_t key[4] = { 1, 2, 3, 4 };
	uint8_t h[WS_FRAME_HEADER_MAX];

	CHECK_EQ_INT(ws_frame_encode_header(h, 1, 0, WS_OPCODE_TEXT, 5, NULL), 2);
	CHECK_MEM(h, "\x81\x05", 2);
	CHECK_EQ_INT(ws_frame_encode_header(h, 1, 0, WS_OPCODE_TEXT, 5, key), 6);
	CHECK_MEM(h, "\x81\x85\x01\x02\x03\x04", 6);
	CHECK_EQ_INT(ws_frame_encode_header(h, 0, 1, WS_OPCODE_BINARY, 125, NULL), 2);
	CHECK_MEM(h, "\x42\x7d", 2);
	CHECK_EQ_INT(ws_frame_encode_header(h, 1, 0, WS_OPCODE_BINARY, 126, NULL), 4);
	CHECK_MEM(h, "\x82\x7e\x00\x7e", 4);
	CHECK_EQ_INT(ws_frame_encode_header(h, 1, 0, WS_OPCODE_BINARY, 65535, key), 8);
	CHECK_MEM(h, "\x82\xfe\xff\xff\x01\x02\x03\x04", 8);
	CHECK_EQ_INT(ws_frame_encode_header(h, 0, 0, WS_OPCODE_CONTINUATION, 65536, NULL), 10);
	CHECK_MEM(h, "\x00\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	CHECK_EQ_INT(ws_frame_encode_header(h, 1, 0, WS_OPCODE_PING, 0, key), 6);
	CHECK_MEM(h, "\x89\x80\x01\x02\x03\x04", 6);
	CHECK_EQ_INT(ws_frame_encode_header(h, 1, 0, WS_OPCODE_CLOSE, 0x0102030405060708ull, key), 14);
	CHECK_MEM(h, "\x88\xff\x01\x02\x03\x04\x05\x06\x07\x08\x01\x02\x03\x04", 14);

	CHECK_EQ_INT(ws_frame_header_size(0, 0), 2);
	CHECK_EQ_INT(ws_frame_header_size(125, 1), 6);
	CHECK_EQ_INT(ws_frame_header_size(126, 0), 4);
	CHECK_EQ_INT(ws_frame_header_size(65535, 1), 8);
	CHECK_EQ_INT(ws_frame_header_size(65536, 0), 10);
	CHECK_EQ_INT(ws_frame_header_size(UINT64_MAX >> 1, 1), 14);
}

static void test_encode_round_trip(void)
{
	static const uint8_t key[4] = { 0xa5, 0x00, 0x5a, 0xff };
	static const size_t lens[] = { 0, 1, 125, 126, 65535, 65536 };
	cfg_t client = CLIENT, server = SERVER, rsv1 = CLIENT_RSV1;

	guard_setup();
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i], flen;
		uint8_t *payload = malloc(n + 1);
		uint8_t *f;
		rec_t *r = malloc(sizeof(*r));
		char want[64];

		pattern(payload, n);
		for (int masked = 0; masked < 2; masked++) {
			for (int op = WS_OPCODE_TEXT; op <= WS_OPCODE_BINARY; op++) {
				f = build_frame(1, 0, (ws_opcode_t)op, payload, n, masked ? key : NULL, &flen);
				run_cuts(r, masked ? &server : &client, f, flen, NULL, 0, 0);
				snprintf(want, sizeof(want), "B%dc0;E%zu;", op, n);
				CHECK(strcmp(r->log, want) == 0);
				CHECK_EQ_INT(r->data_len, n);
				CHECK_MEM(r->data, payload, r->data_len == n ? n : 0);
				rec_free(r);
				free(f);
			}
		}
		/* Control frames up to 125 bytes. */
		if (n <= WS_CONTROL_PAYLOAD_MAX) {
			f = build_frame(1, 0, WS_OPCODE_PING, payload, n, key, &flen);
			run_cuts(r, &server, f, flen, NULL, 0, 0);
			CHECK_EQ_INT(strncmp(r->log, "C9:0:", 5), 0);
			CHECK_EQ_INT(r->log_len, 5 + n + 1);
			rec_free(r);
			free(f);
		}
		/* rsv1 round-trips as "compressed". */
		f = build_frame(1, 1, WS_OPCODE_BINARY, payload, n, NULL, &flen);
		run_cuts(r, &rsv1, f, flen, NULL, 0, 0);
		snprintf(want, sizeof(want), "B2c1;E%zu;", n);
		CHECK(strcmp(r->log, want) == 0);
		rec_free(r);
		free(f);
		free(r);
		free(payload);
	}

	/* 2^32 + 1: header only; the message opens and waits for its payload. */
	for (int masked = 0; masked < 2; masked++) {
		uint8_t h[WS_FRAME_HEADER_MAX];
		uint64_t big = (1ull << 32) + 1;
		size_t hl = ws_frame_encode_header(h, 1, 0, WS_OPCODE_BINARY, big, masked ? key : NULL);
		rec_t *r = malloc(sizeof(*r));
		uint8_t tail[3] = { 1, 2, 3 };

		CHECK_EQ_INT(hl, masked ? 14 : 10);
		run_cuts(r, masked ? &server : &client, h, hl, NULL, 0, 0);
		CHECK(strcmp(r->log, "B2c0;") == 0);
		CHECK(ws_frame_parser_in_message(&r->p));
		CHECK_EQ_INT(feed_chunk(r, tail, 3), 0);
		CHECK_EQ_INT(r->data_len, 3);
		if (masked) {
			CHECK_EQ_INT(r->data[0], 1 ^ key[0]);
			CHECK_EQ_INT(r->data[2], 3 ^ key[2]);
		}
		CHECK(ws_frame_parser_in_message(&r->p));
		rec_free(r);
		free(r);
	}
}

static void test_encode_close_payload(void)
{
	uint8_t out[WS_CONTROL_PAYLOAD_MAX];
	char reason[300];
	size_t n;

	CHECK_EQ_INT(ws_frame_encode_close_payload(out, 0, "x", 1), 0);
	CHECK_EQ_INT(ws_frame_encode_close_payload(out, WS_CLOSE_NO_STATUS, "x", 1), 0);
	CHECK_EQ_INT(ws_frame_encode_close_payload(out, 1000, NULL, 0), 2);
	CHECK_MEM(out, "\x03\xe8", 2);
	CHECK_EQ_INT(ws_frame_encode_close_payload(out, 4000, "bye", 3), 5);
	CHECK_MEM(out, "\x0f\xa0" "bye", 5);

	/* Exactly 123 bytes fit; 200 ASCII bytes are cut to 123. */
	memset(reason, 'r', sizeof(reason));
	CHECK_EQ_INT(ws_frame_encode_close_payload(out, 1001, reason, 123), 125);
	CHECK_EQ_INT(ws_frame_encode_close_payload(out, 1001, reason, 200), 125);

	/* A 2-byte character across the limit is dropped whole. */
	memcpy(reason + 122, "\xC3\xA9", 2);
	n = ws_frame_encode_close_payload(out, 1001, reason, 124);
	CHECK_EQ_INT(n, 2 + 122);
	CHECK(ws_utf8_valid(out + 2, n - 2));

	/* A 3-byte character starting at 121. */
	memset(reason, 'r', sizeof(reason));
	memcpy(reason + 121, "\xE2\x82\xAC", 3);
	n = ws_frame_encode_close_payload(out, 1001, reason, 150);
	CHECK_EQ_INT(n, 2 + 121);

	/* A 3-byte character ending exactly at 123 stays. */
	memset(reason, 'r', sizeof(reason));
	memcpy(reason + 120, "\xE2\x82\xAC", 3);
	n = ws_frame_encode_close_payload(out, 1001, reason, 150);
	CHECK_EQ_INT(n, 2 + 123);
	CHECK_MEM(out + 2 + 120, "\xE2\x82\xAC", 3);

	/* 4-byte characters all the way: 123 = 30 * 4 + 3, so 30 of them fit. */
	for (size_t i = 0; i + 4 <= sizeof(reason); i += 4) {
		memcpy(reason + i, "\xF0\x9F\x98\x80", 4);
	}
	n = ws_frame_encode_close_payload(out, 1001, reason, 296);
	CHECK_EQ_INT(n, 2 + 120);
	CHECK(ws_utf8_valid(out + 2, n - 2));

	/* Round trip through the decoder. */
	{
		uint8_t frame[WS_FRAME_HEADER_MAX + WS_CONTROL_PAYLOAD_MAX];
		cfg_t client = CLIENT;
		rec_t *r = malloc(sizeof(*r));
		size_t pl = ws_frame_encode_close_payload(out, 1000, "\xC3\xA9t\xC3\xA9", 5);
		size_t h = ws_frame_encode_header(frame, 1, 0, WS_OPCODE_CLOSE, pl, NULL);
		memcpy(frame + h, out, pl);
		guard_setup();
		run_cuts(r, &client, frame, h + pl, NULL, 0, 0);
		CHECK(strcmp(r->log, "C8:1000:\\xc3\\xa9t\\xc3\\xa9;") == 0);
		rec_free(r);
		free(r);
	}
}

/* Pausing: where feed stops, what is left untouched, and the event due at the same byte. */
static void test_pause_semantics(void)
{
	static const char *hello = "81 85 37fa213d 7f9f4d5158";
	uint8_t in[32], orig[32];
	size_t n = unhex(hello, in);
	cfg_t server = SERVER;
	rec_t *r = malloc(sizeof(*r));
	ssize_t got;

	memcpy(orig, in, n);
	rec_init(r, &server);
	r->pause_all = 1;
	r->feed_lo = in;
	r->feed_hi = in + n;

	/* on_message_begin pauses after the 6 header bytes; the payload stays masked. */
	got = ws_frame_parser_feed(&r->p, in, n);
	CHECK_EQ_INT(got, 6);
	CHECK(strcmp(r->log, "B1c0;") == 0);
	CHECK_MEM(in + 6, orig + 6, 5);
	CHECK(ws_frame_parser_in_message(&r->p));

	/* on_message_data pauses at the last byte: all 5 consumed, the end is still due. */
	got = ws_frame_parser_feed(&r->p, in + 6, n - 6);
	CHECK_EQ_INT(got, 5);
	CHECK_MEM(r->data, "Hello", 5);
	CHECK(strcmp(r->log, "B1c0;") == 0);

	/* A feed of 0 bytes delivers it. */
	got = ws_frame_parser_feed(&r->p, NULL, 0);
	CHECK_EQ_INT(got, 0);
	CHECK(strcmp(r->log, "B1c0;E5;") == 0);
	CHECK(!ws_frame_parser_in_message(&r->p));
	got = ws_frame_parser_feed(&r->p, NULL, 0);
	CHECK_EQ_INT(got, 0);
	CHECK_EQ_INT(r->events, 3);
	rec_free(r);

	/* A control frame pauses after its last byte; the next frame's bytes are untouched. */
	{
		uint8_t two[64], two_orig[64];
		size_t tn = unhex("89 81 01020304 40  82 81 01020304 41", two);
		memcpy(two_orig, two, tn);
		rec_init(r, &server);
		r->pause_all = 1;
		r->feed_lo = two;
		r->feed_hi = two + tn;
		got = ws_frame_parser_feed(&r->p, two, tn);
		CHECK_EQ_INT(got, 7);
		CHECK(strcmp(r->log, "C9:0:A;") == 0);
		CHECK_MEM(two + 7, two_orig + 7, tn - 7);
		got = ws_frame_parser_feed(&r->p, two + 7, tn - 7);
		CHECK_EQ_INT(got, 6);
		got = ws_frame_parser_feed(&r->p, two + 13, tn - 13);
		CHECK_EQ_INT(got, 1);
		CHECK_EQ_INT(r->data[0], 0x40);
		got = ws_frame_parser_feed(&r->p, two + 14, 0);
		CHECK_EQ_INT(got, 0);
		CHECK(strcmp(r->log, "C9:0:A;B2c0;E1;") == 0);
		rec_free(r);
	}
	free(r);
}

/* A callback's negative answer becomes the sticky error, at the offset just past its event. */
static void test_callback_error(void)
{
	uint8_t in[64];
	size_t n = unhex("81 85 37fa213d 7f9f4d5158 89 80 00000000", in);
	cfg_t server = SERVER;
	rec_t *r = malloc(sizeof(*r));

	guard_setup();
	for (int at = 1; at <= 4; at++) {
		static const char *want[] = { "", "B1c0;!-17@6", "B1c0;!-17@11", "B1c0;E5;!-17@11", "B1c0;E5;C9:0:;!-17@17" };
		uint8_t *g = guard_place(in, n);
		ssize_t got;
		rec_init(r, &server);
		r->fail_at = at;
		r->feed_lo = g;
		r->feed_hi = g + n;
		got = ws_frame_parser_feed(&r->p, g, n);
		CHECK_EQ_INT(got, WS_ERR_CALLBACK);
		r->dead = 1;
		CHECK_EQ_INT(ws_frame_parser_error(&r->p), WS_ERR_CALLBACK);
		CHECK_EQ_INT(ws_frame_parser_feed(&r->p, g, n), WS_ERR_CALLBACK);
		log_add(r, "!%d@%llu", ws_frame_parser_error(&r->p),
			(unsigned long long)ws_frame_parser_error_offset(&r->p));
		CHECK(strcmp(r->log, want[at]) == 0);
		if (strcmp(r->log, want[at]) != 0) {
			fprintf(stderr, "  fail_at %d: %s\n", at, r->log);
		}
		CHECK_EQ_INT(r->after_error, 0);
		rec_free(r);
	}
	free(r);
}

/* Offsets are counted over all feeds, not within the current buffer. */
static void test_error_offset_across_feeds(void)
{
	uint8_t a[16], b[16];
	size_t an = unhex("81 02 4869 82 01 00", a);
	size_t bn = unhex("83 00", b);
	cfg_t client = CLIENT;
	rec_t *r = malloc(sizeof(*r));

	rec_init(r, &client);
	r->feed_lo = a;
	r->feed_hi = a + an;
	CHECK_EQ_INT(ws_frame_parser_feed(&r->p, a, an), (ssize_t)an);
	CHECK_EQ_INT(ws_frame_parser_error(&r->p), 0);
	CHECK_EQ_INT(ws_frame_parser_feed(&r->p, b, bn), WS_ERR_RESERVED_OPCODE);
	CHECK_EQ_INT(ws_frame_parser_error_offset(&r->p), an);
	rec_free(r);
	free(r);
}

/* NULL callbacks are allowed, individually or all together. */
static void test_null_callbacks(void)
{
	static const ws_frame_callbacks_t none = { NULL, NULL, NULL, NULL, NULL };
	ws_frame_parser_t p;
	ws_frame_config_t fc;
	uint8_t in[64];
	size_t n = unhex("01 83 01020304 49 67 6f  89 82 0a0b0c0d 626e  80 82 00000000 6c6f 88 80 00000000", in);

	memset(&fc, 0, sizeof(fc));
	fc.role = WS_ROLE_SERVER;
	ws_frame_parser_init(&p, &fc, &none, NULL);
	CHECK_EQ_INT(ws_frame_parser_feed(&p, in, n), (ssize_t)n);
	CHECK_EQ_INT(ws_frame_parser_error(&p), 0);
	CHECK(!ws_frame_parser_in_message(&p));

	n = unhex("01 83 01020304 49 67 6f", in);
	ws_frame_parser_init(&p, &fc, NULL, NULL);
	CHECK_EQ_INT(ws_frame_parser_feed(&p, in, n), (ssize_t)n);
	CHECK(ws_frame_parser_in_message(&p));
}

/* configure() changes limits and RSV1 between frames but never the role. */
static void test_configure(void)
{
	cfg_t client = CLIENT;
	rec_t *r = malloc(sizeof(*r));
	ws_frame_config_t fc;
	uint8_t in[32];
	size_t n;

	rec_init(r, &client);
	memset(&fc, 0, sizeof(fc));
	fc.role = WS_ROLE_SERVER; /* ignored */
	fc.allow_rsv1 = 1;
	fc.max_frame_size = 3;
	ws_frame_parser_configure(&r->p, &fc);

	n = unhex("c1 03 414243", in); /* unmasked: still a client; RSV1 now fine */
	r->feed_lo = in;
	r->feed_hi = in + n;
	CHECK_EQ_INT(ws_frame_parser_feed(&r->p, in, n), (ssize_t)n);
	CHECK(strcmp(r->log, "B1c1;E3;") == 0);

	n = unhex("82 04 00010203", in);
	r->feed_lo = in;
	r->feed_hi = in + n;
	CHECK_EQ_INT(ws_frame_parser_feed(&r->p, in, n), WS_ERR_FRAME_TOO_BIG);
	CHECK_EQ_INT(ws_frame_parser_error_offset(&r->p), 6);
	rec_free(r);

	/* A message limit lowered below what an open message already holds. */
	rec_init(r, &client);
	n = unhex("01 04 41424344", in);
	r->feed_lo = in;
	r->feed_hi = in + n;
	CHECK_EQ_INT(ws_frame_parser_feed(&r->p, in, n), (ssize_t)n);
	memset(&fc, 0, sizeof(fc));
	fc.max_message_size = 2;
	ws_frame_parser_configure(&r->p, &fc);
	n = unhex("80 00", in);
	r->feed_lo = in;
	r->feed_hi = in + n;
	CHECK_EQ_INT(ws_frame_parser_feed(&r->p, in, n), WS_ERR_MESSAGE_TOO_BIG);
	CHECK_EQ_INT(ws_frame_parser_error_offset(&r->p), 7);
	rec_free(r);
	free(r);
}

/*
 * Many frames in a row, fed in random chunk sizes with random pauses, must
 * give the log of the whole feed.  A cheap stand-in for the fuzzer that
 * runs in every test build.
 */
static uint64_t rng_state = 0x243F6A8885A308D3ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void test_random_stream(void)
{
	static const uint8_t key[4] = { 9, 8, 7, 6 };
	size_t cap = 1 << 18, n = 0;
	uint8_t *stream = malloc(cap), *payload = malloc(70000);
	cfg_t server = SERVER;
	rec_t *r = malloc(sizeof(*r)), *w = malloc(sizeof(*w));

	guard_setup();
	while (n + 70000 + 2 * WS_FRAME_HEADER_MAX < cap) {
		uint64_t x = rng();
		size_t len = (x & 3) == 0 ? (size_t)(x >> 8) % 70000 : (size_t)(x >> 8) % 300;
		size_t flen;
		uint8_t *f;
		pattern(payload, len);
		if ((x & 0x30) == 0) {
			/* A ping in between. */
			f = build_frame(1, 0, WS_OPCODE_PING, payload, len % 126, key, &flen);
		} else {
			f = build_frame(1, 0, (x & 0x40) ? WS_OPCODE_TEXT : WS_OPCODE_BINARY, payload, len, key, &flen);
		}
		memcpy(stream + n, f, flen);
		n += flen;
		free(f);
	}

	run_cuts(w, &server, stream, n, NULL, 0, 0);
	CHECK_EQ_INT(ws_frame_parser_error(&w->p), 0);
	for (int iter = 0; iter < 20; iter++) {
		size_t cuts[512], nc = 0, at = 0;
		while (nc < 512) {
			at += 1 + (size_t)(rng() % (iter < 10 ? 40 : 4000));
			if (at >= n) {
				break;
			}
			cuts[nc++] = at;
		}
		run_cuts(r, &server, stream, n, cuts, nc, iter & 1);
		CHECK(strcmp(r->log, w->log) == 0);
		CHECK_EQ_INT(r->data_len, w->data_len);
		CHECK_MEM(r->data, w->data, r->data_len == w->data_len ? w->data_len : 0);
		rec_free(r);
	}
	rec_free(w);
	free(w);
	free(r);
	free(stream);
	free(payload);
}

static const test_case_t tests[] = {
	TEST(test_good_vectors),
	TEST(test_bad_vectors),
	TEST(test_control_125),
	TEST(test_rfc_big_binary),
	TEST(test_big_masked_text),
	TEST(test_frame_buffer),
	TEST(test_mask_against_naive),
	TEST(test_encode_header_bytes),
	TEST(test_encode_round_trip),
	TEST(test_encode_close_payload),
	TEST(test_pause_semantics),
	TEST(test_callback_error),
	TEST(test_error_offset_across_feeds),
	TEST(test_null_callbacks),
	TEST(test_configure),
	TEST(test_random_stream),
};

TEST_MAIN("frame", tests)
