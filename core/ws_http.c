/*
 * ws_http.c - the HTTP phase of a connection: gathering the request head,
 * validating an upgrade (origins, limits, subprotocol and permessage-deflate
 * negotiation, the handshake handler), the 101 response, plain HTTP answers
 * (request handler, document_root, 426) and refusals.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ws_metrics_int.h"

static int conn_http_respond(ws_conn_t *c, int status, const char *headers, size_t hlen,
	const char *body, size_t blen)
{
	size_t need = ws_http_response(NULL, 0, status, headers, hlen, body, blen, 1, c->head_method_head);
	char *out = ws_malloc(need);
	if (out == NULL) {
		c->drop = 1;
		ws__conn_touch(c);
		return -1;
	}
	ws_http_response(out, need, status, headers, hlen, body, blen, 1, c->head_method_head);
	int r = ws__queue_bytes(c, out, need, NULL, 0);
	ws_free(out);
	c->responded = 1;
	c->state = ST_RESPONDING;
	c->t_close = (ws_stamp_t)ws_loop_now(c->server->loop);
	ws__conn_touch(c);
	return r;
}

int ws_conn_respond(ws_conn_t *c, int status, const char *headers, size_t headers_len, const char *body, size_t body_len)
{
	if (c->state != ST_HTTP || c->responded) {
		return -1;
	}
	if (c->in_handshake_cb) {
		ws__metrics_refused(c, status); /* the handshake handler refused the upgrade */
	}
	return conn_http_respond(c, status, headers, headers_len, body, body_len);
}

int ws_conn_responded(const ws_conn_t *c)
{
	return c->responded;
}

/* The HTTP phase's state, made on first use; NULL when out of memory. */
static ws_conn_http_t *conn_http(ws_conn_t *c)
{
	if (c->http == NULL && (c->http = ws_malloc(sizeof(*c->http))) != NULL) {
		memset(c->http, 0, sizeof(*c->http));
	}
	return c->http;
}

void ws__conn_http_free(ws_conn_t *c)
{
	ws_conn_http_t *h = c->http;
	if (h == NULL) {
		return;
	}
	ws__mem_release(c->server, h->head, h->head_cap);
	ws_free(h->extra_headers);
	ws_free(h->subprotocol);
	ws_free(h);
	c->http = NULL;
}

int ws_conn_set_subprotocol(ws_conn_t *c, const char *name, size_t len)
{
	if (!c->in_handshake_cb) {
		return -1;
	}
	char *p = ws_malloc(len + 1);
	if (p == NULL) {
		return -1;
	}
	memcpy(p, name, len);
	p[len] = '\0';
	ws_free(c->http->subprotocol);
	c->http->subprotocol = p;
	c->http->subprotocol_len = len;
	return 0;
}

int ws_conn_add_response_header(ws_conn_t *c, const char *name, size_t name_len, const char *value, size_t value_len)
{
	if (!c->in_handshake_cb) {
		return -1;
	}
	ws_conn_http_t *h = conn_http(c);
	if (h == NULL) {
		return -1;
	}
	size_t add = name_len + 2 + value_len + 2;
	char *p = ws_realloc(h->extra_headers, h->extra_len + add);
	if (p == NULL) {
		return -1;
	}
	memcpy(p + h->extra_len, name, name_len);
	memcpy(p + h->extra_len + name_len, ": ", 2);
	memcpy(p + h->extra_len + name_len + 2, value, value_len);
	memcpy(p + h->extra_len + name_len + 2 + value_len, "\r\n", 2);
	h->extra_headers = p;
	h->extra_len += add;
	return 0;
}

static void conn_http_error(ws_conn_t *c, int err)
{
	int status = ws_error_http_status(err);
	const char *msg = ws_strerror(err);
	char body[160];
	int n = snprintf(body, sizeof(body), "%s\n", msg);
	const char *hdr = status == 405 ? "Allow: GET\r\n" : NULL;
	ws__metrics_refused(c, status);
	conn_http_respond(c, status, hdr, hdr ? strlen(hdr) : 0, body, (size_t)n);
}

void ws__conn_http_refuse(ws_conn_t *c, int status, const char *extra, const char *msg)
{
	ws__metrics_refused(c, status);
	conn_http_respond(c, status, extra, extra ? strlen(extra) : 0, msg, strlen(msg));
}

static int span_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen) {
		return 0;
	}
	for (size_t i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z') {
			x = (unsigned char)(x + 32);
		}
		if (y >= 'A' && y <= 'Z') {
			y = (unsigned char)(y + 32);
		}
		if (x != y) {
			return 0;
		}
	}
	return 1;
}

