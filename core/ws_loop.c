/*
 * ws_loop.c - the event loop declared in ws_loop.h.
 *
 * One iteration (ws_loop_run_once) computes a timeout from the earliest
 * timer, waits once in the backend, reads the clock, calls the io callbacks
 * of the batch the backend returned, then runs the timers that are due.
 *
 * Readiness is level-triggered on every backend.  A server callback reads or
 * writes a bounded amount per call, so that one busy connection cannot starve
 * the others and so that a full send queue can pause reading; with level
 * triggering a descriptor that still has data is simply reported again on the
 * next iteration.  Edge triggering would force every callback to drain to
 * EAGAIN or keep its own "still ready" list, and one missed drain would hang
 * a connection for good.  It also makes epoll and kqueue behave like poll(),
 * which only knows levels, so one test suite covers all three.
 *
 * A batch of events is a snapshot: callbacks inside it may stop, restart or
 * change other watches.  Before each callback the event is checked again: the
 * io must still be active, must have been started before the wait (the loop
 * counts iterations and stamps each io with the iteration that started it, so
 * a struct restarted on another fd never receives the old fd's event), and
 * the reported bits are masked by what the io watches now.  The poll backend
 * also never moves a slot while dispatching: a stop marks the slot dead and
 * the array is compacted when the batch is over.
 *
 * Timers live in one binary min-heap of pointers ordered by (deadline, seq).
 * seq comes from a per-loop counter bumped by every start, which gives FIFO
 * order among equal deadlines and tells which timers were started during the
 * current timer pass: the pass remembers the counter, and a due timer with a
 * newer seq is parked on a side list until the pass ends, so a timer that
 * restarts itself at a deadline already past cannot spin inside one call.
 * Each timer keeps its heap index, making stop and move O(log n).  The heap
 * array grows by doubling and never shrinks, so starting a timer allocates
 * only when the heap reaches a new high-water mark.  ws_timer_start() cannot
 * report failure, so if that growth fails the timer waits on the same side
 * list, which every iteration tries to merge back and meanwhile scans.
 *
 * The clock is CLOCK_MONOTONIC in milliseconds, truncated, and a timer is due
 * once now >= deadline, so it never fires early.  The clock is read after
 * each wait (the value ws_loop_now() returns) and, when a timer bounds the
 * wait, just before it, so that time spent in callbacks does not lengthen
 * the sleep; the timeout is rounded up to whole milliseconds.  The coarse
 * clock is not used: two vDSO reads per iteration cost nothing next to the
 * wait itself, and its tick-sized lag would make timers fire late and wake
 * the loop for nothing.
 */
#if defined(WS_LOOP_FORCE_POLL)
# define WS_LOOP_POLL 1
#elif defined(__linux__)
# define WS_LOOP_EPOLL 1
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) \
	|| defined(__NetBSD__) || defined(__DragonFly__)
# define WS_LOOP_KQUEUE 1
#else
# define WS_LOOP_POLL 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(WS_LOOP_EPOLL)
# include <sys/epoll.h>
#elif defined(WS_LOOP_KQUEUE)
# include <sys/types.h>
# include <sys/event.h>
# include <sys/time.h>
#else
# include <poll.h>
#endif

#include "ws_alloc.h"
#include "ws_loop.h"

/* Events fetched per wait; level triggering re-reports whatever did not fit. */
#define WS_LOOP_MAX_EVENTS 256
/* First heap allocation, made by ws_loop_new() so small servers never grow it. */
#define WS_LOOP_HEAP_INITIAL 64
/* heap_index of a scheduled timer parked on the side list (SIZE_MAX: unscheduled). */
#define WS_TIMER_SIDE (SIZE_MAX - 1)
#define WS_IO_WATCHABLE (WS_IO_READ | WS_IO_WRITE)
#define WS_NS_PER_MS UINT64_C(1000000)

