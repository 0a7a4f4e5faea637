/*
 * ws_frame.h - RFC 6455 frame codec (implemented in ../frame.c).
 *
 * Decoder: an incremental push parser.  The caller hands it whatever bytes
 * arrived (any split, down to one byte at a time); it reports whole-message
 * structure through callbacks and never performs I/O.  All state lives in
 * ws_frame_parser_t, so parsing resumes at any byte boundary.
 *
 * Payload bytes are unmasked IN PLACE in the caller's buffer, word by word,
 * and handed to on_message_data as borrowed spans into that buffer: the
 * parser copies nothing but control-frame payloads (at most 125 bytes, kept
 * in the parser so that a control frame may straddle reads).  The one
 * exception is asked for: a large single-frame message may be given storage
 * of the caller's (on_frame_buffer), and is then unmasked while being copied
 * there, or received there directly and unmasked in place.
 *
 * Encoder: writes a frame header into a small caller buffer so that header
 * and payload can go out together with one writev().
 */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ws_error.h"
#include "ws_utf8.h"

typedef enum ws_opcode {
	WS_OPCODE_CONTINUATION = 0x0,
	WS_OPCODE_TEXT = 0x1,
	WS_OPCODE_BINARY = 0x2,
	WS_OPCODE_CLOSE = 0x8,
	WS_OPCODE_PING = 0x9,
	WS_OPCODE_PONG = 0xA
} ws_opcode_t;

#define WS_FRAME_HEADER_MAX 14       /* 2 + 8 (length) + 4 (mask) */
#define WS_CONTROL_PAYLOAD_MAX 125
#define WS_CLOSE_REASON_MAX 123

/* Returned by a callback to make ws_frame_parser_feed() return early (not an error). */
#define WS_FRAME_PAUSE 1

typedef enum ws_frame_role {
	WS_ROLE_SERVER = 0, /* parses client frames: every frame must be masked */
	WS_ROLE_CLIENT = 1  /* parses server frames: no frame may be masked */
} ws_frame_role_t;

typedef struct ws_frame_config {
	uint64_t max_frame_size;   /* payload bytes of one frame; 0 = no limit */
	/*
	 * Payload bytes of one message, summed over its frames; 0 = no limit.
	 * Applied only to uncompressed messages: a compressed message's limit
	 * is enforced on its inflated size by whoever inflates it.
	 */
	uint64_t max_message_size;
	ws_frame_role_t role;
	/*
	 * RSV1 allowed (permessage-deflate negotiated).  When set, RSV1 on the
	 * first frame of a data message marks it compressed; RSV1 on a
	 * continuation or control frame is still WS_ERR_RESERVED_BITS.
	 */
	unsigned allow_rsv1 : 1;
} ws_frame_config_t;

/*
 * Callbacks.  `user` is the pointer given to ws_frame_parser_init().  Each
 * returns 0 to go on, WS_FRAME_PAUSE to make feed() return right after the
 * event (the bytes of the event count as consumed), or a negative WS_ERR_*
 * that becomes the parser's sticky error.  Any may be NULL.
 */
typedef struct ws_frame_callbacks {
	/* The first frame of a text or binary message started.  compressed: RSV1 was set. */
	int (*on_message_begin)(void *user, ws_opcode_t opcode, int compressed);
	/*
	 * Payload bytes of the current data message, unmasked, in order.  Borrowed:
	 * valid until the callback returns (they point into the buffer passed to
	 * feed).  For an uncompressed text message the bytes have passed UTF-8
	 * validation (a character may still be split across calls).  Never called
	 * with len == 0.
	 */
	int (*on_message_data)(void *user, const uint8_t *data, size_t len);
	/* The final frame of the current data message ended (uncompressed text is complete UTF-8). */
	int (*on_message_end)(void *user);
	/*
	 * A whole control frame arrived (it may come between the frames of a
	 * fragmented message).  For WS_OPCODE_CLOSE the payload was validated:
	 * code is the received status code, or WS_CLOSE_NO_STATUS (1005) when the
	 * payload was empty; reason points at the UTF-8 reason after the code.
	 * For ping and pong, code is 0 and reason/reason_len are the payload.
	 * Borrowed: valid until the callback returns.
	 */
	int (*on_control)(void *user, ws_opcode_t opcode, unsigned code,
		const uint8_t *reason, size_t reason_len);
	/*
	 * Optional.  A message that is one uncompressed frame (FIN set) of at
	 * least WS_FRAME_BUFFER_MIN payload bytes begins; called right after
	 * on_message_begin; in_hand is how many of the len payload bytes are
	 * already in the input being fed (a caller may want storage only for
	 * what a peer has actually sent, not merely announced).  Return storage
	 * of at least len bytes, owned by the
	 * caller, to have the payload written there as it is unmasked (read once,
	 * written once): on_message_data then reports consecutive spans of that
	 * storage, and ws_frame_parser_payload_dest() tells where the rest of the
	 * payload may be received directly.  Return NULL for borrowed spans of the
	 * input, as usual.  The parser forgets the storage when the frame ends or
	 * fails; the caller frees it.
	 */
	uint8_t *(*on_frame_buffer)(void *user, uint64_t len, size_t in_hand);
} ws_frame_callbacks_t;

/* Payloads below this size are never offered to on_frame_buffer. */
#define WS_FRAME_BUFFER_MIN 1024

/*
 * Parser state.  Treat every field as private.  Laid out small: one lives
 * with every connection that is receiving frames.
 */
