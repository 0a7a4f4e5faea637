/*
 * ws_deflate.c - permessage-deflate (RFC 7692).
 *
 * Negotiation follows section 7: each offer is checked on its own and the
 * first acceptable one wins; anything odd in an offer (unknown or repeated
 * parameter, bad value) declines that offer instead of failing the
 * handshake.  Compressed messages are one raw-deflate stream ending in a
 * sync flush whose 00 00 FF FF tail is left off on the wire.
 */
#include <string.h>
#include <stdio.h>

#include "ws_alloc.h"
#include "ws_deflate.h"
#include "ws_error.h"

void ws_deflate_config_defaults(ws_deflate_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = 1;
	cfg->server_context_takeover = 0;
	cfg->client_context_takeover = 0;
	cfg->level = -1;
	cfg->mem_level = 8;
	cfg->window_bits = 15;
	cfg->threshold = 64;
}

static int span_eq(ws_span_t s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s.ptr[i];
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c + 32);
		}
		if (c != lit[i]) {
			return 0;
		}
	}
	return 1;
}

/* Parses a window-bits value: 1 or 2 digits, 8-15, no leading zero. */
static int parse_bits(ws_span_t v)
{
	if (v.ptr == NULL || v.len == 0 || v.len > 2 || v.ptr[0] == '0') {
		return -1;
	}
	int n = 0;
	for (size_t i = 0; i < v.len; i++) {
		if (v.ptr[i] < '0' || v.ptr[i] > '9') {
			return -1;
		}
		n = n * 10 + (v.ptr[i] - '0');
	}
	return n >= 8 && n <= 15 ? n : -1;
}

/* Checks one offer; 1 and params filled if acceptable. */
static int pmd_accept_offer(const ws_deflate_config_t *cfg, const ws_ext_offer_t *o, ws_pmd_params_t *p,
	int *client_bits_offered, int *client_no_ctx_offered)
{
	int seen_snct = 0, seen_cnct = 0, seen_smwb = 0, seen_cmwb = 0;
	int smwb = 15, cmwb = 15, cmwb_has_value = 0;
	for (size_t i = 0; i < o->num_params; i++) {
		ws_span_t n = o->params[i].name, v = o->params[i].value;
		if (span_eq(n, "server_no_context_takeover")) {
			if (seen_snct++ || v.ptr) {
				return 0;
			}
		} else if (span_eq(n, "client_no_context_takeover")) {
			if (seen_cnct++ || v.ptr) {
				return 0;
			}
		} else if (span_eq(n, "server_max_window_bits")) {
			if (seen_smwb++ || (smwb = parse_bits(v)) < 0) {
				return 0;
			}
		} else if (span_eq(n, "client_max_window_bits")) {
			if (seen_cmwb++) {
				return 0;
			}
			if (v.ptr) {
				if ((cmwb = parse_bits(v)) < 0) {
					return 0;
				}
				cmwb_has_value = 1;
			}
		} else {
			return 0; /* unknown parameter: decline this offer */
		}
	}
	if (seen_smwb && smwb < 9) {
		/* zlib silently widens a 256-byte deflate window to 512: we could not honour 8. */
		return 0;
	}
	int server_bits = cfg->window_bits < 9 ? 9 : cfg->window_bits;
	if (seen_smwb && smwb < server_bits) {
		server_bits = smwb;
	}
	p->server_max_window_bits = (uint8_t)server_bits;
	p->server_no_context_takeover = (uint8_t)(seen_snct || !cfg->server_context_takeover);
	int client_bits = 15;
	if (seen_cmwb) {
		client_bits = cmwb_has_value ? cmwb : 15;
		if (cfg->window_bits < client_bits) {
			client_bits = cfg->window_bits < 8 ? 8 : cfg->window_bits;
		}
	}
	p->client_max_window_bits = (uint8_t)client_bits;
	/*
	 * Taken whenever offered: it lets us drop the inflate window between
	 * messages.  Sent unrequested when the configuration refuses client
	 * context takeover, the default (RFC 7692 7.1.1.1 lets a server add it
	 * to its response): every client message is then a stream of its own,
	 * inflated by the server's one shared inflater (ws_in.c), so a
	 * connection holds no inflate window between messages.
	 */
	p->client_no_context_takeover = (uint8_t)(seen_cnct || !cfg->client_context_takeover);
	*client_bits_offered = seen_cmwb;
	*client_no_ctx_offered = seen_cnct;
	return 1;
}

