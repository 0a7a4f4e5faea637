/*
 * test_loop.c - ws_loop: io readiness on pipes and socketpairs, watches
 * stopped or restarted in the middle of a batch, timer order, moves and
 * stops, the no-spin rule for timers restarted during a pass, and allocation
 * failures.  Built once per backend: normally (epoll on Linux) and with
 * -DWS_LOOP_FORCE_POLL; the suite name carries the backend's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "../ws_alloc.h"
#include "../ws_loop.h"

/* ---- helpers ---- */

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* pipe2() and SOCK_NONBLOCK are not on macOS, which runs this suite with kqueue. */
static void set_flags(int fd)
{
	CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
	CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0);
}

static void make_pipe(int fds[2])
{
	CHECK_EQ_INT(pipe(fds), 0);
	set_flags(fds[0]);
	set_flags(fds[1]);
}

static void make_pair(int sv[2])
{
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	set_flags(sv[0]);
	set_flags(sv[1]);
}

static void put_byte(int fd)
{
	ssize_t n = write(fd, "x", 1);
	CHECK_EQ_INT(n, 1);
}

static void drain(int fd)
{
	char buf[4096];
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
}

static void close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

/* Counts calls and remembers the last events of each watch. */
typedef struct rec {
	int calls;
	unsigned last;
} rec_t;

static void rec_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	rec_t *r = io->data;
	CHECK(io->active);
	r->calls++;
	r->last = events;
}

/* ---- io ---- */

static void test_backend_name(void)
{
#if defined(WS_LOOP_FORCE_POLL)
	CHECK(strcmp(ws_loop_backend(), "poll") == 0);
#elif defined(__linux__)
	CHECK(strcmp(ws_loop_backend(), "epoll") == 0);
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
	CHECK(strcmp(ws_loop_backend(), "kqueue") == 0);
#endif
	ws_loop_t *loop = ws_loop_new();
	CHECK(loop != NULL);
	ws_loop_free(loop);
	ws_loop_free(NULL);
}

static void test_read_level_triggered(void)
{
	ws_loop_t *loop = ws_loop_new();
	int p[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };

	make_pipe(p);
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, rec_cb, &r), 0);
	CHECK(io.active);
	CHECK_EQ_INT(io.fd, p[0]);
	CHECK_EQ_INT(io.events, WS_IO_READ);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(r.calls, 0);

	put_byte(p[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.calls, 1);
	CHECK_EQ_INT(r.last, WS_IO_READ);
	/* Not read: reported again. */
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.calls, 2);
	drain(p[0]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(r.calls, 2);

	ws_io_stop(loop, &io);
	CHECK(!io.active);
	ws_io_stop(loop, &io);
	put_byte(p[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(r.calls, 2);
	close_pair(p);
	ws_loop_free(loop);
}

static void test_write_ready(void)
{
	ws_loop_t *loop = ws_loop_new();
	int sv[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };
	char buf[4096];

	make_pair(sv);
	CHECK_EQ_INT(ws_io_start(loop, &io, sv[0], WS_IO_WRITE, rec_cb, &r), 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.last, WS_IO_WRITE);

	/* Full send buffer: not writable until the peer reads. */
	memset(buf, 'a', sizeof(buf));
	while (write(sv[0], buf, sizeof(buf)) > 0) {
	}
	/* macOS may say ENOBUFS for a full AF_UNIX socket. */
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS);
	r.calls = 0;
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(r.calls, 0);
	drain(sv[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.calls, 1);
	CHECK_EQ_INT(r.last, WS_IO_WRITE);

	ws_io_stop(loop, &io);
	close_pair(sv);
	ws_loop_free(loop);
}

static void test_io_set_switching(void)
{
	ws_loop_t *loop = ws_loop_new();
	int sv[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };

	make_pair(sv);
	CHECK_EQ_INT(ws_io_start(loop, &io, sv[0], WS_IO_READ, rec_cb, &r), 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);

	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_WRITE), 0);
	CHECK_EQ_INT(io.events, WS_IO_WRITE);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.last, WS_IO_WRITE);

	put_byte(sv[1]);
	/* Data waiting but only WRITE watched: READ is not reported. */
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.last, WS_IO_WRITE);

	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_READ | WS_IO_WRITE), 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.last, WS_IO_READ | WS_IO_WRITE);

	CHECK_EQ_INT(ws_io_set(loop, &io, 0), 0);
	CHECK_EQ_INT(io.events, 0);
	r.calls = 0;
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(r.calls, 0);

	/* The ERROR bit is report-only: asking for it watches nothing more. */
	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_READ | WS_IO_ERROR), 0);
	CHECK_EQ_INT(io.events, WS_IO_READ);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.last, WS_IO_READ);
	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_READ), 0);

	ws_io_stop(loop, &io);
	errno = 0;
	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_WRITE), -1);
	CHECK_EQ_INT(errno, EINVAL);
	close_pair(sv);
	ws_loop_free(loop);
}

/*
 * An unchanged ws_io_set() must not reach the kernel.  The fd is closed
 * behind the loop's back (against the contract, on purpose) so that any
 * epoll_ctl() would fail with EBADF.
 */
static void test_io_set_unchanged_is_noop(void)
{
	ws_loop_t *loop = ws_loop_new();
	int p[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };

	make_pipe(p);
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, rec_cb, &r), 0);
	close(p[0]);
	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_READ), 0);
	errno = 0;
#if defined(WS_LOOP_FORCE_POLL)
	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_READ | WS_IO_WRITE), 0);
#else
	/* A real change does reach the kernel, which proves the point above. */
	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_READ | WS_IO_WRITE), -1);
	CHECK_EQ_INT(errno, EBADF);
	CHECK_EQ_INT(io.events, WS_IO_READ);