static void conn_upgrade(ws_conn_t *c, const ws_http_request_t *req, size_t head_len)
{
	ws_server_t *s = c->server;
	ws_handshake_t hs;
	int e = ws_handshake_validate(req, &hs);
	if (e != 0) {
		conn_http_error(c, e);
		return;
	}
	if (s->stopping) {
		ws__conn_http_refuse(c, 503, "Retry-After: 5\r\n", "server is shutting down\n");
		return;
	}
	if (s->norigins && hs.origin.ptr) {
		int ok = 0;
		for (size_t i = 0; i < s->norigins && !ok; i++) {
			ok = span_ieq(hs.origin.ptr, hs.origin.len, s->origins[i], s->origin_lens[i]);
		}
		if (!ok) {
			ws__conn_http_refuse(c, 403, NULL, "origin not allowed\n");
			return;
		}
	}
	if (s->cfg.max_connections && s->nopen >= s->cfg.max_connections) {
		ws__conn_http_refuse(c, 503, "Retry-After: 1\r\n", "too many connections\n");
		return;
	}
	if (s->cfg.max_connections_per_ip && ws__per_ip_count(c) >= s->cfg.max_connections_per_ip) {
		ws__conn_http_refuse(c, 503, "Retry-After: 1\r\n", "too many connections from this address\n");
		return;
	}
	if (s->cfg.max_memory && s->mem > s->cfg.max_memory) {
		ws__conn_http_refuse(c, 503, "Retry-After: 1\r\n", "server memory budget exhausted\n");
		return;
	}
	/* Subprotocol: the first the client offers that the server speaks. */
	for (size_t i = 0; i < hs.num_protocols && c->http->subprotocol == NULL; i++) {
		for (size_t j = 0; j < s->nprotocols; j++) {
			if (hs.protocols[i].len == s->protocol_lens[j]
				&& memcmp(hs.protocols[i].ptr, s->protocols[j], s->protocol_lens[j]) == 0) {
				char *p = ws_malloc(hs.protocols[i].len + 1);
				if (p) {
					memcpy(p, hs.protocols[i].ptr, hs.protocols[i].len);
					p[hs.protocols[i].len] = '\0';
					c->http->subprotocol = p;
					c->http->subprotocol_len = hs.protocols[i].len;
				}
				break;
			}
		}
	}
	/* permessage-deflate: the first acceptable offer, else no compression. */
	char ext_resp[160];
	size_t ext_len = 0;
	if (s->cfg.deflate.enabled && hs.num_extensions_raw > 0) {
		c->pmd_on = (uint8_t)ws_pmd_negotiate(&s->cfg.deflate, hs.extensions_raw, hs.num_extensions_raw,
			&c->pmd, ext_resp, sizeof(ext_resp), &ext_len);
		if (!c->pmd_on) {
			ext_len = 0;
		}
	}
	if (s->h->on_handshake) {
		uint64_t t0 = ws__mt_begin(s);
		c->in_handshake_cb = 1;
		s->h->on_handshake(s, c, req, &hs);
		c->in_handshake_cb = 0;
		ws__mt_end(&s->metrics.handler[WS_MEV_HANDSHAKE], t0);
		if (c->responded || c->state != ST_HTTP) {
			return;
		}
		if (s->breaking) {
			c->drop = 1;
			ws__conn_touch(c);
			return;
		}
	}
	char accept[WS_ACCEPT_KEY_LEN];
	ws_handshake_accept(hs.key.ptr, hs.key.len, accept);
	const char *xh = c->http->extra_headers;
	size_t xl = c->http->extra_len;
	const char *sp = c->http->subprotocol;
	size_t spl = c->http->subprotocol_len;
	size_t need = ws_handshake_response(NULL, 0, accept, sp, spl,
		ext_len ? ext_resp : NULL, ext_len, xh, xl);
	char *out = ws_malloc(need);
	if (out != NULL) {
		ws_handshake_response(out, need, accept, sp, spl,
			ext_len ? ext_resp : NULL, ext_len, xh, xl);
	}
	if (out == NULL || ws__queue_bytes(c, out, need, NULL, 0) != 0) {
		ws_free(out);
		c->drop = 1;
		ws__conn_touch(c);
		return;
	}
	ws_free(out);
	/* Frames will join it in the queue; discarding them must leave it whole. */
	c->http_unsent = (uint32_t)need;
	ws_free(c->http->extra_headers);
	c->http->extra_headers = NULL;
	c->http->extra_len = 0;

	ws__per_ip_acquire(c);
	/* Kept for the binding, which may create its connection object later. */
	size_t pl = req->path.len == 1 && req->path.ptr[0] == '/' ? 0 : req->path.len;
	if ((pl || spl) && pl <= UINT32_MAX && spl <= UINT32_MAX
		&& (c->names = ws_malloc(sizeof(*c->names) + pl + spl + 1)) != NULL) {
		c->names->path_len = (uint32_t)pl;
		c->names->subprotocol_len = (uint32_t)spl;
		memcpy(c->names->bytes, req->path.ptr, pl);
		if (spl) {
			memcpy(c->names->bytes + pl, sp, spl);
		}
		c->names->bytes[pl + spl] = '\0';
	}
	c->state = ST_OPEN;
	c->opened = 1;
	c->t_rx = c->t_data = (ws_stamp_t)ws_loop_now(s->loop);
	ws__open_list_add(c);
	ws_timer_stop(s->loop, &c->timer);
	ws__conn_arm_timer(c);
	s->metrics.connections_opened++;
	if (s->mctl && s->mctl->timing) {
		uint64_t now = ws__metrics_clock();
		ws_metrics_observe(&s->metrics.handshake, now > c->http->t_accept_ns ? now - c->http->t_accept_ns : 0);
	}
	if (s->h->on_open) {
		uint64_t t0 = ws__mt_begin(s);
		s->h->on_open(s, c, req);
		ws__mt_end(&s->metrics.handler[WS_MEV_OPEN], t0);
	}
	/*
	 * Frames the client sent right behind its request: parse them in place in
	 * the head buffer, which lives until the caller frees it after we return
	 * (ws__conn_feed copies whatever must outlive that).
	 */
	size_t extra = c->http->head_len - head_len;
	if (extra && (c->state == ST_OPEN || c->state == ST_CLOSING) && !s->breaking) {
		ws__conn_feed(c, (uint8_t *)c->http->head + head_len, extra);
	}
}

