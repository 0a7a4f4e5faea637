/*
 * ws_bus.c - records over a stream socket between a supervisor and a worker
 * (see ws_bus.h and docs/PROCESS_MODEL.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_alloc.h"
#include "ws_bus.h"

#define WS_BUS_READ_MIN (64 * 1024)

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)v);
	put_u16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)get_u16(p) | ((uint32_t)get_u16(p + 2) << 16);
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap) {
		return 0;
	}
	size_t n = *cap ? *cap : 4096;
	while (n < need) {
		n *= 2;
	}
	uint8_t *p = ws_realloc(*buf, n);
	if (p == NULL) {
		return -1;
	}
	*buf = p;
	*cap = n;
	return 0;
}

static void link_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events);

int ws_bus_link_start(ws_bus_link_t *link, ws_loop_t *loop, int fd, size_t limit, size_t max_record,
	ws_bus_record_cb on_record, ws_bus_eof_cb on_eof, void *data)
{
	memset(link, 0, sizeof(*link));
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		return -1;
	}
	fl = fcntl(fd, F_GETFD);
	if (fl >= 0) {
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	link->loop = loop;
	link->fd = fd;
	link->limit = limit;
	link->max_record = max_record;
	link->on_record = on_record;
	link->on_eof = on_eof;
	link->data = data;
	return ws_io_start(loop, &link->io, fd, WS_IO_READ, link_io_cb, link);
}

static void link_free_buffers(ws_bus_link_t *link)
{
	ws_free(link->in);
	ws_free(link->out);
	link->in = link->out = NULL;
	link->in_len = link->in_cap = link->out_off = link->out_len = link->out_cap = 0;
}

void ws_bus_link_close(ws_bus_link_t *link)
{
	if (link->fd < 0) {
		return;
	}
	ws_io_stop(link->loop, &link->io);
	close(link->fd);
	link->fd = -1;
	if (link->dispatching) {
		link->closing = 1; /* the read loop frees the input buffer it is walking */
		ws_free(link->out);
		link->out = NULL;
		link->out_off = link->out_len = link->out_cap = 0;
		return;
	}
	link_free_buffers(link);
}

void ws_bus_link_abandon(ws_bus_link_t *link)
{
	if (link->fd >= 0) {
		close(link->fd);
	}
	link->fd = -1;
	link->io.active = 0;
	link_free_buffers(link);
}

size_t ws_bus_pending(const ws_bus_link_t *link)
{
	return link->out_len - link->out_off;
}

int ws_bus_send(ws_bus_link_t *link, unsigned type, const void *a, size_t alen,
	const void *b, size_t blen, const void *c, size_t clen)
{
	if (link->fd < 0) {
		return -1;
	}
	size_t body = 1 + alen + blen + clen;
	size_t pending = ws_bus_pending(link);
	if (body > UINT32_MAX || (link->limit && pending + 4 + body > link->limit && pending > 0)) {
		link->dropped++;
		link->over = 1;
		return -1;
	}
	if (link->out_off > 0 && link->out_off == link->out_len) {
		link->out_off = link->out_len = 0;
	}
	if (link->out_off > link->out_cap / 2) {
		/* Most of the buffer is already written: slide the rest down. */
		memmove(link->out, link->out + link->out_off, link->out_len - link->out_off);
		link->out_len -= link->out_off;
		link->out_off = 0;
	}
	if (grow(&link->out, &link->out_cap, link->out_len + 4 + body) != 0) {
		link->dropped++;
		return -1;
	}
	uint8_t *p = link->out + link->out_len;
	put_u32(p, (uint32_t)body);
	p[4] = (uint8_t)type;
	p += 5;
	if (alen) {
		memcpy(p, a, alen);
		p += alen;
	}
	if (blen) {
		memcpy(p, b, blen);
		p += blen;
	}
	if (clen) {
		memcpy(p, c, clen);
	}
	link->out_len += 4 + body;
	return 0;
}

