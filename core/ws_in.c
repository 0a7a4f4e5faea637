/*
 * ws_in.c - everything that arrives on an upgraded connection: reads into the
 * server-wide buffer, frames through the parser, message reassembly and
 * inflation, control frames (ping, pong, close), input saved while reading is
 * paused, and the connection's io callback that dispatches by state.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, pipe2 */
#endif
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ws_metrics_int.h"

ssize_t ws__conn_read(ws_conn_t *c, void *buf, size_t len)
{
	if (c->tls) {
		return ws_tls_read(c->tls, buf, len);
	}
	return recv(c->io.fd, buf, len, 0);
}

static int msg_append(ws_conn_t *c, const uint8_t *data, size_t len)
{
	if (ws__mem_reserve(c->server, &c->busy->msg, &c->busy->msg_cap, c->busy->msg_len + len) != 0) {
		return -1;
	}
	memcpy(c->busy->msg + c->busy->msg_len, data, len);
	c->busy->msg_len += len;
	return 0;
}

/* Moves a message prefix that still lies in the read buffer into the reassembly buffer. */
static int msg_keep_span(ws_conn_t *c)
{
	if (c->busy->span == NULL) {
		return 0;
	}
	const uint8_t *p = c->busy->span;
	size_t n = c->busy->span_len;
	c->busy->span = NULL;
	c->busy->span_len = 0;
	return msg_append(c, p, n);
}

/*
 * The inflater for the compressed message that begins.  A client that keeps
 * its context keeps a private inflater for the connection's life.  Without
 * context takeover each message is a DEFLATE stream of its own, so the
 * server's shared inflater serves it, held from the message's first frame
 * to its last: a message may span many reads and frames, interleaved with
 * other connections' messages, and zlib's state for it must survive until
 * its end.  If another connection holds the shared inflater (its message is
 * still arriving), this message gets a private one, freed at its end.  An
 * idle connection thus holds no inflater, and the common case allocates
 * nothing per message.
 */
static int inflater_take(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	if (c->inflater != NULL) {
		return 0;
	}
	if (c->pmd.client_no_context_takeover && s->inflater_holder == NULL) {
		if (s->shared_inflater == NULL && (s->shared_inflater = ws_inflater_new()) == NULL) {
			return WS_ERR_NOMEM;
		}
		s->inflater_holder = c;
		c->inflater = s->shared_inflater;
		return 0;
	}
	return (c->inflater = ws_inflater_new()) == NULL ? WS_ERR_NOMEM : 0;
}

/*
 * Gives the inflater back once a message without context takeover has
 * ended (however it ended), or when the connection goes: the shared one is
 * reset for the next message, a private one is freed.  A kept context (the
 * client may take it over) survives until the connection goes.
 */
static void inflater_give_back(ws_conn_t *c, int gone)
{
	ws_server_t *s = c->server;
	if (c->inflater == NULL) {
		return;
	}
	if (s->inflater_holder == c) {
		ws_inflater_reset(c->inflater);
		s->inflater_holder = NULL;
	} else if (gone || c->pmd.client_no_context_takeover) {
		ws_inflater_free(c->inflater);
	} else {
		return;
	}
	c->inflater = NULL;
}

void ws__conn_inflater_drop(ws_conn_t *c)
{
	inflater_give_back(c, 1);
}

void ws__conn_msg_free(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	if (c->busy == NULL) {
		return;
	}
	if (c->msg_ext) {
		/* The handler's storage: the parser may still be writing a frame into it. */
		ws_frame_parser_forget_buffer(&c->busy->parser);
		s->mem -= c->busy->msg_cap;
		c->msg_ext = 0;
		s->h->message_free(s, c, c->busy->msg);
	} else {
		ws__mem_release(s, c->busy->msg, c->busy->msg_cap);
	}
	c->busy->msg = NULL;
	c->busy->msg_cap = 0;
	c->busy->msg_len = 0;
}

static int on_message_begin(void *user, ws_opcode_t opcode, int compressed)
{
	ws_conn_t *c = user;
	ws_server_t *s = c->server;
	if (c->msg_ext) {
		ws__conn_msg_free(c); /* not expected: every path out of a message frees it */
	}
	c->msg_binary = opcode == WS_OPCODE_BINARY;
	c->msg_compressed = (uint8_t)compressed;
	c->busy->msg_len = 0;
	c->busy->span = NULL;
	c->busy->span_len = 0;
	if (compressed) {
		int e = inflater_take(c);
		if (e != 0) {
			return e;
		}
		/* Inflated bytes are always copied: borrow the server's spare buffer for them. */
		if (c->busy->msg == NULL && s->spare_msg != NULL) {
			c->busy->msg = s->spare_msg;
			c->busy->msg_cap = s->spare_msg_cap;
			s->spare_msg = NULL;
			s->spare_msg_cap = 0;
		}
		c->busy->msg_inflated = 0;
		ws_utf8_init(&c->busy->msg_utf8);
	}
	return 0;
}

