/*
 * ws_loop.h - the event loop: readiness of file descriptors and timers.
 *
 * Backends: epoll (Linux), kqueue (BSD, macOS), poll() everywhere else.
 * Defining WS_LOOP_FORCE_POLL at build time (configure
 * --enable-websocket-poll) selects poll() even where a better backend exists,
 * so the fallback stays tested.  Never select(): it cannot watch descriptors
 * above FD_SETSIZE (1024).
 *
 * Watches are level-triggered: an fd watched for WS_IO_READ is reported on
 * every iteration while it has unread data.  All timers live in one binary
 * min-heap keyed by absolute deadline in milliseconds of the loop's
 * monotonic clock; a timer is a caller-owned struct (typically embedded in a
 * connection), so starting or moving one never allocates.
 *
 * Ownership: the loop never owns ws_io_t or ws_timer_t memory.  A watch
 * stopped with ws_io_stop() during ws_loop_run_once() is not reported again
 * in that iteration, but its memory must stay valid until ws_loop_run_once()
 * returns (free it afterwards).
 */
#ifndef WS_LOOP_H
#define WS_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define WS_IO_READ  0x1u
#define WS_IO_WRITE 0x2u
#define WS_IO_ERROR 0x4u  /* reported only: hang-up or error on the fd (also reported as READ) */
/*
 * Given to ws_io_start() with WS_IO_READ: a watch shared by several
 * processes (a listening socket inherited by workers) wakes one of them, not
 * all (EPOLLEXCLUSIVE; other backends ignore it).  Such a watch cannot be
 * changed with ws_io_set(), only stopped and started again.
 */
#define WS_IO_EXCLUSIVE 0x8u

typedef struct ws_loop ws_loop_t;
typedef struct ws_io ws_io_t;
typedef struct ws_timer ws_timer_t;

/* events: WS_IO_* bits that are ready. */
typedef void (*ws_io_cb)(ws_loop_t *loop, ws_io_t *io, unsigned events);
typedef void (*ws_timer_cb)(ws_loop_t *loop, ws_timer_t *timer);

struct ws_io {
	int fd;
	uint16_t events;       /* WS_IO_READ | WS_IO_WRITE currently watched (read-only for users) */
	/* private */
	uint8_t active;
	uint8_t flags;         /* WS_IO_EXCLUSIVE */
	ws_io_cb cb;
	void *data;            /* the user's */
	int index;             /* poll backend: slot in the pollfd array */
	/*
	 * Low 32 bits of the loop iteration that started it: events fetched
	 * before are stale.  (Equal again 2^32 iterations later, which can only
	 * delay a level-triggered event by one iteration.)
	 */
	uint32_t start_iter;
};

struct ws_timer {
	uint64_t deadline;     /* absolute, ms on ws_loop_now()'s clock (read-only for users) */
	ws_timer_cb cb;
	void *data;            /* the user's */
	/* private */
	size_t heap_index;     /* SIZE_MAX when not scheduled */
	uint64_t seq;          /* start order: FIFO among equal deadlines */
	ws_timer_t *side_prev; /* links while parked outside the heap (see ws_loop.c) */
	ws_timer_t *side_next;
};

/*
 * Creates a loop.  Returns NULL (errno set) on failure.  The loop reads the
 * clock once here and once per iteration (ws_loop_now()).
 */
ws_loop_t *ws_loop_new(void);
/* Frees the loop.  Watches and timers must have been stopped (or are simply forgotten). */
void ws_loop_free(ws_loop_t *loop);
/*
 * After fork(), in the child: gives the loop a kernel object of its own
 * (epoll and kqueue descriptors are shared with the parent otherwise).  No
 * watch may be active; scheduled timers are kept.  Returns 0 or -1 (errno).
 */
int ws_loop_after_fork(ws_loop_t *loop);
/* "epoll", "kqueue" or "poll". */
const char *ws_loop_backend(void);

/*
 * Starts watching fd for events (WS_IO_READ and/or WS_IO_WRITE; may be 0).
 * io must not be active.  Returns 0, or -1 with errno set.
 */
int ws_io_start(ws_loop_t *loop, ws_io_t *io, int fd, unsigned events, ws_io_cb cb, void *data);
/* Changes the watched events of an active io.  A no-op if unchanged.  Returns 0 or -1 (errno). */
int ws_io_set(ws_loop_t *loop, ws_io_t *io, unsigned events);
/* Stops watching.  Call before closing the fd.  A no-op if not active. */
void ws_io_stop(ws_loop_t *loop, ws_io_t *io);

/* Prepares a timer (not scheduled). */
void ws_timer_init(ws_timer_t *t, ws_timer_cb cb, void *data);
/* Schedules (or moves) t to fire at the absolute deadline (ms, ws_loop_now() clock). */
void ws_timer_start(ws_loop_t *loop, ws_timer_t *t, uint64_t deadline);
/* Unschedules t.  A no-op if not scheduled. */
void ws_timer_stop(ws_loop_t *loop, ws_timer_t *t);
/* 1 if t is scheduled. */
int ws_timer_active(const ws_timer_t *t);
/* Number of scheduled timers. */
size_t ws_loop_timer_count(const ws_loop_t *loop);

/* The loop's cached monotonic time in ms, refreshed once per iteration. */
uint64_t ws_loop_now(const ws_loop_t *loop);
/*
 * The clock reading taken right after the current (or last) iteration's
 * wait, in ns of CLOCK_MONOTONIC: when the loop woke up.  Costs no clock
 * read of its own (metrics: loop lag, accept times).
 */
uint64_t ws_loop_wake_ns(const ws_loop_t *loop);
/* Re-reads the clock now (rarely needed). */
void ws_loop_update_time(ws_loop_t *loop);
/*
 * Test seam (core/tests, core/fuzz): replaces the monotonic clock with
 * now_ms(arg), in ms, which must never go backwards; NULL restores the real
 * clock.  The cached time is re-read at once.  Timers then fire by that
 * clock alone; a wait bounded by a timer still sleeps in real milliseconds,
 * so a test that owns the clock runs the loop with max_wait_ms 0.
 */
void ws_loop_set_clock(ws_loop_t *loop, uint64_t (*now_ms)(void *arg), void *arg);

/*
 * One iteration: waits for readiness until the earliest timer's deadline or
 * max_wait_ms (-1: no limit other than timers; 0: do not block), refreshes
 * the clock, calls the io callbacks of every ready watch, then the callback
 * of every timer whose deadline has passed (a timer is unscheduled before its
 * callback runs; the callback may start it again; timers scheduled during
 * this pass at a deadline already past run on the next iteration).
 * Returns the number of io events dispatched, or -1 with errno set on a
 * poll failure other than EINTR (EINTR returns 0).
 */
int ws_loop_run_once(ws_loop_t *loop, int max_wait_ms);

#endif
