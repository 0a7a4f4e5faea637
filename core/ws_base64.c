/*
 * ws_base64.c - base64 (RFC 4648 section 4, standard alphabet, padded).
 *
 * The handshake needs exactly two things: encoding the 20-byte SHA-1 for
 * Sec-WebSocket-Accept, and checking that Sec-WebSocket-Key is base64 of
 * 16 bytes.  The decoder is therefore strict rather than forgiving: a key
 * that is not the canonical encoding of some bytes is not a valid key.
 */
#include "ws_handshake.h"

static const char b64_alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ws_base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
		*out++ = b64_alphabet[(v >> 18) & 63];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = b64_alphabet[(v >> 6) & 63];
		*out++ = b64_alphabet[v & 63];
	}
	/* One or two bytes left: the missing input bits are zero and the missing sextets are '='. */
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		*out++ = b64_alphabet[(v >> 18) & 63];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
		*out++ = b64_alphabet[(v >> 18) & 63];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = b64_alphabet[(v >> 6) & 63];
		*out++ = '=';
	}
}

/*
 * Value of one alphabet character, or -1.  Written as range tests rather
 * than a 256-entry table: the handshake decodes 24 characters per
 * connection, so clarity wins over a lookup.
 */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '+') {
		return 62;
	}
	if (c == '/') {
		return 63;
	}
	return -1;
}

/*
 * Strict decoding: the length must be a multiple of 4; only the standard
 * alphabet is accepted (no URL-safe alphabet, no whitespace or line breaks);
 * '=' may only appear as one or two final padding characters; and the bits
 * that padding leaves unused must be zero.  RFC 4648 section 3.5 lets
 * decoders reject such non-canonical input, and we do, so every accepted
 * string is the one and only encoding of its bytes.
 */
long ws_base64_decode(const char *in, size_t len, uint8_t *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (len % 4 != 0) {
		return -1;
	}
	/* The result must fit the return type; nothing handled here comes close. */
	if (len / 4 > (size_t)(0x7fffffffL / 3)) {
		return -1;
	}
	for (size_t i = 0; i < len; i += 4) {
		int a = b64_value(s[i]);
		int b = b64_value(s[i + 1]);
		int c, d;
		int last = (i + 4 == len);

		if (a < 0 || b < 0) {
			return -1;
		}
		if (last && s[i + 2] == '=' && s[i + 3] == '=') {
			if (b & 0x0f) {
				return -1;
			}
			out[o++] = (uint8_t)((a << 2) | (b >> 4));
			break;
		}
		c = b64_value(s[i + 2]);
		if (c < 0) {
			return -1;
		}
		if (last && s[i + 3] == '=') {
			if (c & 0x03) {
				return -1;
			}
			out[o++] = (uint8_t)((a << 2) | (b >> 4));
			out[o++] = (uint8_t)(((b & 0x0f) << 4) | (c >> 2));
			break;
		}
		d = b64_value(s[i + 3]);
		if (d < 0) {
			return -1;
		}
		out[o++] = (uint8_t)((a << 2) | (b >> 4));
		out[o++] = (uint8_t)(((b & 0x0f) << 4) | (c >> 2));
		out[o++] = (uint8_t)(((c & 0x03) << 6) | d);
	}
	return (long)o;
}
