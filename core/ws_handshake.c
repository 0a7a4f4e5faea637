/*
 * ws_handshake.c - HTTP/1.1 request-head parser, WebSocket upgrade
 * validation (RFC 6455 section 4.2.1), Sec-WebSocket-Accept, header-list
 * parsing and the handshake / plain HTTP responses.
 *
 * The parser is stateless: the caller passes everything received so far, so
 * a call must be cheap when the head is still incomplete.  It first checks
 * the request line (so garbage, such as a TLS ClientHello sent to a plain
 * port, is rejected as soon as it can be told apart from a request) and then
 * only searches for the blank line that ends the head; the header lines are
 * parsed once, when the head is complete.  Nothing is allocated; every
 * result is a span into the caller's buffer.
 */
#include <limits.h>
#include <string.h>
#include "ws_handshake.h"

/* RFC 6455 section 1.3: appended to the key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
#define WS_GUID_LEN (sizeof(ws_guid) - 1)

/* ---- character classes (RFC 7230 section 3.2.6) ---- */

/* tchar: the characters of a token, used for methods, header names, subprotocols and extensions. */
static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		return 1;
	}
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
	case '+': case '-': case '.': case '^': case '_': case '`': case '|': case '~':
		return 1;
	}
	return 0;
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A byte allowed inside a field value: VCHAR, SP, HTAB and obs-text
 * (0x80-0xFF, so that UTF-8 in, say, a cookie does not fail the whole
 * request).  Every other control byte, DEL, a stray CR and NUL are refused:
 * they are how request smuggling and header injection start.
 */
static int is_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Case-insensitive comparison of n bytes, ASCII only: header names and tokens are ASCII. */
static int ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) {
			return 0;
		}
	}
	return 1;
}

static int span_ieq(ws_span_t s, const char *z, size_t zlen)
{
	return s.len == zlen && ascii_ieq(s.ptr, z, zlen);
}

static int span_eq(ws_span_t s, const char *z)
{
	size_t zlen = strlen(z);
	return s.len == zlen && memcmp(s.ptr, z, zlen) == 0;
}

static int span_is_token(const char *p, size_t n)
{
	if (n == 0) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_tchar((unsigned char)p[i])) {
			return 0;
		}
	}
	return 1;
}

/* ---- request line ---- */

/*
 * Splits a complete request-target into path and query.  Accepted forms
 * (RFC 7230 section 5.3): origin-form "/path?query"; asterisk-form "*"
 * (path "*"); and absolute-form with an http or https scheme, whose path
 * part is reported as the path so that routing works the same whether or
 * not the client talks to us as if we were a proxy.  An absolute-form
 * target without a path ("http://host" or "http://host?q") yields an empty
 * path, still pointing into the buffer; callers treat it as "/".  The
 * authority of an absolute-form target is not checked against Host.
 * authority-form (only meaningful for CONNECT) and anything else is
 * malformed.
 */
static int parse_target(ws_http_request_t *req, const char *t, size_t n)
{
	const char *p = t;
	size_t plen = n;
	const char *q;

	if (t[0] == '*') {
		if (n != 1) {
			return WS_ERR_HTTP_MALFORMED;
		}
		req->path.ptr = t;
		req->path.len = 1;
		req->query.ptr = t + 1;
		req->query.len = 0;
		return 0;
	}
	if (t[0] != '/') {
		size_t skip, a;

		if (n >= 7 && ascii_ieq(t, "http://", 7)) {
			skip = 7;
		} else if (n >= 8 && ascii_ieq(t, "https://", 8)) {
			skip = 8;
		} else {
			return WS_ERR_HTTP_MALFORMED;
		}
		a = skip;
		while (a < n && t[a] != '/' && t[a] != '?') {
			a++;
		}
		if (a == skip) {
			return WS_ERR_HTTP_MALFORMED;   /* "http:///x": no authority */
		}
		p = t + a;
		plen = n - a;
	}
	q = memchr(p, '?', plen);
	if (q != NULL) {
		req->path.ptr = p;
		req->path.len = (size_t)(q - p);
		req->query.ptr = q + 1;
		req->query.len = plen - req->path.len - 1;
	} else {
		req->path.ptr = p;
		req->path.len = plen;
		req->query.ptr = p + plen;
		req->query.len = 0;
	}
	return 0;
}