#endif
	/* ws_io_stop() leaves errno alone even when the kernel call fails. */
	errno = EDOM;
	ws_io_stop(loop, &io);
	CHECK_EQ_INT(errno, EDOM);
	CHECK(!io.active);
	close(p[1]);
	ws_loop_free(loop);
}

static void test_io_bad_arguments(void)
{
	ws_loop_t *loop = ws_loop_new();
	int p[2];
	ws_io_t io = { 0 }, other = { 0 };
	rec_t r = { 0 };

	make_pipe(p);
	errno = 0;
	CHECK_EQ_INT(ws_io_start(loop, &io, -1, WS_IO_READ, rec_cb, &r), -1);
	CHECK_EQ_INT(errno, EBADF);
	CHECK(!io.active);
	errno = 0;
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, NULL, &r), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, rec_cb, &r), 0);
	errno = 0;
	CHECK_EQ_INT(ws_io_start(loop, &io, p[1], WS_IO_WRITE, rec_cb, &r), -1);
	CHECK_EQ_INT(errno, EBUSY);
	/* The failed call did not disturb the running watch. */
	CHECK_EQ_INT(io.fd, p[0]);
	put_byte(p[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.last, WS_IO_READ);
	ws_io_stop(loop, &other);
	ws_io_stop(loop, &io);
	close_pair(p);
	ws_loop_free(loop);
}

static void test_events_zero(void)
{
	ws_loop_t *loop = ws_loop_new();
	int p[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };

	make_pipe(p);
	put_byte(p[1]);
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], 0, rec_cb, &r), 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(r.calls, 0);
	CHECK_EQ_INT(ws_io_set(loop, &io, WS_IO_READ), 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(r.last, WS_IO_READ);
	ws_io_stop(loop, &io);
	close_pair(p);
	ws_loop_free(loop);
}

/* Two watches ready in one batch: whichever runs first stops the other. */
typedef struct duo {
	ws_io_t io[2];
	int fd[2];
	int calls[2];
	int stop_other;
	int stop_self;
} duo_t;

static void duo_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	duo_t *d = io->data;
	int me = io == &d->io[0] ? 0 : 1;

	CHECK(io->active);
	d->calls[me]++;
	if (d->stop_other) {
		ws_io_stop(loop, &d->io[!me]);
	}
	if (d->stop_self) {
		ws_io_stop(loop, io);
	}
}

static void test_stop_other_during_dispatch(void)
{
	ws_loop_t *loop = ws_loop_new();
	int p[2], q[2];
	duo_t d;

	memset(&d, 0, sizeof(d));
	make_pipe(p);
	make_pipe(q);
	put_byte(p[1]);
	put_byte(q[1]);
	CHECK_EQ_INT(ws_io_start(loop, &d.io[0], p[0], WS_IO_READ, duo_cb, &d), 0);
	CHECK_EQ_INT(ws_io_start(loop, &d.io[1], q[0], WS_IO_READ, duo_cb, &d), 0);
	d.stop_other = 1;
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(d.calls[0] + d.calls[1], 1);

	/* The survivor keeps being reported; the stopped one never again. */
	int survivor = d.calls[0] ? 0 : 1;
	d.stop_other = 0;
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(d.calls[survivor], 2);
	CHECK_EQ_INT(d.calls[!survivor], 0);

	/* A watch stopping itself: no more calls either. */
	d.stop_self = 1;
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(d.calls[survivor], 3);
	CHECK(!d.io[survivor].active);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(d.calls[survivor], 3);

	close_pair(p);
	close_pair(q);
	ws_loop_free(loop);
}

/*
 * The first callback of the batch stops the other watch and restarts the
 * same struct on another fd.  The batch still holds an event for the old
 * fd, which must not reach the struct now watching the new one.
 */
typedef struct swap {
	ws_io_t io[2];
	int new_fd;
	int restarted;
	int calls[2];
	int bad;
} swap_t;

static void swap_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	swap_t *s = io->data;
	int me = io == &s->io[0] ? 0 : 1;
	char c;

	s->calls[me]++;
	/* Reported READ must mean a byte is there (never a stale event). */
	if (read(io->fd, &c, 1) != 1) {
		s->bad++;
	}
	if (!s->restarted) {
		s->restarted = 1;
		ws_io_stop(loop, &s->io[!me]);
		CHECK_EQ_INT(ws_io_start(loop, &s->io[!me], s->new_fd, WS_IO_READ, swap_cb, s), 0);
	}
}

static void test_restart_on_new_fd_same_iteration(void)
{
	for (int variant = 0; variant < 2; variant++) {
		ws_loop_t *loop = ws_loop_new();
		int p[2], q[2], n[2];
		swap_t s;

		memset(&s, 0, sizeof(s));
		make_pipe(p);
		make_pipe(q);
		make_pipe(n);
		/* Two bytes each so a watch stays readable after one read. */
		put_byte(p[1]);
		put_byte(p[1]);
		put_byte(q[1]);
		put_byte(q[1]);
		/* Variant 1: the new fd is readable too; its readiness was not part
		 * of this batch either way. */
		if (variant == 1) {
			put_byte(n[1]);
		}
		s.new_fd = n[0];
		CHECK_EQ_INT(ws_io_start(loop, &s.io[0], p[0], WS_IO_READ, swap_cb, &s), 0);
		CHECK_EQ_INT(ws_io_start(loop, &s.io[1], q[0], WS_IO_READ, swap_cb, &s), 0);
		CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
		CHECK_EQ_INT(s.calls[0] + s.calls[1], 1);
		CHECK_EQ_INT(s.bad, 0);

		int first = s.calls[0] ? 0 : 1;
		CHECK_EQ_INT(s.io[!first].fd, n[0]);
		CHECK_EQ_INT(ws_loop_run_once(loop, 0), variant == 1 ? 2 : 1);
		CHECK_EQ_INT(s.calls[first], 2);
		CHECK_EQ_INT(s.calls[!first], variant == 1 ? 1 : 0);
		CHECK_EQ_INT(s.bad, 0);

		ws_io_stop(loop, &s.io[0]);
		ws_io_stop(loop, &s.io[1]);
		close_pair(p);
		close_pair(q);
		close_pair(n);
		ws_loop_free(loop);
	}
}