/* Receives inflated bytes of the current message: validate text at once, then keep. */
static int inflate_sink(void *user, const uint8_t *data, size_t len)
{
	ws_conn_t *c = user;
	if (!c->msg_binary && ws_utf8_feed(&c->busy->msg_utf8, data, len, NULL) != 0) {
		return WS_ERR_INVALID_UTF8;
	}
	return msg_append(c, data, len) == 0 ? 0 : WS_ERR_NOMEM;
}

/*
 * A large single-frame message: the handler may supply its storage, so that
 * the parser writes the payload there as it unmasks it and the handler gets
 * it without a copy (on_message_owned).  Counted against max_memory like a
 * reassembly buffer.  A header alone must not buy much memory: storage is
 * taken for a frame of up to WS_MSG_DIRECT_FREE bytes, or one whose sender
 * has already sent a quarter of it; larger frames are gathered as they
 * arrive, as before.  Nor is it taken past max_memory.
 */
static uint8_t *on_frame_buffer(void *user, uint64_t len, size_t in_hand)
{
	ws_conn_t *c = user;
	ws_server_t *s = c->server;
	if (c->state != ST_OPEN || s->h->message_alloc == NULL || len > SIZE_MAX / 4
		|| (len > WS_MSG_DIRECT_FREE && len > 4 * (uint64_t)in_hand)
		|| (s->cfg.max_memory != 0 && s->mem + len > s->cfg.max_memory)) {
		return NULL;
	}
	uint8_t *b = s->h->message_alloc(s, c, (size_t)len);
	if (b == NULL) {
		return NULL;
	}
	ws__conn_msg_free(c); /* a reassembly buffer kept from an earlier message */
	c->busy->msg = b;
	c->busy->msg_cap = (size_t)len;
	c->msg_ext = 1;
	s->mem += (size_t)len;
	return b;
}

static int on_message_data(void *user, const uint8_t *data, size_t len)
{
	ws_conn_t *c = user;
	if (c->state != ST_OPEN) {
		return 0; /* closing: nothing more is delivered */
	}
	if (c->msg_ext) {
		c->busy->msg_len += len; /* the parser wrote it in place */
		return 0;
	}
	if (c->msg_compressed) {
		c->server->metrics.compression_bytes[WS_MDIR_RECEIVED][WS_MFORM_COMPRESSED] += len;
		/* max_message_size applies to the inflated size, checked as it grows. */
		int e = ws_inflater_feed(c->inflater, data, len, 0, &c->busy->msg_inflated,
			c->server->cfg.max_message_size, inflate_sink, c);
		if (e != 0) {
			/* The connection fails: no more of this message will come. */
			inflater_give_back(c, 1);
		}
		return e;
	}
	if (c->busy->msg_len == 0 && c->busy->span == NULL) {
		c->busy->span = data;
		c->busy->span_len = len;
		return 0;
	}
	if (msg_keep_span(c) != 0 || msg_append(c, data, len) != 0) {
		return WS_ERR_NOMEM;
	}
	return 0;
}