struct ws_loop {
	uint64_t now;          /* cached ms, see ws_loop_now() */
	uint64_t now_ns;       /* the same reading in ns */
	uint64_t wake_ns;      /* the reading right after the last wait, see ws_loop_wake_ns() */
	uint64_t iter;         /* bumped just before each wait */
	int running;           /* inside ws_loop_run_once() */
	uint64_t (*clock)(void *arg); /* test clock (ws_loop_set_clock), else NULL */
	void *clock_arg;

	ws_timer_t **heap;
	size_t heap_len;
	size_t heap_cap;
	ws_timer_t *side;      /* scheduled timers outside the heap */
	size_t side_len;
	uint64_t timer_seq;    /* next start's seq */

#if defined(WS_LOOP_EPOLL)
	int epfd;
	struct epoll_event events[WS_LOOP_MAX_EVENTS];
#elif defined(WS_LOOP_KQUEUE)
	int kq;
	struct kevent events[WS_LOOP_MAX_EVENTS];
	unsigned ready[WS_LOOP_MAX_EVENTS];  /* merged WS_IO_* bits per first event of an io */
#else
	struct pollfd *pfds;   /* parallel to ios; a dead slot has fd -1 and a NULL io */
	ws_io_t **ios;
	size_t nfds;
	size_t cap;
	int dispatching;       /* stops only mark slots while set */
	int need_compact;      /* a slot was marked dead during dispatch */
#endif
};

/* ---- clock ---- */

static int clock_ns(uint64_t *out)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		return -1;
	}
	*out = (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
	return 0;
}

/* The loop's clock: the test clock when one is set, else CLOCK_MONOTONIC. */
static int loop_clock_ns(const ws_loop_t *loop, uint64_t *out)
{
	if (loop->clock != NULL) {
		*out = loop->clock(loop->clock_arg) * WS_NS_PER_MS;
		return 0;
	}
	return clock_ns(out);
}

void ws_loop_set_clock(ws_loop_t *loop, uint64_t (*now_ms)(void *arg), void *arg)
{
	loop->clock = now_ms;
	loop->clock_arg = arg;
	ws_loop_update_time(loop);
}

void ws_loop_update_time(ws_loop_t *loop)
{
	uint64_t ns;

	/* CLOCK_MONOTONIC was checked by ws_loop_new(); keeping the old value on a
	 * failure that cannot happen is better than a time jump. */
	if (loop_clock_ns(loop, &ns) == 0) {
		loop->now = ns / WS_NS_PER_MS;
		loop->now_ns = ns;
	}
}

uint64_t ws_loop_now(const ws_loop_t *loop)
{
	return loop->now;
}

uint64_t ws_loop_wake_ns(const ws_loop_t *loop)
{
	return loop->wake_ns;
}

/* ---- timers: binary min-heap on (deadline, seq) ---- */

static int timer_before(const ws_timer_t *a, const ws_timer_t *b)
{
	if (a->deadline != b->deadline) {
		return a->deadline < b->deadline;
	}
	return a->seq < b->seq;
}

static void heap_place(ws_loop_t *loop, size_t i, ws_timer_t *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void heap_sift_up(ws_loop_t *loop, size_t i)
{
	ws_timer_t *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent])) {
			break;
		}
		heap_place(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_place(loop, i, t);
}

static void heap_sift_down(ws_loop_t *loop, size_t i)
{
	ws_timer_t *t = loop->heap[i];
	size_t n = loop->heap_len;

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= n) {
			break;
		}
		if (child + 1 < n && timer_before(loop->heap[child + 1], loop->heap[child])) {
			child++;
		}
		if (!timer_before(loop->heap[child], t)) {
			break;
		}
		heap_place(loop, i, loop->heap[child]);
		i = child;
	}
	heap_place(loop, i, t);
}

/* Restores the heap property around slot i after its key changed either way. */
static void heap_fix(ws_loop_t *loop, size_t i)
{
	if (i > 0 && timer_before(loop->heap[i], loop->heap[(i - 1) / 2])) {
		heap_sift_up(loop, i);
	} else {
		heap_sift_down(loop, i);
	}
}

