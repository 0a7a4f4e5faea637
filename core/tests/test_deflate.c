/*
 * test_deflate.c - tests of the permessage-deflate inflater and deflater
 * (../ws_deflate.c); negotiation is covered by the server tests.
 *
 * Most of it is about blocks with BFINAL set (RFC 7692 7.2.3.4): a final
 * block ends a DEFLATE stream, not the context.  The next byte, in the same
 * message or the next one, starts a new stream; under context takeover that
 * stream may refer back into the window across the boundary (7.2.2), and
 * without it the window is gone.  Every message is fed whole, split in
 * three at every pair of offsets or in two at every offset, byte by byte,
 * with the final flag on the last piece or on a separate empty feed (what
 * the server does), each piece from an exact-size heap copy so that ASan
 * sees any read past it.  The deflater must never set BFINAL: its output is
 * walked block by block with zlib's Z_BLOCK across window sizes, levels,
 * memory levels and both reset modes.
 *
 * Vectors come from the RFC, from zlib (Z_FINISH ends a stream with a final
 * block, Z_SYNC_FLUSH does not) and from a small fixed-Huffman block writer
 * for distances zlib's deflater never emits (exactly 32768, one past the
 * history).
 */
#include <stdint.h>
#include <zlib.h>
#include "../ws_deflate.h"
#include "../ws_error.h"
#include "test.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct buf {
	uint8_t *p;
	size_t len, cap;
} buf_t;

static void buf_add(buf_t *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			abort();
		}
	}
	if (n) {
		memcpy(b->p + b->len, p, n);
	}
	b->len += n;
}

static void buf_free(buf_t *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int sink_calls_after_error;
static int sink_failed;

static int sink(void *user, const uint8_t *data, size_t len)
{
	if (sink_failed) {
		sink_calls_after_error++;
	}
	buf_add(user, data, len);
	return 0;
}

/* One feed from an exact-size heap copy; checks *produced against the sink and the limit. */
static int feed(ws_inflater_t *inf, const uint8_t *p, size_t n, int final, uint64_t *produced,
	uint64_t max_out, buf_t *out)
{
	uint8_t *copy = malloc(n ? n : 1);
	size_t before = out->len;
	uint64_t pbefore = *produced;
	if (n) {
		memcpy(copy, p, n);
	}
	int r = ws_inflater_feed(inf, copy, n, final, produced, max_out, sink, out);
	free(copy);
	CHECK_EQ_INT(*produced - pbefore, out->len - before);
	if (max_out) {
		CHECK(*produced <= max_out);
	}
	return r;
}

/*
 * Inflates one message cut at a and b (a <= b <= len) into out (appended);
 * empty_final: end with a separate empty final feed.  On an error, checks
 * that it is sticky and that the sink hears nothing more.
 */
static int inflate_cut(ws_inflater_t *inf, const uint8_t *m, size_t len, size_t a, size_t b,
	int empty_final, uint64_t max_out, buf_t *out)
{
	uint64_t produced = 0;
	int r = feed(inf, m, a, 0, &produced, max_out, out);
	if (r == 0) {
		r = feed(inf, m + a, b - a, 0, &produced, max_out, out);
	}
	if (r == 0) {
		r = feed(inf, m + b, len - b, !empty_final, &produced, max_out, out);
	}
	if (r == 0 && empty_final) {
		r = feed(inf, NULL, 0, 1, &produced, max_out, out);
	}
	if (r != 0) {
		sink_failed = 1;
		CHECK_EQ_INT(feed(inf, (const uint8_t *)"\x00", 1, 1, &produced, max_out, out), r);
		CHECK_EQ_INT(sink_calls_after_error, 0);
		sink_failed = 0;
	}
	return r;
}

static int inflate_whole(ws_inflater_t *inf, const uint8_t *m, size_t len, buf_t *out)
{
	return inflate_cut(inf, m, len, len, len, 1, 0, out);
}

static int inflate_bytewise(ws_inflater_t *inf, const uint8_t *m, size_t len, buf_t *out)
{
	uint64_t produced = 0;
	for (size_t i = 0; i < len; i++) {
		int r = feed(inf, m + i, 1, i + 1 == len, &produced, 0, out);
		if (r != 0) {
			return r;
		}
	}
	return len ? 0 : feed(inf, NULL, 0, 1, &produced, 0, out);
}

/* Raw deflate of data with zlib: flush is Z_FINISH (ends in a BFINAL block) or Z_SYNC_FLUSH (tail cut off). */
static buf_t zlib_raw(const char *data, size_t len, int flush, const char *dict)
{
	z_stream z;
	buf_t b = { 0 };
	uint8_t out[1 << 16];

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		abort();
	}
	if (dict != NULL && deflateSetDictionary(&z, (const Bytef *)dict, (uInt)strlen(dict)) != Z_OK) {
		abort();
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		deflate(&z, flush);
		buf_add(&b, out, sizeof(out) - z.avail_out);
	} while (z.avail_out == 0);
	deflateEnd(&z);
	if (flush == Z_SYNC_FLUSH) {
		if (b.len < 4 || memcmp(b.p + b.len - 4, "\x00\x00\xff\xff", 4) != 0) {
			abort();
		}
		b.len -= 4;
	}
	return b;
}