static int on_message_end(void *user)
{
	ws_conn_t *c = user;
	ws_server_t *s = c->server;
	if (c->state != ST_OPEN) {
		c->busy->span = NULL;
		c->busy->msg_len = 0;
		if (c->msg_compressed) {
			inflater_give_back(c, 0);
		}
		if (c->msg_ext) {
			ws__conn_msg_free(c);
		}
		return 0;
	}
	if (c->msg_compressed) {
		int e = ws_inflater_feed(c->inflater, NULL, 0, 1, &c->busy->msg_inflated, s->cfg.max_message_size,
			inflate_sink, c);
		if (e == 0 && !c->msg_binary && !ws_utf8_is_complete(&c->busy->msg_utf8)) {
			e = WS_ERR_INVALID_UTF8;
		}
		inflater_give_back(c, e != 0);
		if (e != 0) {
			return e;
		}
		s->metrics.compression_bytes[WS_MDIR_RECEIVED][WS_MFORM_UNCOMPRESSED] += c->busy->msg_inflated;
	}
	const char *data = c->busy->span ? (const char *)c->busy->span : (const char *)c->busy->msg;
	size_t len = c->busy->span ? c->busy->span_len : c->busy->msg_len;
	if (data == NULL) {
		data = "";
	}
	s->metrics.messages_received[c->msg_binary]++;
	s->metrics.received_bytes[c->msg_binary] += len;
	c->t_data = (ws_stamp_t)ws_loop_now(s->loop);
	uint64_t t0 = s->mctl ? ws__mt_begin_sampled(s, &s->mctl->msg_iter) : 0;
	if (c->msg_ext) {
		/* The handler's own storage, filled: it takes it back. */
		s->mem -= c->busy->msg_cap;
		c->busy->msg = NULL;
		c->busy->msg_cap = 0;
		c->busy->msg_len = 0;
		c->msg_ext = 0;
		s->h->on_message_owned(s, c, (void *)data, len, c->msg_binary);
	} else {
		s->h->on_message(s, c, data, len, c->msg_binary);
	}
	ws__mt_end(&s->metrics.handler[WS_MEV_MESSAGE], t0);
	c->busy->span = NULL;
	c->busy->span_len = 0;
	c->busy->msg_len = 0;
	if (c->busy->msg_cap > WS_MSG_KEEP) {
		ws__mem_release(s, c->busy->msg, c->busy->msg_cap);
		c->busy->msg = NULL;
		c->busy->msg_cap = 0;
	} else if (c->msg_compressed && c->busy->msg != NULL) {
		/*
		 * An inflated message always lands in c->busy->msg: keeping it would cost
		 * every connection that ever sent one up to WS_MSG_KEEP.  It goes
		 * back to the server, where the next inflated message, on any
		 * connection, reuses it; if the server already has a spare (messages
		 * overlapped), it is freed.
		 */
		if (s->spare_msg == NULL) {
			s->spare_msg = c->busy->msg;
			s->spare_msg_cap = c->busy->msg_cap;
		} else {
			ws__mem_release(s, c->busy->msg, c->busy->msg_cap);
		}
		c->busy->msg = NULL;
		c->busy->msg_cap = 0;
	}
	if (s->breaking) {
		return WS_FRAME_PAUSE;
	}
	if (c->buffered >= s->cfg.max_buffered_amount / 2 && c->buffered > s->cfg.low_water_mark) {
		/* The peer sends faster than it reads: stop reading until the queue drains. */
		s->metrics.backpressure[WS_MBP_PAUSED]++;
		s->metrics.backpressure[WS_MBP_QUEUED] += !c->over_low_water;
		c->read_paused = 1;
		c->over_low_water = 1;
		return WS_FRAME_PAUSE;
	}
	return 0;
}

static int on_control(void *user, ws_opcode_t opcode, unsigned code, const uint8_t *reason, size_t reason_len)
{
	ws_conn_t *c = user;
	ws_server_t *s = c->server;
	switch (opcode) {
	case WS_OPCODE_PING:
		s->metrics.pings_received++;
		if (!c->close_sent && ws__queue_frame(c, WS_OPCODE_PONG, reason, reason_len) == 0) {
			s->metrics.pongs_sent++;
		}
		if (s->h->on_ping && c->state == ST_OPEN) {
			s->h->on_ping(s, c, (const char *)reason, reason_len, 0);
		}
		return 0;
	case WS_OPCODE_PONG:
		s->metrics.pongs_received++;
		c->ping_outstanding = 0;
		if (s->h->on_ping && c->state == ST_OPEN) {
			s->h->on_ping(s, c, (const char *)reason, reason_len, 1);
		}
		return 0;
	case WS_OPCODE_CLOSE:
		c->close_received = 1;
		c->close_code = (uint16_t)code;
		if (!c->close_sent) {
			/* Echo the status code, as RFC 6455 5.5.1 suggests. */
			uint8_t payload[2];
			size_t n = ws_frame_encode_close_payload(payload, code == WS_CLOSE_NO_STATUS ? 0 : code, NULL, 0);
			ws__queue_frame(c, WS_OPCODE_CLOSE, payload, n);
			c->close_sent = 1;
			c->t_close = (ws_stamp_t)ws_loop_now(s->loop);
		}
		c->state = ST_CLOSING;
		ws__conn_fire_close(c, code, (const char *)reason, reason_len);
		ws__conn_touch(c);
		return WS_FRAME_PAUSE;
	default:
		return 0;
	}
}

const ws_frame_callbacks_t ws__conn_frame_callbacks = {
	on_message_begin,
	on_message_data,
	on_message_end,
	on_control,
	on_frame_buffer
};

