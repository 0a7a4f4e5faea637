/*
 * ws_broker.c - what the server and WebSocket\Publisher share about the
 * Redis broker: the broker URL, the wire format of a publication on a Redis
 * channel (docs/BROKER.md), node ids, and the synchronous publisher.  The
 * node's asynchronous link is ws_broker_link.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ws_alloc.h"
#include "ws_broker.h"

#ifdef WS_HAVE_HIREDIS
#include <hiredis/hiredis.h>
#endif

int ws_broker_available(void)
{
#ifdef WS_HAVE_HIREDIS
	return 1;
#else
	return 0;
#endif
}

const char *ws_broker_library(void)
{
#ifdef WS_HAVE_HIREDIS
#define WS_STR2(x) #x
#define WS_STR(x) WS_STR2(x)
	return WS_STR(HIREDIS_MAJOR) "." WS_STR(HIREDIS_MINOR) "." WS_STR(HIREDIS_PATCH);
#else
	return "";
#endif
}

/* ---------------------------------------------------------------- URL */

static int hexval(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* Copies [p, p+n) into out (cap bytes) decoding %XX.  -1 if too long or a bad escape. */
static int copy_decoded(char *out, size_t cap, const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= n) {
				return -1;
			}
			int h = hexval(p[i + 1]), l = hexval(p[i + 2]);
			if (h < 0 || l < 0) {
				return -1;
			}
			c = h * 16 + l;
			i += 2;
		}
		if (k + 1 >= cap) {
			return -1;
		}
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return 0;
}

static int parse_int(const char *p, size_t n, long min, long max, long *out)
{
	if (n == 0 || n > 10) {
		return -1;
	}
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return -1;
		}
		v = v * 10 + (p[i] - '0');
	}
	if (v < min || v > max) {
		return -1;
	}
	*out = v;
	return 0;
}

#define URL_ERR(...) do { snprintf(err, errcap, __VA_ARGS__); return -1; } while (0)

static int parse_unix(const char *rest, ws_broker_url_t *out, char *err, size_t errcap)
{
	/* rest is what follows "://": an absolute path, optionally ?db=N. */
	if (rest[0] != '/') {
		URL_ERR("a unix broker URL needs an absolute path (unix:///path/to/redis.sock)");
	}
	const char *q = strchr(rest, '?');
	size_t plen = q ? (size_t)(q - rest) : strlen(rest);
	if (plen >= sizeof(out->path) || plen < 2) {
		URL_ERR("the unix socket path must be 2 to %zu bytes", sizeof(out->path) - 1);
	}
	memcpy(out->path, rest, plen);
	out->path[plen] = '\0';
	if (q) {
		long db;
		if (strncmp(q, "?db=", 4) != 0 || parse_int(q + 4, strlen(q + 4), 0, 1 << 20, &db) != 0) {
			URL_ERR("the only query a unix broker URL takes is ?db=N");
		}
		out->db = (int)db;
	}
	return 0;
}