/* Whichever runs first drops WRITE from the other: its pending WRITE event is stale. */
typedef struct narrow {
	ws_io_t io[2];
	int calls[2];
	unsigned last[2];
	int done;
} narrow_t;

static void narrow_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	narrow_t *n = io->data;
	int me = io == &n->io[0] ? 0 : 1;

	n->calls[me]++;
	n->last[me] = events;
	if (!n->done) {
		n->done = 1;
		CHECK_EQ_INT(ws_io_set(loop, &n->io[!me], WS_IO_READ), 0);
	}
}

static void test_set_during_dispatch_masks(void)
{
	ws_loop_t *loop = ws_loop_new();
	int a[2], b[2];
	narrow_t n;

	memset(&n, 0, sizeof(n));
	make_pair(a);
	make_pair(b);
	CHECK_EQ_INT(ws_io_start(loop, &n.io[0], a[0], WS_IO_WRITE, narrow_cb, &n), 0);
	CHECK_EQ_INT(ws_io_start(loop, &n.io[1], b[0], WS_IO_WRITE, narrow_cb, &n), 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK_EQ_INT(n.calls[0] + n.calls[1], 1);
	int first = n.calls[0] ? 0 : 1;
	CHECK_EQ_INT(n.last[first], WS_IO_WRITE);

	/* Next iteration: only what it watches now. */
	put_byte(first ? a[1] : b[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 2);
	CHECK_EQ_INT(n.last[!first], WS_IO_READ);
	ws_io_stop(loop, &n.io[0]);
	ws_io_stop(loop, &n.io[1]);
	close_pair(a);
	close_pair(b);
	ws_loop_free(loop);
}

static void test_hangup(void)
{
	ws_loop_t *loop = ws_loop_new();
	int sv[2], p[2], w[2], z[2];
	ws_io_t io_sock = { 0 }, io_pipe = { 0 }, io_write = { 0 }, io_zero = { 0 };
	rec_t r_sock = { 0 }, r_pipe = { 0 }, r_write = { 0 }, r_zero = { 0 };

	make_pair(sv);
	make_pipe(p);
	make_pair(w);
	make_pair(z);
	CHECK_EQ_INT(ws_io_start(loop, &io_sock, sv[0], WS_IO_READ, rec_cb, &r_sock), 0);
	CHECK_EQ_INT(ws_io_start(loop, &io_pipe, p[0], WS_IO_READ, rec_cb, &r_pipe), 0);
	CHECK_EQ_INT(ws_io_start(loop, &io_write, w[0], WS_IO_WRITE, rec_cb, &r_write), 0);
	CHECK_EQ_INT(ws_io_start(loop, &io_zero, z[0], 0, rec_cb, &r_zero), 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1); /* only io_write: writable */
	CHECK_EQ_INT(r_write.last, WS_IO_WRITE);

	/* kqueue has no filter to register for a watch of no events, so such a
	 * watch cannot see hang-ups there; epoll and poll report them. */
	int kq = strcmp(ws_loop_backend(), "kqueue") == 0;
	close(sv[1]);
	close(p[1]);
	close(w[1]);
	close(z[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), kq ? 3 : 4);
	CHECK_EQ_INT(r_sock.last, WS_IO_ERROR | WS_IO_READ);
	CHECK_EQ_INT(r_pipe.last, WS_IO_ERROR | WS_IO_READ);
	/* A hang-up is reported even without READ interest, as READ too. */
	CHECK(r_write.last & WS_IO_ERROR);
	CHECK(r_write.last & WS_IO_READ);
	CHECK_EQ_INT(r_zero.last, kq ? 0 : WS_IO_ERROR | WS_IO_READ);

	/* Level-triggered: reported until stopped. */
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), kq ? 3 : 4);
	ws_io_stop(loop, &io_sock);
	ws_io_stop(loop, &io_pipe);
	ws_io_stop(loop, &io_write);
	ws_io_stop(loop, &io_zero);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	close(sv[0]);
	close(p[0]);
	close(w[0]);
	close(z[0]);
	ws_loop_free(loop);
}

static void test_half_close(void)
{
	ws_loop_t *loop = ws_loop_new();
	int sv[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };
	char buf[8];

	make_pair(sv);
	CHECK_EQ_INT(ws_io_start(loop, &io, sv[0], WS_IO_READ, rec_cb, &r), 0);
	put_byte(sv[1]);
	shutdown(sv[1], SHUT_WR);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	CHECK(r.last & WS_IO_READ);
	/* Data sent before the shutdown is still readable, then EOF. */
	CHECK_EQ_INT(read(sv[0], buf, sizeof(buf)), 1);
	CHECK_EQ_INT(read(sv[0], buf, sizeof(buf)), 0);
	ws_io_stop(loop, &io);
	close_pair(sv);
	ws_loop_free(loop);
}