int ws_pmd_negotiate(const ws_deflate_config_t *cfg, const ws_span_t *values, size_t nvalues,
	ws_pmd_params_t *params, char *resp, size_t cap, size_t *resp_len)
{
	if (!cfg->enabled || !ws_deflate_available()) {
		return 0;
	}
	for (size_t v = 0; v < nvalues; v++) {
		ws_ext_offer_t offers[WS_MAX_EXTENSIONS];
		int n = ws_handshake_parse_extensions(values[v].ptr, values[v].len, offers, WS_MAX_EXTENSIONS);
		if (n < 0) {
			return 0; /* a header we cannot read declines every offer in it */
		}
		for (int i = 0; i < n; i++) {
			ws_pmd_params_t p;
			int cbits_offered = 0, cnct_offered = 0;
			if (!span_eq(offers[i].name, "permessage-deflate")
				|| !pmd_accept_offer(cfg, &offers[i], &p, &cbits_offered, &cnct_offered)) {
				continue;
			}
			char buf[160];
			int len = snprintf(buf, sizeof(buf), "permessage-deflate%s%s",
				p.server_no_context_takeover ? "; server_no_context_takeover" : "",
				p.client_no_context_takeover ? "; client_no_context_takeover" : "");
			int seen_smwb = 0;
			for (size_t k = 0; k < offers[i].num_params; k++) {
				seen_smwb |= span_eq(offers[i].params[k].name, "server_max_window_bits");
			}
			if (seen_smwb || p.server_max_window_bits < 15) {
				len += snprintf(buf + len, sizeof(buf) - (size_t)len, "; server_max_window_bits=%u", p.server_max_window_bits);
			}
			if (cbits_offered && p.client_max_window_bits < 15) {
				len += snprintf(buf + len, sizeof(buf) - (size_t)len, "; client_max_window_bits=%u", p.client_max_window_bits);
			}
			if ((size_t)len >= cap) {
				return 0;
			}
			memcpy(resp, buf, (size_t)len + 1);
			*resp_len = (size_t)len;
			*params = p;
			return 1;
		}
	}
	return 0;
}

#ifdef WS_HAVE_ZLIB
#include <zlib.h>

int ws_deflate_available(void)
{
	return 1;
}

const char *ws_deflate_zlib_version(void)
{
	return zlibVersion();
}

static voidpf zalloc_cb(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return ws_malloc((size_t)items * size);
}

static void zfree_cb(voidpf opaque, voidpf p)
{
	(void)opaque;
	ws_free(p);
}

/*
 * One inflater serves a connection's messages one after another; with
 * context takeover its sliding window carries from message to message.
 *
 * A DEFLATE block with BFINAL set (RFC 7692 7.2.3.4) ends zlib's stream but
 * not our context.  Section 7.2.2 says the server "MUST decompress each new
 * message using the LZ77 sliding window used to process the last compressed
 * message" unless client_no_context_takeover was agreed, and names no
 * exception for a message that ended its DEFLATE stream; 7.2.3.4 presents
 * BFINAL only as another way to flush.  So a final block is a stream
 * boundary, not a context boundary:
 *   - the byte after the one holding a final block's end starts a new
 *     DEFLATE stream, whether it lies in the same message (7.2.3.4's
 *     example ends in such a byte, 0x00) or in the next one;
 *   - that stream may refer back into everything inflated before it, up to
 *     the 32 KiB window: inflateResetKeep() restarts zlib without dropping
 *     its window, in O(1), so a hostile peer sending a thousand tiny final
 *     blocks costs no copying (copying the window out and back in with
 *     inflateGetDictionary/inflateSetDictionary would cost 64 KiB of memcpy
 *     per 2-byte final block).  zlib.h declares it among its undocumented
 *     functions since 1.2.5.1; zlib-ng's compatible API has it too;
 *   - a message whose data ends exactly where a stream ends needs no
 *     trailer: 00 00 FF FF would only open a stored block that the next
 *     message would have to finish, which is why the next message used to
 *     be refused; zlib's own one-shot inflate ignores it the same way.  When
 *     a final block ends inside the trailer, the rest of it is dropped too.
 * Node's ws instead ignores whatever follows a final block in the message
 * and inflates the next message with an empty window.
 */
