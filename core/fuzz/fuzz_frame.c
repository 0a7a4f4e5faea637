/*
 * fuzz_frame.c - libFuzzer target for the frame decoder (../frame.c).
 *
 * Input layout:
 *   byte 0  bit 0     role (server / client)
 *           bit 1     allow_rsv1
 *           bits 2-3  max_frame_size   (none, 16, 200, 70000)
 *           bits 4-5  max_message_size (none, 40, 300, 100000)
 *           bits 6-7  callbacks: go on / pause at every event /
 *                     pause now and then / fail at the Nth event
 *   byte 1            seed of the chunk sizes (and of the pauses); an odd
 *                     seed also gives the cut run storage of its own for
 *                     large single-frame messages (on_frame_buffer), filled
 *                     directly where ws_frame_parser_payload_dest() allows
 *   rest              the bytes fed to the parser
 *
 * The rest is parsed twice, from two malloc'd copies (the parser unmasks in
 * place): once whole with no pauses, once in chunks with the callback
 * behaviour chosen above.  Checked on every run: feed never reports more
 * than it was given; bytes after a pause are untouched; no callback fires
 * after an error and the error is sticky; data spans lie inside the buffer
 * being fed and are never empty; begin/data/end nest properly and agree
 * with ws_frame_parser_in_message(); an uncompressed text message is valid
 * UTF-8 when it ends (by a reference validator written here); control
 * payloads obey RFC 6455.  And the two runs must report the same events,
 * the same data and the same error at the same offset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ws_error.h"
#include "ws_frame.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* ---- reference UTF-8 check (independent of ws_utf8.c) -------------------- */

static int ref_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp, min;
		int n;
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 2;
			cp = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 3;
			cp = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		if (i + (size_t)n > len) {
			return 0;
		}
		for (int k = 1; k < n; k++) {
			if ((p[i + k] & 0xC0) != 0x80) {
				return 0;
			}
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
			return 0;
		}
		i += (size_t)n;
	}
	return 1;
}

/* ---- recorder ------------------------------------------------------------ */

typedef struct run {
	ws_frame_parser_t p;
	int mode;               /* 0 go on, 1 pause always, 2 pause sometimes, 3 fail at fail_at */
	int fail_at;
	uint32_t rng;
	int paused;
	int dead;
	int events;             /* non-data events, which do not depend on chunking */
	const uint8_t *lo, *hi; /* the buffer being fed */

	int in_msg;
	int msg_text, msg_compressed;
	uint8_t *msg;           /* current message's data */
	size_t msg_len, msg_cap;

	/* What the differential compares. */
	uint8_t *log;
	size_t log_len, log_cap;

	int storage;            /* on_frame_buffer hands out storage, filled directly */
	uint8_t *store;
	size_t store_len, store_fill;
} run_t;

static void grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need > *cap) {
		size_t c = *cap ? *cap : 256;
		while (c < need) {
			c *= 2;
		}
		*buf = realloc(*buf, c);
		CHECK(*buf != NULL);
		*cap = c;
	}
}

static void log_put(run_t *r, const void *d, size_t n)
{
	grow(&r->log, &r->log_cap, r->log_len + n);
	if (n != 0) {
		memcpy(r->log + r->log_len, d, n);
	}
	r->log_len += n;
}

static uint32_t next_rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int answer(run_t *r, int counted)
{
	CHECK(!r->dead);
	if (counted) {
		r->events++;
		if (r->mode == 3 && r->events == r->fail_at) {
			return WS_ERR_CALLBACK;
		}
	}
	if (r->mode == 1 || (r->mode == 2 && (next_rng(&r->rng) & 3) == 0)) {
		r->paused = 1;
		return WS_FRAME_PAUSE;
	}
	return 0;
}

static int on_begin(void *user, ws_opcode_t opcode, int compressed)
{
	run_t *r = user;
	uint8_t rec[3] = { 'B', (uint8_t)opcode, (uint8_t)compressed };

	CHECK(!r->in_msg);
	CHECK(opcode == WS_OPCODE_TEXT || opcode == WS_OPCODE_BINARY);
	CHECK(compressed == 0 || r->p.config.allow_rsv1);
	CHECK(ws_frame_parser_in_message(&r->p));
	r->in_msg = 1;
	r->msg_text = opcode == WS_OPCODE_TEXT;
	r->msg_compressed = compressed;
	r->msg_len = 0;
	log_put(r, rec, 3);
	return answer(r, 1);
}

