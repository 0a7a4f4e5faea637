/*
 * ws_deflate.h - permessage-deflate (RFC 7692): negotiation, a streaming
 * inflater with an output limit, and a whole-message deflater.
 *
 * Built with zlib when WS_HAVE_ZLIB is defined; without it negotiation
 * always declines, so the extension simply answers without compression.
 */
#ifndef WS_DEFLATE_H
#define WS_DEFLATE_H

#include <stddef.h>
#include <stdint.h>
#include "ws_handshake.h"

typedef struct ws_deflate_config {
	unsigned enabled : 1;
	/* Our side keeps its compression context between messages (more ratio, ~256 KiB per connection). */
	unsigned server_context_takeover : 1;
	/*
	 * The client may keep its context (we then keep an inflater and its
	 * window per connection).  Off by default: the response then carries
	 * client_no_context_takeover and one shared inflater serves everyone.
	 */
	unsigned client_context_takeover : 1;
	int level;          /* zlib level 0-9, or -1 for zlib's default */
	int mem_level;      /* 1-9 */
	int window_bits;    /* 9-15: our deflate window, and the client_max_window_bits we ask for */
	size_t threshold;   /* messages shorter than this are sent uncompressed */
} ws_deflate_config_t;

/* What one connection negotiated. */
typedef struct ws_pmd_params {
	uint8_t server_no_context_takeover;
	uint8_t client_no_context_takeover;
	uint8_t server_max_window_bits;  /* 9-15 (8 is declined: zlib cannot deflate with a 256-byte window) */
	uint8_t client_max_window_bits;  /* 8-15 */
} ws_pmd_params_t;

void ws_deflate_config_defaults(ws_deflate_config_t *cfg);

/* 1 if permessage-deflate is compiled in. */
int ws_deflate_available(void);
/* zlib's version string, or NULL when not compiled in. */
const char *ws_deflate_zlib_version(void);

/*
 * Picks the first acceptable permessage-deflate offer from the raw
 * Sec-WebSocket-Extensions values (in order).  An offer with an unknown
 * parameter, a duplicate parameter or an invalid value is declined (the next
 * one is tried); a value that does not parse as an extension list declines
 * them all.  On success returns 1, fills params and writes the response value
 * (e.g. "permessage-deflate; server_no_context_takeover") into resp (cap
 * bytes, 128 is enough) with its length in *resp_len.  The response carries
 * client_max_window_bits only when the client offered it, and
 * client_no_context_takeover when the client offered it or cfg refuses
 * client context takeover.  Returns 0 when nothing acceptable was offered (or cfg is
 * disabled, or zlib is not built in).
 */
int ws_pmd_negotiate(const ws_deflate_config_t *cfg, const ws_span_t *values, size_t nvalues,
	ws_pmd_params_t *params, char *resp, size_t cap, size_t *resp_len);

/* ---- inflater: one per connection, used message by message ---- */
typedef struct ws_inflater ws_inflater_t;

/* Returns NULL on allocation failure. */
ws_inflater_t *ws_inflater_new(void);
void ws_inflater_free(ws_inflater_t *inf);
/* Forgets the context and any error (client_no_context_takeover, or after an error). */
void ws_inflater_reset(ws_inflater_t *inf);

/* Receives inflated bytes; return 0 to go on or a negative WS_ERR_* to stop. */
typedef int (*ws_inflate_sink)(void *user, const uint8_t *data, size_t len);

/*
 * Inflates len compressed bytes of the current message, passing output to
 * sink in pieces (borrowed, valid during the call).  final: this is the end
 * of the message (the RFC 7692 trailer 00 00 FF FF is appended internally;
 * len may be 0).  *produced counts the message's inflated bytes across calls
 * (the caller zeroes it at message start) and never exceeds max_out (0 = no
 * limit): output that would go past it is not produced and this returns
 * WS_ERR_MESSAGE_TOO_BIG, so a decompression bomb costs no more than
 * max_out.  A block with BFINAL set ends a DEFLATE stream but not the
 * context: the next byte, in this message or the next, starts a new stream
 * that keeps the sliding window (see ws_deflate.c).  Returns 0,
 * WS_ERR_COMPRESSION for corrupt data, WS_ERR_NOMEM, or the sink's error;
 * an error is sticky: later calls return it without inflating, until
 * ws_inflater_reset.  in need only live during the call.
 */
int ws_inflater_feed(ws_inflater_t *inf, const uint8_t *in, size_t len, int final,
	uint64_t *produced, uint64_t max_out, ws_inflate_sink sink, void *user);

/* ---- deflater ---- */
typedef struct ws_deflater ws_deflater_t;

ws_deflater_t *ws_deflater_new(int level, int mem_level, int window_bits);
void ws_deflater_free(ws_deflater_t *def);

/*
 * Compresses one whole message into *out (grown with ws_realloc as needed;
 * the buffer and its capacity may start as NULL and 0 and are reused between
 * calls), without the
 * trailing 00 00 FF FF.  reset: forget the context afterwards (no context
 * takeover).  Returns the compressed length (at least 1: an empty message
 * is the single byte 00), or -1 on failure.
 */
long ws_deflater_compress(ws_deflater_t *def, const uint8_t *in, size_t len, int reset,
	uint8_t **out, size_t *cap);

#endif
