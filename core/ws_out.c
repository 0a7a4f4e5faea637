/*
 * ws_out.c - everything that leaves: reference-counted output buffers, the
 * per-connection segment queue, backpressure admission (SENT / QUEUED /
 * DROPPED and the policy past max_buffered_amount), compression of sends,
 * fan-out that encodes a frame once for many recipients (broadcast), and the
 * flush of a queue with one sendmsg().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, pipe2 */
#endif
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ws_metrics_int.h"

static ws_buf_t *buf_new(ws_server_t *s, size_t need)
{
	ws_buf_t *b;
	if (need <= WS_OUT_CHUNK && s->npool > 0) {
		b = s->pool[--s->npool];
	} else {
		size_t cap = need < WS_OUT_CHUNK ? WS_OUT_CHUNK : need;
		b = ws__mem_alloc(s, sizeof(*b) + cap);
		if (b == NULL) {
			return NULL;
		}
		b->cap = cap;
	}
	b->refs = 1;
	b->len = 0;
	b->release = NULL;
	b->ctx = NULL;
	return b;
}

static void buf_unref(ws_server_t *s, ws_buf_t *b)
{
	if (--b->refs > 0) {
		return;
	}
	if (b->release) {
		b->release(b->ctx);
		s->mem -= b->len;
		ws__mem_release(s, b, sizeof(*b));
		return;
	}
	if (b->cap == WS_OUT_CHUNK && s->npool < WS_OUT_POOL_MAX) {
		s->pool[s->npool++] = b;
		return;
	}
	ws__mem_release(s, b, sizeof(*b) + b->cap);
}

static ws_seg_t *seg_tail(ws_conn_t *c)
{
	if (c->seg_count == 0) {
		return NULL;
	}
	return &c->segs[(c->seg_head + c->seg_count - 1) & (c->seg_cap - 1)];
}

/* Makes room for n more segments, so that a header and its payload are queued together or not at all. */
static int seg_reserve(ws_conn_t *c, uint32_t n)
{
	if (c->seg_count + n <= c->seg_cap) {
		return 0;
	}
	uint32_t ncap = c->seg_cap ? c->seg_cap : 4;
	while (ncap < c->seg_count + n) {
		ncap *= 2;
	}
	ws_seg_t *nsegs = ws__mem_alloc(c->server, ncap * sizeof(*nsegs));
	if (nsegs == NULL) {
		return -1;
	}
	for (uint32_t i = 0; i < c->seg_count; i++) {
		nsegs[i] = c->segs[(c->seg_head + i) & (c->seg_cap - 1)];
	}
	ws__mem_release(c->server, c->segs, c->seg_cap * sizeof(*c->segs));
	c->segs = nsegs;
	c->seg_cap = ncap;
	c->seg_head = 0;
	return 0;
}

static int seg_push(ws_conn_t *c, ws_buf_t *b, const uint8_t *ptr, size_t len)
{
	if (seg_reserve(c, 1) != 0) {
		return -1;
	}
	ws_seg_t *sg = &c->segs[(c->seg_head + c->seg_count) & (c->seg_cap - 1)];
	sg->buf = b;
	sg->ptr = ptr;
	sg->len = len;
	c->seg_count++;
	return 0;
}

static void queue_account(ws_conn_t *c, size_t n)
{
	c->buffered += n;
	c->server->metrics.buffered_bytes += n;
}

/*
 * Appends raw bytes (two pieces, e.g. frame header and payload) to the
 * connection's private tail buffer, or a new one.  Copies.
 */
