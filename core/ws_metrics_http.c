/*
 * ws_metrics_http.c - the metrics endpoint: configuration, access control
 * (client address blocks and a bearer token), content negotiation between
 * the Prometheus text format and OpenMetrics, the answer itself, the gauges
 * refreshed for a snapshot, the loop-iteration timing, and the seam through
 * which worker processes add each other's snapshots (ws_metrics.h).
 *
 * A scrape is answered inside the event loop: the text is rendered at once
 * into one buffer and queued like any HTTP answer, so the loop is held for
 * the time rendering takes (tens of microseconds per snapshot) and no PHP
 * code runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_metrics_int.h"

/* ---------------------------------------------------------------- parsing */

int ws_cidr_parse(const char *s, size_t len, ws_cidr_t *out)
{
	char buf[64];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	if (alen == 0 || alen >= sizeof(buf) || memchr(s, 0, len)) {
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(out, 0, sizeof(*out));
	int max;
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		max = 128;
	} else {
		return -1;
	}
	int bits = max;
	if (slash) {
		const char *p = slash + 1, *end = s + len;
		if (p == end || end - p > 3) {
			return -1;
		}
		bits = 0;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9') {
				return -1;
			}
			bits = bits * 10 + (*p - '0');
		}
		if (bits > max) {
			return -1;
		}
	}
	out->bits = (uint8_t)bits;
	return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0) {
		return 0;
	}
	if (rest == 0) {
		return 1;
	}
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* 1 if the peer address is in the block (an IPv4-mapped IPv6 peer counts as IPv4). */
static int cidr_contains(const ws_cidr_t *blk, const ws_sockaddr_t *peer)
{
	static const uint8_t mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
	const uint8_t *a;
	int family;
	if (peer->sa.sa_family == AF_INET6) {
		a = (const uint8_t *)&peer->in6.sin6_addr;
		family = 6;
		if (memcmp(a, mapped, 12) == 0) {
			a += 12;
			family = 4;
		}
	} else if (peer->sa.sa_family == AF_INET) {
		a = (const uint8_t *)&peer->in4.sin_addr;
		family = 4;
	} else {
		return 0;
	}
	return family == blk->family && prefix_match(a, blk->addr, blk->bits);
}

int ws_metrics_path_valid(const char *a, size_t len)
{
	if (len == 0 || len > WS_METRICS_PATH_MAX || a[0] != '/') {
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)a[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#') {
			return 0;
		}
	}
	return 1;
}

int ws_metrics_token_valid(const char *a, size_t len)
{
	if (len == 0 || len > WS_METRICS_TOKEN_MAX) {
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)a[i];
		if (ch <= 0x20 || ch >= 0x7f) {
			return 0;
		}
	}
	return 1;
}

int ws_metrics_parse_hostport(const char *s, size_t len, char *host, size_t hostcap, int *port)
{
	const char *colon, *hs = s;
	size_t hlen;
	if (len == 0 || memchr(s, 0, len)) {
		return -1;
	}
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (close == NULL || close + 1 >= s + len || close[1] != ':') {
			return -1;
		}
		hs = s + 1;
		hlen = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = NULL;
		for (size_t i = 0; i < len; i++) {
			if (s[i] == ':') {
				if (colon) {
					return -1; /* a bare IPv6 address: it needs brackets */
				}
				colon = s + i;
			}
		}
		if (colon == NULL) {
			return -1;
		}
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= hostcap) {
		return -1;
	}
	const char *p = colon + 1, *end = s + len;
	if (p == end || end - p > 5) {
		return -1;
	}
	int v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9') {
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 65535) {
		return -1;
	}
	for (size_t i = 0; i < hlen; i++) {
		unsigned char ch = (unsigned char)hs[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == '[' || ch == ']') {
			return -1;
		}
	}
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	*port = v;
	return 0;
}

/* ---------------------------------------------------------------- configuration */

