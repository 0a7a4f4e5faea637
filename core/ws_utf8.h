/*
 * ws_utf8.h - incremental UTF-8 validator (RFC 3629).
 *
 * The state survives between calls, so a text message split across frames
 * (or across reads, or inflated piece by piece) is validated as one stream.
 * It fails at the first byte that cannot start or continue a well-formed
 * sequence: overlong forms, UTF-16 surrogates (U+D800..U+DFFF) and code
 * points above U+10FFFF are rejected as soon as the offending byte is seen,
 * even in the middle of a fragment.  Runs of ASCII are checked 8 bytes at a
 * time.
 */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_utf8 {
	uint32_t state; /* 0 = at a character boundary; private otherwise */
} ws_utf8_t;

/* Resets to the start of a stream. */
void ws_utf8_init(ws_utf8_t *v);

/*
 * Validates the next len bytes of the stream.  Returns 0 while the stream is
 * well-formed so far (possibly in the middle of a character) or
 * WS_ERR_INVALID_UTF8.  After an error the validator stays failed until
 * ws_utf8_init().  If bad_offset is not NULL it receives, on error, the
 * offset within p of the first invalid byte.
 */
int ws_utf8_feed(ws_utf8_t *v, const uint8_t *p, size_t len, size_t *bad_offset);

/* 1 if the stream so far ends on a character boundary and has not failed. */
int ws_utf8_is_complete(const ws_utf8_t *v);

/* One-shot: 1 if p[0..len) is complete, well-formed UTF-8, else 0. */
int ws_utf8_valid(const uint8_t *p, size_t len);

#endif