int ws__queue_bytes(ws_conn_t *c, const void *a, size_t alen, const void *b, size_t blen)
{
	ws_server_t *s = c->server;
	size_t total = alen + blen;
	ws_seg_t *t = seg_tail(c);
	if (t && t->buf->refs == 1 && !t->buf->release && t->ptr + t->len == t->buf->data + t->buf->len
		&& t->buf->cap - t->buf->len >= total) {
		memcpy(t->buf->data + t->buf->len, a, alen);
		if (blen) {
			memcpy(t->buf->data + t->buf->len + alen, b, blen);
		}
		t->buf->len += total;
		t->len += total;
	} else {
		ws_buf_t *nb = buf_new(s, total);
		if (nb == NULL) {
			return -1;
		}
		memcpy(nb->data, a, alen);
		if (blen) {
			memcpy(nb->data + alen, b, blen);
		}
		nb->len = total;
		if (seg_push(c, nb, nb->data, total) != 0) {
			buf_unref(s, nb);
			return -1;
		}
	}
	queue_account(c, total);
	ws__conn_touch(c);
	return 0;
}

/* Queues a shared buffer (reference taken). */
static int queue_shared(ws_conn_t *c, ws_buf_t *b)
{
	if (seg_push(c, b, b->data, b->len) != 0) {
		return -1;
	}
	b->refs++;
	queue_account(c, b->len);
	ws__conn_touch(c);
	return 0;
}

/*
 * Drops every queued message that has not started to leave.  What stays, so
 * that the peer still reads a well-formed stream: with keep_partial, the head
 * segment when it may be partly on the wire already; the 101 response, which
 * shares its buffer with the first frames (cut right after it); and the
 * payload of a send_ref() message whose header stays (a referenced payload
 * always follows its header in a segment of its own).
 */
void ws__queue_discard_unsent(ws_conn_t *c, int keep_partial)
{
	ws_server_t *s = c->server;
	uint32_t keep = 0;
	int cut = 0;
	if (keep_partial && c->seg_count > 0 && c->write_blocked) {
		keep = 1;
	}
	size_t head = c->http_unsent;
	for (uint32_t i = 0; keep_partial && head > 0 && i < c->seg_count; i++) {
		ws_seg_t *sg = &c->segs[(c->seg_head + i) & (c->seg_cap - 1)];
		if (i >= keep) {
			keep = i + 1;
			if (sg->len > head) {
				/* Frames behind the response in the same segment go. */
				size_t drop = sg->len - head;
				sg->len = head;
				c->buffered -= drop;
				s->metrics.buffered_bytes -= drop;
				cut = 1;
			}
		}
		head = head > sg->len ? head - sg->len : 0;
	}
	while (keep_partial && !cut && keep < c->seg_count && c->segs[(c->seg_head + keep) & (c->seg_cap - 1)].buf->release) {
		keep++;
	}
	while (c->seg_count > keep) {
		ws_seg_t *sg = &c->segs[(c->seg_head + c->seg_count - 1) & (c->seg_cap - 1)];
		c->buffered -= sg->len;
		s->metrics.buffered_bytes -= sg->len;
		buf_unref(s, sg->buf);
		c->seg_count--;
	}
}

void ws__queue_free(ws_conn_t *c)
{
	ws__queue_discard_unsent(c, 0);
	ws__mem_release(c->server, c->segs, c->seg_cap * sizeof(*c->segs));
	c->segs = NULL;
	c->seg_cap = c->seg_head = 0;
}

int ws__queue_frame(ws_conn_t *c, ws_opcode_t op, const void *payload, size_t len)
{
	uint8_t hdr[WS_FRAME_HEADER_MAX];
	size_t hl = ws_frame_encode_header(hdr, 1, 0, op, len, NULL);
	return ws__queue_bytes(c, hdr, hl, payload, len);
}

static int conn_can_send_data(const ws_conn_t *c)
{
	return c->state == ST_OPEN && !c->close_sent && !c->bp_close;
}

/*
 * What ws_conn_send() reports for a message that was queued: QUEUED once the
 * backlog is over the low-water mark, and then a drain event is owed, which
 * fires when the backlog falls back under it (possibly right after this
 * iteration's write).
 */