static int heap_reserve(ws_loop_t *loop, size_t cap)
{
	ws_timer_t **heap;

	if (cap <= loop->heap_cap) {
		return 0;
	}
	if (cap > SIZE_MAX / 2 / sizeof(*heap)) {
		return -1;
	}
	heap = ws_realloc(loop->heap, cap * sizeof(*heap));
	if (heap == NULL) {
		return -1;
	}
	loop->heap = heap;
	loop->heap_cap = cap;
	return 0;
}

/* Inserts t (deadline and seq already set).  Fails only if the array cannot grow. */
static int heap_push(ws_loop_t *loop, ws_timer_t *t)
{
	if (loop->heap_len == loop->heap_cap
		&& heap_reserve(loop, loop->heap_cap ? loop->heap_cap * 2 : WS_LOOP_HEAP_INITIAL) != 0) {
		return -1;
	}
	heap_place(loop, loop->heap_len, t);
	loop->heap_len++;
	heap_sift_up(loop, loop->heap_len - 1);
	return 0;
}

static void heap_remove(ws_loop_t *loop, ws_timer_t *t)
{
	size_t i = t->heap_index;
	ws_timer_t *last = loop->heap[--loop->heap_len];

	t->heap_index = SIZE_MAX;
	if (last != t) {
		heap_place(loop, i, last);
		heap_fix(loop, i);
	}
}

/*
 * The side list holds scheduled timers that are not in the heap: those a
 * timer pass set aside because they were started during it, and those whose
 * start could not grow the heap.  Order in the list does not matter: merging
 * back into the heap restores (deadline, seq) order.
 */
static void side_add(ws_loop_t *loop, ws_timer_t *t)
{
	t->heap_index = WS_TIMER_SIDE;
	t->side_prev = NULL;
	t->side_next = loop->side;
	if (loop->side != NULL) {
		loop->side->side_prev = t;
	}
	loop->side = t;
	loop->side_len++;
}

static void side_remove(ws_loop_t *loop, ws_timer_t *t)
{
	if (t->side_prev != NULL) {
		t->side_prev->side_next = t->side_next;
	} else {
		loop->side = t->side_next;
	}
	if (t->side_next != NULL) {
		t->side_next->side_prev = t->side_prev;
	}
	t->side_prev = t->side_next = NULL;
	t->heap_index = SIZE_MAX;
	loop->side_len--;
}

/* Moves side timers into the heap; whatever still cannot fit stays parked. */
static void side_flush(ws_loop_t *loop)
{
	while (loop->side != NULL) {
		ws_timer_t *t = loop->side;
		side_remove(loop, t);
		if (heap_push(loop, t) != 0) {
			side_add(loop, t);
			return;
		}
	}
}

void ws_timer_init(ws_timer_t *t, ws_timer_cb cb, void *data)
{
	t->deadline = 0;
	t->cb = cb;
	t->data = data;
	t->heap_index = SIZE_MAX;
	t->seq = 0;
	t->side_prev = t->side_next = NULL;
}

void ws_timer_start(ws_loop_t *loop, ws_timer_t *t, uint64_t deadline)
{
	t->deadline = deadline;
	/* A move counts as a new start: it queues behind timers already waiting
	 * for the same deadline, and a pass treats it as started during it. */
	t->seq = loop->timer_seq++;
	if (t->heap_index == WS_TIMER_SIDE) {
		side_remove(loop, t);
	} else if (t->heap_index != SIZE_MAX) {
		/* Moving inside the heap never allocates. */
		heap_fix(loop, t->heap_index);
		return;
	}
	if (heap_push(loop, t) != 0) {
		side_add(loop, t);
	}
}

void ws_timer_stop(ws_loop_t *loop, ws_timer_t *t)
{
	if (t->heap_index == WS_TIMER_SIDE) {
		side_remove(loop, t);
	} else if (t->heap_index != SIZE_MAX) {
		heap_remove(loop, t);
	}
}

