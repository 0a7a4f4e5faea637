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
 * time over memcpy time.
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

/* Fills buf with as many masked text frames of `size` payload bytes as fit; returns the length. */
static size_t build(uint8_t *buf, size_t cap, size_t size, size_t *count)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog, 0123456789; ";
	size_t n = 0;

	*count = 0;
	while (n + WS_FRAME_HEADER_MAX + size <= cap) {
		uint8_t key[4];
		uint32_t k = rng();
		size_t h;
		memcpy(key, &k, 4);
		h = ws_frame_encode_header(buf + n, 1, 0, WS_OPCODE_TEXT, size, key);
		for (size_t i = 0; i < size; i++) {
			buf[n + h + i] = (uint8_t)words[(i + *count) % (sizeof(words) - 1)];
		}
		ws_frame_mask(buf + n + h, size, key, 0);
		n += h + size;
		(*count)++;
	}
	return n;
}

typedef struct result {
	double msgs_per_s, gbps, memcpy_gbps, ratio;
} result_t;

static result_t bench_size(size_t size)
{
	uint8_t *pristine = malloc(BENCH_BUF), *work = malloc(BENCH_BUF);
	size_t count, total = build(pristine, BENCH_BUF, size, &count);
	double t_dec = 0, t_cpy = 0, start = now();
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
		t_cpy += t1 - t0;
		t_dec += t2 - t1;
		passes++;
	}
	if (c.messages != passes * count || c.bytes != passes * count * size) {
		fprintf(stderr, "wrong counts\n");
		exit(1);
	}
	/* The payload must have come out unmasked. */
	if (memcmp(work + ws_frame_header_size(size, 1), "the quick", size < 9 ? size : 9) != 0) {
		fprintf(stderr, "payload not unmasked\n");
		exit(1);
	}
	r.msgs_per_s = (double)(passes * count) / t_dec;
	r.gbps = (double)(passes * total) / t_dec / 1e9;
	r.memcpy_gbps = (double)(passes * total) / t_cpy / 1e9;
	r.ratio = t_dec / t_cpy;
	printf("%6zu B: %12.0f msgs/s  %7.2f GB/s  (memcpy %7.2f GB/s, decode/memcpy %.2fx)  [%zu msgs x %llu passes, sink %llu]\n",
		size, r.msgs_per_s, r.gbps, r.memcpy_gbps, r.ratio, count,
		(unsigned long long)passes, (unsigned long long)(c.sink & 0xFF));
	free(pristine);
	free(work);
	return r;
}

int main(void)
{
	static const size_t sizes[] = { 16, 1024, 65536 };
	result_t r[3];

	printf("frame decode + unmask + UTF-8 validation, masked text, %u KiB reads, ~%u KiB per pass\n",
		BENCH_READ / 1024, BENCH_BUF / 1024);
	for (size_t i = 0; i < 3; i++) {
		r[i] = bench_size(sizes[i]);
	}
	printf("BENCH frame");
	for (size_t i = 0; i < 3; i++) {
		printf(" s%zu_msgs_per_s=%.0f s%zu_gbps=%.3f s%zu_memcpy_gbps=%.3f s%zu_ratio=%.3f",
			sizes[i], r[i].msgs_per_s, sizes[i], r[i].gbps, sizes[i], r[i].memcpy_gbps, sizes[i], r[i].ratio);
	}
	printf("\n");
	return 0;
}
