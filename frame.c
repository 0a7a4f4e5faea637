/*
 * frame.c - RFC 6455 frame codec, see core/ws_frame.h.
 *
 * Zend-free on purpose (no php.h): it is built and fuzzed on its own from
 * core/Makefile as well as linked into the extension.
 *
 * The decoder is a three-state machine whose whole state lives in
 * ws_frame_parser_t, so that input may be split anywhere:
 *
 *   HEADER     gathering the 2..14 header bytes into p->hdr.  Every check
 *              is made as soon as the byte it depends on arrives: opcode,
 *              RSV, FIN-on-control and fragmentation order at byte 0; MASK
 *              bit, control length and a 1-byte close payload at byte 1;
 *              the top bit of a 64-bit length at byte 2; the frame and
 *              message size limits at the last length byte.  A bad frame is
 *              therefore refused before any of its payload is read.
 *   PAYLOAD    data payload is unmasked in place (and UTF-8 checked for
 *              uncompressed text) and handed out as borrowed spans; control
 *              payload must be delivered whole: used where it lies when it
 *              arrived in one feed(), else gathered into a buffer that exists
 *              only until the frame ends (idle parsers stay small).
 *   FRAME_END  the payload is complete: deliver the control frame or end
 *              the message.  This state consumes no input, which is what
 *              lets an event that was due at the same byte as a paused one
 *              fire on the next feed() call, even a feed() of 0 bytes.
 *
 * error_offset is the total input offset of the byte that revealed a
 * protocol error: the offending header byte, the first invalid UTF-8 byte,
 * or the last byte of a frame whose completion revealed it (a bad close
 * payload, a text message ending mid-character).  For an error returned by
 * a callback it is the number of bytes consumed when the callback returned.
 */
#include <string.h>
#include "core/ws_alloc.h"
#include "core/ws_frame.h"

enum {
	WS_FRAME_ST_HEADER = 0,
	WS_FRAME_ST_PAYLOAD = 1,
	WS_FRAME_ST_FRAME_END = 2
};

#define WS_HIGH_BITS 0x8080808080808080ull

/*
 * Unmasked data is UTF-8 checked in blocks of this size right after they
 * are unmasked, so that the validator's fallback (needed only when a block
 * is not pure ASCII) reads bytes still in L1.
 */
#define WS_UNMASK_BLOCK 4096

static int is_control(uint8_t opcode)
{
	return (opcode & 0x8) != 0;
}

static int is_reserved_opcode(uint8_t opcode)
{
	return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xB;
}

/*
 * The 4-byte key repeated over a word and rotated so that byte j of the word
 * (in memory order) is key[(rot + j) & 3]: computed once per call instead of
 * byte by byte.
 */
static inline uint64_t mask_word(const uint8_t key[4], unsigned rot)
{
	uint32_t k32;
	uint64_t k;

	memcpy(&k32, key, 4);
	k = (uint64_t)k32 | ((uint64_t)k32 << 32);
	if (rot != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		k = (k << (8 * rot)) | (k >> (64 - 8 * rot));
#else
		k = (k >> (8 * rot)) | (k << (64 - 8 * rot));
#endif
	}
	return k;
}

/*
 * Writes d[i] = s[i] ^ key[(offset + i) & 3] for i in [0, len) and returns
 * the OR of all the bytes written, spread over a word (test it with
 * WS_HIGH_BITS to learn whether any byte is non-ASCII).  d == s unmasks in
 * place; otherwise the two must not overlap.  Unmasking and the ASCII test
 * are fused so that each byte is loaded and stored exactly once;
 * ws_frame_mask() inlines this too and the compiler drops the unused OR.
 *
 * Words are moved with memcpy, which is well-defined at any alignment and
 * compiles to plain loads and stores.  Long spans first reach an 8-byte
 * boundary of d byte by byte so that the stores of the main loop never
 * straddle cache lines; the tail (under 8 bytes) takes its key bytes from
 * the same key word.
 */