typedef struct ws_frame_parser {
	ws_frame_config_t config;
	const ws_frame_callbacks_t *cb;
	void *user;
	uint64_t error_offset;     /* total input offset where the error was detected */
	uint64_t total_consumed;   /* bytes consumed since init */
	uint64_t payload_len;      /* of the current frame */
	uint64_t payload_done;     /* bytes of the current frame's payload consumed */
	uint64_t msg_size;         /* payload bytes of the open message so far */
	/*
	 * The payload of the current control frame: in the caller's buffer when
	 * the whole of it arrived in one feed() (no copy), else gathered in
	 * memory of its own (ctl_owned) that lives only until the frame ends.
	 */
	uint8_t *ctl;
	uint8_t *dst;              /* the caller's storage for this frame's payload (on_frame_buffer), or NULL */
	int error;                 /* sticky WS_ERR_*, 0 if none */
	ws_utf8_t utf8;            /* validator of the open uncompressed text message */

	uint8_t state;             /* header / payload / frame end (see frame.c) */
	uint8_t hdr[WS_FRAME_HEADER_MAX];
	uint8_t hdr_len;           /* header bytes gathered so far */
	uint8_t hdr_need;          /* header bytes needed for this frame */

	uint8_t fin, rsv, opcode, masked;
	uint8_t mask[4];

	uint8_t msg_opcode;        /* opcode of the open message, 0 if none */
	uint8_t msg_compressed;
	uint8_t ctl_owned;
} ws_frame_parser_t;

/*
 * Initialises a parser.  config is copied; callbacks must stay valid for the
 * parser's life (usually a static const table); user is passed back to every
 * callback.  The parser allocates only while a control frame's payload is
 * split across feed() calls (at most WS_CONTROL_PAYLOAD_MAX bytes, freed when
 * that frame ends): call ws_frame_parser_release() when done with it.
 */
void ws_frame_parser_init(ws_frame_parser_t *p, const ws_frame_config_t *config,
	const ws_frame_callbacks_t *cb, void *user);

/* Frees what the parser holds (a partial control frame); safe to call twice. */
void ws_frame_parser_release(ws_frame_parser_t *p);

/*
 * Changes the limits or allow_rsv1 of a parser between frames (for example
 * after negotiating an extension).  Role is not changed.
 */
void ws_frame_parser_configure(ws_frame_parser_t *p, const ws_frame_config_t *config);

/*
 * Feeds len bytes.  Masked payload bytes in buf are unmasked in place, which
 * is why buf is not const.  Returns the number of bytes consumed: len, or
 * fewer if a callback returned WS_FRAME_PAUSE (feed the rest again later;
 * unconsumed bytes are untouched).  Returns a negative WS_ERR_* on error;
 * the error is sticky: later calls return it at once and fire no callback.
 * A pause on the very last byte returns len, yet an event may still be due
 * (on_message_end after a pause in on_message_data): a caller that pauses
 * from a data callback calls feed(p, NULL, 0) before waiting for input.
 * Limits: max_frame_size applies to control frames too.  Calling feed from
 * inside a callback is not supported.
 */
ssize_t ws_frame_parser_feed(ws_frame_parser_t *p, uint8_t *buf, size_t len);

/*
 * Direct receive.  When the parser is inside the payload of a frame that has
 * storage from on_frame_buffer, sets *dst to where the next payload byte
 * belongs and returns how many payload bytes of the frame remain; otherwise
 * returns 0 and leaves *dst alone.  A caller may receive up to that many
 * bytes straight into *dst and then pass them with
 * ws_frame_parser_feed(p, *dst, n): they are unmasked (and validated) in
 * place, exactly as if they had been fed from any other buffer.
 */
size_t ws_frame_parser_payload_dest(const ws_frame_parser_t *p, uint8_t **dst);

/*
 * The caller is taking its on_frame_buffer storage away in the middle of a
 * frame (it is dropping the message): the rest of the frame's payload is
 * unmasked in the input and reported as borrowed spans, as usual.
 */
void ws_frame_parser_forget_buffer(ws_frame_parser_t *p);

/* The sticky error (0 if none), and the input offset at which it was detected. */
int ws_frame_parser_error(const ws_frame_parser_t *p);
uint64_t ws_frame_parser_error_offset(const ws_frame_parser_t *p);

/* 1 if a data message is open (begun, not ended). */
int ws_frame_parser_in_message(const ws_frame_parser_t *p);

/*
 * 1 if the parser is between frames with no message open and no error: a
 * freshly initialised one would behave the same from here on.
 */
int ws_frame_parser_idle(const ws_frame_parser_t *p);

/*
 * Writes a frame header into out (at least WS_FRAME_HEADER_MAX bytes) and
 * returns its length (2 to 14).  The length field uses the shortest form.
 * mask_key: NULL for a server frame (unmasked), else the 4-byte key of a
 * client frame (MASK bit set, key appended).  rsv1: 1 for the first frame of
 * a compressed message.
 */
size_t ws_frame_encode_header(uint8_t *out, int fin, int rsv1, ws_opcode_t opcode,
	uint64_t payload_len, const uint8_t *mask_key);

/* Header length ws_frame_encode_header() would produce. */
size_t ws_frame_header_size(uint64_t payload_len, int masked);

/*
 * XORs data with the 4-byte key, in place, word by word.  offset is the
 * position of data[0] within the frame payload (so masking may be done in
 * pieces).
 */
void ws_frame_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset);

/*
 * Writes a close payload (2-byte code in network order, then the reason)
 * into out (at least WS_CONTROL_PAYLOAD_MAX bytes); returns its length.
 * code 0 or WS_CLOSE_NO_STATUS writes an empty payload.  A reason longer
 * than WS_CLOSE_REASON_MAX bytes is cut at the last UTF-8 character boundary
 * that fits.
 */
size_t ws_frame_encode_close_payload(uint8_t *out, unsigned code, const char *reason, size_t reason_len);

#endif