static ws_send_status_t sent_status(ws_conn_t *c)
{
	if (c->buffered > c->server->cfg.low_water_mark) {
		c->server->metrics.backpressure[WS_MBP_QUEUED] += !c->over_low_water;
		c->over_low_water = 1;
		return WS_SEND_QUEUED;
	}
	return WS_SEND_SENT;
}

/*
 * The per-connection limit check shared by every data send.  A message is
 * admitted while the backlog is under max_buffered_amount, whatever its own
 * size, so any message up to max_message_size can be sent and a connection
 * holds at most the limit plus one message.  Otherwise the policy applies
 * and 0 is returned.
 */
static int backpressure_admit(ws_conn_t *c, size_t total)
{
	ws_server_t *s = c->server;
	if (c->buffered < s->cfg.max_buffered_amount) {
		return 1;
	}
	if (s->cfg.backpressure == WS_BACKPRESSURE_CLOSE) {
		/*
		 * A consumer this slow loses its backlog: keep memory bounded.  The
		 * close itself (and its event) waits for the end of the iteration, so
		 * that a fan-out in progress is not disturbed and no close handler
		 * runs inside send().
		 */
		ws__queue_discard_unsent(c, 1);
		c->bp_close = 1;
		ws__conn_touch(c);
	} else {
		s->metrics.backpressure[WS_MBP_DROPPED]++;
	}
	return 0;
}

static void count_out(ws_server_t *s, size_t len, int binary)
{
	s->metrics.messages_sent[binary != 0]++;
	s->metrics.sent_bytes[binary != 0] += len;
}

/* The deflater for a connection's sends: shared when it keeps no context. */
static ws_deflater_t *conn_deflater(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	const ws_deflate_config_t *dc = &s->cfg.deflate;
	if (c->pmd.server_no_context_takeover) {
		uint8_t bits = c->pmd.server_max_window_bits;
		if (s->shared_deflaters[bits] == NULL) {
			s->shared_deflaters[bits] = ws_deflater_new(dc->level, dc->mem_level, bits);
		}
		return s->shared_deflaters[bits];
	}
	if (c->deflater == NULL) {
		c->deflater = ws_deflater_new(dc->level, dc->mem_level, c->pmd.server_max_window_bits);
	}
	return c->deflater;
}

/* Compresses a message for c into s->zbuf; returns its length or -1 (send it plain then). */
static long conn_compress(ws_conn_t *c, const char *data, size_t len)
{
	ws_deflater_t *d = conn_deflater(c);
	if (d == NULL) {
		return -1;
	}
	return ws_deflater_compress(d, (const uint8_t *)data, len, c->pmd.server_no_context_takeover,
		&c->server->zbuf, &c->server->zcap);
}

static int conn_compresses(const ws_conn_t *c, size_t len)
{
	return c->pmd_on && len >= c->server->cfg.deflate.threshold;
}

/* Queues one data message for c, compressed when negotiated and worth it. */
static int queue_message(ws_conn_t *c, const char *data, size_t len, int binary)
{
	ws_opcode_t op = binary ? WS_OPCODE_BINARY : WS_OPCODE_TEXT;
	if (conn_compresses(c, len)) {
		long n = conn_compress(c, data, len);
		if (n >= 0) {
			ws_metrics_t *m = &c->server->metrics;
			m->compression_bytes[WS_MDIR_SENT][WS_MFORM_UNCOMPRESSED] += len;
			m->compression_bytes[WS_MDIR_SENT][WS_MFORM_COMPRESSED] += (uint64_t)n;
			uint8_t hdr[WS_FRAME_HEADER_MAX];
			size_t hl = ws_frame_encode_header(hdr, 1, 1, op, (uint64_t)n, NULL);
			return ws__queue_bytes(c, hdr, hl, c->server->zbuf, (size_t)n);
		}
	}
	return ws__queue_frame(c, op, data, len);
}