/*
 * Parses request-line = method SP request-target SP HTTP-version, without
 * its line end, from line[0..n).  complete == 0 means the line end has not
 * arrived yet: then WS_ERR_AGAIN says "valid so far", and
 * WS_ERR_HTTP_MALFORMED is only returned for bytes that no continuation
 * could make valid, so the answer for a longer prefix never contradicts it.
 * Exactly one SP separates the parts, as RFC 7230 section 3.1.1 requires;
 * lenient whitespace handling is what lets two parsers disagree about a
 * request.
 */
static int parse_request_line(ws_http_request_t *req, const char *line, size_t n, int complete)
{
	/* '#' stands for one digit: HTTP/x.y with single digits parses, validation decides. */
	static const char pattern[] = "HTTP/#.#";
	const size_t plen = sizeof(pattern) - 1;
	size_t i = 0, t, v, rest;
	int rc;

	while (i < n && is_tchar((unsigned char)line[i])) {
		i++;
	}
	if (i == n) {
		return complete ? WS_ERR_HTTP_MALFORMED : WS_ERR_AGAIN;
	}
	if (line[i] != ' ' || i == 0) {
		return WS_ERR_HTTP_MALFORMED;
	}
	req->method.ptr = line;
	req->method.len = i;

	/* The target is any run of visible bytes (obs-text included); its form is checked once it ends. */
	t = ++i;
	while (i < n && (unsigned char)line[i] > 0x20 && line[i] != 0x7f) {
		i++;
	}
	if (i == n) {
		return complete ? WS_ERR_HTTP_MALFORMED : WS_ERR_AGAIN;
	}
	if (line[i] != ' ' || i == t) {
		return WS_ERR_HTTP_MALFORMED;
	}
	req->target.ptr = line + t;
	req->target.len = i - t;
	rc = parse_target(req, line + t, i - t);
	if (rc != 0) {
		return rc;
	}

	v = ++i;
	rest = n - v;
	for (size_t k = 0; k < rest && k < plen; k++) {
		unsigned char c = (unsigned char)line[v + k];
		if (pattern[k] == '#' ? (c < '0' || c > '9') : c != (unsigned char)pattern[k]) {
			return WS_ERR_HTTP_MALFORMED;
		}
	}
	if (rest > plen) {
		return WS_ERR_HTTP_MALFORMED;
	}
	if (rest < plen || !complete) {
		return complete ? WS_ERR_HTTP_MALFORMED : WS_ERR_AGAIN;
	}
	req->version_major = line[v + 5] - '0';
	req->version_minor = line[v + 7] - '0';
	return 0;
}

/* ---- header lines ---- */

/*
 * Parses one header line, without its line end.  RFC 7230 section 3.2.4:
 * no whitespace between the name and the colon, and obs-fold (a line that
 * starts with SP or HTAB) must be rejected by a server that does not unfold
 * it; we reject both rather than guess.
 */
static int parse_header_line(ws_http_request_t *req, const char *line, size_t n)
{
	size_t i = 0, vs, ve;
	ws_http_header_t *h;

	while (i < n && is_tchar((unsigned char)line[i])) {
		i++;
	}
	/* Covers obs-fold, an empty name, space before ':', a missing ':' and control bytes in the name. */
	if (i == 0 || i == n || line[i] != ':') {
		return WS_ERR_HTTP_MALFORMED;
	}
	vs = i + 1;
	while (vs < n && is_ows((unsigned char)line[vs])) {
		vs++;
	}
	for (size_t k = vs; k < n; k++) {
		if (!is_field_byte((unsigned char)line[k])) {
			return WS_ERR_HTTP_MALFORMED;
		}
	}
	ve = n;
	while (ve > vs && is_ows((unsigned char)line[ve - 1])) {
		ve--;
	}
	if (req->num_headers == WS_HTTP_MAX_HEADERS) {
		return WS_ERR_HTTP_TOO_MANY_HEADERS;
	}
	h = &req->headers[req->num_headers++];
	h->name.ptr = line;
	h->name.len = i;
	h->value.ptr = line + vs;
	h->value.len = ve - vs;
	return 0;
}

