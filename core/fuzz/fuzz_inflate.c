/*
 * fuzz_inflate.c - libFuzzer target for the permessage-deflate inflater
 * (ws_inflater_* in ws_deflate.c), with our deflater as a second subject.
 *
 * Input layout:
 *   byte 0  bits 0-2  window bits, 8 + value (8-15)
 *           bit 3     context takeover between messages
 *           bit 4     mode: 0 hostile input, 1 round trip through ws_deflater
 *           bits 5-6  how each message is cut into feeds: whole, byte by
 *                     byte, pieces of 0-16 bytes, pieces of any size
 *           bit 7     end each message with a separate empty final feed
 *                     (what the server does) instead of final on the last piece
 *   byte 1  bits 0-3  max_out: none, 1, 2, 5, 64, 255, 256, 1000, 4096,
 *                     16383, 16384, 16385, 40000, 65536, 1 MiB, none
 *           bits 4-7  round trip: the deflate level (-1 to 9, then 9 again)
 *   byte 2            seed of the cuts (messages and feeds)
 *   byte 3  bits 0-1  number of messages - 1
 *           bits 2-5  round trip: memLevel - 1 (then 9)
 *   rest              compressed messages (hostile) or plain text (round trip)
 *
 * Checked on every run: *produced never exceeds max_out and equals what
 * the sink received for the message; no sink call after an error, and the
 * error is sticky (one more feed returns it and inflates nothing).
 *
 * Hostile mode, differential: messages are compared with an oracle built
 * from zlib's one-shot raw inflate, wherever the oracle can tell exactly
 * what ours must do.  Our inflater's contract, which the oracle restates:
 *   data = message + 00 00 FF FF.  Inflate data as a raw DEFLATE stream; if
 *   the stream ends (a BFINAL block) before the message's own bytes are
 *   used up, the rest is another raw stream whose dictionary is everything
 *   inflated so far (the last 32 KiB), and so on; a stream that ends at or
 *   inside the trailer ends the message and the rest of the trailer is
 *   ignored.  Output past max_out is refused.
 * The oracle runs each stream with a single inflate() call and an output
 * buffer holding everything (max_out + 1 bytes when limited), so:
 *   - a distance is refused exactly when it reaches before the first byte
 *     of history, as in ours.  zlib checks a distance against the window
 *     only for bytes that left earlier calls; within one call it checks
 *     against the output buffer.  That is why the window bits of byte 0
 *     (the first stream's window, 8 allowed) cannot change the verdict, and
 *     the oracle checks that too: ours always inflates with 15 bits, which
 *     accepts whatever a sender with a smaller window may send.  A later
 *     stream gets a 15-bit window preloaded with the history, as ours keeps.
 *   - verdicts: the buffer filled (more than max_out bytes decode before any
 *     error) => ours returns WS_ERR_MESSAGE_TOO_BIG having passed on a prefix
 *     of the oracle's bytes; a data error => WS_ERR_COMPRESSION, again after
 *     a prefix; otherwise ours returns 0 with exactly the oracle's bytes.
 *   - with no limit, the oracle's buffer is 8 MiB; if it fills, only the
 *     prefix is compared.
 * Which messages: every message without context takeover (the server
 * inflates each after ws_inflater_reset); with takeover, the first, and each
 * next one as long as every message before it was accepted and ended
 * cleanly: by a stream end, or between blocks with no bits left over
 * (zlib's data_type), as the 00 00 FF FF of a sync flush leaves it.  Such a
 * message starts a fresh stream whose dictionary is the history (the last
 * 32 KiB of output), which is what the oracle then runs.  After a message
 * ending inside a block the stream state crosses into the next message and
 * no independent oracle exists: only the invariants are checked from there.
 *
 * Round-trip mode: the text is cut into messages, each compressed by
 * ws_deflater_compress (reset when there is no takeover) and inflated by
 * ours: the bytes must come back, and WS_ERR_MESSAGE_TOO_BIG exactly when
 * the message is longer than max_out.  A plain zlib inflater with the
 * deflater's window, producing 64 bytes per call so that every distance is
 * checked against the real window, inflates the same data: no error, the
 * same bytes, and never Z_STREAM_END (our deflater must not set BFINAL).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "ws_deflate.h"
#include "ws_error.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

#define MAX_MSGS 4
#define ORACLE_CAP (8u << 20)

static const uint64_t max_out_table[16] = {
	0, 1, 2, 5, 64, 255, 256, 1000, 4096, 16383, 16384, 16385, 40000, 65536, 1u << 20, 0
};

static const uint8_t trailer[4] = { 0x00, 0x00, 0xff, 0xff };

/* ---- cuts ---------------------------------------------------------------- */

