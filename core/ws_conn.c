/*
 * ws_conn.c - connection life: creation after accept, the accessors of the
 * public contract, the open list, per-address counts, closing (close
 * handshake, on_close exactly once), teardown, and the end-of-iteration
 * "settle" that writes, re-evaluates backpressure and decides what to watch.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, pipe2 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_metrics_int.h"

static void conn_free_memory(ws_conn_t *c);
static int conn_touched_reserve(ws_server_t *s, size_t n);

/*
 * Every socket costs one of these, idle ones included: 312 bytes on x86-64,
 * in the allocator's 320-byte size class (issue 19: at most 400 B of server
 * memory per idle connection).  Growing it past that class is a decision,
 * not an accident: move what only some phases need to a side struct.
 */
_Static_assert(sizeof(void *) != 8 || sizeof(struct ws_conn) <= 320, "ws_conn grew past 320 bytes (see above)");

static size_t addr_key(const ws_sockaddr_t *a, uint8_t out[16])
{
	if (a->sa.sa_family == AF_INET6) {
		memcpy(out, &a->in6.sin6_addr, 16);
		/* An IPv4-mapped address counts as the IPv4 address. */
		static const uint8_t mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
		if (memcmp(out, mapped, 12) == 0) {
			memmove(out, out + 12, 4);
			return 4;
		}
		return 16;
	}
	memcpy(out, &a->in4.sin_addr, 4);
	return 4;
}

static void per_ip_release(ws_conn_t *c)
{
	if (!c->counted_ip) {
		return;
	}
	uint8_t key[16];
	size_t n = addr_key(&c->peer, key);
	ws_map_entry_t *e = ws_map_find(&c->server->per_ip, key, n);
	if (e) {
		uintptr_t v = (uintptr_t)e->value - 1;
		if (v == 0) {
			ws_map_remove(&c->server->per_ip, key, n);
		} else {
			e->value = (void *)v;
		}
	}
	c->counted_ip = 0;
}