static uint64_t xor_mask_long(uint8_t *d, const uint8_t *s, size_t len, const uint8_t key[4], uint64_t offset)
{
	uint64_t acc = 0;
	size_t i = 0;
	unsigned rot = (unsigned)(offset & 3u);
	uint64_t k;
	uint8_t kb[8];

	if (len >= 64) {
		/*
		 * Long spans only: unaligned word access is cheap, the byte loop
		 * is not.
		 */
		size_t head = (size_t)(-(uintptr_t)d & 7u);
		for (; i < head; i++) {
			d[i] = (uint8_t)(s[i] ^ key[(rot + i) & 3u]);
			acc |= d[i];
		}
	}
	/* The key pattern repeats every 4 bytes, so one rotation fits all words. */
	k = mask_word(key, (unsigned)((rot + i) & 3u));
#if defined(__GNUC__)
	/*
	 * GCC and clang vector extensions: 64 bytes per round in whatever SIMD
	 * the target has (two SSE2 registers per vector on baseline x86-64, one
	 * AVX2 register with -march=native).  GCC at -O2 does not vectorise the
	 * plain word loop below by itself; clang does, and both compile this to
	 * the same code.
	 */
	if (len - i >= 64) {
		typedef uint64_t ws_u64x4 __attribute__((vector_size(32)));
		ws_u64x4 kv = { k, k, k, k };
		ws_u64x4 av = { 0, 0, 0, 0 };
		for (; len - i >= 64; i += 64) {
			ws_u64x4 a, b;
			memcpy(&a, s + i, 32);
			memcpy(&b, s + i + 32, 32);
			a ^= kv;
			b ^= kv;
			memcpy(d + i, &a, 32);
			memcpy(d + i + 32, &b, 32);
			av |= a | b;
		}
		acc |= (av[0] | av[1]) | (av[2] | av[3]);
	}
#endif
	/* Four independent words per round keep several loads in flight. */
	for (; len - i >= 32; i += 32) {
		uint64_t w0, w1, w2, w3;
		memcpy(&w0, s + i, 8);
		memcpy(&w1, s + i + 8, 8);
		memcpy(&w2, s + i + 16, 8);
		memcpy(&w3, s + i + 24, 8);
		w0 ^= k;
		w1 ^= k;
		w2 ^= k;
		w3 ^= k;
		memcpy(d + i, &w0, 8);
		memcpy(d + i + 8, &w1, 8);
		memcpy(d + i + 16, &w2, 8);
		memcpy(d + i + 24, &w3, 8);
		acc |= (w0 | w1) | (w2 | w3);
	}
	for (; len - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		w ^= k;
		memcpy(d + i, &w, 8);
		acc |= w;
	}
	if (i < len) {
		/* Whole words were done from i's rotation on, so the tail starts at kb[0]. */
		memcpy(kb, &k, 8);
		for (unsigned j = 0; i < len; i++, j++) {
			d[i] = (uint8_t)(s[i] ^ kb[j]);
			acc |= d[i];
		}
	}
	return acc;
}

/*
 * Short spans (a chat line, a game tick) stay out of the vector code, whose
 * set-up costs more than their whole payload: a word at a time, then bytes.
 */
static inline uint64_t xor_mask_to(uint8_t *d, const uint8_t *s, size_t len, const uint8_t key[4], uint64_t offset)
{
	uint64_t acc = 0;
	uint64_t k;
	size_t i = 0;

	if (len >= 64) {
		return xor_mask_long(d, s, len, key, offset);
	}
	k = mask_word(key, (unsigned)(offset & 3u));
	for (; len - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		w ^= k;
		memcpy(d + i, &w, 8);
		acc |= w;
	}
	if (i < len) {
		uint8_t kb[8];
		memcpy(kb, &k, 8);
		for (unsigned j = 0; i < len; i++, j++) {
			d[i] = (uint8_t)(s[i] ^ kb[j]);
			acc |= d[i];
		}
	}
	return acc;
}

static inline uint64_t xor_mask(uint8_t *d, size_t len, const uint8_t key[4], uint64_t offset)
{
	return xor_mask_to(d, d, len, key, offset);
}

void ws_frame_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset)
{
	(void)xor_mask(data, len, key, offset);
}