/*
 * Many watches, all readable, with callbacks stopping themselves, stopping
 * others and restarting stopped ones.  Checks that no stopped watch is ever
 * called and that a watch restarted during a batch waits for the next one.
 * More than 256 watches also exercises the epoll batch size.
 */
#define CHURN_N 300

typedef struct churn {
	ws_io_t io;
	int fd[2];
	int stopped;
	uint64_t restarted_at;
	int calls;
} churn_t;

static churn_t churn[CHURN_N];
static uint64_t churn_iter;
static int churn_quiet;
static uint32_t churn_rng = 12345;

static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void churn_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	churn_t *c = io->data;

	CHECK(!c->stopped);
	CHECK(c->restarted_at != churn_iter);
	CHECK_EQ_INT(events, WS_IO_READ);
	c->calls++;
	if (churn_quiet) {
		return;
	}
	churn_t *o = &churn[rng_next(&churn_rng) % CHURN_N];
	switch (rng_next(&churn_rng) % 4) {
	case 0:
		ws_io_stop(loop, io);
		c->stopped = 1;
		break;
	case 1:
		ws_io_stop(loop, &o->io);
		o->stopped = 1;
		break;
	case 2:
		if (o->stopped) {
			CHECK_EQ_INT(ws_io_start(loop, &o->io, o->fd[0], WS_IO_READ, churn_cb, o), 0);
			o->stopped = 0;
			o->restarted_at = churn_iter;
		}
		break;
	default:
		break;
	}
}

static void raise_fd_limit(int need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)need ? rl.rlim_max : (rlim_t)need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void test_churn_many_watches(void)
{
	ws_loop_t *loop = ws_loop_new();

	raise_fd_limit(2 * CHURN_N + 64);
	memset(churn, 0, sizeof(churn));
	for (int i = 0; i < CHURN_N; i++) {
		make_pipe(churn[i].fd);
		put_byte(churn[i].fd[1]);
		churn[i].restarted_at = UINT64_MAX;
		CHECK_EQ_INT(ws_io_start(loop, &churn[i].io, churn[i].fd[0], WS_IO_READ, churn_cb, &churn[i]), 0);
	}
	for (churn_iter = 0; churn_iter < 200; churn_iter++) {
		CHECK(ws_loop_run_once(loop, 0) >= 0);
		/* Revive everything now and then so the churn does not die out. */
		if (churn_iter % 20 == 19) {
			for (int i = 0; i < CHURN_N; i++) {
				if (churn[i].stopped) {
					CHECK_EQ_INT(ws_io_start(loop, &churn[i].io, churn[i].fd[0], WS_IO_READ, churn_cb, &churn[i]), 0);
					churn[i].stopped = 0;
				}
			}
		}
	}

	/* Quiet: every live watch is reported within two iterations, even with
	 * more ready watches than one epoll batch holds. */
	for (int i = 0; i < CHURN_N; i++) {
		if (churn[i].stopped) {
			CHECK_EQ_INT(ws_io_start(loop, &churn[i].io, churn[i].fd[0], WS_IO_READ, churn_cb, &churn[i]), 0);
			churn[i].stopped = 0;
		}
		churn[i].calls = 0;
	}
	churn_quiet = 1;
	int total = ws_loop_run_once(loop, 0);
	total += ws_loop_run_once(loop, 0);
#if defined(WS_LOOP_FORCE_POLL)
	CHECK_EQ_INT(total, 2 * CHURN_N);
#else
	/* epoll hands out at most a batch per wait, rotating the ready list. */
	CHECK(total >= CHURN_N && total <= 2 * CHURN_N);
#endif
	for (int i = 0; i < CHURN_N; i++) {
		CHECK(churn[i].calls >= 1);
	}
	churn_quiet = 0;

	for (int i = 0; i < CHURN_N; i++) {
		ws_io_stop(loop, &churn[i].io);
		close_pair(churn[i].fd);
	}
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	ws_loop_free(loop);
}

static void test_max_wait_elapses(void)
{
	ws_loop_t *loop = ws_loop_new();
	int p[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };

	make_pipe(p);
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, rec_cb, &r), 0);
	uint64_t before_now = ws_loop_now(loop);
	uint64_t t0 = real_ns();
	CHECK_EQ_INT(ws_loop_run_once(loop, 50), 0);
	uint64_t el = real_ns() - t0;
	CHECK(el >= 49000000u);
	CHECK(el < 2000000000u);
	CHECK(ws_loop_now(loop) >= before_now + 49);
	CHECK_EQ_INT(r.calls, 0);

	/* 0 never blocks. */
	t0 = real_ns();
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK(real_ns() - t0 < 20000000u);

	/* A far timer does not stretch max_wait. */
	ws_timer_t t;
	ws_timer_init(&t, NULL, NULL);
	ws_timer_start(loop, &t, ws_loop_now(loop) + 100000);
	t0 = real_ns();
	CHECK_EQ_INT(ws_loop_run_once(loop, 20), 0);
	el = real_ns() - t0;
	CHECK(el >= 19000000u && el < 2000000000u);
	CHECK(ws_timer_active(&t));
	ws_timer_stop(loop, &t);

	ws_io_stop(loop, &io);
	close_pair(p);
	ws_loop_free(loop);
}

static void test_now_and_update_time(void)
{
	ws_loop_t *loop = ws_loop_new();
	uint64_t a = ws_loop_now(loop);
	uint64_t r0 = real_ns() / 1000000u;

	CHECK(a <= r0);
	CHECK(r0 - a < 1000);
	/* Cached: callbacks see one time per iteration. */
	usleep(5000);
	CHECK_EQ_INT(ws_loop_now(loop), a);
	ws_loop_update_time(loop);
	CHECK(ws_loop_now(loop) >= a + 4);
	ws_loop_free(loop);
}

