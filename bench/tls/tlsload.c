/*
 * tlsload - echo load over ws:// or wss:// with the same client code, so
 * that the two can be compared in one sitting (the ratio is what matters;
 * bench/loadgen is the main load generator and stays libc-only).
 *
 *   tlsload PORT TLS(0|1) CONNS PIPELINE SIZE SECONDS
 *
 * One thread per connection: write PIPELINE masked frames in one write, read
 * until PIPELINE echoes came back, repeat until SECONDS are up.  Prints
 * "RESULT {...}" with msgs/s and MB/s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int g_port, g_tls, g_pipe, g_seconds;
static size_t g_size;
static SSL_CTX *g_ctx;
static atomic_ullong g_msgs;
static atomic_int g_failed;

typedef struct io {
	int fd;
	SSL *ssl;
} io_t;

static int io_write(io_t *c, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		int w = c->ssl ? SSL_write(c->ssl, b, (int)n) : (int)write(c->fd, b, n);
		if (w <= 0) {
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int io_read(io_t *c, void *p, size_t n)
{
	return c->ssl ? SSL_read(c->ssl, p, (int)n) : (int)read(c->fd, p, n);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	io_t c = { -1, NULL };
	c.fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c.fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		g_failed++;
		return NULL;
	}
	if (g_tls) {
		c.ssl = SSL_new(g_ctx);
		SSL_set_fd(c.ssl, c.fd);
		if (SSL_connect(c.ssl) != 1) {
			g_failed++;
			return NULL;
		}
	}
	const char *req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
	io_write(&c, req, strlen(req));
	char head[1024];
	size_t h = 0;
	while (h < 4 || memcmp(head + h - 4, "\r\n\r\n", 4) != 0) {
		if (h == sizeof(head) || io_read(&c, head + h, 1) != 1) {
			g_failed++;
			return NULL;
		}
		h++;
	}
	/* One batch: PIPELINE masked binary frames (mask 0: the payload is sent as is). */
	size_t hl = g_size < 126 ? 6 : (g_size < 65536 ? 8 : 14);
	size_t flen = hl + g_size, blen = flen * (size_t)g_pipe;
	uint8_t *batch = malloc(blen), *in = malloc(1 << 20);
	for (int i = 0; i < g_pipe; i++) {
		uint8_t *f = batch + flen * (size_t)i;
		f[0] = 0x82;
		if (g_size < 126) {
			f[1] = 0x80 | (uint8_t)g_size;
		} else if (g_size < 65536) {
			f[1] = 0x80 | 126;
			f[2] = (uint8_t)(g_size >> 8);
			f[3] = (uint8_t)g_size;
		} else {
			f[1] = 0x80 | 127;
			for (int k = 0; k < 8; k++) {
				f[2 + k] = (uint8_t)((uint64_t)g_size >> (56 - 8 * k));
			}
		}
		memset(f + hl - 4, 0, 4 + g_size);
	}
	size_t expect = (g_size < 126 ? 2 : (g_size < 65536 ? 4 : 10)) + g_size;
	double end = now_s() + g_seconds;
	while (now_s() < end) {
		if (io_write(&c, batch, blen) != 0) {
			g_failed++;
			break;
		}
		size_t want = expect * (size_t)g_pipe, got = 0;
		while (got < want) {
			int r = io_read(&c, in, (1 << 20) < want - got ? (1 << 20) : want - got);
			if (r <= 0) {
				g_failed++;
				return NULL;
			}
			got += (size_t)r;
		}
		g_msgs += (unsigned long long)g_pipe;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: tlsload PORT TLS(0|1) CONNS PIPELINE SIZE SECONDS\n");
		return 2;
	}
	g_port = atoi(argv[1]);
	g_tls = atoi(argv[2]);
	int conns = atoi(argv[3]);
	g_pipe = atoi(argv[4]);
	g_size = (size_t)atol(argv[5]);
	g_seconds = atoi(argv[6]);
	g_ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);
	pthread_t *th = calloc((size_t)conns, sizeof(*th));
	double t0 = now_s();
	for (int i = 0; i < conns; i++) {
		pthread_create(&th[i], NULL, worker, NULL);
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(th[i], NULL);
	}
	double dt = now_s() - t0;
	double mps = (double)g_msgs / dt;
	printf("RESULT {\"tls\":%d,\"conns\":%d,\"pipeline\":%d,\"size\":%zu,\"msgs_per_s\":%.0f,\"mb_per_s\":%.1f,\"failed\":%d}\n",
		g_tls, conns, g_pipe, g_size, mps, mps * (double)g_size / 1e6, (int)g_failed);
	return g_failed ? 1 : 0;
}