void ws_frame_parser_init(ws_frame_parser_t *p, const ws_frame_config_t *config,
	const ws_frame_callbacks_t *cb, void *user)
{
	memset(p, 0, sizeof(*p));
	p->config = *config;
	p->cb = cb;
	p->user = user;
	p->state = WS_FRAME_ST_HEADER;
	p->hdr_need = 2;
	ws_utf8_init(&p->utf8);
}

void ws_frame_parser_release(ws_frame_parser_t *p)
{
	if (p->ctl_owned) {
		ws_free(p->ctl);
		p->ctl_owned = 0;
	}
	p->ctl = NULL;
}

void ws_frame_parser_configure(ws_frame_parser_t *p, const ws_frame_config_t *config)
{
	/* The role decides which frames are legal at all; it never changes mid-connection. */
	p->config.max_frame_size = config->max_frame_size;
	p->config.max_message_size = config->max_message_size;
	p->config.allow_rsv1 = config->allow_rsv1;
}

int ws_frame_parser_error(const ws_frame_parser_t *p)
{
	return p->error;
}

uint64_t ws_frame_parser_error_offset(const ws_frame_parser_t *p)
{
	return p->error_offset;
}

int ws_frame_parser_in_message(const ws_frame_parser_t *p)
{
	return p->msg_opcode != 0;
}

int ws_frame_parser_idle(const ws_frame_parser_t *p)
{
	return p->state == WS_FRAME_ST_HEADER && p->hdr_len == 0 && p->msg_opcode == 0 && !p->ctl_owned
		&& p->dst == NULL && p->error == 0;
}

void ws_frame_parser_forget_buffer(ws_frame_parser_t *p)
{
	p->dst = NULL;
}

size_t ws_frame_parser_payload_dest(const ws_frame_parser_t *p, uint8_t **dst)
{
	if (p->error != 0 || p->state != WS_FRAME_ST_PAYLOAD || p->dst == NULL) {
		return 0;
	}
	*dst = p->dst + p->payload_done;
	return (size_t)(p->payload_len - p->payload_done);
}

/* Checks of the first header byte: FIN, RSV1-3, opcode. */
static int check_byte0(ws_frame_parser_t *p, uint8_t b)
{
	p->fin = (uint8_t)(b >> 7);
	p->rsv = (uint8_t)((b >> 4) & 0x7);
	p->opcode = (uint8_t)(b & 0xF);

	if (is_reserved_opcode(p->opcode)) {
		return WS_ERR_RESERVED_OPCODE;
	}
	if (p->rsv != 0) {
		/*
		 * permessage-deflate (RFC 7692 6.1) sets RSV1 on the first frame of
		 * a message only.  RSV1 on a continuation or a control frame is
		 * reported as WS_ERR_RESERVED_BITS rather than WS_ERR_COMPRESSION:
		 * it is a framing error seen in the header, before any inflating,
		 * and both close with 1002.
		 */
		int first_data = p->opcode == WS_OPCODE_TEXT || p->opcode == WS_OPCODE_BINARY;
		if (p->rsv != 0x4 || !p->config.allow_rsv1 || !first_data) {
			return WS_ERR_RESERVED_BITS;
		}
	}
	if (is_control(p->opcode)) {
		if (!p->fin) {
			return WS_ERR_CONTROL_FRAGMENTED;
		}
	} else if (p->opcode == WS_OPCODE_CONTINUATION) {
		if (p->msg_opcode == 0) {
			return WS_ERR_UNEXPECTED_CONTINUATION;
		}
	} else if (p->msg_opcode != 0) {
		return WS_ERR_EXPECTED_CONTINUATION;
	}
	return 0;
}

/*
 * Checks that need the payload length: the frame limit, the message limit
 * (uncompressed messages only; the inflater limits the others) and a close
 * payload of exactly one byte, which can never hold a status code.
 */