/* ---- timers ---- */

#define MAX_TIMERS 6000

typedef struct tmr {
	ws_timer_t t;
	int id;
	uint64_t order;        /* test-side start counter, to check FIFO ties */
	int fires;
	int must_not_fire;
} tmr_t;

static int fired[4 * MAX_TIMERS];
static int nfired;
static uint64_t start_counter;
static int early;

static void record_cb(ws_loop_t *loop, ws_timer_t *t)
{
	tmr_t *m = t->data;

	CHECK(!ws_timer_active(t));
	CHECK(!m->must_not_fire);
	if (ws_loop_now(loop) < t->deadline || real_ns() / 1000000u < t->deadline) {
		early++;
	}
	m->fires++;
	if (nfired < (int)(sizeof(fired) / sizeof(fired[0]))) {
		fired[nfired++] = m->id;
	}
}

static void tmr_start(ws_loop_t *loop, tmr_t *m, uint64_t deadline)
{
	ws_timer_start(loop, &m->t, deadline);
	m->order = start_counter++;
}

static void timers_reset(void)
{
	nfired = 0;
	early = 0;
	start_counter = 0;
}

/* Runs the loop until no timer is left (bounded). */
static void run_until_no_timers(ws_loop_t *loop)
{
	for (int i = 0; i < 10000 && ws_loop_timer_count(loop) > 0; i++) {
		CHECK(ws_loop_run_once(loop, -1) >= 0);
	}
	CHECK_EQ_INT(ws_loop_timer_count(loop), 0);
}

static void test_timer_order_and_ties(void)
{
	ws_loop_t *loop = ws_loop_new();
	tmr_t m[7];
	static const int offs[7] = { 3, 1, 2, 1, 1, 0, 2 };
	static const int expect[7] = { 5, 1, 3, 4, 2, 6, 0 };
	uint64_t base = ws_loop_now(loop);

	timers_reset();
	for (int i = 0; i < 7; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].id = i;
		ws_timer_init(&m[i].t, record_cb, &m[i]);
		CHECK(!ws_timer_active(&m[i].t));
		tmr_start(loop, &m[i], base + 1 + (uint64_t)offs[i]);
		CHECK(ws_timer_active(&m[i].t));
		CHECK_EQ_INT(m[i].t.deadline, base + 1 + (uint64_t)offs[i]);
	}
	CHECK_EQ_INT(ws_loop_timer_count(loop), 7);
	run_until_no_timers(loop);
	CHECK_EQ_INT(nfired, 7);
	for (int i = 0; i < 7; i++) {
		CHECK_EQ_INT(fired[i], expect[i]);
		CHECK_EQ_INT(m[i].fires, 1);
	}
	CHECK_EQ_INT(early, 0);
	ws_loop_free(loop);
}

static void test_timer_ties_past_deadline_one_pass(void)
{
	ws_loop_t *loop = ws_loop_new();
	tmr_t m[5];
	uint64_t base = ws_loop_now(loop);

	timers_reset();
	/* All already due: one call runs them all, by deadline then start order. */
	for (int i = 0; i < 5; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].id = i;
		ws_timer_init(&m[i].t, record_cb, &m[i]);
	}
	tmr_start(loop, &m[0], base);
	tmr_start(loop, &m[1], base - 1);
	tmr_start(loop, &m[2], base);
	tmr_start(loop, &m[3], base - 1);
	tmr_start(loop, &m[4], 0);
	CHECK_EQ_INT(ws_loop_run_once(loop, -1), 0);
	CHECK_EQ_INT(nfired, 5);
	CHECK_EQ_INT(fired[0], 4);
	CHECK_EQ_INT(fired[1], 1);
	CHECK_EQ_INT(fired[2], 3);
	CHECK_EQ_INT(fired[3], 0);
	CHECK_EQ_INT(fired[4], 2);
	CHECK_EQ_INT(ws_loop_timer_count(loop), 0);
	ws_loop_free(loop);
}

static void test_timer_stop(void)
{
	ws_loop_t *loop = ws_loop_new();
	tmr_t m[3];
	uint64_t base = ws_loop_now(loop);

	timers_reset();
	for (int i = 0; i < 3; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].id = i;
		ws_timer_init(&m[i].t, record_cb, &m[i]);
		tmr_start(loop, &m[i], base + 1 + (uint64_t)i);
	}
	ws_timer_stop(loop, &m[1].t);
	m[1].must_not_fire = 1;
	CHECK(!ws_timer_active(&m[1].t));
	CHECK_EQ_INT(ws_loop_timer_count(loop), 2);
	ws_timer_stop(loop, &m[1].t);
	CHECK_EQ_INT(ws_loop_timer_count(loop), 2);
	/* Stopping the root and the last slot too. */
	ws_timer_stop(loop, &m[0].t);
	m[0].must_not_fire = 1;
	CHECK_EQ_INT(ws_loop_timer_count(loop), 1);
	run_until_no_timers(loop);
	CHECK_EQ_INT(nfired, 1);
	CHECK_EQ_INT(fired[0], 2);
	ws_loop_free(loop);
}

/* A due timer stopping another due timer in the same pass. */
static tmr_t *victim;

static void stopper_cb(ws_loop_t *loop, ws_timer_t *t)
{
	record_cb(loop, t);
	ws_timer_stop(loop, &victim->t);
	victim->must_not_fire = 1;
}