/*
 * Queues an uncompressed frame of under 126 bytes: what ws__queue_frame()
 * does, with the 2-byte header written straight into the tail buffer when
 * the frame fits there (the common case of many small sends in one
 * iteration).
 */
static int queue_small(ws_conn_t *c, ws_opcode_t op, const char *data, size_t len)
{
	ws_seg_t *t = seg_tail(c);
	size_t total = 2 + len;
	if (t && t->buf->refs == 1 && !t->buf->release && t->ptr + t->len == t->buf->data + t->buf->len
		&& t->buf->cap - t->buf->len >= total) {
		uint8_t *o = t->buf->data + t->buf->len;
		o[0] = (uint8_t)(0x80 | op);
		o[1] = (uint8_t)len;
		memcpy(o + 2, data, len);
		t->buf->len += total;
		t->len += total;
		queue_account(c, total);
		ws__conn_touch(c);
		return 0;
	}
	return ws__queue_frame(c, op, data, len);
}

ws_send_status_t ws_conn_send(ws_conn_t *c, const char *data, size_t len, int binary)
{
	if (!conn_can_send_data(c)) {
		return WS_SEND_DROPPED;
	}
	if (!backpressure_admit(c, len)) {
		return WS_SEND_DROPPED;
	}
	if (len < 126 && !conn_compresses(c, len)) {
		if (queue_small(c, binary ? WS_OPCODE_BINARY : WS_OPCODE_TEXT, data, len) != 0) {
			return WS_SEND_DROPPED;
		}
	} else if (queue_message(c, data, len, binary) != 0) {
		return WS_SEND_DROPPED;
	}
	c->t_data = (ws_stamp_t)ws_loop_now(c->server->loop);
	count_out(c->server, len, binary);
	return sent_status(c);
}

ws_send_status_t ws_conn_send_ref(ws_conn_t *c, const char *data, size_t len, int binary,
	void (*release)(void *ctx), void *ctx)
{
	if (!conn_can_send_data(c) || !backpressure_admit(c, len)) {
		release(ctx);
		return WS_SEND_DROPPED;
	}
	int r;
	if (conn_compresses(c, len)) {
		/* Compressed bytes are new bytes: nothing to reference. */
		r = queue_message(c, data, len, binary);
		release(ctx);
	} else {
		uint8_t hdr[WS_FRAME_HEADER_MAX];
		size_t hl = ws_frame_encode_header(hdr, 1, 0, binary ? WS_OPCODE_BINARY : WS_OPCODE_TEXT, len, NULL);
		ws_buf_t *b = ws__mem_alloc(c->server, sizeof(*b));
		if (b == NULL) {
			release(ctx);
			return WS_SEND_DROPPED;
		}
		b->refs = 1;
		b->len = len;
		b->cap = 0;
		b->release = release;
		b->ctx = ctx;
		c->server->mem += len; /* held for the queue, like a copy would be */
		r = seg_reserve(c, 2) == 0 ? ws__queue_bytes(c, hdr, hl, NULL, 0) : -1;
		if (r == 0 && seg_push(c, b, (const uint8_t *)data, len) == 0) {
			queue_account(c, len);
		} else {
			buf_unref(c->server, b);
			r = -1;
		}
	}
	if (r != 0) {
		return WS_SEND_DROPPED;
	}
	c->t_data = (ws_stamp_t)ws_loop_now(c->server->loop);
	count_out(c->server, len, binary);
	return sent_status(c);
}

int ws_conn_ping(ws_conn_t *c, const char *data, size_t len)
{
	if (!conn_can_send_data(c)) {
		return 0;
	}
	if (len > WS_CONTROL_PAYLOAD_MAX) {
		len = WS_CONTROL_PAYLOAD_MAX;
	}
	if (ws__queue_frame(c, WS_OPCODE_PING, data, len) != 0) {
		return 0;
	}
	c->server->metrics.pings_sent++;
	return 1;
}

