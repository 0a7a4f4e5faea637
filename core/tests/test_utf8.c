/*
 * test_utf8.c - tests of the incremental UTF-8 validator (ws_utf8.c).
 *
 * Tables of valid and invalid sequences (overlongs, surrogates, > U+10FFFF,
 * truncations, Markus Kuhn's boundary cases), every split of every table
 * entry, exhaustive short sequences and a random differential test, all
 * checked against a reference written here in a different way from the
 * validator: it decodes the code point bits and asks whether the interval of
 * code points still reachable from a prefix meets the set of valid ones.
 */
#include <stdint.h>
#include "../ws_error.h"
#include "../ws_utf8.h"
#include "test.h"

/* ---- reference -------------------------------------------------------- */

/* Verdict of the reference: valid and complete, valid but cut short, or invalid at bad. */
enum { REF_VALID, REF_INCOMPLETE, REF_INVALID };

typedef struct ref_result {
	int kind;
	size_t bad;
} ref_result_t;

/*
 * Can a character of total length n whose known leading bits are v, with
 * `left` continuation bytes (6 bits each) still unknown, end up valid?
 * Valid: within the range of its length (no overlong), at most U+10FFFF,
 * and not forced into the surrogate block.
 */
static int ref_reachable(uint32_t v, int n, int left)
{
	static const uint32_t lo_of_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	static const uint32_t hi_of_len[5] = { 0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF };
	uint64_t a = (uint64_t)v << (6 * left);
	uint64_t b = a | ((1ull << (6 * left)) - 1);
	uint64_t lo = lo_of_len[n], hi = hi_of_len[n];

	if (a < lo) {
		a = lo;
	}
	if (b > hi) {
		b = hi;
	}
	if (a > b) {
		return 0;
	}
	/* Something left outside U+D800..U+DFFF? */
	return a < 0xD800 || b > 0xDFFF;
}

static ref_result_t ref_check(const uint8_t *p, size_t len)
{
	ref_result_t r = { REF_VALID, 0 };
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		int n;
		uint32_t v;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 2;
			v = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 3;
			v = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 4;
			v = c & 0x07;
		} else {
			r.kind = REF_INVALID;
			r.bad = i;
			return r;
		}
		if (!ref_reachable(v, n, n - 1)) {
			r.kind = REF_INVALID;
			r.bad = i;
			return r;
		}
		for (int k = 1; k < n; k++) {
			if (i + k >= len) {
				r.kind = REF_INCOMPLETE;
				return r;
			}
			c = p[i + k];
			if ((c & 0xC0) != 0x80) {
				r.kind = REF_INVALID;
				r.bad = i + k;
				return r;
			}
			v = (v << 6) | (c & 0x3F);
			if (!ref_reachable(v, n, n - 1 - k)) {
				r.kind = REF_INVALID;
				r.bad = i + k;
				return r;
			}
		}
		i += n;
	}
	return r;
}

/* Encodes a code point (any value up to 0x10FFFF, surrogates included) and returns its length. */
static size_t encode_cp(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- checking helpers --------------------------------------------------- */

/*
 * Runs the validator over p[0..len) cut at the given offsets (sorted,
 * inside 1..len-1) and turns the outcome into a ref_result_t, translating
 * the per-call bad offset back into a whole-input offset.
 */
static ref_result_t run_split(const uint8_t *p, size_t len, const size_t *cuts, size_t ncuts)
{
	ws_utf8_t v;
	ref_result_t r = { REF_VALID, 0 };
	size_t start = 0;

	ws_utf8_init(&v);
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		size_t bad = (size_t)-1;
		int rc = ws_utf8_feed(&v, p + start, end - start, &bad);
		if (rc != 0) {
			CHECK_EQ_INT(rc, WS_ERR_INVALID_UTF8);
			CHECK(bad < end - start);
			CHECK(!ws_utf8_is_complete(&v));
			r.kind = REF_INVALID;
			r.bad = start + bad;
			return r;
		}
		start = end;
	}
	r.kind = ws_utf8_is_complete(&v) ? REF_VALID : REF_INCOMPLETE;
	return r;
}

static int same_result(ref_result_t a, ref_result_t b)
{
	return a.kind == b.kind && (a.kind != REF_INVALID || a.bad == b.bad);
}