int ws_broker_url_parse(const char *url, ws_broker_url_t *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (url == NULL || url[0] == '\0') {
		URL_ERR("the broker URL is empty");
	}
	if (strncmp(url, "unix://", 7) == 0) {
		return parse_unix(url + 7, out, err, errcap);
	}
	if (strncmp(url, "redis+unix://", 13) == 0) {
		return parse_unix(url + 13, out, err, errcap);
	}
	const char *p;
	if (strncmp(url, "redis://", 8) == 0) {
		p = url + 8;
	} else if (strncmp(url, "rediss://", 9) == 0) {
		p = url + 9;
		out->tls = 1;
	} else {
		URL_ERR("the broker URL must start with redis://, rediss://, unix:// or redis+unix://");
	}
	if (out->tls) {
		URL_ERR("rediss:// needs hiredis built with TLS (hiredis_ssl), which this build does not use");
	}
	const char *end = p + strcspn(p, "/?#");
	const char *at = NULL;
	for (const char *c = p; c < end; c++) {
		if (*c == '@') {
			at = c;
		}
	}
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			if (copy_decoded(out->user, sizeof(out->user), p, (size_t)(colon - p)) != 0
				|| copy_decoded(out->password, sizeof(out->password), colon + 1, (size_t)(at - colon - 1)) != 0) {
				URL_ERR("the user or password of the broker URL is too long or badly escaped");
			}
		} else if (copy_decoded(out->password, sizeof(out->password), p, (size_t)(at - p)) != 0) {
			URL_ERR("the password of the broker URL is too long or badly escaped");
		}
		p = at + 1;
	}
	const char *host = p, *hend, *port = NULL;
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(end - p));
		if (hend == NULL) {
			URL_ERR("unterminated [IPv6] host in the broker URL");
		}
		host = p + 1;
		if (hend + 1 < end) {
			if (hend[1] != ':') {
				URL_ERR("unexpected text after the [IPv6] host in the broker URL");
			}
			port = hend + 2;
		}
	} else {
		hend = memchr(p, ':', (size_t)(end - p));
		if (hend) {
			port = hend + 1;
		} else {
			hend = end;
		}
	}
	size_t hlen = (size_t)(hend - host);
	if (hlen == 0 || hlen >= sizeof(out->host)) {
		URL_ERR("the broker URL needs a host (redis://host[:port][/db])");
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	if (port) {
		long v;
		if (parse_int(port, (size_t)(end - port), 1, 65535, &v) != 0) {
			URL_ERR("the port of the broker URL must be 1 to 65535");
		}
		out->port = (int)v;
	}
	if (*end == '/') {
		const char *db = end + 1;
		size_t dlen = strcspn(db, "?#");
		long v;
		if (dlen > 0 && parse_int(db, dlen, 0, 1 << 20, &v) != 0) {
			URL_ERR("the path of the broker URL must be a database number (redis://host:port/0)");
		}
		out->db = dlen > 0 ? (int)v : 0;
		end = db + dlen;
	}
	if (*end != '\0') {
		URL_ERR("unexpected query or fragment in the broker URL");
	}
	return 0;
}