struct ws_inflater {
	z_stream z;
	int dirty;   /* the stream has seen data since the last reset */
	int at_end;  /* a final block ended the stream and no byte has come since */
	int error;   /* the first error, returned again until ws_inflater_reset */
};

ws_inflater_t *ws_inflater_new(void)
{
	ws_inflater_t *inf = ws_malloc(sizeof(*inf));
	if (inf == NULL) {
		return NULL;
	}
	memset(inf, 0, sizeof(*inf));
	inf->z.zalloc = zalloc_cb;
	inf->z.zfree = zfree_cb;
	/* A 15-bit window inflates anything a client with a smaller window sends. */
	if (inflateInit2(&inf->z, -15) != Z_OK) {
		ws_free(inf);
		return NULL;
	}
	return inf;
}

void ws_inflater_free(ws_inflater_t *inf)
{
	if (inf) {
		inflateEnd(&inf->z);
		ws_free(inf);
	}
}

void ws_inflater_reset(ws_inflater_t *inf)
{
	if (inf->dirty) {
		inflateReset(&inf->z);
		inf->dirty = 0;
	}
	inf->at_end = 0;
	inf->error = 0;
}

/*
 * Inflates len bytes.  trailer: these are the 00 00 FF FF appended at the
 * end of a message, dropped from where a stream ends.
 */
static int inflate_run(ws_inflater_t *inf, const uint8_t *in, size_t len, int trailer,
	uint64_t *produced, uint64_t max_out, ws_inflate_sink sink, void *user)
{
	uint8_t out[16384];
	inf->dirty = 1;
	inf->z.avail_in = 0;
	for (;;) {
		if (inf->z.avail_in == 0 && len > 0) {
			/* avail_in is an unsigned int: hand a larger buffer over in parts. */
			uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
			inf->z.next_in = (Bytef *)(uintptr_t)in;
			inf->z.avail_in = n;
			in += n;
			len -= n;
		}
		if (inf->at_end) {
			if (inf->z.avail_in == 0 || trailer) {
				return 0; /* a stream boundary; in the trailer, its rest is dropped */
			}
			/* New stream, same window (see above). */
			if (inflateResetKeep(&inf->z) != Z_OK) {
				return WS_ERR_COMPRESSION;
			}
			inf->at_end = 0;
		}
		/* Never let zlib produce past the limit: a bomb stops at max_out + 1 bytes. */
		size_t room = sizeof(out);
		if (max_out) {
			uint64_t left = max_out - *produced;
			if (left < room) {
				room = (size_t)left + 1;
			}
		}
		inf->z.next_out = out;
		inf->z.avail_out = (uInt)room;
		int r = inflate(&inf->z, Z_SYNC_FLUSH);
		size_t got = room - inf->z.avail_out;
		/*
		 * The limit is checked before zlib's verdict: with the output full,
		 * zlib may still read on through block headers and find an error in
		 * this call or, when the input was cut there, only in a later one.
		 * Checked first, a message is too big exactly when more than max_out
		 * bytes inflate before its first error, however it was cut.
		 */
		if (max_out && got > max_out - *produced) {
			return WS_ERR_MESSAGE_TOO_BIG;
		}
		if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END) {
			return r == Z_MEM_ERROR ? WS_ERR_NOMEM : WS_ERR_COMPRESSION;
		}
		if (got) {
			*produced += got;
			int e = sink(user, out, got);
			if (e < 0) {
				return e;
			}
		}
		if (r == Z_STREAM_END) {
			inf->at_end = 1;
			continue;
		}
		if (inf->z.avail_in == 0 && len == 0 && inf->z.avail_out != 0) {
			return 0;
		}
		if (r == Z_BUF_ERROR && inf->z.avail_in != 0 && got == 0) {
			return WS_ERR_COMPRESSION; /* no progress possible: never loop forever */
		}
	}
}