static int check_length(ws_frame_parser_t *p)
{
	uint64_t len = p->payload_len;

	if (p->opcode == WS_OPCODE_CLOSE && len == 1) {
		return WS_ERR_CLOSE_PAYLOAD;
	}
	if (p->config.max_frame_size != 0 && len > p->config.max_frame_size) {
		return WS_ERR_FRAME_TOO_BIG;
	}
	if (!is_control(p->opcode) && p->config.max_message_size != 0) {
		int cont = p->opcode == WS_OPCODE_CONTINUATION;
		int compressed = cont ? p->msg_compressed : (p->rsv & 0x4) != 0;
		uint64_t so_far = cont ? p->msg_size : 0;
		/*
		 * Written so that nothing can wrap; so_far is above the limit only
		 * if configure() lowered it in the middle of a message.
		 */
		if (!compressed && (so_far > p->config.max_message_size
				|| len > p->config.max_message_size - so_far)) {
			return WS_ERR_MESSAGE_TOO_BIG;
		}
	}
	return 0;
}

/* Checks of the second header byte: MASK bit and 7-bit length. */
static int check_byte1(ws_frame_parser_t *p, uint8_t b)
{
	uint8_t len7 = b & 0x7F;
	uint8_t ext;

	p->masked = (uint8_t)(b >> 7);
	if (p->config.role == WS_ROLE_SERVER && !p->masked) {
		return WS_ERR_UNMASKED_FRAME;
	}
	if (p->config.role == WS_ROLE_CLIENT && p->masked) {
		return WS_ERR_MASKED_FRAME;
	}
	/* 126 and 127 announce an extended length, hence more than 125 bytes. */
	if (is_control(p->opcode) && len7 > WS_CONTROL_PAYLOAD_MAX) {
		return WS_ERR_CONTROL_TOO_LONG;
	}
	ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	p->hdr_need = (uint8_t)(2 + ext + (p->masked ? 4 : 0));
	if (ext == 0) {
		p->payload_len = len7;
		return check_length(p);
	}
	return 0;
}

/*
 * The header is complete: take the mask key (from key, when masked), open a
 * message on the first frame of one and report it, and offer a large
 * single-frame message's payload a home of the caller's.  Returns the
 * callback's answer.
 */
static int header_complete(ws_frame_parser_t *p, const uint8_t *key, size_t in_hand)
{
	int rc = 0;

	if (p->masked) {
		memcpy(p->mask, key, 4);
	}
	p->payload_done = 0;
	p->dst = NULL;
	p->state = p->payload_len != 0 ? WS_FRAME_ST_PAYLOAD : WS_FRAME_ST_FRAME_END;

	if (is_control(p->opcode)) {
		return 0;
	}
	if (p->opcode == WS_OPCODE_CONTINUATION) {
		p->msg_size += p->payload_len;
		return 0;
	}
	p->msg_opcode = p->opcode;
	p->msg_compressed = (p->rsv & 0x4) != 0;
	p->msg_size = p->payload_len;
	ws_utf8_init(&p->utf8);
	if (p->cb == NULL) {
		return 0;
	}
	if (p->cb->on_message_begin != NULL) {
		rc = p->cb->on_message_begin(p->user, (ws_opcode_t)p->opcode, p->msg_compressed);
	}
	if (rc == 0 && p->fin && !p->msg_compressed && p->payload_len >= WS_FRAME_BUFFER_MIN
			&& p->cb->on_frame_buffer != NULL) {
		p->dst = p->cb->on_frame_buffer(p->user, p->payload_len,
			(uint64_t)in_hand < p->payload_len ? in_hand : (size_t)p->payload_len);
	}
	return rc;
}

/*
 * Unmasks (if masked) n bytes of uncompressed text from src into dst (the
 * same pointer: in place) and validates them.  Returns 0 or
 * WS_ERR_INVALID_UTF8 with *bad set to the offset of the first invalid byte.
 */
static int text_payload(ws_frame_parser_t *p, uint8_t *dst, const uint8_t *src, size_t n, size_t *bad)
{
	size_t done = 0;

	if (!p->masked) {
		if (dst != src) {
			memcpy(dst, src, n);
		}
		return ws_utf8_feed(&p->utf8, dst, n, bad);
	}
	while (done < n) {
		size_t blk = n - done < WS_UNMASK_BLOCK ? n - done : WS_UNMASK_BLOCK;
		uint64_t acc = xor_mask_to(dst + done, src + done, blk, p->mask, p->payload_done + done);
		/*
		 * A pure-ASCII block starting at a character boundary leaves the
		 * validator at a boundary: skip it.  Anything else goes through
		 * the validator while the block is still hot in L1.
		 */
		if ((acc & WS_HIGH_BITS) != 0 || !ws_utf8_is_complete(&p->utf8)) {
			size_t b = 0;
			if (ws_utf8_feed(&p->utf8, dst + done, blk, &b) != 0) {
				*bad = done + b;
				return WS_ERR_INVALID_UTF8;
			}
		}
		done += blk;
	}
	return 0;
}