int ws_timer_active(const ws_timer_t *t)
{
	return t->heap_index != SIZE_MAX;
}

size_t ws_loop_timer_count(const ws_loop_t *loop)
{
	return loop->heap_len + loop->side_len;
}

static int earliest_deadline(const ws_loop_t *loop, uint64_t *out)
{
	int found = 0;
	uint64_t best = 0;

	if (loop->heap_len > 0) {
		best = loop->heap[0]->deadline;
		found = 1;
	}
	/* Empty unless the heap could not grow: the scan is the price of that. */
	for (const ws_timer_t *t = loop->side; t != NULL; t = t->side_next) {
		if (!found || t->deadline < best) {
			best = t->deadline;
			found = 1;
		}
	}
	*out = best;
	return found;
}

static void timer_fire(ws_loop_t *loop, ws_timer_t *t)
{
	if (t->cb != NULL) {
		t->cb(loop, t);
	}
}

static void timers_run(ws_loop_t *loop)
{
	/* Timers whose seq is at least this were started by the pass itself. */
	const uint64_t pass = loop->timer_seq;
	const uint64_t now = loop->now;

	while (loop->heap_len > 0) {
		ws_timer_t *t = loop->heap[0];
		if (t->deadline > now) {
			break;
		}
		heap_remove(loop, t);
		if (t->seq >= pass) {
			/* Parked rather than left on top, so older due timers behind it
			 * still run in this pass. */
			side_add(loop, t);
			continue;
		}
		timer_fire(loop, t);
	}

	/* Due timers that never made it into the heap (allocation failure), in
	 * order.  Rescanned after each callback because it may change the list. */
	for (;;) {
		ws_timer_t *best = NULL;
		for (ws_timer_t *t = loop->side; t != NULL; t = t->side_next) {
			if (t->seq < pass && t->deadline <= now && (best == NULL || timer_before(t, best))) {
				best = t;
			}
		}
		if (best == NULL) {
			break;
		}
		side_remove(loop, best);
		timer_fire(loop, best);
	}

	side_flush(loop);
}

/* Milliseconds the backend may sleep: -1 for no limit. */
static int loop_timeout(const ws_loop_t *loop, int max_wait_ms)
{
	uint64_t deadline, now_ns, wait;

	if (max_wait_ms == 0) {
		return 0;
	}
	if (!earliest_deadline(loop, &deadline) || deadline > UINT64_MAX / WS_NS_PER_MS) {
		return max_wait_ms < 0 ? -1 : max_wait_ms;
	}
	if (loop_clock_ns(loop, &now_ns) != 0) {
		now_ns = loop->now * WS_NS_PER_MS;
	}
	/* Same truncation as the due test (now >= deadline in whole ms), so a
	 * zero timeout here is always followed by the timer running. */
	if (deadline * WS_NS_PER_MS <= now_ns) {
		return 0;
	}
	wait = (deadline * WS_NS_PER_MS - now_ns + WS_NS_PER_MS - 1) / WS_NS_PER_MS;
	if (wait > INT_MAX) {
		wait = INT_MAX;
	}
	if (max_wait_ms > 0 && (uint64_t)max_wait_ms < wait) {
		return max_wait_ms;
	}
	return (int)wait;
}

/* ---- io dispatch shared by the backends ---- */

/* Calls io's callback for an event fetched by this iteration's wait, unless the event went stale. */
static int io_dispatch(ws_loop_t *loop, ws_io_t *io, unsigned ready)
{
	if (!io->active || io->start_iter == (uint32_t)loop->iter) {
		/* Stopped by an earlier callback of this batch, or started (maybe on
		 * another fd) after the wait returned: the event is not for it. */
		return 0;
	}
	if (ready & WS_IO_ERROR) {
		ready = (ready & io->events) | WS_IO_ERROR | WS_IO_READ;
	} else {
		/* ws_io_set() may have dropped an interest since the wait. */
		ready &= io->events;
	}
	if (ready == 0) {
		return 0;
	}
	io->cb(loop, io, ready);
	return 1;
}