/* Length of line[0..n) without one trailing CR: the line ends are CRLF or bare LF. */
static size_t strip_cr(const char *line, size_t n)
{
	return (n > 0 && line[n - 1] == '\r') ? n - 1 : n;
}

/*
 * Notes beyond the header comment: max_head == 0 selects
 * WS_HTTP_DEFAULT_MAX_HEAD, and max_head is capped at INT_MAX so that the
 * head length fits the return type.  Only buf[0..min(len, max_head)) is
 * looked at, so the answer for len >= max_head never changes as more bytes
 * arrive.  Empty lines before the request line are skipped (RFC 7230
 * section 3.5 asks servers to ignore at least one) and counted in head_len.
 * The contents of req are unspecified unless a head length is returned.
 */
int ws_http_parse_request(ws_http_request_t *req, const char *buf, size_t len, size_t max_head)
{
	size_t window, pos = 0, eol, p, end, ls;
	const char *nl;
	int rc;

	if (max_head == 0) {
		max_head = WS_HTTP_DEFAULT_MAX_HEAD;
	}
	if (max_head > INT_MAX) {
		max_head = INT_MAX;
	}
	window = len < max_head ? len : max_head;
	req->num_headers = 0;
	req->head_len = 0;

	while (pos < window && (buf[pos] == '\n' || buf[pos] == '\r')) {
		if (buf[pos] == '\n') {
			pos++;
		} else if (pos + 1 == window) {
			goto incomplete;
		} else if (buf[pos + 1] == '\n') {
			pos += 2;
		} else {
			return WS_ERR_HTTP_MALFORMED;
		}
	}
	if (pos == window) {
		goto incomplete;
	}

	nl = memchr(buf + pos, '\n', window - pos);
	if (nl == NULL) {
		/*
		 * Judge the partial request line now.  A final CR can only be
		 * followed by LF, so what precedes it must already be a whole
		 * request line.
		 */
		if (buf[window - 1] == '\r') {
			rc = parse_request_line(req, buf + pos, window - 1 - pos, 1);
		} else {
			rc = parse_request_line(req, buf + pos, window - pos, 0);
		}
		if (rc == WS_ERR_HTTP_MALFORMED) {
			return rc;
		}
		goto incomplete;
	}
	eol = (size_t)(nl - buf);
	rc = parse_request_line(req, buf + pos, strip_cr(buf + pos, eol - pos), 1);
	if (rc != 0) {
		return rc;
	}

	/*
	 * Look for the empty line: an LF followed by LF or by CR LF.  p is
	 * always the position of an LF; the first empty line after it ends the
	 * head, whatever comes later, so a complete head is found identically
	 * in every longer prefix.
	 */
	p = eol;
	for (;;) {
		if (p + 1 >= window) {
			goto incomplete;
		}
		if (buf[p + 1] == '\n') {
			end = p + 2;
			break;
		}
		if (buf[p + 1] == '\r') {
			if (p + 2 >= window) {
				goto incomplete;
			}
			if (buf[p + 2] == '\n') {
				end = p + 3;
				break;
			}
		}
		nl = memchr(buf + p + 1, '\n', window - p - 1);
		if (nl == NULL) {
			goto incomplete;
		}
		p = (size_t)(nl - buf);
	}

	/* The header lines are the lines after the request line, up to and including the LF at p. */
	ls = eol + 1;
	while (ls <= p) {
		size_t le = (size_t)((const char *)memchr(buf + ls, '\n', p + 1 - ls) - buf);
		rc = parse_header_line(req, buf + ls, strip_cr(buf + ls, le - ls));
		if (rc != 0) {
			return rc;
		}
		ls = le + 1;
	}
	req->head_len = end;
	return (int)end;

incomplete:
	return len >= max_head ? WS_ERR_HTTP_HEADERS_TOO_LARGE : WS_ERR_AGAIN;
}

/* ---- header lookup ---- */