/* Validates a complete close payload (already unmasked at p->ctl). */
static int check_close(ws_frame_parser_t *p, unsigned *code)
{
	size_t len = (size_t)p->payload_len;

	if (len == 0) {
		*code = WS_CLOSE_NO_STATUS;
		return 0;
	}
	if (len == 1) {
		return WS_ERR_CLOSE_PAYLOAD; /* refused at the header already; kept for clarity */
	}
	*code = ((unsigned)p->ctl[0] << 8) | p->ctl[1];
	if (!ws_close_code_is_valid(*code)) {
		return WS_ERR_CLOSE_CODE;
	}
	if (!ws_utf8_valid(p->ctl + 2, len - 2)) {
		return WS_ERR_INVALID_UTF8;
	}
	return 0;
}

/*
 * The payload of the current frame is complete.  Returns a callback's
 * answer or a negative protocol error (*proto set to 1 then).
 */
static int frame_end(ws_frame_parser_t *p, int *proto)
{
	p->state = WS_FRAME_ST_HEADER;
	p->hdr_len = 0;
	p->hdr_need = 2;
	p->dst = NULL;

	if (is_control(p->opcode)) {
		unsigned code = 0;
		size_t plen = (size_t)p->payload_len;
		const uint8_t *payload = plen ? p->ctl : NULL;
		int rc = 0;

		if (p->masked && plen) {
			ws_frame_mask(p->ctl, plen, p->mask, 0);
		}
		if (p->opcode == WS_OPCODE_CLOSE) {
			rc = check_close(p, &code);
			if (rc != 0) {
				*proto = 1;
			} else if (plen >= 2) {
				payload += 2;
				plen -= 2;
			}
		}
		if (rc == 0 && p->cb != NULL && p->cb->on_control != NULL) {
			rc = p->cb->on_control(p->user, (ws_opcode_t)p->opcode, code, payload, plen);
		}
		ws_frame_parser_release(p);
		return rc;
	}
	if (!p->fin) {
		return 0;
	}
	if (p->msg_opcode == WS_OPCODE_TEXT && !p->msg_compressed && !ws_utf8_is_complete(&p->utf8)) {
		*proto = 1;
		return WS_ERR_INVALID_UTF8; /* the message ends inside a character */
	}
	/* Closed before the callback so that in_message() reads 0 inside it. */
	p->msg_opcode = 0;
	p->msg_compressed = 0;
	p->msg_size = 0;
	if (p->cb != NULL && p->cb->on_message_end != NULL) {
		return p->cb->on_message_end(p->user);
	}
	return 0;
}