/* ---- backend: epoll ---- */
#if defined(WS_LOOP_EPOLL)

const char *ws_loop_backend(void)
{
	return "epoll";
}

static uint32_t epoll_mask(unsigned events)
{
	uint32_t m = 0;

	/* RDHUP only with READ: while reading is paused, a level-triggered
	 * half-close would otherwise be reported on every iteration. */
	if (events & WS_IO_READ) {
		m |= EPOLLIN | EPOLLRDHUP;
	}
	if (events & WS_IO_WRITE) {
		m |= EPOLLOUT;
	}
	return m;
}

static int backend_init(ws_loop_t *loop)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -1 : 0;
}

static void backend_free(ws_loop_t *loop)
{
	close(loop->epfd);
}

static int backend_ctl(ws_loop_t *loop, int op, ws_io_t *io, unsigned events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = epoll_mask(events);
#ifdef EPOLLEXCLUSIVE
	if (op == EPOLL_CTL_ADD && (io->flags & WS_IO_EXCLUSIVE)) {
		/* Exclusive wake-ups: no RDHUP (not allowed with it), and only at ADD. */
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	}
#endif
	ev.data.ptr = io;
	return epoll_ctl(loop->epfd, op, io->fd, &ev);
}

static int backend_add(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	return backend_ctl(loop, EPOLL_CTL_ADD, io, events);
}

static int backend_modify(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	return backend_ctl(loop, EPOLL_CTL_MOD, io, events);
}

static void backend_del(ws_loop_t *loop, ws_io_t *io)
{
	/* Fails only if the caller already closed the fd, which removed the
	 * registration unless the fd was duplicated: nothing left to undo. */
	(void)backend_ctl(loop, EPOLL_CTL_DEL, io, 0);
}

static int backend_wait(ws_loop_t *loop, int timeout)
{
	return epoll_wait(loop->epfd, loop->events, WS_LOOP_MAX_EVENTS, timeout);
}

static int backend_dispatch(ws_loop_t *loop, int n)
{
	int dispatched = 0;

	for (int i = 0; i < n; i++) {
		uint32_t e = loop->events[i].events;
		unsigned ready = 0;

		if (e & EPOLLIN) {
			ready |= WS_IO_READ;
		}
		if (e & EPOLLOUT) {
			ready |= WS_IO_WRITE;
		}
		if (e & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
			ready |= WS_IO_ERROR | WS_IO_READ;
		}
		dispatched += io_dispatch(loop, loop->events[i].data.ptr, ready);
	}
	return dispatched;
}

/* ---- backend: kqueue ---- */
#elif defined(WS_LOOP_KQUEUE)

const char *ws_loop_backend(void)
{
	return "kqueue";
}

static int backend_init(ws_loop_t *loop)
{
	loop->kq = kqueue();
	if (loop->kq < 0) {
		return -1;
	}
	/* No portable way to create it close-on-exec (kqueue1 and kqueuex are
	 * per-system); the gap between the two calls only matters if another
	 * thread forks and execs right then, and kqueues are not inherited by
	 * fork anyway. */
	if (fcntl(loop->kq, F_SETFD, FD_CLOEXEC) != 0) {
		int saved = errno;
		close(loop->kq);
		errno = saved;
		return -1;
	}
	return 0;
}

static void backend_free(ws_loop_t *loop)
{
	close(loop->kq);
}

/* Applies one filter change on its own, so a failure is attributable. */
static int kq_change(ws_loop_t *loop, ws_io_t *io, short filter, unsigned short flags)
{
	struct kevent ch;

	EV_SET(&ch, (uintptr_t)io->fd, filter, flags, 0, 0, io);
	return kevent(loop->kq, &ch, 1, NULL, 0, NULL);
}

/*
 * Moves the registration of io from `from` to `to` (WS_IO_* sets).  With no
 * room for results, kevent() stops at the first failing change and earlier
 * ones stay applied, so changes go one by one and a failure puts back the
 * filters of `from`, best effort, so that io->events stays truthful.
 */