ws_conn_t *ws__conn_new(ws_server_t *s, int fd, const ws_sockaddr_t *peer, ws_tls_ctx_t *tls)
{
	ws_conn_t *c = ws_malloc(sizeof(*c));
	if (c == NULL) {
		close(fd);
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->server = s;
	c->peer = *peer;
	c->state = ST_HTTP;
	if (tls) {
		if ((c->tls = ws_tls_conn_new(tls, fd)) == NULL) {
			goto fail;
		}
		c->state = ST_TLS;
	}
	c->t_created = c->t_rx = c->t_data = (ws_stamp_t)ws_loop_now(s->loop);
	if ((c->http = ws_malloc(sizeof(*c->http))) == NULL) {
		goto fail;
	}
	memset(c->http, 0, sizeof(*c->http));
	c->http->t_accept_ns = ws_loop_wake_ns(s->loop);
	if (s->nconns + 1 > s->touched_cap && conn_touched_reserve(s, s->nconns + 1) != 0) {
		goto fail;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ws_io_start(s->loop, &c->io, fd, WS_IO_READ, ws__conn_io_cb, c) != 0) {
		goto fail;
	}
	c->id = s->next_conn_id++;
	ws_timer_init(&c->timer, ws__conn_timer_cb, c);
	c->next = s->conns;
	if (s->conns) {
		s->conns->prev = c;
	}
	s->conns = c;
	s->nconns++;
	ws__conn_arm_timer(c);
	return c;

fail:
	ws_free(c->http);
	ws_tls_conn_free(c->tls);
	close(fd);
	ws_free(c);
	return NULL;
}

/* Room in the touched list for n connections (see ws_server_int.h). */
static int conn_touched_reserve(ws_server_t *s, size_t n)
{
	size_t cap = s->touched_cap ? s->touched_cap : 64;
	while (cap < n) {
		cap *= 2;
	}
	ws_conn_t **t = ws_realloc(s->touched, cap * sizeof(*t));
	if (t == NULL) {
		return -1;
	}
	s->touched = t;
	s->touched_cap = cap;
	return 0;
}

ws_server_t *ws_conn_server(const ws_conn_t *c)
{
	return c->server;
}

void *ws_conn_user(const ws_conn_t *c)
{
	return c->user;
}

void ws_conn_set_user(ws_conn_t *c, void *user)
{
	c->user = user;
}

uint64_t ws_conn_id(const ws_conn_t *c)
{
	return c->id;
}

size_t ws_conn_remote_address(const ws_conn_t *c, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	int n;
	if (c->peer.sa.sa_family == AF_INET6) {
		const uint8_t *b = (const uint8_t *)&c->peer.in6.sin6_addr;
		static const uint8_t mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
		if (memcmp(b, mapped, 12) == 0) {
			inet_ntop(AF_INET, b + 12, ip, sizeof(ip));
			n = snprintf(out, cap, "%s:%u", ip, ntohs(c->peer.in6.sin6_port));
		} else {
			inet_ntop(AF_INET6, b, ip, sizeof(ip));
			n = snprintf(out, cap, "[%s]:%u", ip, ntohs(c->peer.in6.sin6_port));
		}
	} else {
		inet_ntop(AF_INET, &c->peer.in4.sin_addr, ip, sizeof(ip));
		n = snprintf(out, cap, "%s:%u", ip, ntohs(c->peer.in4.sin_port));
	}
	return n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
}

static const char ws__root_path[] = "/";

ws_span_t ws_conn_path(const ws_conn_t *c)
{
	ws_span_t sp = { ws__root_path, 1 };
	if (c->names && c->names->path_len) {
		sp.ptr = c->names->bytes;
		sp.len = c->names->path_len;
	}
	return sp;
}

ws_span_t ws_conn_subprotocol(const ws_conn_t *c)
{
	ws_span_t sp = { NULL, 0 };
	if (c->http && c->http->subprotocol) {
		sp.ptr = c->http->subprotocol; /* chosen, not yet sent: during the handshake */
		sp.len = c->http->subprotocol_len;
	} else if (c->names && c->names->subprotocol_len) {
		sp.ptr = c->names->bytes + c->names->path_len;
		sp.len = c->names->subprotocol_len;
	}
	return sp;
}

ws_span_t ws_conn_extensions(const ws_conn_t *c)
{
	ws_span_t sp = { NULL, 0 };
	if (c->pmd_on) {
		sp.ptr = "permessage-deflate";
		sp.len = 18;
	}
	return sp;
}

int ws_conn_is_secure(const ws_conn_t *c)
{
	return c->tls != NULL;
}

size_t ws_conn_tls_subject(const ws_conn_t *c, char *out, size_t cap)
{
	return c->tls ? ws_tls_peer_subject(c->tls, out, cap) : 0;
}

int ws_conn_is_open(const ws_conn_t *c)
{
	/* A connection the backpressure policy is about to close is not open any more. */
	return c->state == ST_OPEN && !c->bp_close;
}

size_t ws_conn_buffered_amount(const ws_conn_t *c)
{
	return c->buffered;
}

void ws__open_list_add(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	c->open_prev = s->open_tail;
	c->open_next = NULL;
	if (s->open_tail) {
		s->open_tail->open_next = c;
	} else {
		s->open_head = c;
	}
	s->open_tail = c;
	s->nopen++;
}

static void open_list_remove(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	if (c->open_prev) {
		c->open_prev->open_next = c->open_next;
	} else {
		s->open_head = c->open_next;
	}
	if (c->open_next) {
		c->open_next->open_prev = c->open_prev;
	} else {
		s->open_tail = c->open_prev;
	}
	c->open_prev = c->open_next = NULL;
	s->nopen--;
}

size_t ws_server_count(const ws_server_t *s)
{
	return s->nopen;
}

ws_conn_t *ws_server_first(ws_server_t *s)
{
	return s->open_head;
}

ws_conn_t *ws_server_next(ws_conn_t *c)
{
	return c->open_next;
}

ws_conn_t *ws_server_first_socket(ws_server_t *s)
{
	return s->conns;
}

ws_conn_t *ws_server_next_socket(ws_conn_t *c)
{
	return c->next;
}

void ws__conn_fire_close(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len)
{
	ws_server_t *s = c->server;
	if (c->close_fired) {
		return;
	}
	c->close_fired = 1;
	if (!c->opened) {
		return; /* plain HTTP or a refused handshake: not a WebSocket close */
	}
	/* Who started it: our close frame went first, or we dropped the socket before any close frame arrived. */
	int side = c->close_by_server || (c->drop && !c->close_received) ? WS_MSIDE_SERVER : WS_MSIDE_PEER;
	s->metrics.closes[side][ws_metrics_close_index(code)]++;
	if (c->open_prev || c->open_next || s->open_head == c) {
		open_list_remove(c);
	}
	/* A closed connection has left its topics and presences before anyone hears of it. */
	ws__topics_leave_all(c);
	ws__replica_conn_gone(c);
	if (s->h->on_close) {
		uint64_t t0 = ws__mt_begin(s);
		s->h->on_close(s, c, code, reason ? reason : "", reason ? reason_len : 0);
		ws__mt_end(&s->metrics.handler[WS_MEV_CLOSE], t0);
	}
}

void ws__conn_close_internal(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len, int fail_fast)
{
	if (c->state != ST_OPEN && c->state != ST_CLOSING) {
		return;
	}
	if (fail_fast) {
		c->fail_fast = 1;
	}
	if (c->close_sent) {
		return;
	}
	uint8_t payload[WS_CONTROL_PAYLOAD_MAX];
	size_t n = ws_frame_encode_close_payload(payload, code, reason, reason_len);
	ws__queue_frame(c, WS_OPCODE_CLOSE, payload, n);
	c->close_sent = 1;
	if (!c->close_received) {
		c->close_code = (uint16_t)code;
		c->close_by_server = 1;
	}
	c->state = ST_CLOSING;
	c->t_close = (ws_stamp_t)ws_loop_now(c->server->loop);
	/* Nothing more is delivered; stop watching for messages we would drop anyway once failed. */
	ws__conn_arm_timer(c);
	ws__conn_touch(c);
	if (c->close_received || c->fail_fast) {
		/* The handshake is complete (or abandoned): report it now. */
		ws__conn_fire_close(c, c->close_code ? c->close_code : code,
			c->close_received ? NULL : reason, c->close_received ? 0 : reason_len);
	}
}

void ws_conn_close(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len)
{
	if (c->state == ST_TLS || c->state == ST_HTTP || c->state == ST_RESPONDING) {
		/* Not upgraded yet: just drop the socket once what is queued is out. */
		c->state = ST_RESPONDING;
		ws__conn_touch(c);
		return;
	}
	ws__conn_close_internal(c, code, reason, reason_len, 0);
}

/* Unlinks the connection from everything, closes the socket, fires on_close if owed. */

void ws__conn_teardown(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len)
{
	if (c->state == ST_DEAD) {
		return;
	}
	/* Dead first: in its close handler the connection is closed to every API. */
	c->state = ST_DEAD;
	ws__conn_fire_close(c, code, reason, reason_len);
	ws__conn_release(c);
}

/*
 * The second half of a teardown: the socket, the memory, the links.  Apart
 * so that ws_server_free() can finish a teardown that a close handler cut
 * short (PHP bails out of a handler with a longjmp on a fatal error, e.g.
 * when the CLI's stdout is gone).
 */
void ws__conn_release(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	ws__topics_leave_all(c);
	ws__replica_conn_gone(c);
	per_ip_release(c);
	ws_io_stop(s->loop, &c->io);
	ws_tls_conn_free(c->tls);
	c->tls = NULL;
	close(c->io.fd);
	ws_timer_stop(s->loop, &c->timer);
	if (s->h->on_free) {
		s->h->on_free(s, c);
	}
	conn_free_memory(c);
	/* unlink from all sockets */
	if (c->prev) {
		c->prev->next = c->next;
	} else {
		s->conns = c->next;
	}
	if (c->next) {
		c->next->prev = c->prev;
	}
	s->nconns--;
	/* The loop may still hold a pointer to c->io in this iteration. */
	c->next = s->dead;
	c->prev = NULL;
	s->dead = c;
	if (s->stopping) {
		ws__server_finish_stop_if_done(s);
	}
}

static void conn_free_memory(ws_conn_t *c)
{
	ws__queue_free(c);
	ws__conn_http_free(c);
	ws__conn_busy_release(c, 1);
	ws_free(c->names);
	c->names = NULL;
	ws_free(c->subs);
	c->subs = NULL;
	ws__conn_inflater_drop(c);
	ws_deflater_free(c->deflater);
	c->deflater = NULL;
}

void ws__conn_touch(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	if (!c->touched && c->state != ST_DEAD) {
		if (s->ntouched == s->touched_cap) {
			/* Only while settling, which re-touches: drop the settled prefix. */
			memmove(s->touched, s->touched + s->touched_done, (s->ntouched - s->touched_done) * sizeof(*s->touched));
			s->ntouched -= s->touched_done;
			s->touched_done = 0;
		}
		c->touched = 1;
		s->touched[s->ntouched++] = c;
	}
}

static void conn_begin_linger(ws_conn_t *c)
{
	/*
	 * Shut down our direction only and read until the peer closes, so that
	 * unread input does not make the kernel answer with a reset that could
	 * destroy our last bytes before the peer reads them.
	 */
	if (c->tls) {
		ws_tls_shutdown(c->tls);
	}
	shutdown(c->io.fd, SHUT_WR);
	c->shut_wr = 1;
	c->state = ST_LINGER;
	c->t_close = (ws_stamp_t)ws_loop_now(c->server->loop);
	ws_timer_stop(c->server->loop, &c->timer);
	ws__conn_arm_timer(c);
}

/*
 * End-of-iteration work for one connection: write, then decide what to
 * watch, whether to resume reading, whether to close.
 */
static void conn_settle(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	if (c->state == ST_DEAD) {
		return;
	}
	if (c->drop) {
		ws__conn_teardown(c, c->close_sent ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
		return;
	}
	if (c->bp_close) {
		c->bp_close = 0;
		s->metrics.backpressure[WS_MBP_CLOSED] += !c->close_sent;
		ws__conn_close_internal(c, WS_CLOSE_POLICY_VIOLATION, "send buffer limit exceeded", 26, 1);
		if (c->state == ST_DEAD) {
			return;
		}
	}
	if (ws__conn_flush(c) != 0) {
		ws__conn_teardown(c, c->close_sent ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
		return;
	}
	/* Backpressure bookkeeping. */
	if (c->buffered > s->cfg.low_water_mark) {
		s->metrics.backpressure[WS_MBP_QUEUED] += !c->over_low_water;
		c->over_low_water = 1;
	} else if (c->over_low_water) {
		c->over_low_water = 0;
		/*
		 * The drain event first, while the backlog is what it reports: the
		 * input saved while reading was paused may be answered with more
		 * than low_water_mark, which will owe a drain of its own.
		 */
		if (c->state == ST_OPEN && s->h->on_drain) {
			uint64_t t0 = ws__mt_begin(s);
			s->h->on_drain(s, c);
			ws__mt_end(&s->metrics.handler[WS_MEV_DRAIN], t0);
			if (c->state == ST_DEAD) {
				return;
			}
		}
		if (c->read_paused) {
			c->read_paused = 0;
			if (c->busy && c->busy->rest_len) {
				ws__conn_process_rest(c);
				if (c->state == ST_DEAD) {
					return;
				}
			}
			if (c->tls && !c->read_paused && ws_tls_read_pending(c->tls)
				&& (c->state == ST_OPEN || c->state == ST_CLOSING)) {
				/* Decrypted bytes waiting inside TLS will not wake the loop. */
				ws__conn_read_frames(c);
				if (c->state == ST_DEAD) {
					return;
				}
			}
		}
		if (c->seg_count && ws__conn_flush(c) != 0) {
			ws__conn_teardown(c, c->close_sent ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
			return;
		}
	}
	if (ws__conn_out_empty(c)) {
		if (c->state == ST_RESPONDING) {
			conn_begin_linger(c);
		} else if (c->state == ST_CLOSING && c->close_sent && (c->close_received || c->fail_fast)) {
			conn_begin_linger(c);
		}
	}
	unsigned want = 0;
	if (!ws__conn_out_empty(c)) {
		want |= WS_IO_WRITE;
	}
	if (!c->read_paused && c->state != ST_RESPONDING) {
		want |= WS_IO_READ;
	}
	if (c->state == ST_RESPONDING && ws__conn_out_empty(c)) {
		want |= WS_IO_READ;
	}
	if (c->tls) {
		/* A TLS read may need the socket writable, and a write readable. */
		want |= ws_tls_wants(c->tls);
	}
	ws_io_set(s->loop, &c->io, want);
}

void ws__server_settle_touched(ws_server_t *s)
{
	/* Settling may touch other connections (a drain handler broadcasting): loop until quiet. */
	while (s->touched_done < s->ntouched) {
		ws_conn_t *c = s->touched[s->touched_done++];
		c->touched = 0;
		conn_settle(c);
	}
	s->ntouched = s->touched_done = 0;
}

void ws__server_free_dead(ws_server_t *s)
{
	while (s->dead) {
		ws_conn_t *c = s->dead;
		s->dead = c->next;
		ws_free(c);
	}
}

size_t ws__per_ip_count(ws_conn_t *c)
{
	uint8_t key[16];
	size_t n = addr_key(&c->peer, key);
	ws_map_entry_t *e = ws_map_find(&c->server->per_ip, key, n);
	return e ? (size_t)(uintptr_t)e->value : 0;
}

void ws__per_ip_acquire(ws_conn_t *c)
{
	uint8_t key[16];
	size_t n = addr_key(&c->peer, key);
	ws_map_entry_t *e = ws_map_upsert(&c->server->per_ip, key, n, NULL);
	if (e) {
		e->value = (void *)((uintptr_t)e->value + 1);
		c->counted_ip = 1;
	}
}