/* On no match, *index_out (if given) is set to req->num_headers, so a loop `start = idx + 1` ends. */
ws_span_t ws_http_header_get(const ws_http_request_t *req, const char *name, size_t start, size_t *index_out)
{
	size_t nlen = strlen(name);
	ws_span_t none = { NULL, 0 };

	for (size_t i = start; i < req->num_headers; i++) {
		if (span_ieq(req->headers[i].name, name, nlen)) {
			if (index_out != NULL) {
				*index_out = i;
			}
			return req->headers[i].value;
		}
	}
	if (index_out != NULL) {
		*index_out = req->num_headers;
	}
	return none;
}

/*
 * Iterates the elements of a comma-separated list (RFC 7230 section 7):
 * *pos is the cursor into v.  Returns 0 at the end, else 1 with the element,
 * trimmed of OWS, in *elem; empty elements are reported too (len 0) and the
 * callers skip them, as the #rule requires.
 */
static int list_next(ws_span_t v, size_t *pos, ws_span_t *elem)
{
	size_t s = *pos, e;
	const char *comma;

	if (s > v.len) {
		return 0;
	}
	comma = memchr(v.ptr + s, ',', v.len - s);
	e = comma != NULL ? (size_t)(comma - v.ptr) : v.len;
	*pos = e + 1;
	while (s < e && is_ows((unsigned char)v.ptr[s])) {
		s++;
	}
	while (e > s && is_ows((unsigned char)v.ptr[e - 1])) {
		e--;
	}
	elem->ptr = v.ptr + s;
	elem->len = e - s;
	return 1;
}

int ws_http_header_has_token(const ws_http_request_t *req, const char *name, const char *token)
{
	size_t tlen = strlen(token), idx = 0;

	for (;;) {
		ws_span_t v = ws_http_header_get(req, name, idx, &idx);
		ws_span_t elem;
		size_t pos = 0;

		if (v.ptr == NULL) {
			return 0;
		}
		while (list_next(v, &pos, &elem)) {
			if (span_ieq(elem, token, tlen)) {
				return 1;
			}
		}
		idx++;
	}
}

/* ---- upgrade validation ---- */

int ws_handshake_is_upgrade(const ws_http_request_t *req)
{
	return ws_http_header_has_token(req, "Upgrade", "websocket");
}

/* Returns the value of a header that must appear at most once; *count gets 0, 1 or 2 (2 = "more than one"). */
static ws_span_t single_header(const ws_http_request_t *req, const char *name, int *count)
{
	size_t idx;
	ws_span_t v = ws_http_header_get(req, name, 0, &idx);

	*count = 0;
	if (v.ptr != NULL) {
		*count = ws_http_header_get(req, name, idx + 1, NULL).ptr != NULL ? 2 : 1;
	}
	return v;
}

/*
 * The checks run in the order that gives the most useful answer: a wrong
 * method or version makes everything else moot, and a body is only worth
 * mentioning for an otherwise valid upgrade.  Beyond the header comment:
 * more than one Host header (RFC 7230 section 5.4) or Origin header
 * (RFC 6454 section 7.3) is WS_ERR_HTTP_MALFORMED, because a server must not
 * pick one of several values that an origin check could then disagree with;
 * Sec-WebSocket-Version must appear once; Content-Length must be absent or
 * all zeros, and any Transfer-Encoding is a body (WS_ERR_HTTP_BODY);
 * each Sec-WebSocket-Protocol element must be a token (WS_ERR_HTTP_MALFORMED),
 * empty list elements are skipped, and offers beyond WS_MAX_PROTOCOLS and
 * Sec-WebSocket-Extensions headers beyond WS_MAX_EXTENSIONS are ignored.
 */