static buf_t cat(buf_t a, buf_t b)
{
	buf_add(&a, b.p, b.len);
	buf_free(&b);
	return a;
}

static buf_t hex(const char *h)
{
	buf_t b = { 0 };
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		uint8_t c = (uint8_t)v;
		buf_add(&b, &c, 1);
	}
	return b;
}

#define OUT_IS(out, lit) do { \
	CHECK_EQ_INT((out).len, sizeof(lit) - 1); \
	if ((out).len == sizeof(lit) - 1 && (out).len > 0) { \
		CHECK_MEM((out).p, lit, (out).len); \
	} \
} while (0)

/* ---- a fixed-Huffman block writer (RFC 1951 3.2.6) ------------------------- */

typedef struct bits {
	buf_t b;
	uint32_t acc;
	int n;
} bits_t;

static void put_bits(bits_t *w, uint32_t v, int n)
{
	for (int i = 0; i < n; i++) {
		w->acc |= ((v >> i) & 1u) << w->n;
		if (++w->n == 8) {
			uint8_t c = (uint8_t)w->acc;
			buf_add(&w->b, &c, 1);
			w->acc = 0;
			w->n = 0;
		}
	}
}

/* Huffman codes go most significant bit first. */
static void put_code(bits_t *w, uint32_t code, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		put_bits(w, (code >> i) & 1u, 1);
	}
}

static void put_litlen(bits_t *w, int sym)
{
	if (sym < 144) {
		put_code(w, 0x30u + (uint32_t)sym, 8);
	} else if (sym < 256) {
		put_code(w, 0x190u + (uint32_t)(sym - 144), 9);
	} else if (sym < 280) {
		put_code(w, (uint32_t)(sym - 256), 7);
	} else {
		put_code(w, 0xc0u + (uint32_t)(sym - 280), 8);
	}
}

/* A match of length 3 (code 257) at distance dist (1-32768). */
static void put_match3(bits_t *w, uint32_t dist)
{
	static const uint32_t base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
		257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
	int code = 29;
	while (base[code] > dist) {
		code--;
	}
	int extra = code < 4 ? 0 : code / 2 - 1;
	put_litlen(w, 257);
	put_code(w, (uint32_t)code, 5);
	put_bits(w, dist - base[code], extra);
}

/* Pads to a byte boundary and returns the bytes (the writer is emptied). */
static buf_t bits_done(bits_t *w)
{
	if (w->n) {
		put_bits(w, 0, 8 - w->n);
	}
	buf_t b = w->b;
	memset(w, 0, sizeof(*w));
	return b;
}