static void test_timer_stop_in_same_pass(void)
{
	ws_loop_t *loop = ws_loop_new();
	tmr_t a, b;
	uint64_t base = ws_loop_now(loop);

	timers_reset();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.id = 0;
	b.id = 1;
	ws_timer_init(&a.t, stopper_cb, &a);
	ws_timer_init(&b.t, record_cb, &b);
	victim = &b;
	tmr_start(loop, &a, base);
	tmr_start(loop, &b, base);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(nfired, 1);
	CHECK_EQ_INT(a.fires, 1);
	CHECK_EQ_INT(b.fires, 0);
	CHECK_EQ_INT(ws_loop_timer_count(loop), 0);
	ws_loop_free(loop);
}

static void test_timer_move(void)
{
	ws_loop_t *loop = ws_loop_new();
	tmr_t a, b, c;
	uint64_t base = ws_loop_now(loop);

	timers_reset();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.id = 0;
	b.id = 1;
	c.id = 2;
	ws_timer_init(&a.t, record_cb, &a);
	ws_timer_init(&b.t, record_cb, &b);
	ws_timer_init(&c.t, record_cb, &c);

	/* Earlier. */
	tmr_start(loop, &a, base + 100000);
	tmr_start(loop, &b, base + 5);
	tmr_start(loop, &a, base + 2);
	CHECK_EQ_INT(a.t.deadline, base + 2);
	CHECK_EQ_INT(ws_loop_timer_count(loop), 2);
	/* Later: due now, moved out of reach. */
	tmr_start(loop, &c, base);
	tmr_start(loop, &c, base + 100000);
	CHECK_EQ_INT(ws_loop_timer_count(loop), 3);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(c.fires, 0);
	for (int i = 0; i < 1000 && ws_loop_timer_count(loop) > 1; i++) {
		ws_loop_run_once(loop, -1);
	}
	CHECK_EQ_INT(nfired, 2);
	CHECK_EQ_INT(fired[0], 0);
	CHECK_EQ_INT(fired[1], 1);
	CHECK_EQ_INT(a.fires, 1);
	CHECK(ws_timer_active(&c.t));
	ws_timer_stop(loop, &c.t);

	/* A restart counts as a new start for ties: it queues behind b. */
	timers_reset();
	base = ws_loop_now(loop);
	tmr_start(loop, &a, base + 1);
	tmr_start(loop, &b, base + 1);
	tmr_start(loop, &a, base + 1);
	run_until_no_timers(loop);
	CHECK_EQ_INT(nfired, 2);
	CHECK_EQ_INT(fired[0], 1);
	CHECK_EQ_INT(fired[1], 0);
	CHECK_EQ_INT(early, 0);
	ws_loop_free(loop);
}

/* A timer restarting itself at a deadline already past: once per call. */
static int self_fires;

static void self_cb(ws_loop_t *loop, ws_timer_t *t)
{
	self_fires++;
	ws_timer_start(loop, t, ws_loop_now(loop) - (self_fires % 2));
}

static void test_timer_self_restart_no_spin(void)
{
	ws_loop_t *loop = ws_loop_new();
	ws_timer_t t;

	self_fires = 0;
	ws_timer_init(&t, self_cb, NULL);
	ws_timer_start(loop, &t, ws_loop_now(loop));
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(self_fires, 1);
	CHECK(ws_timer_active(&t));
	CHECK_EQ_INT(ws_loop_timer_count(loop), 1);
	/* Due again: -1 must not block, and still one run per call. */
	uint64_t t0 = real_ns();
	CHECK_EQ_INT(ws_loop_run_once(loop, -1), 0);
	CHECK_EQ_INT(self_fires, 2);
	CHECK_EQ_INT(ws_loop_run_once(loop, 1000), 0);
	CHECK_EQ_INT(self_fires, 3);
	CHECK(real_ns() - t0 < 500000000u);
	ws_timer_stop(loop, &t);
	CHECK_EQ_INT(ws_loop_timer_count(loop), 0);
	ws_loop_free(loop);
}

/*
 * A timer started during the pass with a smaller deadline sits on top of the
 * heap; older due timers behind it must still run in this pass.
 */
static tmr_t *late_start;

static void starter_cb(ws_loop_t *loop, ws_timer_t *t)
{
	record_cb(loop, t);
	tmr_start(loop, late_start, t->deadline);
}

static void test_timer_started_in_pass_waits(void)
{
	ws_loop_t *loop = ws_loop_new();
	tmr_t a, b, n;
	uint64_t base = ws_loop_now(loop);

	timers_reset();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&n, 0, sizeof(n));
	a.id = 0;
	b.id = 1;
	n.id = 2;
	ws_timer_init(&a.t, starter_cb, &a);
	ws_timer_init(&b.t, record_cb, &b);
	ws_timer_init(&n.t, record_cb, &n);
	late_start = &n;
	tmr_start(loop, &a, base - 2);
	tmr_start(loop, &b, base - 1);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(nfired, 2);
	CHECK_EQ_INT(fired[0], 0);
	CHECK_EQ_INT(fired[1], 1);
	CHECK(ws_timer_active(&n.t));
	CHECK_EQ_INT(ws_loop_timer_count(loop), 1);
	CHECK_EQ_INT(ws_loop_run_once(loop, -1), 0);
	CHECK_EQ_INT(nfired, 3);
	CHECK_EQ_INT(fired[2], 2);
	CHECK_EQ_INT(ws_loop_timer_count(loop), 0);
	ws_loop_free(loop);
}

/* A timer started from an io callback at a due deadline runs in the same call. */
static ws_timer_t io_started_timer;

static void io_starts_timer_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	drain(io->fd);
	ws_timer_start(loop, &io_started_timer, ws_loop_now(loop));
}

static int simple_fires;

