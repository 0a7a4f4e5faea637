/*
 * ws_redis.h - drives a hiredis asynchronous context from our event loop
 * (core/ws_loop.h), in the shape of hiredis's own adapters (libevent.h, libuv.h): the
 * addRead/delRead/addWrite/delWrite/cleanup hooks map to one ws_io_t, and
 * one ws_timer_t serves the caller's connect and command timeouts (hiredis
 * 0.14 has no timer hook; 1.x's is not needed).  Only with WS_HAVE_HIREDIS.
 */
#ifndef WS_REDIS_H
#define WS_REDIS_H

#ifdef WS_HAVE_HIREDIS

#include <stdint.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ws_loop.h"

/* The caller's deadline passed (see ws_redis_deadline()).  Not called from inside hiredis. */
typedef void (*ws_redis_timeout_cb)(redisAsyncContext *ac, void *arg);

/*
 * Attaches ac (fresh from redisAsyncConnect*, without error) to loop.  The
 * adapter state lives until hiredis calls cleanup (when ac is freed).
 * Returns 0, or -1 if something is already attached or out of memory.
 */
int ws_redis_attach(redisAsyncContext *ac, ws_loop_t *loop, ws_redis_timeout_cb on_timeout, void *arg);
/* Arms (deadline_ms on ws_loop_now()'s clock) or disarms (0) the timeout of ac. */
void ws_redis_deadline(redisAsyncContext *ac, uint64_t deadline_ms);
/* In a forked child: from now on cleanup leaves the (parent's) loop alone. */
void ws_redis_abandon(redisAsyncContext *ac);
/* Bytes hiredis holds for Redis (its output buffer). */
size_t ws_redis_pending(const redisAsyncContext *ac);

#endif
#endif