/* ---- BFINAL -------------------------------------------------------------- */

/* The defect of issue 18: a message ending on a final block, then a fresh stream. */
static void test_bfinal_then_independent(void)
{
	ws_inflater_t *inf = ws_inflater_new();
	buf_t m1 = zlib_raw("Hello", 5, Z_FINISH, NULL);
	buf_t m2 = zlib_raw("World", 5, Z_SYNC_FLUSH, NULL);
	buf_t m3 = zlib_raw("again, final", 12, Z_FINISH, NULL);
	buf_t out = { 0 };

	CHECK_EQ_INT(inflate_whole(inf, m1.p, m1.len, &out), 0);
	OUT_IS(out, "Hello");
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(inf, m2.p, m2.len, &out), 0);
	OUT_IS(out, "World");
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(inf, m3.p, m3.len, &out), 0);
	CHECK_EQ_INT(inflate_whole(inf, m3.p, m3.len, &out), 0);
	CHECK_EQ_INT(inflate_whole(inf, m2.p, m2.len, &out), 0);
	OUT_IS(out, "again, finalagain, finalWorld");
	buf_free(&m1);
	buf_free(&m2);
	buf_free(&m3);
	buf_free(&out);
	ws_inflater_free(inf);
}

/* The RFC 7692 7.2.3 examples, on one connection, whole and byte by byte. */
static void test_rfc7692_examples(void)
{
	static const char *msgs[] = {
		"f248cdc9c90700",               /* 7.2.3.1 */
		"f200110000",                   /* 7.2.3.2: refers to the previous message */
		"000500faff48656c6c6f00",       /* 7.2.3.3: a stored block */
		"f24805000000ffffcac9c90700",   /* 7.2.3.5: two blocks */
		"f348cdc9c9070000",             /* 7.2.3.4: BFINAL, then 00 */
		"f200110000",                   /* and the window survived it */
		"f348cdc9c90700",               /* BFINAL with nothing after it */
		"f200110000",
		"00",                           /* 7.2.3.6: an empty message */
	};
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		ws_inflater_t *inf = ws_inflater_new();
		for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
			buf_t m = hex(msgs[i]), out = { 0 };
			int r = bytewise ? inflate_bytewise(inf, m.p, m.len, &out) : inflate_whole(inf, m.p, m.len, &out);
			CHECK_EQ_INT(r, 0);
			if (i + 1 < sizeof(msgs) / sizeof(msgs[0])) {
				OUT_IS(out, "Hello");
			} else {
				CHECK_EQ_INT(out.len, 0);
			}
			buf_free(&m);
			buf_free(&out);
		}
		ws_inflater_free(inf);
	}
}

/*
 * A BFINAL message and the message after it, each split in three at every
 * pair of offsets (fragments of a message and TCP reads both end up as
 * separate feeds), with both ways of signalling the end.
 */