static uint32_t rng;

static uint32_t next_rand(void)
{
	/* xorshift32; the seed is never 0 */
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* ---- the sink ------------------------------------------------------------ */

typedef struct sink_state {
	const uint8_t *expect;  /* the oracle's bytes, or NULL */
	size_t expect_len;
	uint64_t got;           /* bytes received in this message */
	uint8_t *keep;          /* round trip: where to gather them */
	size_t keep_cap;
	int failed;             /* the inflater reported an error: no more calls */
} sink_state_t;

static int sink(void *user, const uint8_t *data, size_t len)
{
	sink_state_t *s = user;
	CHECK(!s->failed);
	CHECK(len > 0);
	if (s->expect != NULL && s->got < s->expect_len) {
		size_t n = s->expect_len - s->got < len ? (size_t)(s->expect_len - s->got) : len;
		CHECK(memcmp(s->expect + s->got, data, n) == 0);
	}
	if (s->keep != NULL) {
		CHECK(s->got + len <= s->keep_cap);
		memcpy(s->keep + s->got, data, len);
	}
	s->got += len;
	return 0;
}

/*
 * Feeds one message in pieces chosen by `cut` (see byte 0); returns the
 * result of the last feed.  Checks the limit and sink invariants.
 */
static int feed_message(ws_inflater_t *inf, const uint8_t *msg, size_t len, int cut, int empty_final,
	uint64_t max_out, sink_state_t *s)
{
	uint64_t produced = 0;
	size_t pos = 0;
	int r = 0;

	s->got = 0;
	s->failed = 0;
	for (;;) {
		size_t n = len - pos;
		switch (cut) {
		case 1:
			n = n > 0 ? 1 : 0;
			break;
		case 2:
			n = n < 17 ? next_rand() % (n + 1) : next_rand() % 17;
			break;
		case 3:
			n = next_rand() % (n + 1);
			break;
		}
		/* A run of empty pieces must end: after a zero, take at least one byte. */
		if (n == 0 && pos < len && (next_rand() & 3) != 0) {
			n = 1;
		}
		int last = pos + n == len;
		int fin = last && !empty_final;
		/* An exact-size heap copy, so ASan sees any read past the piece. */
		uint8_t *piece = malloc(n ? n : 1);
		memcpy(piece, msg + pos, n);
		r = ws_inflater_feed(inf, piece, n, fin, &produced, max_out, sink, s);
		free(piece);
		pos += n;
		CHECK(produced == s->got);
		CHECK(max_out == 0 || produced <= max_out);
		if (r != 0) {
			break;
		}
		if (last) {
			if (empty_final) {
				r = ws_inflater_feed(inf, NULL, 0, 1, &produced, max_out, sink, s);
				CHECK(produced == s->got);
				CHECK(max_out == 0 || produced <= max_out);
			}
			break;
		}
	}
	if (r != 0) {
		CHECK(r == WS_ERR_COMPRESSION || r == WS_ERR_MESSAGE_TOO_BIG);
		CHECK(r != WS_ERR_MESSAGE_TOO_BIG || max_out != 0);
		/* Sticky: one more feed inflates nothing and fails the same way. */
		s->failed = 1;
		uint64_t before = produced;
		CHECK(ws_inflater_feed(inf, (const uint8_t *)"\x00", 1, 1, &produced, max_out, sink, s) == r);
		CHECK(produced == before);
	}
	return r;
}

/* ---- coverage hints ------------------------------------------------------ */

/*
 * zlib is the system library, built without coverage instrumentation, so
 * libFuzzer sees no edges inside inflate().  Its extra counters (a section
 * it reads after every run, one feature per counter and count bucket) turn
 * what zlib reports into coverage of our own: which error it found, and per
 * message how it ended and how many streams it held, so that inputs
 * reaching a new kind of outcome join the corpus.
 */
static const char *const zlib_errors[] = {
	"invalid block type", "invalid stored block lengths", "too many length or distance symbols",
	"invalid code lengths set", "invalid bit length repeat", "invalid code -- missing end-of-block",
	"invalid literal/lengths set", "invalid distances set", "invalid literal/length code",
	"invalid distance code", "invalid distance too far back",
};

#define HINT_ERRORS 16
#define HINT_OUTCOMES (4 * 2)
static uint8_t hints[HINT_ERRORS + HINT_OUTCOMES + 4 * 8]
	__attribute__((used, section("__libfuzzer_extra_counters")));

static void hint_error(const char *msg)
{
	unsigned i = 0;
	while (i < sizeof(zlib_errors) / sizeof(zlib_errors[0]) && (msg == NULL || strcmp(msg, zlib_errors[i]) != 0)) {
		i++;
	}
	hints[i]++;
}

/* verdict x clean end, and verdict x streams (the count lands in libFuzzer's buckets). */
static void hint_outcome(int verdict, int streams, int clean)
{
	hints[HINT_ERRORS + verdict * 2 + (clean ? 1 : 0)]++;
	uint8_t *s = &hints[HINT_ERRORS + HINT_OUTCOMES + verdict * 8 + (streams < 8 ? streams : 7)];
	if (*s < 255) {
		(*s)++;
	}
}

/* ---- the oracle ---------------------------------------------------------- */

enum { OR_OK, OR_TOO_BIG, OR_ERROR, OR_FULL };

#define HIST 32768u

/*
 * The oracle's memory: up to HIST bytes of history (what earlier messages
 * left in the window), then the current message's output.
 */
static uint8_t *oracle_buf;
static size_t hist_len;

/*
 * See the head of the file.  The message's bytes are left at
 * oracle_buf + hist_len, their count in *out_len.  *clean: the message ended
 * where the next one can only start a new block on a byte boundary (a
 * stream end, or a block boundary with no bits left over), so that under
 * context takeover the next message is again a fresh stream whose
 * dictionary is the history.
 */
static int oracle(const uint8_t *msg, size_t len, int wbits, uint64_t max_out, size_t *out_len, int *clean)
{
	size_t cap = max_out != 0 && max_out < ORACLE_CAP ? (size_t)max_out + 1 : ORACLE_CAP;
	size_t dlen = len + sizeof(trailer);
	uint8_t *data = malloc(dlen);
	uint8_t *out = oracle_buf + hist_len;
	size_t pos = 0, have = 0;
	int first = 1, streams = 1, verdict;

	*clean = 0;
	memcpy(data, msg, len);
	memcpy(data + len, trailer, sizeof(trailer));
	for (;;) {
		z_stream z;
		size_t before = hist_len + have;
		memset(&z, 0, sizeof(z));
		CHECK(inflateInit2(&z, first && hist_len == 0 ? -wbits : -15) == Z_OK);
		if (before > 0) {
			size_t d = before < HIST ? before : HIST;
			CHECK(inflateSetDictionary(&z, oracle_buf + before - d, (uInt)d) == Z_OK);
		}
		z.next_in = data + pos;
		z.avail_in = (uInt)(dlen - pos);
		z.next_out = out + have;
		z.avail_out = (uInt)(cap - have);
		int r = inflate(&z, Z_SYNC_FLUSH);
		pos = dlen - z.avail_in;
		have = cap - z.avail_out;
		inflateEnd(&z);
		if (max_out != 0 && have > max_out) {
			verdict = OR_TOO_BIG;
			break;
		}
		if (r == Z_DATA_ERROR) {
			hint_error(z.msg);
			verdict = OR_ERROR;
			break;
		}
		if (have == cap) {
			verdict = OR_FULL;
			break;
		}
		if (r == Z_STREAM_END) {
			if (pos >= len) {
				verdict = OR_OK; /* ended at or inside the trailer */
				*clean = 1;
				break;
			}
			first = 0;
			streams++;
			continue;
		}
		/* One call with room to spare stops only when the input is used up. */
		CHECK((r == Z_OK || r == Z_BUF_ERROR) && z.avail_in == 0);
		verdict = OR_OK;
		/* data_type: unused bits + 64 (last block) + 128 (between blocks) + 256 (just after a header). */
		*clean = z.data_type == 128;
		break;
	}
	free(data);
	hint_outcome(verdict, streams, *clean);
	*out_len = have;
	return verdict;
}

/* After a clean message: its output joins the history (the last HIST bytes are kept). */
static void oracle_keep(size_t out_len)
{
	size_t all = hist_len + out_len;
	size_t keep = all < HIST ? all : HIST;
	memmove(oracle_buf, oracle_buf + all - keep, keep);
	hist_len = keep;
}

/* ---- the two modes -------------------------------------------------------- */

/* Cuts len bytes into nmsg messages: fills starts[0..nmsg] (starts[nmsg] == len). */
static void cut_messages(size_t len, int nmsg, size_t *starts)
{
	starts[0] = 0;
	for (int i = 1; i < nmsg; i++) {
		size_t left = len - starts[i - 1];
		starts[i] = starts[i - 1] + (left ? next_rand() % (left + 1) : 0);
	}
	starts[nmsg] = len;
}

static void hostile(const uint8_t *p, size_t len, int wbits, int takeover, int cut, int empty_final,
	uint64_t max_out, int nmsg)
{
	size_t starts[MAX_MSGS + 1];
	ws_inflater_t *inf = ws_inflater_new();
	sink_state_t s;
	int known = 1; /* the inflater's state is one the oracle can describe */

	CHECK(inf != NULL);
	hist_len = 0;
	cut_messages(len, nmsg, starts);
	for (int m = 0; m < nmsg; m++) {
		const uint8_t *msg = p + starts[m];
		size_t mlen = starts[m + 1] - starts[m];
		int verdict = OR_FULL, clean = 0;
		size_t want = 0;

		memset(&s, 0, sizeof(s));
		if (known) {
			int fresh = hist_len == 0;
			verdict = oracle(msg, mlen, wbits, max_out, &want, &clean);
			/* Without history the verdict does not depend on zlib's window size. */
			if (fresh && wbits != 15 && verdict != OR_FULL) {
				uint8_t *keep = malloc(want ? want : 1);
				size_t want15 = 0;
				int clean15 = 0;
				memcpy(keep, oracle_buf, want);
				CHECK(oracle(msg, mlen, 15, max_out, &want15, &clean15) == verdict);
				CHECK(want15 == want && clean15 == clean && memcmp(keep, oracle_buf, want) == 0);
				free(keep);
			}
			s.expect = oracle_buf + hist_len;
			s.expect_len = want;
		}
		int r = feed_message(inf, msg, mlen, cut, empty_final, max_out, &s);
		switch (verdict) {
		case OR_OK:
			CHECK(r == 0 && s.got == want);
			break;
		case OR_TOO_BIG:
			CHECK(r == WS_ERR_MESSAGE_TOO_BIG && s.got <= max_out);
			break;
		case OR_ERROR:
			CHECK(r == WS_ERR_COMPRESSION && s.got <= want);
			break;
		}
		if (r != 0) {
			break; /* the server closes the connection */
		}
		if (!takeover) {
			ws_inflater_reset(inf);
			hist_len = 0;
			known = 1;
		} else if (known && verdict == OR_OK && clean) {
			oracle_keep(want);
		} else {
			known = 0;
		}
	}
	ws_inflater_free(inf);
}

static void round_trip(const uint8_t *p, size_t len, int wbits, int takeover, int cut, int empty_final,
	uint64_t max_out, int nmsg, int level, int mem_level)
{
	size_t starts[MAX_MSGS + 1];
	int dbits = wbits < 9 ? 9 : wbits; /* what ws_deflater_new does with 8 */
	ws_deflater_t *def = ws_deflater_new(level, mem_level, wbits);
	ws_inflater_t *inf = ws_inflater_new();
	uint8_t *comp = NULL, *back = malloc(len ? len : 1), *ref = malloc(len + 64);
	size_t comp_cap = 0;
	sink_state_t s;
	z_stream z;

	CHECK(def != NULL && inf != NULL);
	memset(&z, 0, sizeof(z));
	CHECK(inflateInit2(&z, -dbits) == Z_OK);
	cut_messages(len, nmsg, starts);
	for (int m = 0; m < nmsg; m++) {
		const uint8_t *msg = p + starts[m];
		size_t mlen = starts[m + 1] - starts[m];
		long clen = ws_deflater_compress(def, msg, mlen, !takeover, &comp, &comp_cap);
		CHECK(clen >= 0);

		/* The reference: zlib with the deflater's own window, 64 bytes per call. */
		uint8_t *whole = malloc((size_t)clen + sizeof(trailer));
		memcpy(whole, comp, (size_t)clen);
		memcpy(whole + clen, trailer, sizeof(trailer));
		z.next_in = whole;
		z.avail_in = (uInt)clen + (uInt)sizeof(trailer);
		size_t rlen = 0;
		for (;;) {
			uInt room = 64;
			if (rlen + room > len + 64) {
				abort(); /* more output than the message had */
			}
			z.next_out = ref + rlen;
			z.avail_out = room;
			int r = inflate(&z, Z_SYNC_FLUSH);
			CHECK(r == Z_OK || r == Z_BUF_ERROR); /* never Z_STREAM_END: no BFINAL */
			CHECK((z.data_type & 64) == 0);        /* nor a final block begun */
			rlen += room - z.avail_out;
			if (z.avail_in == 0 && z.avail_out != 0) {
				break;
			}
		}
		free(whole);
		CHECK(rlen == mlen && (mlen == 0 || memcmp(ref, msg, mlen) == 0));
		if (!takeover) {
			CHECK(inflateReset(&z) == Z_OK);
		}

		memset(&s, 0, sizeof(s));
		s.keep = back;
		s.keep_cap = len;
		int r = feed_message(inf, comp, (size_t)clen, cut, empty_final, max_out, &s);
		if (max_out != 0 && mlen > max_out) {
			CHECK(r == WS_ERR_MESSAGE_TOO_BIG);
			break;
		}
		CHECK(r == 0 && s.got == mlen && (mlen == 0 || memcmp(back, msg, mlen) == 0));
		if (!takeover) {
			ws_inflater_reset(inf);
		}
	}
	inflateEnd(&z);
	free(comp);
	free(back);
	free(ref);
	ws_inflater_free(inf);
	ws_deflater_free(def);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4) {
		return 0;
	}
	if (oracle_buf == NULL) {
		oracle_buf = malloc(HIST + ORACLE_CAP);
		CHECK(oracle_buf != NULL);
	}
	int wbits = 8 + (data[0] & 7);
	int takeover = (data[0] >> 3) & 1;
	int trip = (data[0] >> 4) & 1;
	int cut = (data[0] >> 5) & 3;
	int empty_final = data[0] >> 7;
	uint64_t max_out = max_out_table[data[1] & 15];
	int level = (data[1] >> 4) < 11 ? (data[1] >> 4) - 1 : 9;
	int nmsg = 1 + (data[3] & 3);
	int mem_level = ((data[3] >> 2) & 15) < 9 ? ((data[3] >> 2) & 15) + 1 : 9;
	size_t len = size - 4;
	/* An exact-size heap copy of the rest. */
	uint8_t *p = malloc(len ? len : 1);

	memcpy(p, data + 4, len);
	rng = 0x9e3779b9u ^ ((uint32_t)data[2] * 0x01000193u);
	if (trip) {
		round_trip(p, len, wbits, takeover, cut, empty_final, max_out, nmsg, level, mem_level);
	} else {
		hostile(p, len, wbits, takeover, cut, empty_final, max_out, nmsg);
	}
	free(p);
	return 0;
}