ssize_t ws_frame_parser_feed(ws_frame_parser_t *p, uint8_t *buf, size_t len)
{
	const uint64_t base = p->total_consumed;
	size_t pos = 0;
	int rc;

	if (p->error != 0) {
		return p->error;
	}

	for (;;) {
		switch (p->state) {
		case WS_FRAME_ST_HEADER:
			if (pos == len) {
				goto out;
			}
			if (p->hdr_len == 0 && len - pos >= 2) {
				/*
				 * Fast path: the whole header lies in the input.  Every
				 * check of the byte-at-a-time path below is made; if one
				 * fails, nothing has been consumed and that path runs
				 * instead, to report the error at its exact byte.
				 */
				const uint8_t *h = buf + pos;
				uint8_t len7 = h[1] & 0x7F;
				size_t ext = len7 < 126 ? 0 : len7 == 126 ? 2 : 8;
				size_t hl = 2 + ext + ((h[1] & 0x80) ? 4 : 0);

				int ok = 0;
				if (len - pos < hl) {
					/* The header is split: gather it byte by byte below. */
				} else if ((h[0] == 0x81 || h[0] == 0x82) && ext == 0 && (h[1] & 0x80)
						&& p->msg_opcode == 0 && p->config.role == WS_ROLE_SERVER) {
					/*
					 * The usual client frame: a whole text or binary message
					 * (FIN, no RSV) of under 126 bytes, masked, outside a
					 * fragmented message.  That leaves only the size limits
					 * of check_length() to check.
					 */
					p->fin = 1;
					p->rsv = 0;
					p->opcode = h[0] & 0xF;
					p->masked = 1;
					p->hdr_need = 6;
					p->payload_len = len7;
					ok = (p->config.max_frame_size == 0 || len7 <= p->config.max_frame_size)
						&& (p->config.max_message_size == 0 || len7 <= p->config.max_message_size);
				} else if (check_byte0(p, h[0]) == 0 && check_byte1(p, h[1]) == 0) {
					ok = 1;
					if (ext == 2) {
						p->payload_len = ((uint64_t)h[2] << 8) | h[3];
						ok = check_length(p) == 0;
					} else if (ext == 8) {
						uint64_t v = 0;
						for (unsigned i = 2; i < 10; i++) {
							v = (v << 8) | h[i];
						}
						p->payload_len = v;
						ok = (h[2] & 0x80) == 0 && check_length(p) == 0;
					}
				}
				if (ok) {
					pos += hl;
					rc = header_complete(p, (h[1] & 0x80) ? h + hl - 4 : NULL, len - pos);
					if (rc != 0) {
						goto callback_rc;
					}
					break;
				}
			}
			if (p->hdr_len < 2) {
				/* The first two bytes one at a time: each has its own checks. */
				uint8_t b = buf[pos];
				p->hdr[p->hdr_len++] = b;
				rc = p->hdr_len == 1 ? check_byte0(p, b) : check_byte1(p, b);
				if (rc != 0) {
					goto proto_error;
				}
				pos++;
			} else {
				/* Extended length and mask key: copy as much as is here. */
				uint8_t h0 = p->hdr_len;
				uint8_t len_end = (uint8_t)(p->hdr_need - (p->masked ? 4 : 0));
				size_t n = len - pos;
				if (n > (size_t)(p->hdr_need - h0)) {
					n = (size_t)(p->hdr_need - h0);
				}
				if (len_end == 10 && h0 == 2 && (buf[pos] & 0x80)) {
					rc = WS_ERR_LENGTH_MSB; /* pos is the offending byte 2 */
					goto proto_error;
				}
				memcpy(p->hdr + h0, buf + pos, n);
				p->hdr_len = (uint8_t)(h0 + n);
				if (h0 < len_end && p->hdr_len >= len_end) {
					uint64_t v = 0;
					for (unsigned i = 2; i < len_end; i++) {
						v = (v << 8) | p->hdr[i];
					}
					p->payload_len = v;
					rc = check_length(p);
					if (rc != 0) {
						pos += (size_t)(len_end - 1 - h0); /* the last length byte */
						goto proto_error;
					}
				}
				pos += n;
			}
			if (p->hdr_len == p->hdr_need) {
				rc = header_complete(p, p->masked ? p->hdr + p->hdr_need - 4 : NULL, len - pos);
				if (rc != 0) {
					goto callback_rc;
				}
			}
			break;

		case WS_FRAME_ST_PAYLOAD: {
			uint64_t remain = p->payload_len - p->payload_done;
			size_t n = len - pos;
			uint8_t *data, *dst;

			if (n == 0) {
				goto out;
			}
			if ((uint64_t)n > remain) {
				n = (size_t)remain;
			}
			data = buf + pos;
			if (is_control(p->opcode)) {
				/* Delivered whole, unmasked in frame_end(). */
				if (p->payload_done == 0 && (uint64_t)n == p->payload_len) {
					p->ctl = data; /* all here: no copy */
				} else {
					if (!p->ctl_owned) {
						uint8_t *g = ws_malloc(WS_CONTROL_PAYLOAD_MAX);
						if (g == NULL) {
							rc = WS_ERR_NOMEM;
							goto callback_rc;
						}
						p->ctl = g;
						p->ctl_owned = 1;
					}
					memcpy(p->ctl + p->payload_done, data, n);
				}
				p->payload_done += n;
				pos += n;
				if (p->payload_done == p->payload_len) {
					p->state = WS_FRAME_ST_FRAME_END;
				}
				break;
			}
			/* Into the caller's storage when it gave one (possibly the very bytes in buf). */
			dst = p->dst != NULL ? p->dst + p->payload_done : data;
			if (p->msg_opcode == WS_OPCODE_TEXT && !p->msg_compressed) {
				size_t bad = 0;
				if (text_payload(p, dst, data, n, &bad) != 0) {
					pos += bad;
					rc = WS_ERR_INVALID_UTF8;
					goto proto_error;
				}
			} else if (p->masked) {
				(void)xor_mask_to(dst, data, n, p->mask, p->payload_done);
			} else if (dst != data) {
				memcpy(dst, data, n);
			}
			data = dst;
			p->payload_done += n;
			pos += n;
			if (p->payload_done == p->payload_len) {
				p->state = WS_FRAME_ST_FRAME_END;
			}
			if (p->cb != NULL && p->cb->on_message_data != NULL) {
				rc = p->cb->on_message_data(p->user, data, n);
				if (rc != 0) {
					goto callback_rc;
				}
			}
			break;
		}

		case WS_FRAME_ST_FRAME_END: {
			int proto = 0;
			rc = frame_end(p, &proto);
			if (rc != 0) {
				if (proto) {
					/*
					 * Revealed by the frame's last byte, which was consumed
					 * (possibly by an earlier call if an event paused there).
					 */
					p->error = rc;
					p->error_offset = base + pos - 1;
					p->total_consumed = base + pos;
					return rc;
				}
				goto callback_rc;
			}
			break;
		}
		}
	}

out:
	p->total_consumed = base + pos;
	return (ssize_t)pos;

proto_error:
	p->error = rc;
	p->error_offset = base + pos;
	p->total_consumed = base + pos;
	return rc;

callback_rc:
	p->total_consumed = base + pos;
	if (rc < 0) {
		p->error = rc;
		p->error_offset = base + pos;
		return rc;
	}
	/* Any positive answer pauses, WS_FRAME_PAUSE being the documented one. */
	return (ssize_t)pos;
}