static void test_bfinal_split_everywhere(void)
{
	static const char text1[] = "BFINAL at the end of this message, which is long enough to "
		"make zlib use a match or two: BFINAL at the end.";
	static const char text2[] = "a fresh stream in the next message";
	buf_t m1 = zlib_raw(text1, sizeof(text1) - 1, Z_FINISH, NULL);
	buf_t m2 = zlib_raw(text2, sizeof(text2) - 1, Z_SYNC_FLUSH, NULL);
	buf_t rfc = hex("f348cdc9c9070000");
	const buf_t *ms[] = { &m1, &rfc };
	const char *texts[] = { text1, "Hello" };
	int bad = 0;

	for (int which = 0; which < 2; which++) {
		const buf_t *m = ms[which];
		size_t tlen = strlen(texts[which]);
		for (size_t a = 0; a <= m->len; a++) {
			for (size_t b = a; b <= m->len; b++) {
				for (int ef = 0; ef < 2; ef++) {
					ws_inflater_t *inf = ws_inflater_new();
					buf_t out = { 0 };
					int r1 = inflate_cut(inf, m->p, m->len, a, b, ef, 0, &out);
					size_t c = (a * 7 + b) % (m2.len + 1);
					int r2 = inflate_cut(inf, m2.p, m2.len, c, c, ef, 0, &out);
					if (r1 != 0 || r2 != 0 || out.len != tlen + sizeof(text2) - 1
						|| memcmp(out.p, texts[which], tlen) != 0
						|| memcmp(out.p + tlen, text2, sizeof(text2) - 1) != 0) {
						bad++;
					}
					buf_free(&out);
					ws_inflater_free(inf);
				}
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	buf_free(&m1);
	buf_free(&m2);
	buf_free(&rfc);
}

/* Without context takeover (the server resets, or frees, the inflater after each message). */
static void test_bfinal_no_context_takeover(void)
{
	ws_inflater_t *inf = ws_inflater_new();
	buf_t m1 = zlib_raw("Hello", 5, Z_FINISH, NULL);
	buf_t m2 = zlib_raw("World", 5, Z_SYNC_FLUSH, NULL);
	buf_t ref = zlib_raw("Hello", 5, Z_SYNC_FLUSH, "Hello");
	buf_t out = { 0 };

	for (int round = 0; round < 3; round++) {
		CHECK_EQ_INT(inflate_whole(inf, m1.p, m1.len, &out), 0);
		ws_inflater_reset(inf);
		CHECK_EQ_INT(inflate_cut(inf, m2.p, m2.len, 1, 3, round & 1, 0, &out), 0);
		ws_inflater_reset(inf);
	}
	OUT_IS(out, "HelloWorldHelloWorldHelloWorld");
	/* A back-reference into a window that no longer exists is corrupt data. */
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(inf, m1.p, m1.len, &out), 0);
	ws_inflater_reset(inf);
	CHECK_EQ_INT(inflate_whole(inf, ref.p, ref.len, &out), WS_ERR_COMPRESSION);
	/* The reset also clears the error. */
	ws_inflater_reset(inf);
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(inf, m2.p, m2.len, &out), 0);
	OUT_IS(out, "World");
	buf_free(&m1);
	buf_free(&m2);
	buf_free(&ref);
	buf_free(&out);
	ws_inflater_free(inf);
}

/*
 * Our decision (RFC 7692 7.2.2): with context takeover, a stream after a
 * final block may refer back across it, in the next message or in the same
 * one, as far as the window reaches.
 */
static void test_backref_across_bfinal(void)
{
	ws_inflater_t *inf = ws_inflater_new();
	buf_t m1 = zlib_raw("Hello", 5, Z_FINISH, NULL);
	buf_t ref = zlib_raw("Hello", 5, Z_SYNC_FLUSH, "Hello");
	buf_t out = { 0 };

	CHECK_EQ_INT(inflate_whole(inf, m1.p, m1.len, &out), 0);
	CHECK_EQ_INT(inflate_cut(inf, ref.p, ref.len, 1, 1, 1, 0, &out), 0);
	OUT_IS(out, "HelloHello");

	/* Within one message: final stream, then a stream referring into it. */
	buf_t one = cat(zlib_raw("Hello", 5, Z_FINISH, NULL), zlib_raw("Hello", 5, Z_SYNC_FLUSH, "Hello"));
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(inf, one.p, one.len, &out), 0);
	OUT_IS(out, "HelloHello");

	/* The whole 32 KiB window survives: a distance of exactly 32768 across the boundary. */
	ws_inflater_t *big = ws_inflater_new();
	char *fill = malloc(40000);
	for (size_t i = 0; i < 40000; i++) {
		fill[i] = (char)('a' + (i * 7 + i / 26) % 26);
	}
	buf_t mfill = zlib_raw(fill, 40000, Z_FINISH, NULL);
	bits_t w = { 0 };
	put_bits(&w, 0, 1);  /* BFINAL 0 */
	put_bits(&w, 1, 2);  /* fixed Huffman */
	put_match3(&w, 32768);
	put_litlen(&w, 256);
	put_bits(&w, 0, 3);  /* the header of the empty stored block of a sync flush */
	buf_t far = bits_done(&w);
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(big, mfill.p, mfill.len, &out), 0);
	CHECK_EQ_INT(out.len, 40000);
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(big, far.p, far.len, &out), 0);
	CHECK_EQ_INT(out.len, 3);
	CHECK_MEM(out.p, fill + 40000 - 32768, out.len == 3 ? 3 : 0);
	ws_inflater_free(big);

	/* One byte past the history is refused: 5 bytes of history, distance 6. */
	ws_inflater_t *shallow = ws_inflater_new();
	put_bits(&w, 0, 1);
	put_bits(&w, 1, 2);
	put_match3(&w, 6);
	put_litlen(&w, 256);
	put_bits(&w, 0, 3);
	buf_t past = bits_done(&w);
	CHECK_EQ_INT(inflate_whole(shallow, m1.p, m1.len, &out), 0);
	CHECK_EQ_INT(inflate_whole(shallow, past.p, past.len, &out), WS_ERR_COMPRESSION);
	ws_inflater_free(shallow);

	free(fill);
	buf_free(&mfill);
	buf_free(&far);
	buf_free(&past);
	buf_free(&m1);
	buf_free(&ref);
	buf_free(&one);
	buf_free(&out);
	ws_inflater_free(inf);
}