/* Checks one input: one-shot, one-shot helper, every 2-way split and byte by byte. */
static void check_all_ways(const uint8_t *p, size_t len, ref_result_t want)
{
	ref_result_t got = run_split(p, len, NULL, 0);
	CHECK(same_result(got, want));
	if (!same_result(got, want)) {
		fprintf(stderr, "  input of %zu bytes: want kind %d bad %zu, got kind %d bad %zu\n",
			len, want.kind, want.bad, got.kind, got.bad);
	}
	CHECK_EQ_INT(ws_utf8_valid(p, len), want.kind == REF_VALID);

	for (size_t k = 1; k < len; k++) {
		got = run_split(p, len, &k, 1);
		CHECK(same_result(got, want));
	}
	if (len > 1) {
		size_t *cuts = malloc(len * sizeof(*cuts));
		for (size_t k = 1; k < len; k++) {
			cuts[k - 1] = k;
		}
		got = run_split(p, len, cuts, len - 1);
		CHECK(same_result(got, want));
		free(cuts);
	}
}

/* Turns "\xCE\xBA..." style literals with an explicit length into checks. */
typedef struct utf8_case {
	const char *name;
	const char *bytes;
	size_t len;
	int kind;
	size_t bad;
} utf8_case_t;

#define S(lit) lit, sizeof(lit) - 1

static const utf8_case_t cases[] = {
	/* Valid, including every boundary of RFC 3629 table 3.  */
	{ "empty", S(""), REF_VALID, 0 },
	{ "ascii", S("Hello, world"), REF_VALID, 0 },
	{ "nul", S("a\0b"), REF_VALID, 0 },
	{ "kosme", S("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"), REF_VALID, 0 },
	{ "U+0080", S("\xC2\x80"), REF_VALID, 0 },
	{ "U+07FF", S("\xDF\xBF"), REF_VALID, 0 },
	{ "U+0800", S("\xE0\xA0\x80"), REF_VALID, 0 },
	{ "U+0FFF", S("\xE0\xBF\xBF"), REF_VALID, 0 },
	{ "U+D7FF", S("\xED\x9F\xBF"), REF_VALID, 0 },
	{ "U+E000", S("\xEE\x80\x80"), REF_VALID, 0 },
	{ "U+FFFD", S("\xEF\xBF\xBD"), REF_VALID, 0 },
	{ "U+FFFE noncharacter", S("\xEF\xBF\xBE"), REF_VALID, 0 },
	{ "U+FFFF", S("\xEF\xBF\xBF"), REF_VALID, 0 },
	{ "U+10000", S("\xF0\x90\x80\x80"), REF_VALID, 0 },
	{ "U+3FFFF", S("\xF0\xBF\xBF\xBF"), REF_VALID, 0 },
	{ "U+40000", S("\xF1\x80\x80\x80"), REF_VALID, 0 },
	{ "U+FFFFF", S("\xF3\xBF\xBF\xBF"), REF_VALID, 0 },
	{ "U+100000", S("\xF4\x80\x80\x80"), REF_VALID, 0 },
	{ "U+10FFFF", S("\xF4\x8F\xBF\xBF"), REF_VALID, 0 },
	{ "emoji after ascii run", S("abcdefghijklmnop\xF0\x9F\x98\x80xyz"), REF_VALID, 0 },

	/* Stray continuation bytes and bytes that never occur. */
	{ "lone 80", S("\x80"), REF_INVALID, 0 },
	{ "lone BF", S("\xBF"), REF_INVALID, 0 },
	{ "80 after ascii", S("a\x80"), REF_INVALID, 1 },
	{ "extra continuation", S("\xC2\x80\x80"), REF_INVALID, 2 },
	{ "FE", S("\xFE"), REF_INVALID, 0 },
	{ "FF", S("\xFF"), REF_INVALID, 0 },
	{ "FF after 19 ascii", S("aaaaaaaaaaaaaaaaaaa\xFF"), REF_INVALID, 19 },

	/* Overlongs: Kuhn 4.1 (slash) and 4.2 (maximum overlongs). */
	{ "C0 AF", S("\xC0\xAF"), REF_INVALID, 0 },
	{ "C0 80", S("\xC0\x80"), REF_INVALID, 0 },
	{ "C1 BF", S("\xC1\xBF"), REF_INVALID, 0 },
	{ "E0 80 AF", S("\xE0\x80\xAF"), REF_INVALID, 1 },
	{ "E0 9F BF", S("\xE0\x9F\xBF"), REF_INVALID, 1 },
	{ "F0 80 80 AF", S("\xF0\x80\x80\xAF"), REF_INVALID, 1 },
	{ "F0 8F BF BF", S("\xF0\x8F\xBF\xBF"), REF_INVALID, 1 },
	{ "F8 80 80 80 AF", S("\xF8\x80\x80\x80\xAF"), REF_INVALID, 0 },
	{ "FC 80 80 80 80 AF", S("\xFC\x80\x80\x80\x80\xAF"), REF_INVALID, 0 },

	/* Surrogates: Kuhn 5.1 and 5.2. */
	{ "U+D800", S("\xED\xA0\x80"), REF_INVALID, 1 },
	{ "U+DBFF", S("\xED\xAF\xBF"), REF_INVALID, 1 },
	{ "U+DC00", S("\xED\xB0\x80"), REF_INVALID, 1 },
	{ "U+DFFF", S("\xED\xBF\xBF"), REF_INVALID, 1 },
	{ "surrogate pair", S("\xED\xA0\x80\xED\xB0\x80"), REF_INVALID, 1 },

	/* Beyond U+10FFFF. */
	{ "U+110000", S("\xF4\x90\x80\x80"), REF_INVALID, 1 },
	{ "F4 BF", S("\xF4\xBF\xBF\xBF"), REF_INVALID, 1 },
	{ "F5", S("\xF5\x80\x80\x80"), REF_INVALID, 0 },
	{ "F7 BF BF BF", S("\xF7\xBF\xBF\xBF"), REF_INVALID, 0 },

	/* Truncated and interrupted sequences. */
	{ "C2 end", S("\xC2"), REF_INCOMPLETE, 0 },
	{ "E2 82 end", S("\xE2\x82"), REF_INCOMPLETE, 0 },
	{ "F0 9F 98 end", S("\xF0\x9F\x98"), REF_INCOMPLETE, 0 },
	{ "ED end", S("\xED"), REF_INCOMPLETE, 0 },
	{ "F4 8F end", S("\xF4\x8F"), REF_INCOMPLETE, 0 },
	{ "C2 then ascii", S("\xC2\x41"), REF_INVALID, 1 },
	{ "E2 82 then ascii", S("\xE2\x82\x41"), REF_INVALID, 2 },
	{ "F0 9F 98 then ascii", S("\xF0\x9F\x98\x41"), REF_INVALID, 3 },
	{ "C3 28", S("Hello\xC3\x28"), REF_INVALID, 6 },
	{ "two leads", S("\xC2\xC2\x80"), REF_INVALID, 1 },
	{ "E0 then lead", S("\xE0\xE0\xA0\x80"), REF_INVALID, 1 },
	{ "Kuhn 3.3 concatenated", S("\xC0\xE0\x80\xF0\x80\x80"), REF_INVALID, 0 },
};