static void conn_plain_http(ws_conn_t *c, const ws_http_request_t *req)
{
	ws_server_t *s = c->server;
	c->head_method_head = req->method.len == 4 && memcmp(req->method.ptr, "HEAD", 4) == 0;
	if (req->version_minor >= 1 && ws_http_header_get(req, "host", 0, NULL).ptr == NULL) {
		ws__conn_http_refuse(c, 400, NULL, "missing Host header\n"); /* RFC 9112 3.2 */
		return;
	}
	if (s->mctl && ws__metrics_http(c, req)) {
		return; /* the metrics endpoint: answered here, never seen by the application */
	}
	int handled = 0;
	if (s->h->on_http) {
		uint64_t t0 = ws__mt_begin(s);
		handled = s->h->on_http(s, c, req);
		ws__mt_end(&s->metrics.handler[WS_MEV_REQUEST], t0);
		if (c->responded || c->state != ST_HTTP || s->breaking) {
			return;
		}
	}
	if (s->document_root) {
		char *resp = NULL;
		size_t rlen = 0;
		ws_static_serve(s->document_root, req, &resp, &rlen);
		if (resp) {
			ws__queue_bytes(c, resp, rlen, NULL, 0);
			ws_free(resp);
			c->responded = 1;
			c->state = ST_RESPONDING;
			c->t_close = (ws_stamp_t)ws_loop_now(s->loop);
			ws__conn_touch(c);
			return;
		}
		c->drop = 1;
		ws__conn_touch(c);
		return;
	}
	if (handled) {
		conn_http_respond(c, 404, NULL, 0, "not found\n", 10);
	} else {
		conn_http_respond(c, 426, NULL, 0, "this is a WebSocket server\n", 27);
	}
}

void ws__conn_read_head(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	size_t max = s->cfg.max_header_size;
	ws_conn_http_t *h = conn_http(c);
	if (h == NULL) {
		c->drop = 1;
		ws__conn_touch(c);
		return;
	}
	if (h->head_len >= max) {
		return;
	}
	size_t want = h->head_len + 2048;
	if (want > max) {
		want = max;
	}
	if (ws__mem_reserve(s, (uint8_t **)&h->head, &h->head_cap, want) != 0) {
		c->drop = 1;
		ws__conn_touch(c);
		return;
	}
	ssize_t n = ws__conn_read(c, h->head + h->head_len, h->head_cap - h->head_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		c->drop = 1;
		ws__conn_touch(c);
		return;
	}
	if (n < 0) {
		return;
	}
	h->head_len += (size_t)n;
	s->metrics.read_bytes += c->metrics_only ? 0 : (uint64_t)n; /* scrapes are not client traffic */
	c->t_rx = (ws_stamp_t)ws_loop_now(s->loop);

	ws_http_request_t req;
	int r = ws_http_parse_request(&req, h->head, h->head_len, max);
	if (r == WS_ERR_AGAIN) {
		return;
	}
	if (r < 0) {
		conn_http_error(c, r);
	} else if (c->metrics_only) {
		ws__metrics_http(c, &req); /* the endpoint's own listener: metrics or 404, never an upgrade */
	} else if (ws_handshake_is_upgrade(&req)) {
		conn_upgrade(c, &req, (size_t)r);
	} else {
		conn_plain_http(c, &req);
	}
	/* The head is no longer needed: the request is answered or upgraded. */
	ws__conn_http_free(c);
}