static ws__metrics_ctl_t *ctl_get(ws_server_t *s)
{
	if (s->mctl == NULL) {
		s->mctl = ws_malloc(sizeof(*s->mctl));
		if (s->mctl == NULL) {
			return NULL;
		}
		memset(s->mctl, 0, sizeof(*s->mctl));
		s->mctl->self_id = -1;
	}
	return s->mctl;
}

void ws__metrics_free(ws_server_t *s)
{
	if (s->mctl) {
		ws_free(s->mctl->path);
		ws_free(s->mctl->token);
		ws_free(s->mctl->allow);
		ws_free(s->mctl);
		s->mctl = NULL;
	}
}

int ws_server_set_metrics_endpoint(ws_server_t *s, const ws_metrics_endpoint_config_t *cfg, char *err, size_t errcap)
{
	const char *path = cfg->path ? cfg->path : "/metrics";
	size_t path_len = cfg->path ? cfg->path_len : 8;
	if (s->mctl && (s->mctl->on_listeners || s->mctl->own_listener)) {
		snprintf(err, errcap, "the metrics endpoint is already configured");
		errno = EBUSY;
		return -1;
	}
	if (!ws_metrics_path_valid(path, path_len) || (cfg->token && !ws_metrics_token_valid(cfg->token, cfg->token_len))
		|| cfg->nallow > WS_METRICS_ALLOW_MAX) {
		snprintf(err, errcap, "invalid metrics endpoint configuration");
		errno = EINVAL;
		return -1;
	}
	ws__metrics_ctl_t *m = ctl_get(s);
	char *p = ws_malloc(path_len + 1);
	char *t = cfg->token ? ws_malloc(cfg->token_len + 1) : NULL;
	ws_cidr_t *a = cfg->nallow ? ws_malloc(cfg->nallow * sizeof(*a)) : NULL;
	if (m == NULL || p == NULL || (cfg->token && t == NULL) || (cfg->nallow && a == NULL)) {
		ws_free(p);
		ws_free(t);
		ws_free(a);
		snprintf(err, errcap, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	if (cfg->listen_host && ws__listen_metrics(s, cfg->listen_host, cfg->listen_port, err, errcap) != 0) {
		int e = errno;
		ws_free(p);
		ws_free(t);
		ws_free(a);
		errno = e;
		return -1;
	}
	memcpy(p, path, path_len);
	p[path_len] = '\0';
	if (t) {
		memcpy(t, cfg->token, cfg->token_len);
		t[cfg->token_len] = '\0';
	}
	if (a) {
		memcpy(a, cfg->allow, cfg->nallow * sizeof(*a));
	}
	m->path = p;
	m->path_len = path_len;
	m->token = t;
	m->token_len = t ? cfg->token_len : 0;
	m->allow = a;
	m->nallow = cfg->nallow;
	m->own_listener = cfg->listen_host != NULL;
	m->on_listeners = cfg->listen_host == NULL;
	m->timing = 1;
	return 0;
}

int ws_server_metrics_port(const ws_server_t *s)
{
	for (size_t i = 0; i < s->nlisteners; i++) {
		if (s->listeners[i].metrics_only) {
			return s->listeners[i].port;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- snapshots and the seam */

const ws_metrics_t *ws_server_metrics(ws_server_t *s)
{
	ws_metrics_t *m = &s->metrics;
	m->connections_open = s->nopen;
	m->connections_pending = s->nconns - s->nopen;
	m->topics = s->topics.count;
	m->memory_bytes = s->mem;
	m->memory_limit_bytes = s->cfg.max_memory;
	/* The node's broker link: this process's, or in a worker the supervisor's (ws_cluster.c). */
	ws_broker_stats_t bs;
	m->broker_configured = (uint64_t)ws_server_broker_stats(s, &bs);
	m->broker_connected = bs.connected ? 1 : 0;
	m->broker_reconnects = bs.reconnects;
	m->broker_messages_lost = bs.dropped;
	return m;
}

void ws_server_set_metrics_peers(ws_server_t *s, int self_id, ws_metrics_peers_fn fn, void *arg)
{
	ws__metrics_ctl_t *m = ctl_get(s);
	if (m == NULL) {
		return;
	}
	m->peers = fn;
	m->peers_arg = arg;
	m->self_id = fn ? self_id : -1;
}

void ws__metrics_iteration_end(ws_server_t *s)
{
	ws__metrics_ctl_t *m = s->mctl;
	if (m->timing) {
		uint64_t woke = ws_loop_wake_ns(s->loop), now = ws__metrics_clock();
		ws_metrics_observe(&s->metrics.loop_iteration, now > woke ? now - woke : 0);
	}
	m->iter++;
}

/* ---------------------------------------------------------------- the endpoint */

static int ieq_prefix(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);
	if (alen < n) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char x = a[i];
		if (x >= 'A' && x <= 'Z') {
			x = (char)(x + 32);
		}
		if (x != lit[i]) {
			return 0;
		}
	}
	return 1;
}

/* 1 if the value of this Accept element's q parameter is zero ("q=0", "q=0.000"). */
static int q_is_zero(const char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] == ';') {
			size_t j = i + 1;
			while (j < len && (p[j] == ' ' || p[j] == '\t')) {
				j++;
			}
			if (j + 1 < len && (p[j] == 'q' || p[j] == 'Q') && p[j + 1] == '=') {
				j += 2;
				if (j >= len || p[j] != '0') {
					return 0;
				}
				for (j++; j < len && p[j] != ';' && p[j] != ' ' && p[j] != '\t'; j++) {
					if (p[j] != '.' && p[j] != '0') {
						return 0;
					}
				}
				return 1;
			}
		}
	}
	return 0;
}

