/*
 * ws_utf8.c - incremental UTF-8 validator (RFC 3629), see ws_utf8.h.
 *
 * The whole state of a stream fits in one uint32_t so that it can live in
 * the frame parser and survive between frames and reads:
 *
 *   0                      at a character boundary
 *   WS_UTF8_FAILED         an invalid byte was seen (sticky)
 *   otherwise              inside a multi-byte character:
 *                            bits  0..1   continuation bytes still expected (1..3)
 *                            bits  8..15  lowest value allowed for the NEXT byte
 *                            bits 16..23  highest value allowed for the NEXT byte
 *
 * Keeping an allowed range for the next byte (instead of the code point
 * decoded so far) is what makes the validator fail fast: every rule of RFC
 * 3629 that is not "a continuation byte is 80..BF" only ever narrows the
 * range of the byte right after the lead byte:
 *
 *   lead      2nd byte   why
 *   C2..DF    80..BF     (C0 and C1 could only encode overlong ASCII)
 *   E0        A0..BF     E0 80..9F would be overlong (< U+0800)
 *   E1..EC    80..BF
 *   ED        80..9F     ED A0..BF would be a surrogate (U+D800..U+DFFF)
 *   EE..EF    80..BF
 *   F0        90..BF     F0 80..8F would be overlong (< U+10000)
 *   F1..F3    80..BF
 *   F4        80..8F     F4 90..BF would be above U+10FFFF
 *   (80..BF stray continuation, C0, C1 and F5..FF never start a character)
 *
 * so the first byte that makes the prefix impossible is rejected at once,
 * which gives the exact bad_offset the frame parser reports.
 */
#include <string.h>
#include "ws_error.h"
#include "ws_utf8.h"

#define WS_UTF8_FAILED 0x80000000u

/* Packs "n more bytes expected, the next one in lo..hi" into a state word. */
#define WS_UTF8_SEQ(n, lo, hi) ((uint32_t)(n) | ((uint32_t)(lo) << 8) | ((uint32_t)(hi) << 16))

/* Every byte of a 64-bit word has its top bit set only in non-ASCII bytes. */
#define WS_UTF8_HIGH_BITS 0x8080808080808080ull

/*
 * State after a non-ASCII lead byte c (c >= 0x80), or WS_UTF8_FAILED if c
 * cannot start a character.  Written as range tests rather than a 256-entry
 * table: the lead byte of a multi-byte character is the rare case next to
 * the ASCII fast path, and the branches are cheaper than a cache line.
 */
static uint32_t lead_state(uint8_t c)
{
	if (c < 0xC2) {
		return WS_UTF8_FAILED;      /* stray continuation, or overlong C0/C1 */
	}
	if (c < 0xE0) {
		return WS_UTF8_SEQ(1, 0x80, 0xBF);
	}
	if (c == 0xE0) {
		return WS_UTF8_SEQ(2, 0xA0, 0xBF);
	}
	if (c == 0xED) {
		return WS_UTF8_SEQ(2, 0x80, 0x9F);
	}
	if (c < 0xF0) {
		return WS_UTF8_SEQ(2, 0x80, 0xBF);
	}
	if (c == 0xF0) {
		return WS_UTF8_SEQ(3, 0x90, 0xBF);
	}
	if (c < 0xF4) {
		return WS_UTF8_SEQ(3, 0x80, 0xBF);
	}
	if (c == 0xF4) {
		return WS_UTF8_SEQ(3, 0x80, 0x8F);
	}
	return WS_UTF8_FAILED;              /* F5..FF: beyond U+10FFFF or not UTF-8 at all */
}

void ws_utf8_init(ws_utf8_t *v)
{
	v->state = 0;
}

int ws_utf8_feed(ws_utf8_t *v, const uint8_t *p, size_t len, size_t *bad_offset)
{
	uint32_t st = v->state;
	size_t i = 0;

	if (st == WS_UTF8_FAILED) {
		/* Already failed on an earlier call: nothing in p is "first". */
		if (bad_offset != NULL) {
			*bad_offset = 0;
		}
		return WS_ERR_INVALID_UTF8;
	}

	while (i < len) {
		uint8_t c;

		if (st == 0) {
			/*
			 * At a boundary, skip whole words of ASCII.  memcpy keeps the
			 * unaligned load well-defined; compilers turn it into one move.
			 */
			while (len - i >= 8) {
				uint64_t w;
				memcpy(&w, p + i, 8);
				if (w & WS_UTF8_HIGH_BITS) {
					break;
				}
				i += 8;
			}
			/* Then byte by byte up to and through the next non-ASCII byte. */
			while (i < len && p[i] < 0x80) {
				i++;
			}
			if (i == len) {
				break;
			}
			st = lead_state(p[i]);
			if (st == WS_UTF8_FAILED) {
				goto fail;
			}
			i++;
			continue;
		}

		c = p[i];
		{
			uint8_t lo = (uint8_t)(st >> 8), hi = (uint8_t)(st >> 16);
			/* One unsigned compare tests lo <= c <= hi. */
			if ((uint8_t)(c - lo) > (uint8_t)(hi - lo)) {
				st = WS_UTF8_FAILED;
				goto fail;
			}
		}
		st = (st & 3u) - 1u;
		if (st != 0) {
			/* Only the byte after the lead is narrowed; the rest are plain 80..BF. */
			st = WS_UTF8_SEQ(st, 0x80, 0xBF);
		}
		i++;
	}
	v->state = st;
	return 0;

fail:
	v->state = WS_UTF8_FAILED;
	if (bad_offset != NULL) {
		*bad_offset = i;
	}
	return WS_ERR_INVALID_UTF8;
}

int ws_utf8_is_complete(const ws_utf8_t *v)
{
	return v->state == 0;
}

int ws_utf8_valid(const uint8_t *p, size_t len)
{
	ws_utf8_t v;

	ws_utf8_init(&v);
	return ws_utf8_feed(&v, p, len, NULL) == 0 && ws_utf8_is_complete(&v);
}