/* ---- tests ------------------------------------------------------------ */

static void test_reference_agrees_with_table(void)
{
	/* The reference must pass the hand-written table before it may judge anything. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ref_result_t want = { cases[i].kind, cases[i].bad };
		ref_result_t r = ref_check((const uint8_t *)cases[i].bytes, cases[i].len);
		CHECK(same_result(r, want));
		if (!same_result(r, want)) {
			fprintf(stderr, "  reference disagrees on %s\n", cases[i].name);
		}
	}
}

static void test_table_every_split(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ref_result_t want = { cases[i].kind, cases[i].bad };
		int before = test__failures;
		check_all_ways((const uint8_t *)cases[i].bytes, cases[i].len, want);
		if (test__failures != before) {
			fprintf(stderr, "  case: %s\n", cases[i].name);
		}
	}
}

static void test_sticky_failure(void)
{
	ws_utf8_t v;
	size_t bad = 99;

	ws_utf8_init(&v);
	CHECK_EQ_INT(ws_utf8_feed(&v, (const uint8_t *)"ab\xFF", 3, &bad), WS_ERR_INVALID_UTF8);
	CHECK_EQ_INT(bad, 2);
	bad = 99;
	CHECK_EQ_INT(ws_utf8_feed(&v, (const uint8_t *)"ok", 2, &bad), WS_ERR_INVALID_UTF8);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(ws_utf8_feed(&v, NULL, 0, NULL), WS_ERR_INVALID_UTF8);
	CHECK(!ws_utf8_is_complete(&v));
	ws_utf8_init(&v);
	CHECK(ws_utf8_is_complete(&v));
	CHECK_EQ_INT(ws_utf8_feed(&v, (const uint8_t *)"ok", 2, NULL), 0);
	CHECK(ws_utf8_is_complete(&v));
}

static void test_empty_feeds(void)
{
	ws_utf8_t v;

	ws_utf8_init(&v);
	CHECK_EQ_INT(ws_utf8_feed(&v, NULL, 0, NULL), 0);
	CHECK(ws_utf8_is_complete(&v));
	CHECK_EQ_INT(ws_utf8_feed(&v, (const uint8_t *)"\xE2", 1, NULL), 0);
	CHECK_EQ_INT(ws_utf8_feed(&v, NULL, 0, NULL), 0);
	CHECK(!ws_utf8_is_complete(&v));
	CHECK_EQ_INT(ws_utf8_feed(&v, (const uint8_t *)"\x82\xAC", 2, NULL), 0);
	CHECK(ws_utf8_is_complete(&v));
	CHECK(ws_utf8_valid(NULL, 0));
}

/* The 8-byte ASCII fast path must report the exact offset wherever the bad byte sits. */
static void test_fast_path_positions(void)
{
	uint8_t buf[80];

	for (size_t shift = 0; shift < 8; shift++) {
		for (size_t pos = 0; pos + shift < 64; pos++) {
			uint8_t *p = buf + shift;
			size_t len = 64;
			ref_result_t want = { REF_INVALID, pos };
			memset(buf, 'x', sizeof(buf));
			p[pos] = 0xFF;
			CHECK(same_result(run_split(p, len, NULL, 0), want));

			/* A valid 2-byte character there instead passes. */
			memset(buf, 'x', sizeof(buf));
			if (pos + 1 < len) {
				p[pos] = 0xC3;
				p[pos + 1] = 0xA9;
				CHECK(ws_utf8_valid(p, len));
			}
		}
	}
}

/* Every code point: scalar values pass, surrogates fail at their second byte. */
static void test_every_code_point(void)
{
	uint8_t b[4];

	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		size_t n = encode_cp(cp, b);
		int surrogate = cp >= 0xD800 && cp <= 0xDFFF;
		size_t bad = 0;
		ws_utf8_t v;
		int rc;

		ws_utf8_init(&v);
		rc = ws_utf8_feed(&v, b, n, &bad);
		if (surrogate) {
			if (rc != WS_ERR_INVALID_UTF8 || bad != 1) {
				CHECK(0);
				fprintf(stderr, "  surrogate U+%04X accepted\n", (unsigned)cp);
				return;
			}
		} else if (rc != 0 || !ws_utf8_is_complete(&v)) {
			CHECK(0);
			fprintf(stderr, "  U+%04X rejected\n", (unsigned)cp);
			return;
		}
	}
	CHECK(1);
}