size_t ws_frame_header_size(uint64_t payload_len, int masked)
{
	size_t n = payload_len < 126 ? 2 : payload_len <= 0xFFFF ? 4 : 10;
	return n + (masked ? 4 : 0);
}

size_t ws_frame_encode_header(uint8_t *out, int fin, int rsv1, ws_opcode_t opcode,
	uint64_t payload_len, const uint8_t *mask_key)
{
	uint8_t mbit = mask_key != NULL ? 0x80 : 0;
	size_t n;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | ((unsigned)opcode & 0xF));
	if (payload_len < 126) {
		out[1] = (uint8_t)(mbit | payload_len);
		n = 2;
	} else if (payload_len <= 0xFFFF) {
		out[1] = (uint8_t)(mbit | 126);
		out[2] = (uint8_t)(payload_len >> 8);
		out[3] = (uint8_t)payload_len;
		n = 4;
	} else {
		out[1] = (uint8_t)(mbit | 127);
		for (unsigned i = 0; i < 8; i++) {
			out[2 + i] = (uint8_t)(payload_len >> (56 - 8 * i));
		}
		n = 10;
	}
	if (mask_key != NULL) {
		memcpy(out + n, mask_key, 4);
		n += 4;
	}
	return n;
}

size_t ws_frame_encode_close_payload(uint8_t *out, unsigned code, const char *reason, size_t reason_len)
{
	if (code == 0 || code == WS_CLOSE_NO_STATUS) {
		return 0;
	}
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (reason == NULL) {
		return 2;
	}
	if (reason_len > WS_CLOSE_REASON_MAX) {
		/*
		 * Back off while the first byte left out is a continuation byte:
		 * then the character it belongs to would be cut, so drop it whole.
		 */
		size_t cut = WS_CLOSE_REASON_MAX;
		while (cut > 0 && ((uint8_t)reason[cut] & 0xC0) == 0x80) {
			cut--;
		}
		reason_len = cut;
	}
	memcpy(out + 2, reason, reason_len);
	return 2 + reason_len;
}
