/*
 * ws_http_util.h - small HTTP value parsers the binding needs: cookie pairs.
 */
#ifndef WS_HTTP_UTIL_H
#define WS_HTTP_UTIL_H

#include <stddef.h>
#include "ws_handshake.h"

/*
 * Iterates the "name=value" pairs of a Cookie header value (RFC 6265 5.4
 * form, pairs separated by ";" with optional spaces).  *pos starts at 0.
 * Returns 1 with name/value spans (value without surrounding double quotes)
 * for each pair, 0 at the end.  Pairs without "=" or with an empty name are
 * skipped.
 */
int ws_http_next_cookie(const char *s, size_t len, size_t *pos, ws_span_t *name, ws_span_t *value);

/* 1 if s is a non-empty RFC 7230 token (header names, subprotocol names). */
int ws_http_is_token(const char *s, size_t len);

/* 1 if s may be a header value: no CR, LF or NUL and no other control byte but HTAB. */
int ws_http_is_field_value(const char *s, size_t len);

#endif
