/*
 * frame_rec.h - the recorder of test_frame.c: a parser whose callbacks log
 * every event, fed against a guard page, whole, byte by byte, at every split,
 * pausing, and in the three buffer modes (see the top of test_frame.c).
 * Static functions for the one test file that includes it (kept apart only
 * to keep test_frame.c under the project's file size limit).
 */
#ifndef WS_TEST_FRAME_REC_H
#define WS_TEST_FRAME_REC_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../ws_error.h"
#include "../ws_frame.h"
#include "test.h"

/* ---- guard page --------------------------------------------------------- */

#define GUARD_CAP (1u << 20)

static uint8_t *guard_area; /* GUARD_CAP usable bytes, then one PROT_NONE page */

static void guard_setup(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *m;

	if (guard_area != NULL) {
		return;
	}
	m = mmap(NULL, GUARD_CAP + (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + GUARD_CAP, (size_t)pg, PROT_NONE) != 0) {
		perror("guard page");
		exit(2);
	}
	guard_area = m;
}

/* Copies n bytes so that they end at the guard page; returns the copy. */
static uint8_t *guard_place(const uint8_t *src, size_t n)
{
	uint8_t *d = guard_area + GUARD_CAP - n;
	if (n > GUARD_CAP) {
		fprintf(stderr, "vector too large for the guard area\n");
		exit(2);
	}
	if (n != 0) {
		memcpy(d, src, n);
	}
	return d;
}

/* ---- recorder ----------------------------------------------------------- */

#define LOG_CAP 8192

typedef struct rec {
	ws_frame_parser_t p;
	char log[LOG_CAP];
	size_t log_len;
	uint8_t *data;
	size_t data_len, data_cap;

	int pause_all;          /* every callback answers WS_FRAME_PAUSE */
	int fail_at;            /* the fail_at-th event (1-based) answers WS_ERR_CALLBACK */
	int paused;             /* a callback paused during the last feed */
	int dead;               /* feed returned an error */
	int events;
	int after_error;        /* callbacks fired after an error: must stay 0 */
	int zero_len_data;      /* on_message_data with len 0: must stay 0 */
	int bad_span;           /* data outside the buffer being fed: must stay 0 */
	int bad_nesting;        /* begin inside a message, data/end outside one */
	const uint8_t *feed_lo, *feed_hi;

	int buffers;            /* 0: spans; 1: on_frame_buffer storage; 2: storage, filled directly */
	uint8_t *store;         /* the storage of the current frame (malloc'ed at its exact size) */
	size_t store_len, store_fill;
	int stores;             /* how many were handed out */
	int bad_store;          /* a span in the storage not where the next byte belongs, or a size mismatch */
} rec_t;

static void log_add(rec_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_add(rec_t *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->log_len, LOG_CAP - r->log_len, fmt, ap);
	va_end(ap);
	if (n > 0) {
		r->log_len += (size_t)n;
		if (r->log_len >= LOG_CAP) {
			r->log_len = LOG_CAP - 1;
		}
	}
}

static int answer(rec_t *r)
{
	r->events++;
	if (r->dead) {
		r->after_error++;
	}
	if (r->fail_at != 0 && r->events == r->fail_at) {
		return WS_ERR_CALLBACK;
	}
	if (r->pause_all) {
		r->paused = 1;
		return WS_FRAME_PAUSE;
	}
	return 0;
}

static int on_begin(void *user, ws_opcode_t opcode, int compressed)
{
	rec_t *r = user;
	if (!ws_frame_parser_in_message(&r->p)) {
		r->bad_nesting++;
	}
	log_add(r, "B%dc%d;", (int)opcode, compressed);
	return answer(r);
}

static int on_data(void *user, const uint8_t *data, size_t len)
{
	rec_t *r = user;
	if (len == 0) {
		r->zero_len_data++;
	}
	if (r->store != NULL) {
		/* Storage was given: every span must be the next piece of it. */
		if (data != r->store + r->store_fill || r->store_fill + len > r->store_len) {
			r->bad_store++;
		}
		r->store_fill += len;
	} else if (data < r->feed_lo || data + len > r->feed_hi) {
		r->bad_span++;
	}
	if (!ws_frame_parser_in_message(&r->p)) {
		r->bad_nesting++;
	}
	if (r->data_len + len > r->data_cap) {
		r->data_cap = (r->data_len + len) * 2;
		r->data = realloc(r->data, r->data_cap);
	}
	memcpy(r->data + r->data_len, data, len);
	r->data_len += len;
	return answer(r);
}