/* All 1- and 2-byte inputs, all 3-byte inputs led by C0..FF, and 4-byte ones led by F0..F7. */
static void test_exhaustive_short(void)
{
	uint8_t b[4];
	long mismatches = 0;

	for (unsigned a = 0; a < 256; a++) {
		b[0] = (uint8_t)a;
		if (!same_result(run_split(b, 1, NULL, 0), ref_check(b, 1))) {
			mismatches++;
		}
		for (unsigned c = 0; c < 256; c++) {
			b[1] = (uint8_t)c;
			if (!same_result(run_split(b, 2, NULL, 0), ref_check(b, 2))) {
				mismatches++;
			}
		}
	}
	for (unsigned a = 0xC0; a < 256; a++) {
		for (unsigned c = 0; c < 256; c++) {
			for (unsigned d = 0; d < 256; d++) {
				b[0] = (uint8_t)a;
				b[1] = (uint8_t)c;
				b[2] = (uint8_t)d;
				if (!same_result(run_split(b, 3, NULL, 0), ref_check(b, 3))) {
					mismatches++;
				}
			}
		}
	}
	for (unsigned a = 0xF0; a < 0xF8; a++) {
		for (unsigned c = 0; c < 256; c++) {
			for (unsigned d = 0; d < 256; d++) {
				static const uint8_t lasts[] = { 0x00, 0x41, 0x7F, 0x80, 0xA5, 0xBF, 0xC0, 0xFF };
				for (size_t e = 0; e < sizeof(lasts); e++) {
					size_t k = 2;
					b[0] = (uint8_t)a;
					b[1] = (uint8_t)c;
					b[2] = (uint8_t)d;
					b[3] = lasts[e];
					if (!same_result(run_split(b, 4, NULL, 0), ref_check(b, 4))) {
						mismatches++;
					}
					if (!same_result(run_split(b, 4, &k, 1), ref_check(b, 4))) {
						mismatches++;
					}
				}
			}
		}
	}
	CHECK_EQ_INT(mismatches, 0);
}

/* xorshift64*: deterministic, so that a failure can be replayed. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/*
 * Builds mostly-plausible text: valid characters of every length, with now
 * and then a random byte, a surrogate, an out-of-range lead or a cut, so
 * that both the valid and the failing paths get exercised.
 */