/* What follows a final block inside one message. */
static void test_data_after_bfinal(void)
{
	buf_t out = { 0 };

	/* Several streams in one message, the last one ending in a sync flush. */
	buf_t m = cat(cat(zlib_raw("one ", 4, Z_FINISH, NULL), zlib_raw("two ", 4, Z_FINISH, NULL)),
		zlib_raw("three", 5, Z_SYNC_FLUSH, NULL));
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		ws_inflater_t *inf = ws_inflater_new();
		out.len = 0;
		CHECK_EQ_INT(bytewise ? inflate_bytewise(inf, m.p, m.len, &out) : inflate_whole(inf, m.p, m.len, &out), 0);
		OUT_IS(out, "one two three");
		ws_inflater_free(inf);
	}
	buf_free(&m);

	/* Garbage after a final block is corrupt data (block type 3 is reserved). */
	ws_inflater_t *inf = ws_inflater_new();
	m = cat(zlib_raw("Hello", 5, Z_FINISH, NULL), hex("ff"));
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(inf, m.p, m.len, &out), WS_ERR_COMPRESSION);
	ws_inflater_free(inf);
	buf_free(&m);

	/* A final block whose end-of-block code lies in the appended trailer:
	 * the rest of the trailer is dropped and the next message is fresh. */
	inf = ws_inflater_new();
	m = hex("f348cdc9c907");
	buf_t next = zlib_raw("World", 5, Z_SYNC_FLUSH, NULL);
	out.len = 0;
	CHECK_EQ_INT(inflate_whole(inf, m.p, m.len, &out), 0);
	CHECK_EQ_INT(inflate_whole(inf, next.p, next.len, &out), 0);
	OUT_IS(out, "HelloWorld");
	ws_inflater_free(inf);
	buf_free(&m);

	/* A final empty stored block completed by the trailer: a sync flush kept
	 * whole, then the header byte 01 (BFINAL, stored). */
	inf = ws_inflater_new();
	m = zlib_raw("abc", 3, Z_SYNC_FLUSH, NULL);
	buf_add(&m, "\x00\x00\xff\xff\x01", 5);
	out.len = 0;
	CHECK_EQ_INT(inflate_cut(inf, m.p, m.len, 2, m.len - 1, 1, 0, &out), 0);
	CHECK_EQ_INT(inflate_whole(inf, next.p, next.len, &out), 0);
	OUT_IS(out, "abcWorld");
	ws_inflater_free(inf);
	buf_free(&m);
	buf_free(&next);
	buf_free(&out);
}