static void conn_protocol_error(ws_conn_t *c, int err)
{
	c->busy->span = NULL;
	if (c->msg_ext) {
		ws__conn_msg_free(c);
	}
	if (c->close_sent) {
		c->fail_fast = 1;
		ws__conn_fire_close(c, c->close_code, NULL, 0);
		ws__conn_touch(c);
		return;
	}
	const char *reason = ws_strerror(err);
	ws__conn_close_internal(c, (unsigned)ws_error_close_code(err), reason, strlen(reason), 1);
}

static void conn_save_rest(ws_conn_t *c, const uint8_t *buf, size_t len)
{
	uint8_t *r = ws__mem_alloc(c->server, len);
	if (r == NULL) {
		c->drop = 1;
		ws__conn_touch(c);
		return;
	}
	memcpy(r, buf, len);
	c->busy->rest = r;
	c->busy->rest_len = len;
}

/* Makes c->busy, with a parser set up for this connection: -1 when out of memory. */
static int conn_busy(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	ws_conn_busy_t *b = ws_malloc(sizeof(*b));
	if (b == NULL) {
		return -1;
	}
	memset(b, 0, sizeof(*b));
	ws_frame_config_t fc;
	memset(&fc, 0, sizeof(fc));
	fc.role = WS_ROLE_SERVER;
	fc.max_frame_size = s->cfg.max_frame_size;
	fc.max_message_size = s->cfg.max_message_size;
	fc.allow_rsv1 = c->pmd_on;
	ws_frame_parser_init(&b->parser, &fc, &ws__conn_frame_callbacks, c);
	c->busy = b;
	return 0;
}

/*
 * Gives c->busy back: with force always (the connection goes), else only
 * when nothing is in progress (between frames, no message open, no input
 * saved), which is when a fresh one is equivalent.
 */
void ws__conn_busy_release(ws_conn_t *c, int force)
{
	ws_conn_busy_t *b = c->busy;
	if (b == NULL) {
		return;
	}
	if (!force && (!ws_frame_parser_idle(&b->parser) || b->msg_len || b->span || b->rest)) {
		return;
	}
	if (c->msg_ext) {
		ws__conn_msg_free(c); /* the handler's storage goes back to the handler */
	} else {
		ws__mem_release(c->server, b->msg, b->msg_cap);
	}
	ws__mem_release(c->server, b->rest, b->rest_len);
	ws_frame_parser_release(&b->parser);
	ws_free(b);
	c->busy = NULL;
}

void ws__conn_feed(ws_conn_t *c, uint8_t *buf, size_t len)
{
	ws_server_t *s = c->server;
	if (c->busy == NULL && conn_busy(c) != 0) {
		c->drop = 1;
		ws__conn_touch(c);
		return;
	}
	while (len > 0 && (c->state == ST_OPEN || c->state == ST_CLOSING)) {
		if (c->close_received || c->fail_fast) {
			break; /* nothing after a close frame or a failure matters */
		}
		ssize_t n = ws_frame_parser_feed(&c->busy->parser, buf, len);
		if (n < 0) {
			conn_protocol_error(c, (int)n);
			return;
		}
		buf += n;
		len -= (size_t)n;
		if (len > 0 && (s->breaking || c->read_paused)) {
			if (msg_keep_span(c) != 0) {
				conn_protocol_error(c, WS_ERR_NOMEM);
				return;
			}
			conn_save_rest(c, buf, len);
			ws__conn_touch(c);
			return;
		}
	}
	/* A message still open must not point into a buffer about to be reused. */
	if (msg_keep_span(c) != 0) {
		conn_protocol_error(c, WS_ERR_NOMEM);
	}
	ws__conn_touch(c);
}

void ws__conn_process_rest(ws_conn_t *c)
{
	uint8_t *r = c->busy->rest;
	size_t n = c->busy->rest_len;
	c->busy->rest = NULL;
	c->busy->rest_len = 0;
	ws__conn_feed(c, r, n);
	ws__mem_release(c->server, r, n);
}

static void conn_got(ws_conn_t *c, ssize_t n, int first_read)
{
	ws_server_t *s = c->server;
	s->metrics.read_bytes += (uint64_t)n;
	if (first_read) {
		c->t_rx = (ws_stamp_t)ws_loop_now(s->loop);
		c->ping_outstanding = 0;
	}
}

/*
 * One read, fed to the parser.  Inside the payload of a large message that
 * has the handler's storage, the rest of the frame is received straight into
 * that storage (and whatever follows it into the read buffer, by the same
 * recvmsg), so the payload is written once and unmasked while still in cache.
 * The first read of an io event marks the connection alive before anything
 * is parsed.  Returns what the read returned.
 */