int ws_bus_send_route(ws_bus_link_t *link, const ws_bus_route_t *r)
{
	uint8_t h[WS_BUS_ROUTE_HEAD + WS_BUS_ROUTE_EXT + 255];
	size_t hl = WS_BUS_ROUTE_HEAD;
	uint8_t flags = r->flags & (uint8_t)~WS_ROUTE_EXT;
	if (r->seq != 0 || r->id_len != 0) {
		if (r->id_len > 255) {
			return -1;
		}
		flags |= WS_ROUTE_EXT;
		put_u32(h + hl, (uint32_t)r->seq);
		put_u32(h + hl + 4, (uint32_t)(r->seq >> 32));
		put_u32(h + hl + 8, (uint32_t)r->time_ms);
		put_u32(h + hl + 12, (uint32_t)(r->time_ms >> 32));
		h[hl + 16] = (uint8_t)r->id_len;
		memcpy(h + hl + WS_BUS_ROUTE_EXT, r->id, r->id_len);
		hl += WS_BUS_ROUTE_EXT + r->id_len;
	}
	h[0] = r->kind;
	h[1] = flags;
	put_u16(h + 2, (uint16_t)r->origin);
	put_u32(h + 4, (uint32_t)r->except);
	put_u32(h + 8, (uint32_t)(r->except >> 32));
	put_u16(h + 12, (uint16_t)r->topic_len);
	return ws_bus_send(link, WS_BUS_ROUTE, h, hl, r->topic, r->topic_len, r->data, r->len);
}