static size_t random_text(uint8_t *out, size_t cap)
{
	size_t n = 0;
	size_t target = (size_t)(rng() % cap);

	while (n + 4 <= target) {
		uint64_t r = rng();
		switch (r % 16) {
		case 0:
			out[n++] = (uint8_t)(r >> 8);
			break;
		case 1: {
			uint8_t tmp[4];
			size_t k = encode_cp(0xD800 + (uint32_t)((r >> 8) % 0x800), tmp);
			memcpy(out + n, tmp, k);
			n += k;
			break;
		}
		case 2: {
			uint8_t tmp[4];
			size_t k = encode_cp(0x10000 + (uint32_t)((r >> 8) % 0x100000), tmp);
			memcpy(out + n, tmp, k - (size_t)((r >> 40) % 2));
			n += k - (size_t)((r >> 40) % 2);
			break;
		}
		case 3:
		case 4:
		case 5: {
			size_t run = (size_t)((r >> 8) % 24);
			for (size_t i = 0; i < run && n < target; i++) {
				out[n++] = (uint8_t)('a' + i % 26);
			}
			break;
		}
		default: {
			uint32_t cp;
			switch ((r >> 8) % 4) {
			case 0: cp = (uint32_t)((r >> 16) % 0x80); break;
			case 1: cp = 0x80 + (uint32_t)((r >> 16) % 0x780); break;
			case 2: cp = 0x800 + (uint32_t)((r >> 16) % 0xF800); break;
			default: cp = 0x10000 + (uint32_t)((r >> 16) % 0x100000); break;
			}
			if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			n += encode_cp(cp, out + n);
			break;
		}
		}
	}
	return n;
}

static void test_random_differential(void)
{
	uint8_t buf[96];
	long mismatches = 0;
	long invalid = 0, valid = 0;

	for (int iter = 0; iter < 200000; iter++) {
		size_t len = random_text(buf, sizeof(buf));
		ref_result_t want = ref_check(buf, len);
		size_t cuts[3];
		size_t ncuts = 0;

		if (want.kind == REF_INVALID) {
			invalid++;
		} else if (want.kind == REF_VALID) {
			valid++;
		}
		if (!same_result(run_split(buf, len, NULL, 0), want)) {
			mismatches++;
		}
		if ((ws_utf8_valid(buf, len) != 0) != (want.kind == REF_VALID)) {
			mismatches++;
		}
		/* Up to three sorted cuts at random places. */
		if (len > 1) {
			size_t a = 1 + (size_t)(rng() % (len - 1));
			size_t b = 1 + (size_t)(rng() % (len - 1));
			size_t c = 1 + (size_t)(rng() % (len - 1));
			size_t t;
			if (a > b) { t = a; a = b; b = t; }
			if (b > c) { t = b; b = c; c = t; }
			if (a > b) { t = a; a = b; b = t; }
			cuts[ncuts++] = a;
			if (b != a) {
				cuts[ncuts++] = b;
			}
			if (c != b) {
				cuts[ncuts++] = c;
			}
		}
		if (!same_result(run_split(buf, len, cuts, ncuts), want)) {
			mismatches++;
		}
	}
	CHECK_EQ_INT(mismatches, 0);
	/* The generator must really produce both kinds, or the test proves little. */
	CHECK(valid > 10000);
	CHECK(invalid > 10000);
}

/* Long mixed text: the validator and the reference agree on every cut position of one buffer. */
static void test_long_mixed_text(void)
{
	static const char *pieces[] = { "plain ascii text ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "0123456789abcdef" };
	uint8_t buf[4096];
	size_t n = 0;
	ref_result_t ok = { REF_VALID, 0 };

	for (size_t i = 0; n + 20 < sizeof(buf); i++) {
		const char *s = pieces[(i * 7) % 5];
		memcpy(buf + n, s, strlen(s));
		n += strlen(s);
	}
	CHECK(same_result(ref_check(buf, n), ok));
	for (size_t k = 1; k < n; k++) {
		if (!same_result(run_split(buf, n, &k, 1), ok)) {
			CHECK(0);
			return;
		}
	}
	/* Now break it somewhere in the middle and check the offset again. */
	buf[3001] = 0xC0;
	{
		ref_result_t want = ref_check(buf, n);
		CHECK_EQ_INT(want.kind, REF_INVALID);
		check_all_ways(buf, n, want);
	}
}

static const test_case_t tests[] = {
	TEST(test_reference_agrees_with_table),
	TEST(test_table_every_split),
	TEST(test_sticky_failure),
	TEST(test_empty_feeds),
	TEST(test_fast_path_positions),
	TEST(test_every_code_point),
	TEST(test_exhaustive_short),
	TEST(test_random_differential),
	TEST(test_long_mixed_text),
};

TEST_MAIN("utf8", tests)