static void simple_cb(ws_loop_t *loop, ws_timer_t *t)
{
	simple_fires++;
}

static void test_timer_from_io_callback(void)
{
	ws_loop_t *loop = ws_loop_new();
	int p[2];
	ws_io_t io = { 0 };

	simple_fires = 0;
	make_pipe(p);
	ws_timer_init(&io_started_timer, simple_cb, NULL);
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, io_starts_timer_cb, NULL), 0);
	put_byte(p[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, -1), 1);
	CHECK_EQ_INT(simple_fires, 1);
	CHECK(!ws_timer_active(&io_started_timer));
	ws_io_stop(loop, &io);
	close_pair(p);
	ws_loop_free(loop);
}

/* A timer blocks run_once(-1) just long enough, and never fires early. */
static void test_timer_wait_exact(void)
{
	ws_loop_t *loop = ws_loop_new();
	tmr_t a;

	timers_reset();
	memset(&a, 0, sizeof(a));
	ws_timer_init(&a.t, record_cb, &a);
	uint64_t t0 = real_ns();
	tmr_start(loop, &a, ws_loop_now(loop) + 30);
	int calls = 0;
	while (ws_timer_active(&a.t) && calls < 100) {
		CHECK_EQ_INT(ws_loop_run_once(loop, -1), 0);
		calls++;
	}
	uint64_t el = real_ns() - t0;
	CHECK_EQ_INT(a.fires, 1);
	CHECK(el >= 29000000u);
	CHECK(el < 2000000000u);
	CHECK(calls <= 3);
	CHECK_EQ_INT(early, 0);
	ws_loop_free(loop);
}

/* Thousands of random timers with random stops and moves fire in (deadline, start) order. */
static tmr_t *rnd;
static int rnd_n;
static uint32_t rnd_rng = 777;

static void rnd_cb(ws_loop_t *loop, ws_timer_t *t)
{
	record_cb(loop, t);
	/* Now and then a callback stops a pending timer. */
	if (rng_next(&rnd_rng) % 8 == 0) {
		tmr_t *o = &rnd[rng_next(&rnd_rng) % (uint32_t)rnd_n];
		if (ws_timer_active(&o->t)) {
			ws_timer_stop(loop, &o->t);
			o->must_not_fire = 1;
		}
	}
}

static void test_timer_random_heap(void)
{
	ws_loop_t *loop = ws_loop_new();
	uint64_t base = ws_loop_now(loop);
	int active = 0;

	rnd_n = 5000;
	rnd = calloc((size_t)rnd_n, sizeof(*rnd));
	timers_reset();
	for (int i = 0; i < rnd_n; i++) {
		rnd[i].id = i;
		ws_timer_init(&rnd[i].t, rnd_cb, &rnd[i]);
		tmr_start(loop, &rnd[i], base + 1 + rng_next(&rnd_rng) % 40);
	}
	for (int i = 0; i < 2 * rnd_n; i++) {
		tmr_t *m = &rnd[rng_next(&rnd_rng) % (uint32_t)rnd_n];
		switch (rng_next(&rnd_rng) % 3) {
		case 0:
			ws_timer_stop(loop, &m->t);
			break;
		case 1:
			tmr_start(loop, m, base + 1 + rng_next(&rnd_rng) % 40);
			break;
		default:
			break;
		}
	}
	for (int i = 0; i < rnd_n; i++) {
		if (ws_timer_active(&rnd[i].t)) {
			active++;
		} else {
			rnd[i].must_not_fire = 1;
		}
	}
	CHECK_EQ_INT(ws_loop_timer_count(loop), active);
	run_until_no_timers(loop);

	int stopped_in_cb = 0;
	for (int i = 0; i < rnd_n; i++) {
		CHECK(rnd[i].fires <= 1);
		if (rnd[i].fires == 0 && ws_timer_active(&rnd[i].t) == 0 && !rnd[i].must_not_fire) {
			stopped_in_cb++;
		}
	}
	CHECK_EQ_INT(stopped_in_cb, 0);
	CHECK(nfired > 0 && nfired <= active);
	int ordered = 1;
	for (int i = 1; i < nfired; i++) {
		const tmr_t *p = &rnd[fired[i - 1]], *q = &rnd[fired[i]];
		if (p->t.deadline > q->t.deadline
			|| (p->t.deadline == q->t.deadline && p->order > q->order)) {
			ordered = 0;
		}
	}
	CHECK(ordered);
	CHECK_EQ_INT(early, 0);
	free(rnd);
	rnd = NULL;
	ws_loop_free(loop);
}

/* ---- allocation failure ---- */

static int alloc_fail;

static void *fail_malloc(size_t n)
{
	return alloc_fail ? NULL : malloc(n);
}

static void *fail_realloc(void *p, size_t n)
{
	return alloc_fail ? NULL : realloc(p, n);
}

static const ws_allocator_t failing = { fail_malloc, fail_realloc, free };