int ws_handshake_validate(const ws_http_request_t *req, ws_handshake_t *hs)
{
	ws_span_t v;
	size_t idx;
	int count;
	uint8_t raw[18];

	if (!span_eq(req->method, "GET")) {
		return WS_ERR_HTTP_METHOD;
	}
	if (req->version_major != 1 || req->version_minor < 1) {
		return WS_ERR_HTTP_VERSION;
	}

	memset(hs, 0, sizeof(*hs));
	hs->host = single_header(req, "Host", &count);
	if (count == 0) {
		return WS_ERR_HTTP_NO_HOST;
	}
	if (count > 1) {
		return WS_ERR_HTTP_MALFORMED;
	}
	if (!ws_http_header_has_token(req, "Upgrade", "websocket")
		|| !ws_http_header_has_token(req, "Connection", "upgrade")) {
		return WS_ERR_HTTP_NOT_UPGRADE;
	}

	/* Exactly "13": no leading zeros, no list such as "13, 8" (RFC 6455 4.2.1 item 6). */
	v = single_header(req, "Sec-WebSocket-Version", &count);
	if (count != 1 || !span_eq(v, "13")) {
		return WS_ERR_WS_VERSION;
	}

	/* 16 random bytes encode to 22 characters plus "==", and the decoder rejects non-canonical forms. */
	v = single_header(req, "Sec-WebSocket-Key", &count);
	if (count != 1 || v.len != 24 || ws_base64_decode(v.ptr, v.len, raw) != 16) {
		return WS_ERR_WS_KEY;
	}
	hs->key = v;

	idx = 0;
	for (;;) {
		v = ws_http_header_get(req, "Content-Length", idx, &idx);
		if (v.ptr == NULL) {
			break;
		}
		if (v.len == 0) {
			return WS_ERR_HTTP_BODY;
		}
		for (size_t i = 0; i < v.len; i++) {
			if (v.ptr[i] != '0') {
				return WS_ERR_HTTP_BODY;
			}
		}
		idx++;
	}
	if (ws_http_header_get(req, "Transfer-Encoding", 0, NULL).ptr != NULL) {
		return WS_ERR_HTTP_BODY;
	}

	hs->origin = single_header(req, "Origin", &count);
	if (count > 1) {
		return WS_ERR_HTTP_MALFORMED;
	}

	idx = 0;
	for (;;) {
		ws_span_t elem;
		size_t pos = 0;

		v = ws_http_header_get(req, "Sec-WebSocket-Protocol", idx, &idx);
		if (v.ptr == NULL) {
			break;
		}
		while (list_next(v, &pos, &elem)) {
			if (elem.len == 0) {
				continue;
			}
			if (!span_is_token(elem.ptr, elem.len)) {
				return WS_ERR_HTTP_MALFORMED;
			}
			if (hs->num_protocols < WS_MAX_PROTOCOLS) {
				hs->protocols[hs->num_protocols++] = elem;
			}
		}
		idx++;
	}

	idx = 0;
	for (;;) {
		v = ws_http_header_get(req, "Sec-WebSocket-Extensions", idx, &idx);
		if (v.ptr == NULL) {
			break;
		}
		if (hs->num_extensions_raw < WS_MAX_EXTENSIONS) {
			hs->extensions_raw[hs->num_extensions_raw++] = v;
		}
		idx++;
	}
	return 0;
}

void ws_handshake_accept(const char *key, size_t key_len, char out[WS_ACCEPT_KEY_LEN])
{
	ws__sha1_ctx_t ctx;
	uint8_t digest[20];

	ws__sha1_init(&ctx);
	ws__sha1_update(&ctx, (const uint8_t *)key, key_len);
	ws__sha1_update(&ctx, (const uint8_t *)ws_guid, WS_GUID_LEN);
	ws__sha1_final(&ctx, digest);
	ws_base64_encode(digest, sizeof(digest), out);
}

/* ---- Sec-WebSocket-Extensions ---- */

static size_t skip_ows(const char *s, size_t i, size_t len)
{
	while (i < len && is_ows((unsigned char)s[i])) {
		i++;
	}
	return i;
}

static size_t skip_token(const char *s, size_t i, size_t len)
{
	while (i < len && is_tchar((unsigned char)s[i])) {
		i++;
	}
	return i;
}

/*
 * Grammar (RFC 6455 section 9.1, RFC 7692 section 5, with the #rule of
 * RFC 7230 section 7):
 *   list      = [ offer ] *( OWS "," OWS [ offer ] )
 *   offer     = token *( OWS ";" OWS param )
 *   param     = token [ OWS "=" OWS ( token | quoted-string ) ]
 * Beyond the header comment: RFC 6455 requires a quoted value to be a token
 * once unquoted, so no escape is ever needed; a backslash inside quotes is
 * rejected as malformed rather than unescaped.  The whole value is always
 * checked, but only the first max offers are stored (offers may be NULL when
 * max is 0, to validate only) and the return value counts the stored ones:
 * extra offers are dropped, not an error.
 */