int ws_broker_prefix_check(const char *prefix, char *err, size_t errcap)
{
	size_t n = prefix ? strlen(prefix) : 0;
	if (n == 0 || n > WS_BROKER_PREFIX_MAX) {
		URL_ERR("the broker prefix must be 1 to %d bytes", WS_BROKER_PREFIX_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		char c = prefix[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
			|| c == '_' || c == '.' || c == ':' || c == '-')) {
			URL_ERR("the broker prefix may only contain letters, digits, '_', '.', ':' and '-'");
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- wire format */

size_t ws_broker_header(char *out, const ws_bus_route_t *r, const char *node)
{
	char kind = r->kind == WS_ROUTE_BROADCAST ? 'B' : r->kind == WS_ROUTE_WORKER_MESSAGE ? 'W' : 'P';
	char type = (r->flags & WS_ROUTE_BINARY) ? 'B' : 'T';
	int n = snprintf(out, WS_BROKER_HEADER_MAX, WS_BROKER_VERSION " %c %c %s %llu\n", kind, type,
		node && node[0] ? node : "-", (unsigned long long)r->except);
	return n > 0 && n < WS_BROKER_HEADER_MAX ? (size_t)n : 0;
}

size_t ws_broker_channel(char *out, size_t cap, const char *prefix, const char *topic, size_t topic_len)
{
	size_t pl = strlen(prefix);
	if (pl + 3 + topic_len + 1 > cap) {
		return 0;
	}
	memcpy(out, prefix, pl);
	memcpy(out + pl, ":t:", 3);
	memcpy(out + pl + 3, topic, topic_len);
	out[pl + 3 + topic_len] = '\0';
	return pl + 3 + topic_len;
}

size_t ws_broker_presence_header(char *out, char kind, const char *node, const ws_broker_member_t *m)
{
	int n;
	if (kind == 'J' || kind == 'L') {
		n = snprintf(out, WS_BROKER_HEADER_MAX, WS_BROKER_VERSION " %c %s %d %llu %zu\n", kind, node, m->worker,
			(unsigned long long)m->conn, m->topic_len);
	} else {
		n = snprintf(out, WS_BROKER_HEADER_MAX, WS_BROKER_VERSION " %c %s\n", kind, node);
	}
	return n > 0 && n < WS_BROKER_HEADER_MAX ? (size_t)n : 0;
}

static void put_le(char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++) {
		p[i] = (char)(v >> (8 * i));
	}
}

static uint64_t get_le(const char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++) {
		v |= (uint64_t)(unsigned char)p[i] << (8 * i);
	}
	return v;
}

int ws_broker_pack_member(char **buf, size_t *len, size_t *cap, const ws_broker_member_t *m)
{
	size_t need = *len + 16 + m->topic_len + m->info_len;
	if (need > *cap) {
		size_t ncap = *cap ? *cap * 2 : 4096;
		while (ncap < need) {
			ncap *= 2;
		}
		char *p = ws_realloc(*buf, ncap);
		if (p == NULL) {
			return -1;
		}
		*buf = p;
		*cap = ncap;
	}
	char *p = *buf + *len;
	put_le(p, (uint64_t)(uint16_t)m->worker, 2);
	put_le(p + 2, m->conn, 8);
	put_le(p + 10, m->topic_len, 2);
	put_le(p + 12, m->info_len, 4);
	memcpy(p + 16, m->topic, m->topic_len);
	memcpy(p + 16 + m->topic_len, m->info, m->info_len);
	*len = need;
	return 0;
}

int ws_broker_unpack_member(const char **pp, const char *end, ws_broker_member_t *m)
{
	const char *p = *pp;
	if (p == end) {
		return 0;
	}
	if (end - p < 16) {
		return -1;
	}
	m->worker = (int)(int16_t)get_le(p, 2);
	m->conn = get_le(p + 2, 8);
	m->topic_len = (size_t)get_le(p + 10, 2);
	m->info_len = (size_t)get_le(p + 12, 4);
	if (m->topic_len == 0 || m->topic_len > 256 || m->info_len > 4096
		|| (size_t)(end - p - 16) < m->topic_len + m->info_len) {
		return -1;
	}
	m->topic = p + 16;
	m->info = p + 16 + m->topic_len;
	*pp = p + 16 + m->topic_len + m->info_len;
	return 1;
}

/* Splits the next space-separated field of [*p, end) (the header line without its newline). */
static int next_field(const char **p, const char *end, const char **f, size_t *n)
{
	while (*p < end && **p == ' ') {
		(*p)++;
	}
	if (*p == end) {
		return 0;
	}
	*f = *p;
	while (*p < end && **p != ' ') {
		(*p)++;
	}
	*n = (size_t)(*p - *f);
	return 1;
}

static int parse_u64(const char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9') {
			return -1;
		}
		v = v * 10 + (uint64_t)(f[i] - '0');
	}
	*out = v;
	return 0;
}

int ws_broker_presence_decode(const char *payload, size_t len, ws_broker_pmsg_t *out)
{
	memset(out, 0, sizeof(*out));
	size_t scan = len < WS_BROKER_HEADER_MAX ? len : WS_BROKER_HEADER_MAX;
	const char *nl = memchr(payload, '\n', scan);
	if (nl == NULL) {
		return -1;
	}
	const char *p = payload, *end = nl, *f;
	size_t n;
	if (!next_field(&p, end, &f, &n) || n != 3 || memcmp(f, WS_BROKER_VERSION, 3) != 0) {
		return -1;
	}
	if (!next_field(&p, end, &f, &n) || n != 1 || strchr("JLHQS", f[0]) == NULL) {
		return -1;
	}
	out->kind = f[0];
	if (!next_field(&p, end, &f, &n) || n != WS_BROKER_NODE_LEN) {
		return -1;
	}
	memcpy(out->node, f, n);
	out->node[n] = '\0';
	const char *body = nl + 1;
	size_t blen = len - (size_t)(body - payload);
	if (out->kind == 'J' || out->kind == 'L') {
		uint64_t worker, conn, tlen;
		if (!next_field(&p, end, &f, &n) || parse_u64(f, n, &worker) != 0 || worker > 65535
			|| !next_field(&p, end, &f, &n) || parse_u64(f, n, &conn) != 0
			|| !next_field(&p, end, &f, &n) || parse_u64(f, n, &tlen) != 0
			|| tlen == 0 || tlen > 256 || tlen > blen || blen - tlen > 4096
			|| (out->kind == 'L' && blen != tlen)) {
			return -1;
		}
		out->m.worker = (int)worker;
		out->m.conn = conn;
		out->m.topic = body;
		out->m.topic_len = (size_t)tlen;
		out->m.info = body + tlen;
		out->m.info_len = blen - (size_t)tlen;
	} else if (out->kind == 'S') {
		out->body = body;
		out->body_len = blen;
	}
	return 0;
}

