/*
 * fuzz_utf8.c - libFuzzer target for the UTF-8 validator (ws_utf8.c).
 *
 * Differential: the validator, run one-shot, split at an offset taken from
 * the input, and byte by byte, must agree with a reference written here in
 * a different style (decode the bits, then ask whether the code points
 * still reachable from the prefix include a valid one), including the
 * offset of the first invalid byte.
 *
 * Input: byte 0 picks the split offset, the rest is the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ws_error.h"
#include "ws_utf8.h"

enum { REF_VALID, REF_INCOMPLETE, REF_INVALID };

/* Can a character of n bytes with known leading bits v and `left` unknown 6-bit groups still be valid? */
static int reachable(uint32_t v, int n, int left)
{
	static const uint32_t lo_of_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	static const uint32_t hi_of_len[5] = { 0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF };
	uint64_t a = (uint64_t)v << (6 * left);
	uint64_t b = a | ((1ull << (6 * left)) - 1);

	if (a < lo_of_len[n]) {
		a = lo_of_len[n];
	}
	if (b > hi_of_len[n]) {
		b = hi_of_len[n];
	}
	return a <= b && (a < 0xD800 || b > 0xDFFF);
}

static int reference(const uint8_t *p, size_t len, size_t *bad)
{
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
			*bad = i;
			return REF_INVALID;
		}
		if (!reachable(v, n, n - 1)) {
			*bad = i;
			return REF_INVALID;
		}
		for (int k = 1; k < n; k++) {
			if (i + k >= len) {
				return REF_INCOMPLETE;
			}
			c = p[i + k];
			if ((c & 0xC0) != 0x80 || !reachable((v << 6) | (c & 0x3F), n, n - 1 - k)) {
				*bad = i + k;
				return REF_INVALID;
			}
			v = (v << 6) | (c & 0x3F);
		}
		i += n;
	}
	return REF_VALID;
}

/*
 * Runs the validator over p cut first at `first`, then every `step` bytes
 * (step 0: no further cut).  Returns the verdict and sets *bad.
 */
static int run(const uint8_t *p, size_t len, size_t first, size_t step, size_t *bad)
{
	ws_utf8_t v;
	size_t start = 0, end = first < len ? first : len;

	ws_utf8_init(&v);
	for (;;) {
		size_t b = (size_t)-1;
		if (ws_utf8_feed(&v, p + start, end - start, &b) != 0) {
			if (b >= end - start || ws_utf8_is_complete(&v)) {
				abort();
			}
			*bad = start + b;
			/* Failure is sticky. */
			if (ws_utf8_feed(&v, (const uint8_t *)"a", 1, NULL) != WS_ERR_INVALID_UTF8) {
				abort();
			}
			return REF_INVALID;
		}
		if (end == len) {
			break;
		}
		start = end;
		end = step != 0 && len - start > step ? start + step : len;
	}
	return ws_utf8_is_complete(&v) ? REF_VALID : REF_INCOMPLETE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *text;
	uint8_t *copy;
	size_t len, split, want_bad = 0;
	int want;

	if (size < 1) {
		return 0;
	}
	len = size - 1;
	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(len ? len : 1);
	memcpy(copy, data + 1, len);
	text = copy;
	split = len ? data[0] % (len + 1) : 0;

	want = reference(text, len, &want_bad);
	{
		size_t bad = (size_t)-1;
		int got = run(text, len, len, 0, &bad);
		if (got != want || (want == REF_INVALID && bad != want_bad)) {
			abort();
		}
		bad = (size_t)-1;
		got = run(text, len, split, len, &bad);
		if (got != want || (want == REF_INVALID && bad != want_bad)) {
			abort();
		}
		bad = (size_t)-1;
		got = run(text, len, len ? 1 : 0, 1, &bad);
		if (got != want || (want == REF_INVALID && bad != want_bad)) {
			abort();
		}
		bad = (size_t)-1;
		got = run(text, len, split, (size_t)(data[0] % 13) + 1, &bad);
		if (got != want || (want == REF_INVALID && bad != want_bad)) {
			abort();
		}
	}
	if (ws_utf8_valid(text, len) != (want == REF_VALID)) {
		abort();
	}
	free(copy);
	return 0;
}