static int on_end(void *user)
{
	rec_t *r = user;
	/* frame.c closes the message before calling: in_message reads 0 here. */
	if (ws_frame_parser_in_message(&r->p)) {
		r->bad_nesting++;
	}
	log_add(r, "E%zu;", r->data_len);
	if (r->store != NULL) {
		if (r->store_fill != r->store_len) {
			r->bad_store++;
		}
		free(r->store);
		r->store = NULL;
	}
	return answer(r);
}

static uint8_t *on_buffer(void *user, uint64_t len, size_t in_hand)
{
	rec_t *r = user;
	if (in_hand > len || in_hand > (size_t)(r->feed_hi - r->feed_lo)) {
		r->bad_store++;
	}
	if (r->buffers == 0) {
		return NULL;
	}
	if (r->store != NULL || len < WS_FRAME_BUFFER_MIN || !ws_frame_parser_in_message(&r->p)) {
		r->bad_store++;
	}
	free(r->store);
	r->store = malloc((size_t)len);
	r->store_len = (size_t)len;
	r->store_fill = 0;
	r->stores++;
	return r->store;
}

static int on_control(void *user, ws_opcode_t opcode, unsigned code, const uint8_t *reason, size_t len)
{
	rec_t *r = user;
	log_add(r, "C%d:%u:", (int)opcode, code);
	for (size_t i = 0; i < len; i++) {
		if (reason[i] >= 0x20 && reason[i] < 0x7F && reason[i] != '\\') {
			log_add(r, "%c", reason[i]);
		} else {
			log_add(r, "\\x%02x", reason[i]);
		}
	}
	log_add(r, ";");
	return answer(r);
}

static const ws_frame_callbacks_t rec_cb = { on_begin, on_data, on_end, on_control, on_buffer };

typedef struct cfg {
	ws_frame_role_t role;
	unsigned allow_rsv1;
	uint64_t max_frame, max_msg;
} cfg_t;

static void rec_init(rec_t *r, const cfg_t *c)
{
	ws_frame_config_t fc;

	memset(r, 0, sizeof(*r));
	memset(&fc, 0, sizeof(fc));
	fc.role = c->role;
	fc.allow_rsv1 = c->allow_rsv1;
	fc.max_frame_size = c->max_frame;
	fc.max_message_size = c->max_msg;
	ws_frame_parser_init(&r->p, &fc, &rec_cb, r);
	/* Never NULL, so that comparing 0 bytes of it is well-defined. */
	r->data_cap = 64;
	r->data = malloc(r->data_cap);
}

static void rec_free(rec_t *r)
{
	ws_frame_parser_release(&r->p);
	free(r->data);
	r->data = NULL;
	free(r->store);
	r->store = NULL;
}

/* The buffer mode of the runs that follow (see the top of this file). */
static int buffer_mode;

/*
 * Feeds one chunk (copied against the guard page).  Pauses are resumed at
 * once, with a feed of the rest (even of 0 bytes, which fires an event that
 * was due at the same byte as the paused one); the bytes after a pause must
 * be untouched.  Returns 0, or the error.
 */
static int feed_chunk(rec_t *r, const uint8_t *src, size_t n)
{
	uint8_t *g = guard_place(src, n);
	size_t off = 0;

	for (;;) {
		ssize_t got;
		uint8_t *dst = NULL;
		size_t want;
		r->paused = 0;
		if (r->buffers == 2 && off < n && (want = ws_frame_parser_payload_dest(&r->p, &dst)) > 0) {
			/* Received straight into the storage: as much of the frame's payload as this chunk holds. */
			size_t k = want < n - off ? want : n - off;
			CHECK(dst == r->store + r->store_fill);
			memcpy(dst, src + off, k);
			r->feed_lo = dst;
			r->feed_hi = dst + k;
			got = ws_frame_parser_feed(&r->p, dst, k);
			if (got < 0) {
				r->dead = 1;
				return (int)got;
			}
			CHECK((size_t)got <= k);
			if (!r->paused) {
				CHECK_EQ_INT(got, k);
			}
			off += (size_t)got;
			continue;
		}
		r->feed_lo = g + off;
		r->feed_hi = g + n;
		got = ws_frame_parser_feed(&r->p, g + off, n - off);
		if (got < 0) {
			r->dead = 1;
			return (int)got;
		}
		CHECK((size_t)got <= n - off);
		if (r->paused) {
			/* Untouched: not unmasked, not anything. */
			CHECK_MEM(g + off + (size_t)got, src + off + (size_t)got, n - off - (size_t)got);
			off += (size_t)got;
			continue;
		}
		CHECK_EQ_INT(got, n - off);
		return 0;
	}
}