static int kq_update(ws_loop_t *loop, ws_io_t *io, unsigned from, unsigned to)
{
	static const struct { unsigned bit; short filter; } map[2] = {
		{ WS_IO_READ, EVFILT_READ },
		{ WS_IO_WRITE, EVFILT_WRITE },
	};
	int saved;

	for (int i = 0; i < 2; i++) {
		unsigned bit = map[i].bit;
		if ((from & bit) == (to & bit)) {
			continue;
		}
		if (kq_change(loop, io, map[i].filter, (to & bit) ? EV_ADD : EV_DELETE) != 0) {
			goto fail;
		}
	}
	return 0;

fail:
	saved = errno;
	for (int i = 0; i < 2; i++) {
		(void)kq_change(loop, io, map[i].filter, (from & map[i].bit) ? EV_ADD : EV_DELETE);
	}
	errno = saved;
	return -1;
}

static int backend_add(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	return kq_update(loop, io, 0, events);
}

static int backend_modify(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	return kq_update(loop, io, io->events, events);
}

static void backend_del(ws_loop_t *loop, ws_io_t *io)
{
	/* Errors mean the filter is already gone (fd closed first): ignore them. */
	if (io->events & WS_IO_READ) {
		(void)kq_change(loop, io, EVFILT_READ, EV_DELETE);
	}
	if (io->events & WS_IO_WRITE) {
		(void)kq_change(loop, io, EVFILT_WRITE, EV_DELETE);
	}
}

static int backend_wait(ws_loop_t *loop, int timeout)
{
	struct timespec ts, *tsp = NULL;

	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
		tsp = &ts;
	}
	return kevent(loop->kq, NULL, 0, loop->events, WS_LOOP_MAX_EVENTS, tsp);
}

static ws_io_t *kq_io(const struct kevent *ev)
{
	/* udata is void * on most systems and intptr_t on older NetBSD. */
	return (ws_io_t *)(uintptr_t)ev->udata;
}

static int backend_dispatch(ws_loop_t *loop, int n)
{
	int dispatched = 0;

	/*
	 * Read and write readiness of one fd arrive as separate events, not
	 * necessarily adjacent.  They are merged so that an io gets one callback
	 * per iteration, as with the other backends.  io->index is free on this
	 * backend and serves as "first event of this io in the batch"; every io
	 * in the batch is registered, hence valid, until the callbacks start.
	 */
	for (int i = 0; i < n; i++) {
		kq_io(&loop->events[i])->index = -1;
	}
	for (int i = 0; i < n; i++) {
		const struct kevent *ev = &loop->events[i];
		ws_io_t *io = kq_io(ev);
		unsigned bits = 0;

		if (ev->flags & EV_ERROR) {
			bits = WS_IO_ERROR | WS_IO_READ;
		} else if (ev->filter == EVFILT_READ) {
			bits = WS_IO_READ;
		} else if (ev->filter == EVFILT_WRITE) {
			bits = WS_IO_WRITE;
		}
		if (ev->flags & EV_EOF) {
			bits |= WS_IO_ERROR | WS_IO_READ;
		}
		if (io->index < 0) {
			io->index = i;
			loop->ready[i] = bits;
		} else {
			loop->ready[io->index] |= bits;
			loop->ready[i] = 0;
		}
	}
	for (int i = 0; i < n; i++) {
		if (loop->ready[i] != 0) {
			dispatched += io_dispatch(loop, kq_io(&loop->events[i]), loop->ready[i]);
		}
	}
	return dispatched;
}

/* ---- backend: poll ---- */
#else

const char *ws_loop_backend(void)
{
	return "poll";
}

static short poll_mask(unsigned events)
{
	short m = 0;

	if (events & WS_IO_READ) {
		m |= POLLIN;
#ifdef POLLRDHUP
		/* Same half-close reporting as epoll where the system has it. */
		m |= POLLRDHUP;
#endif
	}
	if (events & WS_IO_WRITE) {
		m |= POLLOUT;
	}
	return m;
}

