/*
 * ws_handshake.h - HTTP/1.1 request-head parser, WebSocket upgrade
 * validation (RFC 6455 section 4.2.1), Sec-WebSocket-Accept, header-list
 * parsing for subprotocol and extension negotiation, and the responses.
 *
 * The parser is stateless over a growing buffer: call it with everything
 * received so far; it returns "need more" until the blank line that ends the
 * head has arrived.  Every string it reports is a borrowed (pointer, length)
 * span into the caller's buffer, valid while that buffer is unchanged.
 * Nothing here allocates memory.
 */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>
#include "ws_error.h"

#define WS_HTTP_MAX_HEADERS 64
#define WS_HTTP_DEFAULT_MAX_HEAD 8192
#define WS_ACCEPT_KEY_LEN 28         /* base64 of a 20-byte SHA-1 */
#define WS_MAX_PROTOCOLS 32          /* offered subprotocols kept */
#define WS_MAX_EXTENSIONS 16         /* offered extensions kept */
#define WS_MAX_EXTENSION_PARAMS 8    /* parameters kept per extension offer */

typedef struct ws_span {
	const char *ptr;
	size_t len;
} ws_span_t;

typedef struct ws_http_header {
	ws_span_t name;   /* as received (any case), without surrounding whitespace */
	ws_span_t value;  /* leading and trailing whitespace removed */
} ws_http_header_t;

typedef struct ws_http_request {
	ws_span_t method;           /* "GET" */
	ws_span_t target;           /* request-target as received: "/chat?room=1" */
	ws_span_t path;             /* target up to '?' */
	ws_span_t query;            /* after '?', without it; len 0 if none */
	int version_major;          /* 1 */
	int version_minor;          /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
	ws_http_header_t headers[WS_HTTP_MAX_HEADERS];
	size_t num_headers;
	size_t head_len;            /* bytes of the head, through the final CRLF CRLF */
} ws_http_request_t;

/*
 * Parses a request head from buf[0..len).
 * Returns head_len (> 0) once the whole head is there; the request is filled.
 * Returns WS_ERR_AGAIN when the head is incomplete and len < max_head.
 * Returns WS_ERR_HTTP_HEADERS_TOO_LARGE when no complete head fits in
 * max_head bytes (431), WS_ERR_HTTP_TOO_MANY_HEADERS (431), or
 * WS_ERR_HTTP_MALFORMED (400) for a malformed request line or header line
 * (a line without a colon, whitespace before the colon, control bytes,
 * obsolete line folding, a bad version).  Accepts bare LF line ends.
 * Errors are reported as early as possible: a malformed request line is
 * rejected before the head is complete.
 */
int ws_http_parse_request(ws_http_request_t *req, const char *buf, size_t len, size_t max_head);

/*
 * Finds a header by case-insensitive name.  Returns the first match's value,
 * or a span with ptr NULL.  start: index to search from (0 for the first);
 * if index_out is not NULL it receives the match's index (to iterate
 * repeated headers).
 */
ws_span_t ws_http_header_get(const ws_http_request_t *req, const char *name, size_t start, size_t *index_out);

/*
 * 1 if the comma-separated list in any header called `name` contains
 * `token` (case-insensitive, whitespace around elements ignored), as
 * "Connection: keep-alive, Upgrade" contains "upgrade".
 */
int ws_http_header_has_token(const ws_http_request_t *req, const char *name, const char *token);

/* What ws_handshake_validate() extracts from a valid upgrade request. */
typedef struct ws_handshake {
	ws_span_t key;                              /* Sec-WebSocket-Key, trimmed */
	ws_span_t host;
	ws_span_t origin;                           /* ptr NULL if absent */
	ws_span_t protocols[WS_MAX_PROTOCOLS];      /* offered subprotocols, in order, over all headers */
	size_t num_protocols;
	ws_span_t extensions_raw[WS_MAX_EXTENSIONS];/* each Sec-WebSocket-Extensions header value */
	size_t num_extensions_raw;
} ws_handshake_t;

/*
 * 1 if the request asks for a WebSocket upgrade at all (an Upgrade header
 * containing the token "websocket"); such requests are validated with
 * ws_handshake_validate(), all others are plain HTTP.
 */
int ws_handshake_is_upgrade(const ws_http_request_t *req);