static void test_alloc_failure(void)
{
	ws_loop_t *loop;
	enum { N = 200 };
	static tmr_t m[N];

	ws_set_allocator(&failing);
	alloc_fail = 1;
	errno = 0;
	CHECK(ws_loop_new() == NULL);
	CHECK_EQ_INT(errno, ENOMEM);
	alloc_fail = 0;

	loop = ws_loop_new();
	CHECK(loop != NULL);
	uint64_t base = ws_loop_now(loop);

	/* The heap cannot grow: timers past its capacity wait aside but still
	 * count, stop and fire. */
	timers_reset();
	alloc_fail = 1;
	for (int i = 0; i < N; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].id = i;
		ws_timer_init(&m[i].t, record_cb, &m[i]);
		tmr_start(loop, &m[i], base + 1 + (uint64_t)((i * 7) % 13));
		CHECK(ws_timer_active(&m[i].t));
	}
	CHECK_EQ_INT(ws_loop_timer_count(loop), N);
	for (int i = 0; i < N; i += 9) {
		ws_timer_stop(loop, &m[i].t);
		m[i].must_not_fire = 1;
	}
	/* A move of a timer that waits aside. */
	tmr_start(loop, &m[N - 1], base + 2);
	int expected = N - (N + 8) / 9;
	CHECK_EQ_INT(ws_loop_timer_count(loop), expected);
	run_until_no_timers(loop);
	CHECK_EQ_INT(nfired, expected);
	CHECK_EQ_INT(early, 0);
	for (int i = 0; i < N; i++) {
		CHECK_EQ_INT(m[i].fires, m[i].must_not_fire ? 0 : 1);
	}

	/* Started while allocation fails, run after it works again: merged into
	 * the heap first, so the order is exact. */
	timers_reset();
	base = ws_loop_now(loop);
	for (int i = 0; i < N; i++) {
		m[i].fires = 0;
		m[i].must_not_fire = 0;
		tmr_start(loop, &m[i], base + 1 + (uint64_t)((i * 7) % 13));
	}
	alloc_fail = 0;
	run_until_no_timers(loop);
	CHECK_EQ_INT(nfired, N);
	int ordered = 1;
	for (int i = 1; i < nfired; i++) {
		const tmr_t *p = &m[fired[i - 1]], *q = &m[fired[i]];
		if (p->t.deadline > q->t.deadline
			|| (p->t.deadline == q->t.deadline && p->order > q->order)) {
			ordered = 0;
		}
	}
	CHECK(ordered);

	/* Watches: poll keeps a growable array, epoll allocates nothing. */
	int p[2];
	ws_io_t io = { 0 };
	rec_t r = { 0 };
	make_pipe(p);
	alloc_fail = 1;
	errno = 0;
#if defined(WS_LOOP_FORCE_POLL)
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, rec_cb, &r), -1);
	CHECK_EQ_INT(errno, ENOMEM);
	CHECK(!io.active);
	alloc_fail = 0;
#endif
	CHECK_EQ_INT(ws_io_start(loop, &io, p[0], WS_IO_READ, rec_cb, &r), 0);
	alloc_fail = 0;
	put_byte(p[1]);
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 1);
	ws_io_stop(loop, &io);
	close_pair(p);

	ws_loop_free(loop);
	ws_set_allocator(NULL);
}

/* ---- re-entrancy and signals ---- */

static int nested_rc;
static int nested_errno;

static void nested_cb(ws_loop_t *loop, ws_timer_t *t)
{
	nested_rc = ws_loop_run_once(loop, 0);
	nested_errno = errno;
}

static void test_nested_run_refused(void)
{
	ws_loop_t *loop = ws_loop_new();
	ws_timer_t t;

	ws_timer_init(&t, nested_cb, NULL);
	ws_timer_start(loop, &t, ws_loop_now(loop));
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(nested_rc, -1);
	CHECK_EQ_INT(nested_errno, EBUSY);
	/* The outer call left the loop usable. */
	ws_timer_init(&t, simple_cb, NULL);
	simple_fires = 0;
	ws_timer_start(loop, &t, ws_loop_now(loop));
	CHECK_EQ_INT(ws_loop_run_once(loop, 0), 0);
	CHECK_EQ_INT(simple_fires, 1);
	ws_loop_free(loop);
}

static volatile sig_atomic_t got_alarm;

static void on_alarm(int sig)
{
	got_alarm = 1;
}

static void test_eintr_returns_zero(void)
{
	ws_loop_t *loop = ws_loop_new();
	struct sigaction sa, old;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 20000;
	got_alarm = 0;
	setitimer(ITIMER_REAL, &it, NULL);

	uint64_t t0 = real_ns();
	int rc = ws_loop_run_once(loop, 5000);
	CHECK_EQ_INT(rc, 0);
	CHECK(got_alarm);
	CHECK(real_ns() - t0 < 2000000000u);

	sigaction(SIGALRM, &old, NULL);
	ws_loop_free(loop);
}

static const test_case_t tests[] = {
	TEST(test_backend_name),
	TEST(test_read_level_triggered),
	TEST(test_write_ready),
	TEST(test_io_set_switching),
	TEST(test_io_set_unchanged_is_noop),
	TEST(test_io_bad_arguments),
	TEST(test_events_zero),
	TEST(test_stop_other_during_dispatch),
	TEST(test_restart_on_new_fd_same_iteration),
	TEST(test_set_during_dispatch_masks),
	TEST(test_hangup),
	TEST(test_half_close),
	TEST(test_churn_many_watches),
	TEST(test_max_wait_elapses),
	TEST(test_now_and_update_time),
	TEST(test_timer_order_and_ties),
	TEST(test_timer_ties_past_deadline_one_pass),
	TEST(test_timer_stop),
	TEST(test_timer_stop_in_same_pass),
	TEST(test_timer_move),
	TEST(test_timer_self_restart_no_spin),
	TEST(test_timer_started_in_pass_waits),
	TEST(test_timer_from_io_callback),
	TEST(test_timer_wait_exact),
	TEST(test_timer_random_heap),
	TEST(test_alloc_failure),
	TEST(test_nested_run_refused),
	TEST(test_eintr_returns_zero),
};

int main(void)
{
	char suite[64];

	snprintf(suite, sizeof(suite), "loop (%s)", ws_loop_backend());
	return test_main(suite, tests, sizeof(tests) / sizeof(tests[0]));
}