int ws_handshake_parse_extensions(const char *value, size_t len, ws_ext_offer_t *offers, size_t max)
{
	ws_ext_offer_t scratch;
	size_t i = 0, count = 0, s;

	for (;;) {
		ws_ext_offer_t *o;

		i = skip_ows(value, i, len);
		if (i == len) {
			break;
		}
		if (value[i] == ',') {
			i++;
			continue;
		}
		/* Offers past max are parsed into scratch so that their grammar is still checked. */
		o = count < max ? &offers[count] : &scratch;
		s = i;
		i = skip_token(value, i, len);
		if (i == s) {
			return WS_ERR_HTTP_MALFORMED;
		}
		o->name.ptr = value + s;
		o->name.len = i - s;
		o->num_params = 0;

		for (;;) {
			ws_ext_param_t param;
			size_t j;

			i = skip_ows(value, i, len);
			if (i == len || value[i] == ',') {
				break;
			}
			if (value[i] != ';') {
				return WS_ERR_HTTP_MALFORMED;
			}
			i = skip_ows(value, i + 1, len);
			s = i;
			i = skip_token(value, i, len);
			if (i == s) {
				return WS_ERR_HTTP_MALFORMED;
			}
			param.name.ptr = value + s;
			param.name.len = i - s;
			param.value.ptr = NULL;
			param.value.len = 0;

			/* Whitespace is only consumed here if an '=' follows; otherwise the outer loop handles it. */
			j = skip_ows(value, i, len);
			if (j < len && value[j] == '=') {
				i = skip_ows(value, j + 1, len);
				if (i < len && value[i] == '"') {
					s = ++i;
					while (i < len && value[i] != '"') {
						if (value[i] == '\\') {
							return WS_ERR_HTTP_MALFORMED;
						}
						i++;
					}
					if (i == len || !span_is_token(value + s, i - s)) {
						return WS_ERR_HTTP_MALFORMED;
					}
					param.value.ptr = value + s;
					param.value.len = i - s;
					i++;    /* closing quote */
				} else {
					s = i;
					i = skip_token(value, i, len);
					if (i == s) {
						return WS_ERR_HTTP_MALFORMED;
					}
					param.value.ptr = value + s;
					param.value.len = i - s;
				}
			}
			if (o->num_params == WS_MAX_EXTENSION_PARAMS) {
				return WS_ERR_HTTP_MALFORMED;
			}
			o->params[o->num_params++] = param;
		}
		count++;
		if (i < len) {
			i++;    /* the ',' that ended this offer */
		}
	}
	if (count > max) {
		count = max;
	}
	return count > INT_MAX ? INT_MAX : (int)count;
}

/* ---- responses ---- */

/*
 * Output cursor.  The builders run twice: once with out == NULL to measure,
 * then, only if the result fits, to write.  So nothing is ever written past
 * cap and a too-small buffer is left untouched.  len saturates at SIZE_MAX
 * instead of wrapping, so an absurd body_len cannot make a huge response
 * look small.
 */
typedef struct ws_out {
	char *out;
	size_t len;
} ws_out_t;

static void put(ws_out_t *w, const char *s, size_t n)
{
	if (n > SIZE_MAX - w->len) {
		w->len = SIZE_MAX;
		return;
	}
	if (w->out != NULL && n > 0) {
		memcpy(w->out + w->len, s, n);
	}
	w->len += n;
}