/* Runs the input cut at the sorted offsets in cuts[]; appends the outcome to the log. */
static void run_cuts(rec_t *r, const cfg_t *c, const uint8_t *in, size_t n,
	const size_t *cuts, size_t ncuts, int pause_all)
{
	size_t start = 0;
	int err = 0;

	rec_init(r, c);
	r->pause_all = pause_all;
	r->buffers = buffer_mode;
	for (size_t k = 0; k <= ncuts && err == 0; k++) {
		size_t end = k < ncuts ? cuts[k] : n;
		err = feed_chunk(r, in + start, end - start);
		start = end;
	}
	if (err != 0) {
		int events = r->events;
		uint8_t one = 0x81;
		CHECK_EQ_INT(err, ws_frame_parser_error(&r->p));
		/* Sticky: a later feed fails at once and fires nothing. */
		CHECK_EQ_INT(ws_frame_parser_feed(&r->p, &one, 1), err);
		CHECK_EQ_INT(ws_frame_parser_feed(&r->p, NULL, 0), err);
		CHECK_EQ_INT(r->events, events);
		log_add(r, "!%d@%llu", err, (unsigned long long)ws_frame_parser_error_offset(&r->p));
	} else {
		CHECK_EQ_INT(ws_frame_parser_error(&r->p), 0);
	}
	CHECK_EQ_INT(r->after_error, 0);
	CHECK_EQ_INT(r->zero_len_data, 0);
	CHECK_EQ_INT(r->bad_span, 0);
	CHECK_EQ_INT(r->bad_nesting, 0);
	CHECK_EQ_INT(r->bad_store, 0);
}

/*
 * The full check of one vector: whole, byte by byte, every 2-way split
 * (sampled for long inputs), and pausing at every event; the logs must all
 * equal want_log.  Data must equal want_data, except after an error, where
 * it must only be a prefix of it (how much was delivered before the bad
 * byte depends on the cut).
 */
static void check_vector(const char *name, const cfg_t *c, const uint8_t *in, size_t n,
	const char *want_log, const uint8_t *want_data, size_t want_len)
{
	rec_t *r = malloc(sizeof(*r));
	size_t *cuts = malloc((n + 1) * sizeof(*cuts));
	int failing = strchr(want_log, '!') != NULL;
	int before = test__failures;

#define CHECK_RUN(what) do { \
	CHECK(strcmp(r->log, want_log) == 0); \
	if (strcmp(r->log, want_log) != 0) { \
		fprintf(stderr, "  %s (%s): log \"%s\", want \"%s\"\n", name, what, r->log, want_log); \
	} \
	if (want_data == NULL) { \
		/* not checked */ \
	} else if (failing) { \
		CHECK(r->data_len <= want_len); \
		CHECK_MEM(r->data, want_data, r->data_len <= want_len ? r->data_len : 0); \
	} else { \
		CHECK_EQ_INT(r->data_len, want_len); \
		CHECK_MEM(r->data, want_data, r->data_len == want_len ? want_len : 0); \
	} \
	rec_free(r); \
} while (0)

	for (int mode = 0; mode < 3; mode++)
	for (int pause = 0; pause < 2; pause++) {
		buffer_mode = mode;
		run_cuts(r, c, in, n, NULL, 0, pause);
		CHECK_RUN(pause ? "whole, pausing" : "whole");

		for (size_t k = 1; k < n; k++) {
			cuts[k - 1] = k;
		}
		run_cuts(r, c, in, n, cuts, n > 0 ? n - 1 : 0, pause);
		CHECK_RUN(pause ? "bytewise, pausing" : "bytewise");

		for (size_t k = 1; k < n; k++) {
			/* Long inputs: every header offset, the end, and a stride through the middle. */
			if (n > 600 && k > 40 && k + 40 < n && k % 509 != 0) {
				continue;
			}
			run_cuts(r, c, in, n, &k, 1, pause);
			CHECK_RUN(pause ? "split, pausing" : "split");
			if (test__failures != before) {
				fprintf(stderr, "  %s: split at %zu\n", name, k);
				break;
			}
		}
	}
	buffer_mode = 0;
#undef CHECK_RUN
	if (test__failures != before) {
		fprintf(stderr, "  vector: %s (buffer mode %d)\n", name, r->buffers);
	}
	free(cuts);
	free(r);
}

/* "81 05 48656c6c6f" -> bytes; spaces are ignored.  Returns the length. */
static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	int half = -1;

	for (; *s != '\0'; s++) {
		int v;
		if (*s >= '0' && *s <= '9') {
			v = *s - '0';
		} else if (*s >= 'a' && *s <= 'f') {
			v = *s - 'a' + 10;
		} else if (*s >= 'A' && *s <= 'F') {
			v = *s - 'A' + 10;
		} else {
			continue;
		}
		if (half < 0) {
			half = v;
		} else {
			out[n++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
	}
	return n;
}

#endif