/* max_out holds per message, across final blocks, and an error is sticky. */
static void test_limits(void)
{
	char zeros[3000] = { 0 };
	buf_t two = cat(zlib_raw(zeros, 1500, Z_FINISH, NULL), zlib_raw(zeros, 1500, Z_SYNC_FLUSH, NULL));
	buf_t out = { 0 };

	for (uint64_t limit = 2999; limit <= 3001; limit++) {
		ws_inflater_t *inf = ws_inflater_new();
		for (size_t a = 0; a <= two.len; a += 3) {
			out.len = 0;
			int r = inflate_cut(inf, two.p, two.len, a, a, (int)(a & 1), limit, &out);
			CHECK_EQ_INT(r, limit < 3000 ? WS_ERR_MESSAGE_TOO_BIG : 0);
			CHECK(out.len <= limit);
			if (r != 0) {
				ws_inflater_reset(inf);
			}
		}
		ws_inflater_free(inf);
	}

	/* A bomb: 8 MiB of zeros stop at the limit. */
	char *big = calloc(1, 8u << 20);
	buf_t bomb = zlib_raw(big, 8u << 20, Z_SYNC_FLUSH, NULL);
	ws_inflater_t *inf = ws_inflater_new();
	out.len = 0;
	CHECK_EQ_INT(inflate_cut(inf, bomb.p, bomb.len, bomb.len / 2, bomb.len / 2, 0, 65536, &out),
		WS_ERR_MESSAGE_TOO_BIG);
	CHECK_EQ_INT(out.len, 65536);
	ws_inflater_free(inf);
	free(big);
	buf_free(&bomb);
	buf_free(&two);
	buf_free(&out);
}

/* ---- our deflater -------------------------------------------------------- */

/*
 * Walks a message's blocks with Z_BLOCK (zlib returns at each block end)
 * and fails on a block with BFINAL set; checks the bytes and returns how many
 * blocks there were.
 */
static int walk_blocks(z_stream *z, const uint8_t *c, size_t clen, const uint8_t *want, size_t wlen, int *bfinal)
{
	buf_t in = { 0 }, out = { 0 };
	uint8_t tmp[4096];
	int blocks = 0;

	buf_add(&in, c, clen);
	buf_add(&in, "\x00\x00\xff\xff", 4);
	z->next_in = in.p;
	z->avail_in = (uInt)in.len;
	for (;;) {
		z->next_out = tmp;
		z->avail_out = sizeof(tmp);
		int r = inflate(z, Z_BLOCK);
		buf_add(&out, tmp, sizeof(tmp) - z->avail_out);
		if (r == Z_STREAM_END || (z->data_type & 64)) {
			(*bfinal)++;
			break;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			(*bfinal)++;
			break;
		}
		if ((z->data_type & 128) && z->avail_out != 0) {
			blocks++;
		}
		if (z->avail_in == 0 && z->avail_out != 0) {
			break;
		}
	}
	if (out.len != wlen || (wlen && memcmp(out.p, want, wlen) != 0)) {
		(*bfinal)++;
	}
	buf_free(&in);
	buf_free(&out);
	return blocks;
}