static ssize_t conn_read_feed(ws_conn_t *c, int first_read)
{
	ws_server_t *s = c->server;
	uint8_t *dst = NULL;
	size_t want = c->msg_ext && c->state == ST_OPEN ? ws_frame_parser_payload_dest(&c->busy->parser, &dst) : 0;
	ssize_t n;

	if (want == 0) {
		n = ws__conn_read(c, s->rbuf, WS_READ_CHUNK);
		if (n > 0) {
			conn_got(c, n, first_read);
			ws__conn_feed(c, s->rbuf, (size_t)n);
		}
		return n;
	}
	if (c->tls) {
		n = ws_tls_read(c->tls, dst, want);
		if (n > 0) {
			conn_got(c, n, first_read);
			ws__conn_feed(c, dst, (size_t)n);
		}
		return n;
	}
	struct iovec iov[2];
	struct msghdr mh;
	iov[0].iov_base = dst;
	iov[0].iov_len = want;
	iov[1].iov_base = s->rbuf;
	iov[1].iov_len = WS_READ_CHUNK;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	n = recvmsg(c->io.fd, &mh, 0);
	if (n <= 0) {
		return n;
	}
	conn_got(c, n, first_read);
	size_t first = (size_t)n < want ? (size_t)n : want;
	ws__conn_feed(c, dst, first);
	if ((size_t)n > first) {
		size_t more = (size_t)n - first;
		if ((s->breaking || c->read_paused) && (c->state == ST_OPEN || c->state == ST_CLOSING)
			&& !c->close_received && !c->fail_fast) {
			/* The message's end paused reading: keep what follows it for later. */
			conn_save_rest(c, s->rbuf, more);
			ws__conn_touch(c);
		} else {
			ws__conn_feed(c, s->rbuf, more);
		}
	}
	return n;
}

void ws__conn_read_frames(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	ssize_t n = conn_read_feed(c, 1);
	if (n > 0) {
		/*
		 * Decrypted bytes left inside the TLS layer will not make the socket
		 * readable again: take them now.
		 */
		for (int i = 0; i < 16 && c->tls && ws_tls_read_pending(c->tls) && !c->read_paused
			&& !s->breaking && (c->state == ST_OPEN || c->state == ST_CLOSING); i++) {
			if (conn_read_feed(c, 0) <= 0) {
				break;
			}
		}
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		return;
	}
	/* EOF or reset: 1006 unless a close frame was received or sent first. */
	ws__conn_teardown(c, (c->close_received || c->close_sent) ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
}

static void conn_read_linger(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	ssize_t n = ws__conn_read(c, s->rbuf, WS_READ_CHUNK);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) {
		return;
	}
	ws__conn_teardown(c, c->close_code ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
}

static void conn_tls_step(ws_conn_t *c)
{
	int r = ws_tls_handshake(c->tls);
	if (r < 0) {
		/*
		 * OpenSSL has written its alert to the socket.  Close gently (shut
		 * down our side, drain the peer) so that a reset does not overtake
		 * the alert; the rest is plain bytes now.
		 */
		ws_tls_conn_free(c->tls);
		c->tls = NULL;
		c->state = ST_RESPONDING;
		c->server->metrics.tls_failures[WS_MTLS_ERROR]++;
	} else if (r > 0) {
		c->server->metrics.tls_handshakes++;
		c->state = ST_HTTP;
		/* The request may already sit decrypted in the TLS layer. */
		ws__conn_read_head(c);
	}
	ws__conn_touch(c);
}

void ws__conn_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	ws_conn_t *c = io->data;
	ws_server_t *s = c->server;
	if (c->state == ST_DEAD || s->breaking) {
		return;
	}
	if (events & WS_IO_WRITE) {
		ws__conn_touch(c);
	}
	if (c->tls) {
		/* Readiness either way may unblock a TLS read that wanted to write. */
		events |= WS_IO_READ;
	}
	if (!(events & (WS_IO_READ | WS_IO_ERROR))) {
		return;
	}
	switch (c->state) {
	case ST_TLS:
		conn_tls_step(c);
		break;
	case ST_HTTP:
		ws__conn_read_head(c);
		break;
	case ST_OPEN:
	case ST_CLOSING:
		if (!c->read_paused) {
			ws__conn_read_frames(c);
		}
		break;
	case ST_LINGER:
	case ST_RESPONDING:
		conn_read_linger(c);
		break;
	default:
		break;
	}
}
