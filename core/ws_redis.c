/*
 * ws_redis.c - the hiredis adapter for our event loop (see ws_redis.h).
 *
 * hiredis calls the hooks when it wants to read or write; we translate them
 * into the watched events of one ws_io_t.  The only subtle part is
 * lifetime: hiredis may free the context (and call cleanup) from inside
 * redisAsyncHandleRead(), i.e. from inside our io callback, so the adapter
 * state is freed only once that callback has returned.
 */
#ifdef WS_HAVE_HIREDIS

#include <string.h>
#include <hiredis/sds.h>

#include "ws_alloc.h"
#include "ws_redis.h"

typedef struct ws_redis_ev {
	redisAsyncContext *ac;   /* NULL once hiredis has cleaned up */
	ws_loop_t *loop;
	ws_io_t io;
	ws_timer_t timer;
	unsigned want;           /* WS_IO_READ | WS_IO_WRITE */
	int in_cb;               /* inside io_cb: defer the free */
	int abandoned;
	ws_redis_timeout_cb on_timeout;
	void *arg;
} ws_redis_ev_t;

static void io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events);

static void ev_update(ws_redis_ev_t *e, unsigned want)
{
	if (e->abandoned || e->ac == NULL || want == e->want) {
		return;
	}
	e->want = want;
	if (want == 0) {
		ws_io_stop(e->loop, &e->io);
	} else if (!e->io.active) {
		ws_io_start(e->loop, &e->io, e->ac->c.fd, want, io_cb, e);
	} else {
		ws_io_set(e->loop, &e->io, want);
	}
}

static void add_read(void *p)
{
	ws_redis_ev_t *e = p;
	ev_update(e, e->want | WS_IO_READ);
}

static void del_read(void *p)
{
	ws_redis_ev_t *e = p;
	ev_update(e, e->want & ~WS_IO_READ);
}

static void add_write(void *p)
{
	ws_redis_ev_t *e = p;
	ev_update(e, e->want | WS_IO_WRITE);
}

static void del_write(void *p)
{
	ws_redis_ev_t *e = p;
	ev_update(e, e->want & ~WS_IO_WRITE);
}

static void cleanup(void *p)
{
	ws_redis_ev_t *e = p;
	if (!e->abandoned) {
		ws_io_stop(e->loop, &e->io);
		ws_timer_stop(e->loop, &e->timer);
	}
	e->ac = NULL;
	if (!e->in_cb) {
		ws_free(e);
	}
}

static void io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	ws_redis_ev_t *e = io->data;
	(void)loop;
	e->in_cb = 1;
	/* An error or hang-up is reported as READ: hiredis then sees the EOF or error itself. */
	if (e->ac && (events & (WS_IO_READ | WS_IO_ERROR))) {
		redisAsyncHandleRead(e->ac);
	}
	if (e->ac && (events & WS_IO_WRITE)) {
		redisAsyncHandleWrite(e->ac);
	}
	e->in_cb = 0;
	if (e->ac == NULL) {
		ws_free(e);
	}
}

static void timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_redis_ev_t *e = t->data;
	(void)loop;
	if (e->ac && e->on_timeout) {
		e->on_timeout(e->ac, e->arg);
	}
}

int ws_redis_attach(redisAsyncContext *ac, ws_loop_t *loop, ws_redis_timeout_cb on_timeout, void *arg)
{
	if (ac->ev.data != NULL) {
		return -1;
	}
	ws_redis_ev_t *e = ws_malloc(sizeof(*e));
	if (e == NULL) {
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->ac = ac;
	e->loop = loop;
	e->on_timeout = on_timeout;
	e->arg = arg;
	e->io.cb = io_cb;
	ws_timer_init(&e->timer, timer_cb, e);
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	ac->ev.data = e;
	/* The connect is in progress: writability says it finished (hiredis checks SO_ERROR). */
	e->want = WS_IO_READ | WS_IO_WRITE;
	if (ws_io_start(loop, &e->io, ac->c.fd, e->want, io_cb, e) != 0) {
		ac->ev.data = NULL;
		ac->ev.cleanup = NULL;
		ws_free(e);
		return -1;
	}
	return 0;
}

void ws_redis_deadline(redisAsyncContext *ac, uint64_t deadline_ms)
{
	ws_redis_ev_t *e = ac->ev.data;
	if (e == NULL || e->abandoned) {
		return;
	}
	if (deadline_ms) {
		ws_timer_start(e->loop, &e->timer, deadline_ms);
	} else {
		ws_timer_stop(e->loop, &e->timer);
	}
}

void ws_redis_abandon(redisAsyncContext *ac)
{
	ws_redis_ev_t *e = ac->ev.data;
	if (e) {
		e->abandoned = 1;
	}
}

size_t ws_redis_pending(const redisAsyncContext *ac)
{
	return ac->c.obuf ? sdslen(ac->c.obuf) : 0;
}

#endif
