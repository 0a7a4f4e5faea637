/*
 * fuzz_handshake.c - libFuzzer target for the request parser, upgrade
 * validation, extension parsing, base64 and the response builders.
 *
 * Input: one byte choosing max_head, then the bytes received from a client.
 * The checks are invariants rather than expected outputs: spans stay inside
 * the input, lookups agree with the parsed table, a response measures what
 * it writes, and the parser never changes its mind as bytes are added.
 * Every buffer handed to the code under test is an exact-size heap copy, so
 * AddressSanitizer sees any read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ws_handshake.h"

#define CHECK(cond) do { if (!(cond)) { __builtin_trap(); } } while (0)

static ws_http_request_t req_full;
static ws_http_request_t req_prefix;

static int span_within(ws_span_t s, const char *base, size_t len)
{
	if (s.ptr == NULL) {
		return s.len == 0;
	}
	return s.ptr >= base && s.len <= len && (size_t)(s.ptr - base) <= len - s.len;
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		|| (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int span_is_token(ws_span_t s)
{
	if (s.len == 0) {
		return 0;
	}
	for (size_t i = 0; i < s.len; i++) {
		if (!is_tchar((unsigned char)s.ptr[i])) {
			return 0;
		}
	}
	return 1;
}

static int same_name_ci(ws_span_t a, ws_span_t b)
{
	if (a.len != b.len) {
		return 0;
	}
	for (size_t i = 0; i < a.len; i++) {
		unsigned char x = (unsigned char)a.ptr[i], y = (unsigned char)b.ptr[i];
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

/* Parses one prefix from an exact-size copy; the result must agree with the whole input's. */
static void check_prefix(const char *buf, size_t k, size_t max_head, int full_rc)
{
	char *copy = malloc(k > 0 ? k : 1);
	int rc;

	CHECK(copy != NULL);
	if (k > 0) {
		memcpy(copy, buf, k);
	}
	rc = ws_http_parse_request(&req_prefix, copy, k, max_head);
	if (rc > 0) {
		/* A head found in a prefix is the same head in every longer input. */
		CHECK(rc == full_rc);
		CHECK(req_prefix.num_headers == req_full.num_headers);
	} else if (rc != WS_ERR_AGAIN) {
		/* Errors are final: more bytes never turn them into something else. */
		CHECK(rc == full_rc);
	}
	free(copy);
}

static void check_extensions(ws_span_t v)
{
	ws_ext_offer_t offers[WS_MAX_EXTENSIONS];
	int n = ws_handshake_parse_extensions(v.ptr, v.len, offers, WS_MAX_EXTENSIONS);
	int n0 = ws_handshake_parse_extensions(v.ptr, v.len, NULL, 0);

	CHECK(n == WS_ERR_HTTP_MALFORMED || (n >= 0 && n <= WS_MAX_EXTENSIONS));
	CHECK(n0 == (n < 0 ? n : 0));
	for (int i = 0; i < n; i++) {
		CHECK(span_within(offers[i].name, v.ptr, v.len));
		CHECK(span_is_token(offers[i].name));
		CHECK(offers[i].num_params <= WS_MAX_EXTENSION_PARAMS);
		for (size_t j = 0; j < offers[i].num_params; j++) {
			CHECK(span_within(offers[i].params[j].name, v.ptr, v.len));
			CHECK(span_is_token(offers[i].params[j].name));
			CHECK(span_within(offers[i].params[j].value, v.ptr, v.len));
			CHECK(offers[i].params[j].value.ptr == NULL || span_is_token(offers[i].params[j].value));
		}
	}
}

/* A decoded string is canonical: encoding the result gives the input back. */
static void check_base64(const char *s, size_t len)
{
	uint8_t *dec = malloc(len / 4 * 3 + 1);
	char *enc;
	long n;

	CHECK(dec != NULL);
	n = ws_base64_decode(s, len, dec);
	if (n >= 0) {
		CHECK((size_t)n <= len / 4 * 3);
		enc = malloc(WS_BASE64_LEN((size_t)n) + 1);
		CHECK(enc != NULL);
		ws_base64_encode(dec, (size_t)n, enc);
		CHECK(WS_BASE64_LEN((size_t)n) == len && memcmp(enc, s, len) == 0);
		free(enc);
	}
	free(dec);
}

