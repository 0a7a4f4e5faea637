/*
 * ws_sha1.c - SHA-1 (FIPS 180-4, section 6.1), written from the standard.
 *
 * SHA-1 is broken for collision resistance, but RFC 6455 uses it only to
 * prove that the server understood the WebSocket handshake, never for
 * security, so a small portable implementation is all that is needed.  It
 * must not depend on OpenSSL: the core builds with a bare C compiler.
 */
#include <string.h>
#include "ws_handshake.h"

static uint32_t rotl32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/*
 * Processes one 64-byte block (FIPS 180-4 6.1.2).  The message schedule is
 * kept as a rolling 16-word window instead of the 80-word array of the
 * standard: W[t] only depends on W[t-3], W[t-8], W[t-14] and W[t-16], so
 * indexing modulo 16 computes exactly the same values.
 */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[16];
	uint32_t a, b, c, d, e, f, k, tmp;

	for (int t = 0; t < 16; t++) {
		/* The standard reads the message as big-endian words, whatever the host order. */
		w[t] = ((uint32_t)p[4 * t] << 24) | ((uint32_t)p[4 * t + 1] << 16)
			| ((uint32_t)p[4 * t + 2] << 8) | (uint32_t)p[4 * t + 3];
	}
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (int t = 0; t < 80; t++) {
		if (t >= 16) {
			w[t & 15] = rotl32(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1);
		}
		if (t < 20) {
			f = (b & c) ^ (~b & d);             /* Ch */
			k = 0x5a827999u;
		} else if (t < 40) {
			f = b ^ c ^ d;                      /* Parity */
			k = 0x6ed9eba1u;
		} else if (t < 60) {
			f = (b & c) ^ (b & d) ^ (c & d);    /* Maj */
			k = 0x8f1bbcdcu;
		} else {
			f = b ^ c ^ d;                      /* Parity */
			k = 0xca62c1d6u;
		}
		tmp = rotl32(a, 5) + f + e + k + w[t & 15];
		e = d;
		d = c;
		c = rotl32(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void ws__sha1_init(ws__sha1_ctx_t *ctx)
{
	/* Initial hash value, FIPS 180-4 5.3.1. */
	ctx->h[0] = 0x67452301u;
	ctx->h[1] = 0xefcdab89u;
	ctx->h[2] = 0x98badcfeu;
	ctx->h[3] = 0x10325476u;
	ctx->h[4] = 0xc3d2e1f0u;
	ctx->total = 0;
	ctx->used = 0;
}

void ws__sha1_update(ws__sha1_ctx_t *ctx, const uint8_t *data, size_t len)
{
	/* memcpy with a NULL source is undefined even for 0 bytes, and ws_sha1(NULL, 0) is legal. */
	if (len == 0) {
		return;
	}
	ctx->total += len;
	if (ctx->used > 0) {
		size_t take = 64 - ctx->used;
		if (take > len) {
			take = len;
		}
		memcpy(ctx->block + ctx->used, data, take);
		ctx->used += take;
		data += take;
		len -= take;
		if (ctx->used < 64) {
			return;
		}
		sha1_block(ctx->h, ctx->block);
		ctx->used = 0;
	}
	/* Whole blocks are hashed straight from the caller's memory, without a copy. */
	while (len >= 64) {
		sha1_block(ctx->h, data);
		data += 64;
		len -= 64;
	}
	if (len > 0) {
		memcpy(ctx->block, data, len);
		ctx->used = len;
	}
}

void ws__sha1_final(ws__sha1_ctx_t *ctx, uint8_t digest[20])
{
	/* The length is in bits, taken before padding changes ctx->total. */
	uint64_t bits = ctx->total * 8;

	/*
	 * Padding (FIPS 180-4 5.1.1): a 1 bit, zeros up to 56 mod 64 bytes, then
	 * the 64-bit big-endian message length.  When fewer than 9 bytes are left
	 * in the current block, the length spills into one more block.
	 */
	ctx->block[ctx->used++] = 0x80;
	if (ctx->used > 56) {
		memset(ctx->block + ctx->used, 0, 64 - ctx->used);
		sha1_block(ctx->h, ctx->block);
		ctx->used = 0;
	}
	memset(ctx->block + ctx->used, 0, 56 - ctx->used);
	for (int i = 0; i < 8; i++) {
		ctx->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	}
	sha1_block(ctx->h, ctx->block);
	for (int i = 0; i < 5; i++) {
		digest[4 * i] = (uint8_t)(ctx->h[i] >> 24);
		digest[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
		digest[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
		digest[4 * i + 3] = (uint8_t)ctx->h[i];
	}
	ctx->used = 0;
}

void ws_sha1(const uint8_t *data, size_t len, uint8_t digest[20])
{
	ws__sha1_ctx_t ctx;

	ws__sha1_init(&ctx);
	ws__sha1_update(&ctx, data, len);
	ws__sha1_final(&ctx, digest);
}