/*
 * Validates an upgrade request: GET (else WS_ERR_HTTP_METHOD), HTTP/1.1 or
 * later 1.x (else WS_ERR_HTTP_VERSION), Host present (WS_ERR_HTTP_NO_HOST),
 * Upgrade contains the token websocket and Connection contains the token
 * upgrade (WS_ERR_HTTP_NOT_UPGRADE), Sec-WebSocket-Version is exactly 13
 * (WS_ERR_WS_VERSION: answer 426 with Sec-WebSocket-Version: 13),
 * Sec-WebSocket-Key present once and base64 of exactly 16 bytes
 * (WS_ERR_WS_KEY), no request body.  Fills hs on success and returns 0.
 */
int ws_handshake_validate(const ws_http_request_t *req, ws_handshake_t *hs);

/* Writes the 28-character Sec-WebSocket-Accept for key into out (not NUL-terminated). */
void ws_handshake_accept(const char *key, size_t key_len, char out[WS_ACCEPT_KEY_LEN]);

/* One parameter of an extension offer: name, and value (ptr NULL when the parameter has no value). */
typedef struct ws_ext_param {
	ws_span_t name;
	ws_span_t value;   /* quotes removed; a quoted value with escapes is rejected */
} ws_ext_param_t;

typedef struct ws_ext_offer {
	ws_span_t name;
	ws_ext_param_t params[WS_MAX_EXTENSION_PARAMS];
	size_t num_params;
} ws_ext_offer_t;

/*
 * Parses one Sec-WebSocket-Extensions value (RFC 6455 9.1 grammar:
 * extension *( ";" param [ "=" (token | quoted-string) ] ), comma
 * separated) into offers[0..max).  Returns the number of offers, or
 * WS_ERR_HTTP_MALFORMED if the value does not follow the grammar or an
 * offer has more than WS_MAX_EXTENSION_PARAMS parameters.
 */
int ws_handshake_parse_extensions(const char *value, size_t len, ws_ext_offer_t *offers, size_t max);

/*
 * Builds the 101 response into out[0..cap).  subprotocol and extensions
 * (the negotiated Sec-WebSocket-Extensions value) may be NULL/0 to omit
 * the header; extra_headers is zero or more complete "Name: value\r\n" lines
 * (may be NULL).  Returns the response length, or the length needed if it is
 * greater than cap (nothing useful is written then).
 */
size_t ws_handshake_response(char *out, size_t cap, const char accept[WS_ACCEPT_KEY_LEN],
	const char *subprotocol, size_t subprotocol_len,
	const char *extensions, size_t extensions_len,
	const char *extra_headers, size_t extra_len);

/*
 * Builds a complete HTTP/1.1 response with Content-Length and
 * "Connection: close" (when close is non-zero) into out[0..cap): status line
 * with the standard reason phrase, extra_headers lines (may be NULL), a
 * Content-Type of text/plain; charset=utf-8 unless extra_headers has a
 * Content-Type, then the body.  For status 426 it adds
 * "Sec-WebSocket-Version: 13".  Returns the length, or the length needed if
 * greater than cap.  For 426 it also adds "Upgrade: websocket".  head_only: write the headers (with the body's
 * Content-Length) but not the body, for HEAD requests.
 */
size_t ws_http_response(char *out, size_t cap, int status,
	const char *extra_headers, size_t extra_len,
	const char *body, size_t body_len, int close, int head_only);

/* Base64 (RFC 4648, with padding): encoded length for n input bytes. */
#define WS_BASE64_LEN(n) ((((n) + 2) / 3) * 4)
/* Encodes in[0..n) into out (WS_BASE64_LEN(n) bytes, no NUL). */
void ws_base64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes strict padded base64; returns decoded length or -1.  out needs (len/4)*3 bytes. */
long ws_base64_decode(const char *in, size_t len, uint8_t *out);

/* SHA-1 of data into digest[20]. */
void ws_sha1(const uint8_t *data, size_t len, uint8_t digest[20]);

/*
 * Internal, not part of the extension's API: incremental SHA-1, so that
 * ws_handshake_accept() can hash key + GUID without copying the key into a
 * buffer of some assumed maximum size.  init, then update any number of
 * times with any split, then final (the context is spent afterwards).
 */
typedef struct ws__sha1_ctx {
	uint32_t h[5];
	uint64_t total;       /* bytes hashed so far */
	uint8_t block[64];    /* partial input block */
	size_t used;          /* bytes in block */
} ws__sha1_ctx_t;

void ws__sha1_init(ws__sha1_ctx_t *ctx);
void ws__sha1_update(ws__sha1_ctx_t *ctx, const uint8_t *data, size_t len);
void ws__sha1_final(ws__sha1_ctx_t *ctx, uint8_t digest[20]);

#endif