/* Encodes a whole server frame into a new shared buffer. */
static ws_buf_t *encode_shared(ws_server_t *s, int rsv1, ws_opcode_t op, const void *data, size_t len)
{
	uint8_t hdr[WS_FRAME_HEADER_MAX];
	size_t hl = ws_frame_encode_header(hdr, 1, rsv1, op, len, NULL);
	/*
	 * Shared buffers are never pooled or appended to: allocate exactly (one
	 * byte more when that would make it look like a pooled chunk).
	 */
	size_t cap = hl + len + (hl + len == WS_OUT_CHUNK);
	ws_buf_t *b = ws__mem_alloc(s, sizeof(*b) + cap);
	if (b == NULL) {
		return NULL;
	}
	b->refs = 1;
	b->cap = cap;
	b->release = NULL;
	b->ctx = NULL;
	memcpy(b->data, hdr, hl);
	memcpy(b->data + hl, data, len);
	b->len = hl + len;
	return b;
}

static ws_buf_t *fanout_buffer(ws_server_t *s, fanout_t *f, ws_conn_t *c)
{
	if (conn_compresses(c, f->len) && c->pmd.server_no_context_takeover) {
		uint8_t bits = c->pmd.server_max_window_bits;
		if (f->deflated[bits] == NULL && !f->failed_deflate[bits]) {
			long n = conn_compress(c, f->data, f->len);
			if (n >= 0) {
				f->deflated[bits] = encode_shared(s, 1, f->op, s->zbuf, (size_t)n);
			}
			f->failed_deflate[bits] = f->deflated[bits] == NULL;
		}
		if (f->deflated[bits]) {
			return f->deflated[bits];
		}
	}
	if (f->plain == NULL) {
		f->plain = encode_shared(s, 0, f->op, f->data, f->len);
	}
	return f->plain;
}

/* Queues the message for one recipient under its own limits.  1 if queued. */
int ws__fanout_one(ws_conn_t *c, fanout_t *f)
{
	ws_server_t *s = c->server;
	if (!conn_can_send_data(c) || !backpressure_admit(c, f->len)) {
		return 0;
	}
	if (conn_compresses(c, f->len) && !c->pmd.server_no_context_takeover) {
		return queue_message(c, f->data, f->len, f->op == WS_OPCODE_BINARY) == 0;
	}
	ws_buf_t *b = fanout_buffer(s, f, c);
	if (b == NULL || queue_shared(c, b) != 0) {
		return 0;
	}
	if (b != f->plain) {
		/* A shared compressed frame: its payload is what follows the 2, 4 or 10-byte header. */
		size_t hl = b->len - 2 < 126 ? 2 : b->len - 4 < 65536 ? 4 : 10;
		s->metrics.compression_bytes[WS_MDIR_SENT][WS_MFORM_UNCOMPRESSED] += f->len;
		s->metrics.compression_bytes[WS_MDIR_SENT][WS_MFORM_COMPRESSED] += b->len - hl;
	}
	return 1;
}

void ws__fanout_init(fanout_t *f, const char *data, size_t len, int binary)
{
	memset(f, 0, sizeof(*f));
	f->data = data;
	f->len = len;
	f->op = binary ? WS_OPCODE_BINARY : WS_OPCODE_TEXT;
}

void ws__fanout_finish(ws_server_t *s, fanout_t *f, size_t recipients)
{
	if (f->plain) {
		buf_unref(s, f->plain);
	}
	for (int i = 0; i < 16; i++) {
		if (f->deflated[i]) {
			buf_unref(s, f->deflated[i]);
		}
	}
	int binary = f->op == WS_OPCODE_BINARY;
	s->metrics.messages_sent[binary] += recipients;
	s->metrics.sent_bytes[binary] += (uint64_t)recipients * f->len;
}