int ws_broker_decode(const char *prefix, const char *node, const char *channel, size_t channel_len,
	const char *payload, size_t len, ws_bus_route_t *r)
{
	memset(r, 0, sizeof(*r));
	r->origin = -1;
	size_t scan = len < WS_BROKER_HEADER_MAX ? len : WS_BROKER_HEADER_MAX;
	const char *nl = memchr(payload, '\n', scan);
	if (nl == NULL) {
		return -1;
	}
	const char *p = payload, *end = nl, *f;
	if (end > p && end[-1] == '\r') {
		end--;  /* tolerate CRLF from hand-written producers */
	}
	size_t n;
	if (!next_field(&p, end, &f, &n) || n != 3 || memcmp(f, WS_BROKER_VERSION, 3) != 0) {
		return -1;
	}
	if (!next_field(&p, end, &f, &n) || n != 1) {
		return -1;
	}
	char kind = f[0];
	int ours = 0, history = 0;
	if (next_field(&p, end, &f, &n)) {
		if (n != 1 || (f[0] != 'T' && f[0] != 'B')) {
			return -1;
		}
		r->flags = f[0] == 'B' ? WS_ROUTE_BINARY : 0;
		if (next_field(&p, end, &f, &n)) {
			ours = node && n == strlen(node) && memcmp(f, node, n) == 0;
			if (next_field(&p, end, &f, &n) && !(n == 1 && f[0] == '-')) {
				if (parse_u64(f, n, &r->except) != 0) {
					return -1;
				}
			}
			if (next_field(&p, end, &f, &n) && n == 1 && f[0] == 'H') {
				/* A publication of a topic with history: H <slot> <offset> <epoch> <time> <id length>. */
				uint64_t slot, seq, ms, idlen;
				const char *ep;
				size_t eplen;
				if (!next_field(&p, end, &f, &n) || parse_u64(f, n, &slot) != 0 || slot > 32767
					|| !next_field(&p, end, &f, &n) || parse_u64(f, n, &seq) != 0 || seq == 0
					|| !next_field(&p, end, &ep, &eplen) || eplen != 16
					|| !next_field(&p, end, &f, &n) || parse_u64(f, n, &ms) != 0
					|| !next_field(&p, end, &f, &n) || parse_u64(f, n, &idlen) != 0 || idlen > 255
					|| idlen > len - (size_t)(nl + 1 - payload)) {
					return -1;
				}
				history = 1;
				r->flags |= WS_ROUTE_EXT;
				r->seq = seq;
				r->time_ms = ms;
				r->epoch = ep;
				r->id = nl + 1;
				r->id_len = (size_t)idlen;
				r->origin = ours ? (int16_t)slot : -1;
			}
		}
	}
	if (ours && !history) {
		return 1;
	}
	r->data = nl + 1 + r->id_len;
	r->len = len - (size_t)(nl + 1 - payload) - r->id_len;
	size_t pl = strlen(prefix);
	if (channel_len <= pl || memcmp(channel, prefix, pl) != 0 || channel[pl] != ':') {
		return -1;
	}
	const char *rest = channel + pl + 1;
	size_t rlen = channel_len - pl - 1;
	if (kind == 'P') {
		if (rlen < 3 || memcmp(rest, history ? "h:" : "t:", 2) != 0 || rlen - 2 > 256) {
			return -1;
		}
		r->kind = WS_ROUTE_PUBLISH;
		r->topic = rest + 2;
		r->topic_len = rlen - 2;
		return 0;
	}
	if (history) {
		return -1;
	}
	if ((kind != 'B' && kind != 'W') || rlen != 9 || memcmp(rest, "broadcast", 9) != 0) {
		return -1;
	}
	r->kind = kind == 'B' ? WS_ROUTE_BROADCAST : WS_ROUTE_WORKER_MESSAGE;
	return 0;
}