/* OpenMetrics if any Accept header lists application/openmetrics-text without q=0. */
static int wants_openmetrics(const ws_http_request_t *req)
{
	size_t idx = 0, start = 0;
	for (;;) {
		ws_span_t v = ws_http_header_get(req, "accept", start, &idx);
		if (v.ptr == NULL) {
			return 0;
		}
		size_t i = 0;
		while (i < v.len) {
			while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t' || v.ptr[i] == ',')) {
				i++;
			}
			size_t e = i;
			while (e < v.len && v.ptr[e] != ',') {
				e++;
			}
			if (ieq_prefix(v.ptr + i, e - i, "application/openmetrics-text") && !q_is_zero(v.ptr + i, e - i)) {
				return 1;
			}
			i = e;
		}
		start = idx + 1;
	}
}

/* Compares without an early exit, so that timing does not tell how much of a guess was right. */
static int token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned diff = alen != blen;
	for (size_t i = 0; i < alen; i++) {
		diff |= (unsigned)(unsigned char)a[i] ^ (unsigned)(unsigned char)b[i % (blen ? blen : 1)];
	}
	return diff == 0 && blen != 0;
}

static int bearer_ok(const ws__metrics_ctl_t *m, const ws_http_request_t *req)
{
	ws_span_t v = ws_http_header_get(req, "authorization", 0, NULL);
	if (v.ptr == NULL || !ieq_prefix(v.ptr, v.len, "bearer ")) {
		return 0;
	}
	size_t i = 7;
	while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t')) {
		i++;
	}
	return token_equal(v.ptr + i, v.len - i, m->token, m->token_len);
}

static int address_ok(const ws__metrics_ctl_t *m, const ws_conn_t *c)
{
	if (m->nallow == 0) {
		if (m->token) {
			return 1; /* the token alone decides */
		}
		static const ws_cidr_t loopback[2] = {
			{ 4, 8, {127} },
			{ 6, 128, {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1} }
		};
		return cidr_contains(&loopback[0], &c->peer) || cidr_contains(&loopback[1], &c->peer);
	}
	for (size_t i = 0; i < m->nallow; i++) {
		if (cidr_contains(&m->allow[i], &c->peer)) {
			return 1;
		}
	}
	return 0;
}

typedef struct peer_entry {
	const ws_metrics_t *snap;
	int id;
} peer_entry_t;