static void check_responses(const ws_handshake_t *hs, int status)
{
	char accept[WS_ACCEPT_KEY_LEN];
	const char *proto = NULL, *ext = NULL;
	size_t proto_len = 0, ext_len = 0, need, got;
	char *out;
	static const char extra[] = "X-Fuzz: 1\r\n";

	if (hs != NULL) {
		ws_handshake_accept(hs->key.ptr, hs->key.len, accept);
		for (size_t i = 0; i < WS_ACCEPT_KEY_LEN; i++) {
			CHECK(accept[i] != '\0' && accept[i] != '\r' && accept[i] != '\n');
		}
		CHECK(accept[WS_ACCEPT_KEY_LEN - 1] == '=');
		if (hs->num_protocols > 0) {
			proto = hs->protocols[0].ptr;
			proto_len = hs->protocols[0].len;
		}
		if (hs->num_extensions_raw > 0) {
			ext = hs->extensions_raw[0].ptr;
			ext_len = hs->extensions_raw[0].len;
		}
		need = ws_handshake_response(NULL, 0, accept, proto, proto_len, ext, ext_len, extra, sizeof(extra) - 1);
		out = malloc(need);
		CHECK(out != NULL);
		got = ws_handshake_response(out, need, accept, proto, proto_len, ext, ext_len, extra, sizeof(extra) - 1);
		CHECK(got == need);
		CHECK(memcmp(out, "HTTP/1.1 101 ", 13) == 0);
		CHECK(memcmp(out + need - 4, "\r\n\r\n", 4) == 0);
		CHECK(ws_handshake_response(out, need - 1, accept, proto, proto_len, ext, ext_len,
			extra, sizeof(extra) - 1) == need);
		free(out);
	} else {
		const char *body = ws_strerror(status);
		need = ws_http_response(NULL, 0, ws_error_http_status(status), "Allow: GET\r\n", 12,
			body, strlen(body), 1, 0);
		out = malloc(need);
		CHECK(out != NULL);
		got = ws_http_response(out, need, ws_error_http_status(status), "Allow: GET\r\n", 12,
			body, strlen(body), 1, 0);
		CHECK(got == need);
		CHECK(memcmp(out + need - strlen(body), body, strlen(body)) == 0);
		CHECK(ws_http_response(out, need - 1, ws_error_http_status(status), "Allow: GET\r\n", 12,
			body, strlen(body), 1, 0) == need);
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max_head, len;
	char *buf;
	int rc;
	ws_handshake_t hs;

	if (size < 1) {
		return 0;
	}
	/* Small limits make the 431 path reachable with short inputs. */
	switch (data[0] % 3) {
	case 0:
		max_head = 16 + (data[0] >> 2);
		break;
	case 1:
		max_head = WS_HTTP_DEFAULT_MAX_HEAD;
		break;
	default:
		max_head = 65536;
		break;
	}
	len = size - 1;
	buf = malloc(len > 0 ? len : 1);
	CHECK(buf != NULL);
	if (len > 0) {
		memcpy(buf, data + 1, len);
	}

	rc = ws_http_parse_request(&req_full, buf, len, max_head);
	CHECK(rc > 0 || rc == WS_ERR_AGAIN || rc == WS_ERR_HTTP_MALFORMED
		|| rc == WS_ERR_HTTP_HEADERS_TOO_LARGE || rc == WS_ERR_HTTP_TOO_MANY_HEADERS);
	if (rc == WS_ERR_AGAIN) {
		CHECK(len < max_head);
	}
	if (rc == WS_ERR_HTTP_HEADERS_TOO_LARGE) {
		CHECK(len >= max_head);
	}

	if (rc > 0) {
		const ws_http_request_t *r = &req_full;
		size_t head = (size_t)rc;

		CHECK(r->head_len == head && head <= len && head <= max_head);
		CHECK(r->num_headers <= WS_HTTP_MAX_HEADERS);
		CHECK(span_within(r->method, buf, head) && span_is_token(r->method));
		CHECK(span_within(r->target, buf, head) && r->target.len > 0);
		CHECK(span_within(r->path, r->target.ptr, r->target.len));
		CHECK(span_within(r->query, r->target.ptr, r->target.len));
		CHECK(r->version_major >= 0 && r->version_major <= 9);
		CHECK(r->version_minor >= 0 && r->version_minor <= 9);
		for (size_t i = 0; i < r->num_headers; i++) {
			ws_span_t name = r->headers[i].name, value = r->headers[i].value;
			char *z = malloc(name.len + 1);
			size_t idx = (size_t)-1;
			ws_span_t got;

			CHECK(span_within(name, buf, head) && span_is_token(name));
			CHECK(value.ptr != NULL && span_within(value, buf, head));
			for (size_t j = 0; j < value.len; j++) {
				unsigned char c = (unsigned char)value.ptr[j];
				CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
			}
			CHECK(value.len == 0 || (value.ptr[0] != ' ' && value.ptr[value.len - 1] != ' '));
			/* The lookup finds this header from its own index, and a same-named one from 0. */
			CHECK(z != NULL);
			memcpy(z, name.ptr, name.len);
			z[name.len] = '\0';
			got = ws_http_header_get(r, z, i, &idx);
			CHECK(idx == i && got.ptr == value.ptr && got.len == value.len);
			got = ws_http_header_get(r, z, 0, &idx);
			CHECK(idx <= i && got.ptr != NULL && same_name_ci(r->headers[idx].name, name));
			free(z);
			check_extensions(value);
			check_base64(value.ptr, value.len);
		}
		CHECK(ws_http_header_get(r, "X-No-Such-Header", 0, NULL).ptr == NULL);

		rc = ws_handshake_validate(r, &hs);
		if (rc == 0) {
			CHECK(ws_handshake_is_upgrade(r));
			CHECK(hs.key.len == 24 && span_within(hs.key, buf, head));
			CHECK(span_within(hs.host, buf, head) && hs.host.ptr != NULL);
			CHECK(span_within(hs.origin, buf, head));
			CHECK(hs.num_protocols <= WS_MAX_PROTOCOLS && hs.num_extensions_raw <= WS_MAX_EXTENSIONS);
			for (size_t i = 0; i < hs.num_protocols; i++) {
				CHECK(span_within(hs.protocols[i], buf, head) && span_is_token(hs.protocols[i]));
			}
			for (size_t i = 0; i < hs.num_extensions_raw; i++) {
				CHECK(span_within(hs.extensions_raw[i], buf, head));
			}
			check_responses(&hs, 0);
		} else {
			CHECK(rc == WS_ERR_HTTP_METHOD || rc == WS_ERR_HTTP_VERSION || rc == WS_ERR_HTTP_NO_HOST
				|| rc == WS_ERR_HTTP_NOT_UPGRADE || rc == WS_ERR_WS_VERSION || rc == WS_ERR_WS_KEY
				|| rc == WS_ERR_HTTP_BODY || rc == WS_ERR_HTTP_MALFORMED);
			check_responses(NULL, rc);
		}
		rc = (int)head;
	} else if (rc != WS_ERR_AGAIN) {
		check_responses(NULL, rc);
	}

	/*
	 * Prefixes: all of them for short inputs, otherwise a spread plus the
	 * bytes just before the end of the head, where an off-by-one would show.
	 */
	if (len <= 300) {
		for (size_t k = 0; k < len; k++) {
			check_prefix(buf, k, max_head, rc);
		}
	} else {
		for (size_t j = 0; j < 32; j++) {
			check_prefix(buf, len * j / 32, max_head, rc);
		}
		for (size_t d = 1; d <= 4 && rc > 0 && (size_t)rc >= d; d++) {
			check_prefix(buf, (size_t)rc - d, max_head, rc);
		}
	}
	if (rc > 0) {
		/* Nothing shorter than the head is a head. */
		for (size_t d = 1; d <= 4 && (size_t)rc >= d; d++) {
			char *copy = malloc((size_t)rc - d + 1);
			CHECK(copy != NULL);
			memcpy(copy, buf, (size_t)rc - d);
			CHECK(ws_http_parse_request(&req_prefix, copy, (size_t)rc - d, max_head) == WS_ERR_AGAIN);
			free(copy);
		}
	}
	free(buf);
	return 0;
}