void ws_broker_node_id(char node[WS_BROKER_NODE_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[WS_BROKER_NODE_LEN / 2];
	size_t got = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, raw, sizeof(raw));
		got = n > 0 ? (size_t)n : 0;
		close(fd);
	}
	if (got < sizeof(raw)) {
		/* No /dev/urandom: time, pid and address make collisions between nodes unlikely enough. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40) ^ (uintptr_t)&ts;
		for (size_t i = 0; i < sizeof(raw); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			raw[i] = (uint8_t)x;
		}
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		node[2 * i] = hex[raw[i] >> 4];
		node[2 * i + 1] = hex[raw[i] & 15];
	}
	node[WS_BROKER_NODE_LEN] = '\0';
}

/* ---------------------------------------------------------------- synchronous publisher */

#ifdef WS_HAVE_HIREDIS

struct ws_publisher {
	ws_broker_url_t url;
	char prefix[WS_BROKER_PREFIX_MAX + 1];
	uint32_t timeout_ms;
	redisContext *c;
};

ws_publisher_t *ws_publisher_new(const char *url, const char *prefix, uint32_t timeout_ms, char *err, size_t errcap)
{
	ws_broker_url_t u;
	if (ws_broker_url_parse(url, &u, err, errcap) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (prefix == NULL) {
		prefix = "ws";
	}
	if (ws_broker_prefix_check(prefix, err, errcap) != 0) {
		errno = EINVAL;
		return NULL;
	}
	ws_publisher_t *p = ws_malloc(sizeof(*p));
	if (p == NULL) {
		snprintf(err, errcap, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->url = u;
	snprintf(p->prefix, sizeof(p->prefix), "%s", prefix);
	p->timeout_ms = timeout_ms ? timeout_ms : 2000;
	return p;
}

static void where(const ws_publisher_t *p, char *out, size_t cap)
{
	if (p->url.path[0]) {
		snprintf(out, cap, "unix:%s", p->url.path);
	} else {
		snprintf(out, cap, "%s:%d", p->url.host, p->url.port);
	}
}

static int is_timeout(const redisContext *c)
{
#ifdef REDIS_ERR_TIMEOUT
	if (c->err == REDIS_ERR_TIMEOUT) {
		return 1;
	}
#endif
	return c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || strstr(c->errstr, "temporarily") != NULL);
}

static void fail(ws_publisher_t *p, const char *what, char *err, size_t errcap)
{
	char at[300];
	where(p, at, sizeof(at));
	if (p->c && is_timeout(p->c)) {
		snprintf(err, errcap, "Redis at %s: %s timed out after %u ms", at, what, p->timeout_ms);
	} else {
		snprintf(err, errcap, "Redis at %s: %s failed: %s", at, what, p->c && p->c->errstr[0] ? p->c->errstr : "no reply");
	}
	if (p->c) {
		redisFree(p->c);
		p->c = NULL;
	}
}

static int publisher_connect(ws_publisher_t *p, char *err, size_t errcap)
{
	struct timeval tv = { (time_t)(p->timeout_ms / 1000), (suseconds_t)(p->timeout_ms % 1000) * 1000 };
	p->c = p->url.path[0] ? redisConnectUnixWithTimeout(p->url.path, tv)
		: redisConnectWithTimeout(p->url.host, p->url.port, tv);
	if (p->c == NULL) {
		snprintf(err, errcap, "Redis: out of memory");
		return -1;
	}
	if (p->c->err) {
		fail(p, "connect", err, errcap);
		return -1;
	}
	redisSetTimeout(p->c, tv);
	int fl = fcntl(p->c->fd, F_GETFD);
	fcntl(p->c->fd, F_SETFD, fl | FD_CLOEXEC);
	if (p->url.password[0]) {
		redisReply *r = p->url.user[0] ? redisCommand(p->c, "AUTH %s %s", p->url.user, p->url.password)
			: redisCommand(p->c, "AUTH %s", p->url.password);
		if (r == NULL) {
			fail(p, "AUTH", err, errcap);
			return -1;
		}
		int bad = r->type == REDIS_REPLY_ERROR;
		if (bad) {
			char at[300];
			where(p, at, sizeof(at));
			snprintf(err, errcap, "Redis at %s: AUTH refused: %.*s", at, (int)r->len, r->str);
		}
		freeReplyObject(r);
		if (bad) {
			redisFree(p->c);
			p->c = NULL;
			return -1;
		}
	}
	return 0;
}

long long ws_publisher_send(ws_publisher_t *p, const ws_bus_route_t *r, char *err, size_t errcap)
{
	char channel[WS_BROKER_PREFIX_MAX + 16 + 256];
	size_t clen;
	if (r->kind == WS_ROUTE_PUBLISH) {
		clen = ws_broker_channel(channel, sizeof(channel), p->prefix, r->topic, r->topic_len);
	} else {
		clen = (size_t)snprintf(channel, sizeof(channel), "%s:broadcast", p->prefix);
	}
	char head[WS_BROKER_HEADER_MAX];
	size_t hlen = ws_broker_header(head, r, NULL);
	char *msg = malloc(hlen + r->len + 1);
	if (msg == NULL || clen == 0) {
		free(msg);
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memcpy(msg, head, hlen);
	if (r->len) {
		memcpy(msg + hlen, r->data, r->len);
	}
	const char *argv[3] = { "PUBLISH", channel, msg };
	size_t argvlen[3] = { 7, clen, hlen + r->len };
	long long result = -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		int reused = p->c != NULL;
		if (p->c == NULL && publisher_connect(p, err, errcap) != 0) {
			break;
		}
		redisReply *rep = redisCommandArgv(p->c, 3, argv, argvlen);
		if (rep == NULL) {
			/* A connection Redis closed while we were idle: reopen once.  A timeout is not retried. */
			int again = reused && !is_timeout(p->c) && attempt == 0;
			fail(p, "PUBLISH", err, errcap);
			if (again) {
				continue;
			}
			break;
		}
		if (rep->type == REDIS_REPLY_INTEGER) {
			result = rep->integer;
		} else {
			char at[300];
			where(p, at, sizeof(at));
			snprintf(err, errcap, "Redis at %s: PUBLISH refused: %.*s", at,
				rep->type == REDIS_REPLY_ERROR ? (int)rep->len : 15, rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
		}
		freeReplyObject(rep);
		break;
	}
	free(msg);
	return result;
}

void ws_publisher_free(ws_publisher_t *p)
{
	if (p == NULL) {
		return;
	}
	if (p->c) {
		redisFree(p->c);
	}
	ws_free(p);
}

#else /* !WS_HAVE_HIREDIS */

ws_publisher_t *ws_publisher_new(const char *url, const char *prefix, uint32_t timeout_ms, char *err, size_t errcap)
{
	(void)url;
	(void)prefix;
	(void)timeout_ms;
	snprintf(err, errcap, "built without Redis support (configure --with-websocket-redis and libhiredis-dev)");
	errno = ENOTSUP;
	return NULL;
}

long long ws_publisher_send(ws_publisher_t *p, const ws_bus_route_t *r, char *err, size_t errcap)
{
	(void)p;
	(void)r;
	snprintf(err, errcap, "built without Redis support");
	return -1;
}

void ws_publisher_free(ws_publisher_t *p)
{
	(void)p;
}

#endif