static int by_worker(const void *a, const void *b)
{
	int x = ((const peer_entry_t *)a)->id, y = ((const peer_entry_t *)b)->id;
	return (x > y) - (x < y);
}

#define WS_METRICS_PEERS_MAX 1024

/* Renders this server's snapshot and, with the workers' hook, everyone else's, sorted by worker id. */
static int render_all(ws_server_t *s, int openmetrics, char **out, size_t *out_len)
{
	ws__metrics_ctl_t *m = s->mctl;
	const ws_metrics_t *own = ws_server_metrics(s);
	if (m->peers == NULL) {
		int id = -1;
		return ws_metrics_render(&own, &id, 1, openmetrics, out, out_len);
	}
	const ws_metrics_t **snaps = ws_malloc((WS_METRICS_PEERS_MAX + 1) * sizeof(*snaps));
	int *ids = ws_malloc((WS_METRICS_PEERS_MAX + 1) * sizeof(*ids));
	peer_entry_t *e = ws_malloc((WS_METRICS_PEERS_MAX + 1) * sizeof(*e));
	int r = WS_ERR_NOMEM;
	if (snaps && ids && e) {
		size_t n = 1 + m->peers(m->peers_arg, snaps + 1, ids + 1, WS_METRICS_PEERS_MAX);
		if (n > WS_METRICS_PEERS_MAX + 1) {
			n = WS_METRICS_PEERS_MAX + 1;
		}
		snaps[0] = own;
		ids[0] = m->self_id;
		for (size_t i = 0; i < n; i++) {
			e[i].snap = snaps[i];
			e[i].id = ids[i];
		}
		qsort(e, n, sizeof(*e), by_worker);
		for (size_t i = 0; i < n; i++) {
			snaps[i] = e[i].snap;
			ids[i] = e[i].id;
		}
		r = ws_metrics_render_node(snaps, ids, n, own, openmetrics, out, out_len);
	}
	ws_free(snaps);
	ws_free(ids);
	ws_free(e);
	return r;
}

static void refuse(ws_conn_t *c, int status, const char *msg)
{
	const char *hdr = status == 405 ? "Allow: GET, HEAD\r\n" : NULL;
	ws_conn_respond(c, status, hdr, hdr ? strlen(hdr) : 0, msg, strlen(msg));
}

int ws__metrics_http(ws_conn_t *c, const ws_http_request_t *req)
{
	ws_server_t *s = c->server;
	ws__metrics_ctl_t *m = s->mctl;
	if (m == NULL || !(c->metrics_only || m->on_listeners)) {
		return 0;
	}
	if (req->path.len != m->path_len || memcmp(req->path.ptr, m->path, m->path_len) != 0) {
		if (!c->metrics_only) {
			return 0; /* the application's */
		}
		c->head_method_head = req->method.len == 4 && memcmp(req->method.ptr, "HEAD", 4) == 0;
		refuse(c, 404, "not found\n");
		return 1;
	}
	c->head_method_head = req->method.len == 4 && memcmp(req->method.ptr, "HEAD", 4) == 0;
	if (!address_ok(m, c) || (m->token && !bearer_ok(m, req))) {
		s->metrics.scrapes[WS_MSCRAPE_REFUSED]++;
		refuse(c, 403, "forbidden\n");
		return 1;
	}
	if (!c->head_method_head && !(req->method.len == 3 && memcmp(req->method.ptr, "GET", 3) == 0)) {
		refuse(c, 405, "method not allowed\n");
		return 1;
	}
	int om = wants_openmetrics(req);
	char *body = NULL;
	size_t blen = 0;
	if (render_all(s, om, &body, &blen) != 0) {
		refuse(c, 500, "out of memory\n");
		return 1;
	}
	char hdr[160];
	int hl = snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\nCache-Control: no-store\r\n", ws_metrics_content_type(om));
	s->metrics.scrapes[om ? WS_MSCRAPE_OPENMETRICS : WS_MSCRAPE_TEXT]++;
	ws_conn_respond(c, 200, hdr, (size_t)hl, body, blen);
	ws_free(body);
	return 1;
}
