/*
 * bench_frame.c - micro-benchmark of the frame decoder's hot path.
 *
 * What a server does with every text message a client sends: parse the
 * header, unmask the payload in place and validate it as UTF-8.  For
 * messages of 16 B, 1 KiB and 64 KiB it builds about 1 MiB of masked text
 * frames back to back (small enough to stay in L2, so that the figure is
 * the parser's and not the memory bus's) and feeds it in 64 KiB reads, as a
 * socket loop would.  Each pass first restores the masked bytes from a
 * pristine copy with memcpy, so every pass really unmasks; that memcpy of
 * the same bytes is timed too and is the yardstick: the ratio is decode
 * time over memcpy time.  Each figure is from the best of many passes.
 *
 * Note the memcpy reads one buffer and writes another while the decoder
 * rewrites one buffer in place, so the decoder touches half the cache
 * lines: with long ASCII messages it can beat memcpy.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -I. -O2 -march=native \
 *            -o bench_frame bench/bench_frame.c ../frame.c ws_utf8.c ws_error.c
 * Prints one line per size, then one machine-readable line starting "BENCH".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ws_error.h"
#include "ws_frame.h"

#define BENCH_BUF (1u << 20)
#define BENCH_READ (64u * 1024u)
#define BENCH_SECONDS 0.6

typedef struct counters {
	uint64_t messages;
	uint64_t bytes;
	uint64_t sink; /* folds a byte of each span in, so that nothing is optimised out */
} counters_t;

static int on_data(void *user, const uint8_t *data, size_t len)
{
	counters_t *c = user;
	c->bytes += len;
	c->sink += data[len - 1];
	return 0;
}

static int on_end(void *user)
{
	counters_t *c = user;
	c->messages++;
	return 0;
}

static const ws_frame_callbacks_t callbacks = { NULL, on_data, on_end, NULL };

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t rng_state = 0x12345678u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/*
 * Writes size bytes of text: ASCII, or (mixed) text where about one byte in
 * three belongs to a 2-, 3- or 4-byte character.  Whole characters only,
 * padded with spaces, so every message is valid UTF-8 on its own.
 */
static void fill_text(uint8_t *d, size_t size, int mixed, size_t salt)
{
	static const char ascii[] = "the quick brown fox jumps over the lazy dog, 0123456789; ";
	static const char utf8[] = "the qu\xC3\xAF" "ck br\xC3\xB6wn f\xC3\xB6x \xE2\x82\xAC jumps \xE2\x80\x94 lazy d\xF0\x9F\x90\x95g; ";
	const char *w = mixed ? utf8 : ascii;
	size_t wl = mixed ? sizeof(utf8) - 1 : sizeof(ascii) - 1;
	size_t i = 0;

	if (!mixed) {
		for (; i < size; i++) {
			d[i] = (uint8_t)w[(i + salt) % wl];
		}
		return;
	}
	while (i + wl <= size) {
		memcpy(d + i, w, wl);
		i += wl;
	}
	memset(d + i, ' ', size - i);
}

/* Fills buf with as many masked text frames of `size` payload bytes as fit; returns the length. */
static size_t build(uint8_t *buf, size_t cap, size_t size, int mixed, size_t *count)
{
	size_t n = 0;

	*count = 0;
	while (n + WS_FRAME_HEADER_MAX + size <= cap) {
		uint8_t key[4];
		uint32_t k = rng();
		size_t h;
		memcpy(key, &k, 4);
		h = ws_frame_encode_header(buf + n, 1, 0, WS_OPCODE_TEXT, size, key);
		fill_text(buf + n + h, size, mixed, *count);
		ws_frame_mask(buf + n + h, size, key, 0);
		n += h + size;
		(*count)++;
	}
	return n;
}

typedef struct result {
	double msgs_per_s, gbps, memcpy_gbps, ratio;
} result_t;

static result_t bench_size(size_t size, int mixed)
{
	uint8_t *pristine = malloc(BENCH_BUF), *work = malloc(BENCH_BUF);
	size_t count, total = build(pristine, BENCH_BUF, size, mixed, &count);
	double t_dec = 1e9, t_cpy = 1e9, start = now();
	uint64_t passes = 0;
	counters_t c = { 0, 0, 0 };
	ws_frame_config_t cfg;
	result_t r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = WS_ROLE_SERVER;
	memcpy(work, pristine, total); /* fault the pages in before timing */

	while (now() - start < BENCH_SECONDS || passes < 5) {
		ws_frame_parser_t p;
		double t0, t1, t2;

		t0 = now();
		memcpy(work, pristine, total);
		t1 = now();
		ws_frame_parser_init(&p, &cfg, &callbacks, &c);
		for (size_t off = 0; off < total; off += BENCH_READ) {
			size_t len = total - off < BENCH_READ ? total - off : BENCH_READ;
			if (ws_frame_parser_feed(&p, work + off, len) != (ssize_t)len) {
				fprintf(stderr, "decode failed: %s\n", ws_strerror(ws_frame_parser_error(&p)));
				exit(1);
			}
		}
		t2 = now();
		/*
		 * Best pass of each: the machine may be shared, and the minimum is
		 * the figure least disturbed by other load.
		 */
		if (t1 - t0 < t_cpy) {
			t_cpy = t1 - t0;
		}
		if (t2 - t1 < t_dec) {
			t_dec = t2 - t1;
		}
		passes++;
	}
	if (c.messages != passes * count || c.bytes != passes * count * size) {
		fprintf(stderr, "wrong counts\n");
		exit(1);
	}
	/* The payload must have come out unmasked. */
	if (memcmp(work + ws_frame_header_size(size, 1), "the qu", size < 6 ? size : 6) != 0) {
		fprintf(stderr, "payload not unmasked\n");
		exit(1);
	}
	r.msgs_per_s = (double)count / t_dec;
	r.gbps = (double)total / t_dec / 1e9;
	r.memcpy_gbps = (double)total / t_cpy / 1e9;
	r.ratio = t_dec / t_cpy;
	printf("%6zu B%s: %12.0f msgs/s  %7.2f GB/s  (memcpy %7.2f GB/s, decode/memcpy %.2fx)  [%zu msgs x %llu passes, sink %llu]\n",
		size, mixed ? " mixed UTF-8" : "", r.msgs_per_s, r.gbps, r.memcpy_gbps, r.ratio, count,
		(unsigned long long)passes, (unsigned long long)(c.sink & 0xFF));
	free(pristine);
	free(work);
	return r;
}

int main(void)
{
	static const size_t sizes[] = { 16, 1024, 65536 };
	result_t r[3], u;

	printf("frame decode + unmask + UTF-8 validation, masked text, %u KiB reads, ~%u KiB per pass\n",
		BENCH_READ / 1024, BENCH_BUF / 1024);
	for (size_t i = 0; i < 3; i++) {
		r[i] = bench_size(sizes[i], 0);
	}
	/* Not ASCII: what the byte-wise part of the validator costs. */
	u = bench_size(65536, 1);
	printf("BENCH frame");
	for (size_t i = 0; i < 3; i++) {
		printf(" s%zu_msgs_per_s=%.0f s%zu_gbps=%.3f s%zu_memcpy_gbps=%.3f s%zu_ratio=%.3f",
			sizes[i], r[i].msgs_per_s, sizes[i], r[i].gbps, sizes[i], r[i].memcpy_gbps, sizes[i], r[i].ratio);
	}
	printf(" mixed65536_msgs_per_s=%.0f mixed65536_gbps=%.3f mixed65536_ratio=%.3f\n",
		u.msgs_per_s, u.gbps, u.ratio);
	return 0;
}