static void put_str(ws_out_t *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_uint(ws_out_t *w, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	do {
		digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(w, digits + sizeof(digits) - n, n);
}

/*
 * Beyond the header comment: out may be NULL when cap is 0 (to measure).
 * The values are copied verbatim; choosing a subprotocol among the offered
 * tokens and producing a valid extensions value is the caller's job, as is
 * ending every extra line with CRLF, because a stray CR or LF here would
 * inject headers.
 */
size_t ws_handshake_response(char *out, size_t cap, const char accept[WS_ACCEPT_KEY_LEN],
	const char *subprotocol, size_t subprotocol_len,
	const char *extensions, size_t extensions_len,
	const char *extra_headers, size_t extra_len)
{
	ws_out_t w;

	for (int pass = 0; pass < 2; pass++) {
		w.out = pass == 0 ? NULL : out;
		w.len = 0;
		put_str(&w, "HTTP/1.1 101 Switching Protocols\r\n"
			"Upgrade: websocket\r\n"
			"Connection: Upgrade\r\n"
			"Sec-WebSocket-Accept: ");
		put(&w, accept, WS_ACCEPT_KEY_LEN);
		put_str(&w, "\r\n");
		if (subprotocol != NULL && subprotocol_len > 0) {
			put_str(&w, "Sec-WebSocket-Protocol: ");
			put(&w, subprotocol, subprotocol_len);
			put_str(&w, "\r\n");
		}
		if (extensions != NULL && extensions_len > 0) {
			put_str(&w, "Sec-WebSocket-Extensions: ");
			put(&w, extensions, extensions_len);
			put_str(&w, "\r\n");
		}
		if (extra_headers != NULL) {
			put(&w, extra_headers, extra_len);
		}
		put_str(&w, "\r\n");
		if (w.len > cap) {
			return w.len;
		}
	}
	return w.len;
}

/* 1 if one of the "Name: value\r\n" lines in h[0..n) is named name (case-insensitive). */
static int has_header_line(const char *h, size_t n, const char *name)
{
	size_t nlen = strlen(name), i = 0;

	while (i < n) {
		const char *nl;

		if (n - i > nlen && ascii_ieq(h + i, name, nlen) && h[i + nlen] == ':') {
			return 1;
		}
		nl = memchr(h + i, '\n', n - i);
		if (nl == NULL) {
			break;
		}
		i = (size_t)(nl - h) + 1;
	}
	return 0;
}

/*
 * Header order: status line, extra_headers, Content-Type (unless extra has
 * one), Content-Length, Sec-WebSocket-Version for 426, Connection: close,
 * blank line, body.  out may be NULL when cap is 0 (to measure).
 */
size_t ws_http_response(char *out, size_t cap, int status,
	const char *extra_headers, size_t extra_len,
	const char *body, size_t body_len, int close, int head_only)
{
	ws_out_t w;
	int has_ctype;

	if (extra_headers == NULL) {
		extra_len = 0;
	}
	/* Without a body pointer there is nothing to send, so announce nothing either. */
	if (body == NULL) {
		body_len = 0;
	}
	has_ctype = has_header_line(extra_headers, extra_len, "Content-Type");
	for (int pass = 0; pass < 2; pass++) {
		w.out = pass == 0 ? NULL : out;
		w.len = 0;
		put_str(&w, "HTTP/1.1 ");
		if (status < 0) {
			/* Not a status at all, but still printed faithfully rather than as a huge unsigned number. */
			put_str(&w, "-");
			put_uint(&w, (uint64_t)(-(int64_t)status));
		} else {
			put_uint(&w, (uint64_t)status);
		}
		put_str(&w, " ");
		put_str(&w, ws_http_reason_phrase(status));
		put_str(&w, "\r\n");
		put(&w, extra_headers, extra_len);
		if (!has_ctype) {
			put_str(&w, "Content-Type: text/plain; charset=utf-8\r\n");
		}
		put_str(&w, "Content-Length: ");
		put_uint(&w, (uint64_t)body_len);
		put_str(&w, "\r\n");
		if (status == 426) {
			/* RFC 7231 6.5.15: a 426 names the protocol to upgrade to. */
			put_str(&w, "Upgrade: websocket\r\n");
			put_str(&w, "Sec-WebSocket-Version: 13\r\n");
		}
		if (close) {
			put_str(&w, "Connection: close\r\n");
		}
		put_str(&w, "\r\n");
		if (!head_only) {
			put(&w, body, body_len);
		}
		if (w.len > cap) {
			return w.len;
		}
	}
	return w.len;
}