static int backend_init(ws_loop_t *loop)
{
	loop->pfds = NULL;
	loop->ios = NULL;
	loop->nfds = loop->cap = 0;
	return 0;
}

static void backend_free(ws_loop_t *loop)
{
	ws_free(loop->pfds);
	ws_free(loop->ios);
}

static int poll_grow(ws_loop_t *loop)
{
	size_t cap = loop->cap ? loop->cap * 2 : 64;
	struct pollfd *pfds;
	ws_io_t **ios;

	if (cap > SIZE_MAX / 2 / sizeof(*pfds) || cap > INT_MAX) {
		errno = ENOMEM;
		return -1;
	}
	pfds = ws_realloc(loop->pfds, cap * sizeof(*pfds));
	if (pfds == NULL) {
		errno = ENOMEM;
		return -1;
	}
	loop->pfds = pfds;
	/* If this one fails, the larger pfds array is kept: cap only counts
	 * what both arrays can hold. */
	ios = ws_realloc(loop->ios, cap * sizeof(*ios));
	if (ios == NULL) {
		errno = ENOMEM;
		return -1;
	}
	loop->ios = ios;
	loop->cap = cap;
	return 0;
}

static int backend_add(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	size_t i;

	if (loop->nfds == loop->cap && poll_grow(loop) != 0) {
		return -1;
	}
	/* Appending never disturbs a dispatch in progress: slots at or past the
	 * count polled are not visited, and revents 0 carries no stale event. */
	i = loop->nfds++;
	loop->pfds[i].fd = io->fd;
	loop->pfds[i].events = poll_mask(events);
	loop->pfds[i].revents = 0;
	loop->ios[i] = io;
	io->index = (int)i;
	return 0;
}

static int backend_modify(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	loop->pfds[io->index].events = poll_mask(events);
	return 0;
}

static void backend_del(ws_loop_t *loop, ws_io_t *io)
{
	size_t i = (size_t)io->index;
	size_t last;

	io->index = -1;
	if (loop->dispatching) {
		/* Swapping now could move an unvisited slot behind the dispatch
		 * cursor; mark it and compact after the batch. */
		loop->pfds[i].fd = -1;
		loop->pfds[i].events = 0;
		loop->pfds[i].revents = 0;
		loop->ios[i] = NULL;
		loop->need_compact = 1;
		return;
	}
	last = --loop->nfds;
	if (i != last) {
		loop->pfds[i] = loop->pfds[last];
		loop->ios[i] = loop->ios[last];
		loop->ios[i]->index = (int)i;
	}
}

static void poll_compact(ws_loop_t *loop)
{
	size_t j = 0;

	for (size_t i = 0; i < loop->nfds; i++) {
		if (loop->ios[i] == NULL) {
			continue;
		}
		if (i != j) {
			loop->pfds[j] = loop->pfds[i];
			loop->ios[j] = loop->ios[i];
			loop->ios[j]->index = (int)j;
		}
		j++;
	}
	loop->nfds = j;
	loop->need_compact = 0;
}

static int backend_wait(ws_loop_t *loop, int timeout)
{
	return poll(loop->pfds, (nfds_t)loop->nfds, timeout);
}

static int backend_dispatch(ws_loop_t *loop, int n)
{
	size_t count = loop->nfds;
	int dispatched = 0;
	int left = n;

	loop->dispatching = 1;
	for (size_t i = 0; i < count && left > 0; i++) {
		/* Re-read through loop each time: a callback may grow the arrays. */
		short re = loop->pfds[i].revents;
		ws_io_t *io = loop->ios[i];
		unsigned ready = 0;

		if (re == 0) {
			continue;
		}
		left--;
		if (io == NULL) {
			continue;
		}
		if (re & POLLIN) {
			ready |= WS_IO_READ;
		}
		if (re & POLLOUT) {
			ready |= WS_IO_WRITE;
		}
#ifdef POLLRDHUP
		if (re & POLLRDHUP) {
			ready |= WS_IO_ERROR | WS_IO_READ;
		}
#endif
		if (re & (POLLERR | POLLHUP | POLLNVAL)) {
			ready |= WS_IO_ERROR | WS_IO_READ;
		}
		dispatched += io_dispatch(loop, io, ready);
	}
	loop->dispatching = 0;
	if (loop->need_compact) {
		poll_compact(loop);
	}
	return dispatched;
}