int ws_inflater_feed(ws_inflater_t *inf, const uint8_t *in, size_t len, int final,
	uint64_t *produced, uint64_t max_out, ws_inflate_sink sink, void *user)
{
	static const uint8_t trailer[4] = { 0x00, 0x00, 0xff, 0xff };
	int r = inf->error;
	if (r == 0 && len) {
		r = inflate_run(inf, in, len, 0, produced, max_out, sink, user);
	}
	if (r == 0 && final && !inf->at_end) {
		r = inflate_run(inf, trailer, sizeof(trailer), 1, produced, max_out, sink, user);
	}
	/* zlib keeps no pointer into the caller's buffer past this call. */
	inf->z.next_in = NULL;
	inf->z.avail_in = 0;
	inf->error = r;
	return r;
}

struct ws_deflater {
	z_stream z;
};

ws_deflater_t *ws_deflater_new(int level, int mem_level, int window_bits)
{
	ws_deflater_t *d = ws_malloc(sizeof(*d));
	if (d == NULL) {
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	d->z.zalloc = zalloc_cb;
	d->z.zfree = zfree_cb;
	if (window_bits < 9) {
		window_bits = 9;
	}
	if (deflateInit2(&d->z, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
		ws_free(d);
		return NULL;
	}
	return d;
}

void ws_deflater_free(ws_deflater_t *d)
{
	if (d) {
		deflateEnd(&d->z);
		ws_free(d);
	}
}

long ws_deflater_compress(ws_deflater_t *d, const uint8_t *in, size_t len, int reset,
	uint8_t **out, size_t *cap)
{
	size_t need = deflateBound(&d->z, (uLong)len) + 16;
	if (*cap < need) {
		uint8_t *n = ws_realloc(*out, need);
		if (n == NULL) {
			return -1;
		}
		*out = n;
		*cap = need;
	}
	d->z.next_in = (Bytef *)(uintptr_t)in;
	d->z.avail_in = (uInt)len;
	size_t total = 0;
	for (;;) {
		d->z.next_out = *out + total;
		d->z.avail_out = (uInt)(*cap - total);
		int r = deflate(&d->z, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR) {
			deflateReset(&d->z);
			return -1;
		}
		total = *cap - d->z.avail_out;
		if (d->z.avail_in == 0 && d->z.avail_out > 0) {
			break;
		}
		/* deflateBound was not enough (it is for one call): grow and go on. */
		uint8_t *n = ws_realloc(*out, *cap * 2);
		if (n == NULL) {
			deflateReset(&d->z);
			return -1;
		}
		*out = n;
		*cap *= 2;
	}
	if (reset) {
		deflateReset(&d->z);
	}
	/* A sync flush ends in 00 00 FF FF, which RFC 7692 7.2.1 leaves off the wire. */
	if (total >= 4 && (*out)[total - 4] == 0 && (*out)[total - 3] == 0
		&& (*out)[total - 2] == 0xff && (*out)[total - 1] == 0xff) {
		total -= 4;
	}
	if (total == 0) {
		/*
		 * zlib flushes nothing for an empty message right after a sync flush
		 * (deflate() refuses a second flush in a row without input), which
		 * would leave an empty payload: the peer's appended 00 00 FF FF would
		 * then begin a stored block that the next message has to finish.  Send
		 * the header of an empty stored block instead (RFC 7692 7.2.3.6).
		 */
		(*out)[0] = 0x00;
		total = 1;
	}
	return (long)total;
}

#else /* no zlib */

int ws_deflate_available(void)
{
	return 0;
}

const char *ws_deflate_zlib_version(void)
{
	return NULL;
}

ws_inflater_t *ws_inflater_new(void)
{
	return NULL;
}

void ws_inflater_free(ws_inflater_t *inf)
{
	(void)inf;
}

void ws_inflater_reset(ws_inflater_t *inf)
{
	(void)inf;
}

int ws_inflater_feed(ws_inflater_t *inf, const uint8_t *in, size_t len, int final,
	uint64_t *produced, uint64_t max_out, ws_inflate_sink sink, void *user)
{
	return WS_ERR_COMPRESSION;
}

ws_deflater_t *ws_deflater_new(int level, int mem_level, int window_bits)
{
	return NULL;
}

void ws_deflater_free(ws_deflater_t *d)
{
	(void)d;
}

long ws_deflater_compress(ws_deflater_t *d, const uint8_t *in, size_t len, int reset,
	uint8_t **out, size_t *cap)
{
	return -1;
}

#endif