static void test_deflater_never_sets_bfinal(void)
{
	static const int levels[] = { -1, 0, 1, 6, 9 };
	static const int mem_levels[] = { 1, 8, 9 };
	size_t big = 100000;
	uint8_t *rnd = malloc(big), *rep = malloc(big);
	uint32_t x = 12345;
	for (size_t i = 0; i < big; i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (uint8_t)(x >> 24);
		rep[i] = (uint8_t)("permessage-deflate "[i % 19] ^ (i / 5000));
	}
	struct { const uint8_t *p; size_t len; } msgs[] = {
		{ (const uint8_t *)"", 0 },
		{ (const uint8_t *)"a short message", 15 },
		{ (const uint8_t *)"", 0 },
		{ rep, big },
		{ rnd, 30000 },
		{ rep + 1000, 300 },
		{ rnd, 0 },
	};
	int bad = 0, max_blocks = 0, runs = 0;

	for (int wbits = 8; wbits <= 15; wbits++) {
		for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
			for (size_t ml = 0; ml < sizeof(mem_levels) / sizeof(mem_levels[0]); ml++) {
				for (int reset = 0; reset < 2; reset++) {
					ws_deflater_t *d = ws_deflater_new(levels[l], mem_levels[ml], wbits);
					ws_inflater_t *inf = ws_inflater_new();
					uint8_t *c = NULL;
					size_t cap = 0;
					z_stream z;
					memset(&z, 0, sizeof(z));
					/* The deflater's real window (8 becomes 9), so any reach past it fails. */
					if (d == NULL || inf == NULL || inflateInit2(&z, -(wbits < 9 ? 9 : wbits)) != Z_OK) {
						abort();
					}
					for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
						long n = ws_deflater_compress(d, msgs[i].p, msgs[i].len, reset, &c, &cap);
						if (n <= 0) {
							bad++;
							continue;
						}
						int blocks = walk_blocks(&z, c, (size_t)n, msgs[i].p, msgs[i].len, &bad);
						if (blocks > max_blocks) {
							max_blocks = blocks;
						}
						if (reset) {
							inflateReset(&z);
						}
						/* And ours takes it back, split somewhere. */
						buf_t out = { 0 };
						size_t a = (size_t)n / 3;
						if (inflate_cut(inf, c, (size_t)n, a, a, 1, 0, &out) != 0 || out.len != msgs[i].len
							|| (out.len && memcmp(out.p, msgs[i].p, out.len) != 0)) {
							bad++;
						}
						buf_free(&out);
						if (reset) {
							ws_inflater_reset(inf);
						}
						runs++;
					}
					inflateEnd(&z);
					free(c);
					ws_inflater_free(inf);
					ws_deflater_free(d);
				}
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(runs, 8 * 5 * 3 * 2 * 7);
	CHECK(max_blocks >= 3); /* big messages span several blocks (level 0: stored blocks of 64 KiB at most) */
	free(rnd);
	free(rep);
}

/* Found by fuzz_inflate: an empty message right after another under context takeover. */
static void test_deflater_empty_after_sync_flush(void)
{
	ws_deflater_t *d = ws_deflater_new(-1, 8, 15);
	ws_inflater_t *inf = ws_inflater_new();
	uint8_t *c = NULL;
	size_t cap = 0;
	buf_t out = { 0 };
	const char *texts[] = { "first", "", "", "after two empty ones" };

	for (int i = 0; i < 4; i++) {
		long n = ws_deflater_compress(d, (const uint8_t *)texts[i], strlen(texts[i]), 0, &c, &cap);
		CHECK(n >= 1);
		if (texts[i][0] == '\0') {
			CHECK_EQ_INT(n, 1);
			CHECK_EQ_INT(c[0], 0x00);
		}
		CHECK_EQ_INT(inflate_whole(inf, c, (size_t)n, &out), 0);
	}
	OUT_IS(out, "firstafter two empty ones");
	free(c);
	buf_free(&out);
	ws_inflater_free(inf);
	ws_deflater_free(d);
}

static const test_case_t tests[] = {
	TEST(test_bfinal_then_independent),
	TEST(test_rfc7692_examples),
	TEST(test_bfinal_split_everywhere),
	TEST(test_bfinal_no_context_takeover),
	TEST(test_backref_across_bfinal),
	TEST(test_data_after_bfinal),
	TEST(test_limits),
	TEST(test_deflater_never_sets_bfinal),
	TEST(test_deflater_empty_after_sync_flush),
};

TEST_MAIN("deflate", tests)