#endif

/* ---- loop and io API ---- */

ws_loop_t *ws_loop_new(void)
{
	ws_loop_t *loop;
	uint64_t ns;

	if (clock_ns(&ns) != 0) {
		return NULL;
	}
	loop = ws_malloc(sizeof(*loop));
	if (loop == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(loop, 0, sizeof(*loop));
	loop->now = ns / WS_NS_PER_MS;
	loop->now_ns = loop->wake_ns = ns;
	if (heap_reserve(loop, WS_LOOP_HEAP_INITIAL) != 0) {
		ws_free(loop);
		errno = ENOMEM;
		return NULL;
	}
	if (backend_init(loop) != 0) {
		int saved = errno;
		ws_free(loop->heap);
		ws_free(loop);
		errno = saved;
		return NULL;
	}
	return loop;
}

int ws_loop_after_fork(ws_loop_t *loop)
{
#if defined(WS_LOOP_EPOLL) || defined(WS_LOOP_KQUEUE)
	/* Only our reference to the parent's object goes; the parent keeps its own. */
	backend_free(loop);
	return backend_init(loop);
#else
	(void)loop;
	return 0;
#endif
}

void ws_loop_free(ws_loop_t *loop)
{
	if (loop == NULL) {
		return;
	}
	/* Watches and timers still registered are not touched: the caller may
	 * already have freed them. */
	backend_free(loop);
	ws_free(loop->heap);
	ws_free(loop);
}

int ws_io_start(ws_loop_t *loop, ws_io_t *io, int fd, unsigned events, ws_io_cb cb, void *data)
{
	if (io->active) {
		errno = EBUSY;
		return -1;
	}
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (cb == NULL) {
		errno = EINVAL;
		return -1;
	}
	io->flags = events & WS_IO_EXCLUSIVE;
	events &= WS_IO_WATCHABLE;
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->data = data;
	io->index = -1;
	io->start_iter = (uint32_t)loop->iter;
	if (backend_add(loop, io, events) != 0) {
		return -1;
	}
	io->active = 1;
	return 0;
}

int ws_io_set(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	events &= WS_IO_WATCHABLE;
	if (!io->active) {
		errno = EINVAL;
		return -1;
	}
	if (events == io->events) {
		return 0;
	}
	if (backend_modify(loop, io, events) != 0) {
		return -1;
	}
	io->events = events;
	return 0;
}

void ws_io_stop(ws_loop_t *loop, ws_io_t *io)
{
	int saved;

	if (!io->active) {
		return;
	}
	/* Callers typically stop on an error path and then report errno. */
	saved = errno;
	backend_del(loop, io);
	io->active = 0;
	errno = saved;
}

int ws_loop_run_once(ws_loop_t *loop, int max_wait_ms)
{
	int n, saved, dispatched;

	if (loop->running) {
		/* The backend's event buffer belongs to the outer call. */
		errno = EBUSY;
		return -1;
	}
	loop->running = 1;
	side_flush(loop);
	loop->iter++;
	n = backend_wait(loop, loop_timeout(loop, max_wait_ms));
	saved = errno;
	ws_loop_update_time(loop);
	loop->wake_ns = loop->now_ns;
	if (n < 0) {
		if (saved != EINTR) {
			loop->running = 0;
			errno = saved;
			return -1;
		}
		/* Due timers still run so a signal storm cannot starve them; the
		 * caller sees 0 and checks its flags. */
		n = 0;
	}
	dispatched = backend_dispatch(loop, n);
	timers_run(loop);
	loop->running = 0;
	return dispatched;
}