/* Local delivery of a broadcast: this process's open connections, except the one with except_id. */
size_t ws__broadcast_local(ws_server_t *s, const char *data, size_t len, int binary, uint64_t except_id)
{
	fanout_t f;
	uint64_t t0 = s->mctl ? ws__mt_begin_sampled(s, &s->mctl->fanout_iter) : 0;
	ws__fanout_init(&f, data, len, binary);
	size_t n = 0;
	for (ws_conn_t *c = s->open_head; c; c = c->open_next) {
		if (c->id != except_id) {
			n += ws__fanout_one(c, &f);
		}
	}
	ws__fanout_finish(s, &f, n);
	ws__mt_end(&s->metrics.fanout, t0);
	s->metrics.publications[WS_MFAN_BROADCAST]++;
	s->metrics.deliveries[WS_MFAN_BROADCAST] += n;
	return n;
}

static ssize_t conn_write(ws_conn_t *c, struct iovec *iov, int n)
{
	if (c->tls) {
		return ws_tls_writev(c->tls, iov, n);
	}
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)n;
	/* MSG_NOSIGNAL: a peer that vanished must not kill the process with SIGPIPE. */
	return sendmsg(c->io.fd, &mh, MSG_NOSIGNAL);
}

/* 1 when nothing is left to write: the queue, and the TLS layer's record buffer. */
int ws__conn_out_empty(const ws_conn_t *c)
{
	return c->seg_count == 0 && !(c->tls && ws_tls_write_pending(c->tls));
}

/* Writes as much of the queue as the kernel takes.  -1 on a fatal write error. */
int ws__conn_flush(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	const int had_http = c->http_unsent != 0;
	if (c->tls && ws_tls_write_pending(c->tls)) {
		int f = ws_tls_flush(c->tls);
		if (f < 0) {
			return -1;
		}
		if (f > 0) {
			c->write_blocked = 1;
			return 0;
		}
	}
	while (c->seg_count > 0) {
		struct iovec iov[WS_IOV_MAX];
		int n = 0;
		for (uint32_t i = 0; i < c->seg_count && n < WS_IOV_MAX; i++) {
			ws_seg_t *sg = &c->segs[(c->seg_head + i) & (c->seg_cap - 1)];
			iov[n].iov_base = (void *)sg->ptr;
			iov[n].iov_len = sg->len;
			n++;
		}
		ssize_t w = conn_write(c, iov, n);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->write_blocked = 1;
				return 0;
			}
			return -1;
		}
		size_t left = (size_t)w;
		s->metrics.written_bytes += c->metrics_only ? 0 : left; /* scrapes are not client traffic */
		c->buffered -= left;
		s->metrics.buffered_bytes -= left;
		c->http_unsent = c->http_unsent > left ? c->http_unsent - left : 0;
		while (left > 0) {
			ws_seg_t *sg = &c->segs[c->seg_head];
			if (left < sg->len) {
				sg->ptr += left;
				sg->len -= left;
				left = 0;
				break;
			}
			left -= sg->len;
			buf_unref(s, sg->buf);
			c->seg_head = (c->seg_head + 1) & (c->seg_cap - 1);
			c->seg_count--;
		}
		if (c->seg_count > 0) {
			/* A short write means the socket buffer is full. */
			c->write_blocked = 1;
			return 0;
		}
	}
	if (c->tls && ws_tls_write_pending(c->tls)) {
		c->write_blocked = 1;
		return 0;
	}
	c->write_blocked = 0;
	if (c->seg_cap > 16 || had_http) {
		/*
		 * A burst grew the ring, or it held the 101 (after which many
		 * connections stay silent): give the memory back, a send makes it again.
		 */
		ws__queue_release_ring(c);
	}
	return 0;
}

void ws__queue_release_ring(ws_conn_t *c)
{
	if (c->seg_count == 0 && c->segs != NULL) {
		ws__mem_release(c->server, c->segs, c->seg_cap * sizeof(*c->segs));
		c->segs = NULL;
		c->seg_cap = c->seg_head = 0;
	}
}