static int on_data(void *user, const uint8_t *data, size_t len)
{
	run_t *r = user;

	CHECK(r->in_msg);
	CHECK(ws_frame_parser_in_message(&r->p));
	CHECK(len > 0);
	if (r->store != NULL) {
		CHECK(data == r->store + r->store_fill && r->store_fill + len <= r->store_len);
		r->store_fill += len;
	} else {
		CHECK(data >= r->lo && data + len <= r->hi);
	}
	grow(&r->msg, &r->msg_cap, r->msg_len + len);
	memcpy(r->msg + r->msg_len, data, len);
	r->msg_len += len;
	/* Logged as data, without the cut, so that both runs log the same bytes. */
	log_put(r, data, len);
	return answer(r, 0);
}

static int on_end(void *user)
{
	run_t *r = user;
	uint8_t rec = 'E';

	CHECK(r->in_msg);
	CHECK(!ws_frame_parser_in_message(&r->p));
	if (r->msg_text && !r->msg_compressed) {
		CHECK(ref_utf8_valid(r->msg, r->msg_len));
	}
	if (r->p.config.max_message_size != 0 && !r->msg_compressed) {
		CHECK(r->msg_len <= r->p.config.max_message_size);
	}
	r->in_msg = 0;
	if (r->store != NULL) {
		CHECK(r->store_fill == r->store_len);
		free(r->store);
		r->store = NULL;
	}
	log_put(r, &rec, 1);
	return answer(r, 1);
}

static uint8_t *on_buffer(void *user, uint64_t len, size_t in_hand)
{
	run_t *r = user;

	CHECK(r->in_msg && !r->msg_compressed && r->store == NULL);
	CHECK(len >= WS_FRAME_BUFFER_MIN && in_hand <= len && in_hand <= (size_t)(r->hi - r->lo));
	if (!r->storage || len > (1u << 20)) {
		return NULL;
	}
	r->store = malloc((size_t)len);
	CHECK(r->store != NULL);
	r->store_len = (size_t)len;
	r->store_fill = 0;
	return r->store;
}

static int on_control(void *user, ws_opcode_t opcode, unsigned code, const uint8_t *reason, size_t len)
{
	run_t *r = user;
	uint8_t rec[4] = { 'C', (uint8_t)opcode, (uint8_t)(code >> 8), (uint8_t)code };

	CHECK(len <= WS_CONTROL_PAYLOAD_MAX);
	CHECK(len == 0 || reason != NULL);
	if (opcode == WS_OPCODE_CLOSE) {
		CHECK(code == WS_CLOSE_NO_STATUS ? len == 0 : ws_close_code_is_valid(code));
		CHECK(ref_utf8_valid(reason, len));
	} else {
		CHECK(opcode == WS_OPCODE_PING || opcode == WS_OPCODE_PONG);
		CHECK(code == 0);
	}
	log_put(r, rec, 4);
	log_put(r, reason, len);
	return answer(r, 1);
}

static const ws_frame_callbacks_t callbacks = { on_begin, on_data, on_end, on_control, on_buffer };

/*
 * Feeds buf[0..n) in chunks; chunk sizes come from seed (0: one chunk).
 * Returns the final error (0 if none).
 */