void ws_bus_buf_put(ws_bus_buf_t *b, const void *data, size_t n)
{
	if (b->failed || n == 0) {
		return;
	}
	if (grow(&b->p, &b->cap, b->len + n) != 0) {
		b->failed = 1;
		return;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void ws_bus_buf_free(ws_bus_buf_t *b)
{
	ws_free(b->p);
	memset(b, 0, sizeof(*b));
}

int ws_bus_route_decode(const uint8_t *p, size_t len, ws_bus_route_t *out)
{
	if (len < WS_BUS_ROUTE_HEAD) {
		return -1;
	}
	out->kind = p[0];
	out->flags = p[1];
	out->origin = (int16_t)get_u16(p + 2);
	out->except = (uint64_t)get_u32(p + 4) | ((uint64_t)get_u32(p + 8) << 32);
	out->topic_len = get_u16(p + 12);
	size_t off = WS_BUS_ROUTE_HEAD;
	out->seq = out->time_ms = 0;
	out->id = NULL;
	out->id_len = 0;
	out->epoch = NULL;
	if (out->flags & WS_ROUTE_EXT) {
		if (len - off < WS_BUS_ROUTE_EXT) {
			return -1;
		}
		out->seq = (uint64_t)get_u32(p + off) | ((uint64_t)get_u32(p + off + 4) << 32);
		out->time_ms = (uint64_t)get_u32(p + off + 8) | ((uint64_t)get_u32(p + off + 12) << 32);
		out->id_len = p[off + 16];
		off += WS_BUS_ROUTE_EXT;
		if (len - off < out->id_len) {
			return -1;
		}
		out->id = (const char *)p + off;
		off += out->id_len;
	}
	if (out->topic_len > len - off) {
		return -1;
	}
	out->topic = (const char *)p + off;
	out->data = out->topic + out->topic_len;
	out->len = len - off - out->topic_len;
	return 0;
}

int ws_bus_send_presence(ws_bus_link_t *link, const ws_bus_presence_t *pr)
{
	uint8_t h[WS_BUS_PRESENCE_HEAD];
	h[0] = pr->op;
	h[1] = 0;
	put_u16(h + 2, (uint16_t)pr->worker);
	put_u16(h + 4, (uint16_t)pr->fire_on);
	put_u32(h + 6, (uint32_t)pr->conn);
	put_u32(h + 10, (uint32_t)(pr->conn >> 32));
	put_u32(h + 14, (uint32_t)pr->node);
	put_u32(h + 18, (uint32_t)(pr->node >> 32));
	put_u16(h + 22, (uint16_t)pr->topic_len);
	return ws_bus_send(link, WS_BUS_PRESENCE, h, sizeof(h), pr->topic, pr->topic_len, pr->info, pr->info_len);
}

int ws_bus_presence_decode(const uint8_t *p, size_t len, ws_bus_presence_t *out)
{
	if (len < WS_BUS_PRESENCE_HEAD) {
		return -1;
	}
	out->op = p[0];
	out->worker = (int16_t)get_u16(p + 2);
	out->fire_on = (int16_t)get_u16(p + 4);
	out->conn = (uint64_t)get_u32(p + 6) | ((uint64_t)get_u32(p + 10) << 32);
	out->node = (uint64_t)get_u32(p + 14) | ((uint64_t)get_u32(p + 18) << 32);
	out->topic_len = get_u16(p + 22);
	if (out->topic_len > len - WS_BUS_PRESENCE_HEAD) {
		return -1;
	}
	out->topic = (const char *)p + WS_BUS_PRESENCE_HEAD;
	out->info = out->topic + out->topic_len;
	out->info_len = len - WS_BUS_PRESENCE_HEAD - out->topic_len;
	return 0;
}

void ws_bus_flush(ws_bus_link_t *link)
{
	while (link->fd >= 0 && link->out_off < link->out_len) {
		ssize_t w = send(link->fd, link->out + link->out_off, link->out_len - link->out_off, MSG_NOSIGNAL);
		if (w > 0) {
			link->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		/* The other end is gone: reading will see EOF and report it. */
		link->out_off = link->out_len = 0;
		break;
	}
	if (link->fd < 0) {
		return;
	}
	if (link->out_off == link->out_len) {
		link->out_off = link->out_len = 0;
		link->over = 0;
		if (link->out_cap > 1024 * 1024) {
			/* A burst grew it: give the memory back. */
			ws_free(link->out);
			link->out = NULL;
			link->out_cap = 0;
		}
	}
	ws_io_set(link->loop, &link->io, WS_IO_READ | (link->out_off < link->out_len ? WS_IO_WRITE : 0));
}

int ws_bus_drain_sync(ws_bus_link_t *link, int timeout_ms)
{
	while (link->fd >= 0 && ws_bus_pending(link) > 0) {
		ws_bus_flush(link);
		if (ws_bus_pending(link) == 0) {
			break;
		}
		struct pollfd pfd = { link->fd, POLLOUT, 0 };
		if (poll(&pfd, 1, timeout_ms) <= 0) {
			return -1;
		}
	}
	return ws_bus_pending(link) == 0 ? 0 : -1;
}

/* Hands out every whole record in the input buffer.  -1 if the link ended meanwhile or a record is malformed. */
static int link_dispatch(ws_bus_link_t *link)
{
	size_t off = 0;
	int rc = 0;
	link->dispatching = 1;
	while (link->in_len - off >= 5) {
		uint32_t body = get_u32(link->in + off);
		if (body == 0 || (link->max_record && body > link->max_record)) {
			rc = -1;
			break;
		}
		if (link->in_len - off - 4 < body) {
			break;
		}
		link->on_record(link, link->in[off + 4], link->in + off + 5, body - 1);
		off += 4 + (size_t)body;
		if (link->closing || link->fd < 0) {
			rc = -1;
			break;
		}
	}
	link->dispatching = 0;
	if (link->closing) {
		link->closing = 0;
		ws_free(link->in);
		link->in = NULL;
		link->in_len = link->in_cap = 0;
		return -1;
	}
	if (off > 0) {
		memmove(link->in, link->in + off, link->in_len - off);
		link->in_len -= off;
	}
	return rc;
}

static void link_read(ws_bus_link_t *link)
{
	for (int rounds = 0; rounds < 16 && link->fd >= 0; rounds++) {
		size_t want = link->in_len + WS_BUS_READ_MIN;
		if (link->in_len >= 4) {
			size_t rec = 4 + (size_t)get_u32(link->in);
			if (rec > want && (!link->max_record || rec <= link->max_record + 4)) {
				want = rec;
			}
		}
		if (grow(&link->in, &link->in_cap, want) != 0) {
			goto gone;
		}
		ssize_t n = recv(link->fd, link->in + link->in_len, link->in_cap - link->in_len, 0);
		if (n > 0) {
			link->in_len += (size_t)n;
			if (link_dispatch(link) != 0) {
				goto gone;
			}
			if ((size_t)n < WS_BUS_READ_MIN) {
				break;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			break;
		}
		goto gone;
	}
	if (link->in_len == 0 && link->in_cap > 1024 * 1024) {
		ws_free(link->in);
		link->in = NULL;
		link->in_cap = 0;
	}
	return;
gone:
	if (link->fd >= 0) {
		/* Closed here, not by a callback of the user's: tell the user. */
		ws_bus_link_close(link);
		if (link->on_eof) {
			link->on_eof(link);
		}
	}
}

int ws_bus_wait_sync(ws_bus_link_t *link, int timeout_ms, const int *done)
{
	if (link->dispatching) {
		return -1;
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (link->fd >= 0 && !*done) {
		ws_bus_flush(link);
		clock_gettime(CLOCK_MONOTONIC, &t);
		long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= timeout_ms) {
			return -1;
		}
		struct pollfd pfd = { link->fd, (short)(POLLIN | (ws_bus_pending(link) ? POLLOUT : 0)), 0 };
		int r = poll(&pfd, 1, (int)(timeout_ms - spent));
		if (r < 0 && errno != EINTR) {
			return -1;
		}
		if (r > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP))) {
			link_read(link);
		}
	}
	return *done ? 0 : -1;
}

static void link_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	ws_bus_link_t *link = io->data;
	(void)loop;
	if (events & WS_IO_WRITE) {
		ws_bus_flush(link);
	}
	if (link->fd >= 0 && (events & (WS_IO_READ | WS_IO_ERROR))) {
		link_read(link);
	}
}