static int drive(run_t *r, uint8_t *buf, const uint8_t *pristine, size_t n, uint32_t seed)
{
	size_t off = 0;
	uint32_t s = seed | 1;

	while (off < n) {
		size_t chunk = n - off, done = 0;
		if (seed != 0) {
			size_t c = 1 + next_rng(&s) % ((seed & 0x80) ? 7 : 300);
			if (c < chunk) {
				chunk = c;
			}
		}
		for (;;) {
			ssize_t got;
			size_t left = chunk - done, want;
			uint8_t *dst = NULL;
			r->paused = 0;
			if (r->storage && left > 0 && (want = ws_frame_parser_payload_dest(&r->p, &dst)) > 0) {
				/* As a recv straight into the storage would: the untouched bytes, fed from there. */
				size_t k = want < left ? want : left;
				CHECK(dst == r->store + r->store_fill);
				memcpy(dst, buf + off + done, k);
				r->lo = dst;
				r->hi = dst + k;
				got = ws_frame_parser_feed(&r->p, dst, k);
				if (got < 0) {
					r->dead = 1;
					return (int)got;
				}
				CHECK((size_t)got <= k);
				CHECK(r->paused || (size_t)got == k);
				done += (size_t)got;
				continue;
			}
			r->lo = buf + off + done;
			r->hi = buf + off + chunk;
			got = ws_frame_parser_feed(&r->p, buf + off + done, left);
			if (got < 0) {
				int events = r->events;
				CHECK(got == ws_frame_parser_error(&r->p));
				CHECK(ws_frame_parser_error_offset(&r->p) <= n);
				r->dead = 1;
				/* Sticky, and silent. */
				CHECK(ws_frame_parser_feed(&r->p, buf, n) == got);
				CHECK(ws_frame_parser_feed(&r->p, NULL, 0) == got);
				CHECK(r->events == events);
				return (int)got;
			}
			CHECK((size_t)got <= left);
			if (r->paused) {
				CHECK(memcmp(buf + off + done + got, pristine + off + done + got, left - (size_t)got) == 0);
				done += (size_t)got;
				continue; /* even with nothing left: an event may still be due */
			}
			CHECK((size_t)got == left);
			break;
		}
		off += chunk;
	}
	CHECK(r->in_msg == ws_frame_parser_in_message(&r->p));
	return 0;
}

static void run_init(run_t *r, const ws_frame_config_t *cfg, int mode, int fail_at, uint32_t rng)
{
	memset(r, 0, sizeof(*r));
	ws_frame_parser_init(&r->p, cfg, &callbacks, r);
	r->mode = mode;
	r->fail_at = fail_at;
	r->rng = rng | 1;
}

static void run_free(run_t *r)
{
	ws_frame_parser_release(&r->p);
	free(r->store);
	free(r->msg);
	free(r->log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t frame_limits[4] = { 0, 16, 200, 70000 };
	static const uint64_t msg_limits[4] = { 0, 40, 300, 100000 };
	ws_frame_config_t cfg;
	run_t *whole, *cut;
	uint8_t *a, *b;
	size_t n;
	int mode, ea, eb;

	if (size < 2) {
		return 0;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = (data[0] & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER;
	cfg.allow_rsv1 = (data[0] >> 1) & 1;
	cfg.max_frame_size = frame_limits[(data[0] >> 2) & 3];
	cfg.max_message_size = msg_limits[(data[0] >> 4) & 3];
	mode = data[0] >> 6;

	n = size - 2;
	/* Exact-size mutable copies: the parser unmasks in place, and ASan sees over-reads. */
	a = malloc(n ? n : 1);
	b = malloc(n ? n : 1);
	if (n != 0) {
		memcpy(a, data + 2, n);
		memcpy(b, data + 2, n);
	}
	whole = malloc(sizeof(*whole));
	cut = malloc(sizeof(*cut));
	run_init(whole, &cfg, mode == 3 ? 3 : 0, 1 + data[1] % 8, 0);
	run_init(cut, &cfg, mode, 1 + data[1] % 8, data[1]);
	cut->storage = data[1] & 1;

	ea = drive(whole, a, data + 2, n, 0);
	eb = drive(cut, b, data + 2, n, data[1]);

	CHECK(ea == eb);
	if (ea != 0) {
		CHECK(ws_frame_parser_error_offset(&whole->p) == ws_frame_parser_error_offset(&cut->p));
		/*
		 * Data delivered before an error depends on where the input was
		 * cut: one log must be a prefix of the other.
		 */
		{
			size_t m = whole->log_len < cut->log_len ? whole->log_len : cut->log_len;
			CHECK(m == 0 || memcmp(whole->log, cut->log, m) == 0);
		}
	} else {
		CHECK(whole->log_len == cut->log_len);
		CHECK(whole->log_len == 0 || memcmp(whole->log, cut->log, whole->log_len) == 0);
		CHECK(whole->p.total_consumed == n && cut->p.total_consumed == n);
	}

	run_free(whole);
	run_free(cut);
	free(whole);
	free(cut);
	free(a);
	free(b);
	return 0;
}
