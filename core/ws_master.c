/*
 * ws_master.c - the supervisor: worker processes, their restarts and
 * reloads, signals, and the dispatch of their bus records to the hub
 * (ws_hub.c, which sequences and routes them; docs/PROCESS_MODEL.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ws_master_int.h"

#define WS_ENV_WORKER "WEBSOCKET_WORKER"
#define WS_RELOAD_TIMEOUT_MS 30000
#define WS_START_FAILURES_MAX 5
#define WS_BACKOFF_MIN_MS 100
#define WS_BACKOFF_MAX_MS 5000
#define WS_STABLE_MS 30000

static volatile sig_atomic_t ws__master_signals;
static int ws__master_pipe = -1;

void ws__master_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ws__master_say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "websocket supervisor [%d]: %s\n", (int)getpid(), buf);
	fflush(stderr);
}

/* ---------------------------------------------------------------- signals */

static void on_signal(int sig)
{
	int saved = errno;
	char c = 0;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		c = ws__master_signals++ > 0 ? 'K' : 'T';
		break;
	case SIGHUP:
		c = 'H';
		break;
	case SIGUSR2:
		c = 'R';
		break;
	case SIGCHLD:
		c = 'C';
		break;
	default:
		break;
	}
	if (c && ws__master_pipe >= 0) {
		ssize_t r = write(ws__master_pipe, &c, 1);
		(void)r;
	}
	errno = saved;
}

static const int master_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGCHLD };
#define NSIGNALS (sizeof(master_signals) / sizeof(master_signals[0]))

static void signals_install(master_t *m, struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	ws__master_signals = 0;
	ws__master_pipe = m->sigpipe[1];
	for (size_t i = 0; i < NSIGNALS; i++) {
		sigaction(master_signals[i], &sa, &old[i]);
	}
}

static void signals_restore(struct sigaction *old)
{
	for (size_t i = 0; i < NSIGNALS; i++) {
		sigaction(master_signals[i], &old[i], NULL);
	}
	ws__master_pipe = -1;
}

/* ---------------------------------------------------------------- links */

static void link_record(ws_bus_link_t *bus, unsigned type, const uint8_t *p, size_t len);
static void link_eof(ws_bus_link_t *bus);

static mlink_t *link_find_pid(master_t *m, pid_t pid)
{
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		if (m->links[i] && m->links[i]->pid == pid) {
			return m->links[i];
		}
	}
	return NULL;
}

static size_t alive_count(const master_t *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		n += m->links[i] != NULL && !m->links[i]->reaped;
	}
	return n;
}

static void reload_start(master_t *m);
static void reload_check(master_t *m);

static void link_record(ws_bus_link_t *bus, unsigned type, const uint8_t *p, size_t len)
{
	mlink_t *l = bus->data;
	master_t *m = l->m;
	switch (type) {
	case WS_BUS_ROUTE:
		ws__hub_route(m, l, p, len);
		break;
	case WS_BUS_INTEREST:
		if (len >= 1 && len - 1 <= WS_TOPIC_MAX) {
			ws__hub_interest_set(m, l, (const char *)p + 1, len - 1, p[0]);
		}
		break;
	case WS_BUS_READY:
		l->ready = 1;
		if (l->gen == m->gen && l->slot >= 0) {
			m->slots[l->slot].start_failures = 0;
		}
		reload_check(m);
		break;
	case WS_BUS_STATS: {
		uint8_t *copy = ws_malloc(len ? len : 1);
		if (copy) {
			memcpy(copy, p, len);
			ws_free(l->stats);
			l->stats = copy;
			l->stats_len = len;
		}
		break;
	}
	case WS_BUS_RELOAD:
		reload_start(m);
		break;
	case WS_BUS_PRESENCE:
		ws__hub_presence(m, l, p, len);
		break;
	case WS_BUS_BARRIER:
		/* Everything sequenced before this point is already on its way to the worker: say so. */
		ws_bus_send(&l->bus, WS_BUS_BARRIER, p, len, NULL, 0, NULL, 0);
		break;
	default:
		break;
	}
}

static void link_eof(ws_bus_link_t *bus)
{
	mlink_t *l = bus->data;
	l->connected = 0;
	ws__hub_interest_drop_link(l->m, l->index);
	ws__hub_presence_drop_link(l->m, l);
}

static void link_free(master_t *m, mlink_t *l)
{
	ws_bus_link_close(&l->bus);
	m->links[l->index] = NULL;
	if (l->connected) {
		ws__hub_interest_drop_link(m, l->index);
		ws__hub_presence_drop_link(m, l);
	}
	ws_free(l->stats);
	ws_free(l);
}

/* ---------------------------------------------------------------- spawning */

/* In the child between fork() and becoming a worker: let go of everything that is the supervisor's. */
static void child_cleanup(master_t *m)
{
	ws_broker_abandon(m->broker);
	m->broker = NULL;
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		if (m->links[i]) {
			ws_bus_link_abandon(&m->links[i]->bus);
			m->links[i]->connected = 0;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSIGNALS; i++) {
		sigaction(master_signals[i], &sa, NULL);
	}
	/* A worker ignores the reload signal: only the supervisor acts on it. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	ws__master_pipe = -1;
	close(m->sigpipe[0]);
	close(m->sigpipe[1]);
	m->sigpipe[0] = m->sigpipe[1] = -1;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void exec_worker(master_t *m, const ws_worker_start_t *w)
{
	/* The listening sockets and the bus end cross exec(); everything of ours is close-on-exec. */
	char env[64 + 16 * 64];
	int n = snprintf(env, sizeof(env), "%d,%d,%u,%d", w->slot, w->count, w->instance, w->bus_fd);
	for (size_t i = 0; i < m->cfg.nlisteners && n > 0 && (size_t)n < sizeof(env) - 16; i++) {
		n += snprintf(env + n, sizeof(env) - (size_t)n, ",%d", m->cfg.listen_fds[i]);
		int fl = fcntl(m->cfg.listen_fds[i], F_GETFD);
		fcntl(m->cfg.listen_fds[i], F_SETFD, fl & ~FD_CLOEXEC);
	}
	int fl = fcntl(w->bus_fd, F_GETFD);
	fcntl(w->bus_fd, F_SETFD, fl & ~FD_CLOEXEC);
	setenv(WS_ENV_WORKER, env, 1);
	execv("/proc/self/exe", m->argv);
	fprintf(stderr, "websocket worker %d: cannot exec the PHP binary again: %s\n", w->slot, strerror(errno));
	_exit(127);
}

/*
 * Starts the process of slot in generation gen.  Generation 1 is forked
 * (it runs the code the supervisor loaded); later generations are exec'd,
 * so that a reload loads the PHP code anew.  In the forked child this sets
 * m->in_child and returns NULL.
 */
static mlink_t *spawn(master_t *m, int slot, uint32_t gen)
{
	size_t index = 0;
	while (index < m->nlinks_cap && m->links[index]) {
		index++;
	}
	if (index == m->nlinks_cap) {
		ws__master_say("no room for another worker process (a reload is still finishing)");
		return NULL;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		ws__master_say("worker %d: socketpair: %s", slot, strerror(errno));
		return NULL;
	}
	mlink_t *l = ws_malloc(sizeof(*l));
	if (l == NULL) {
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	memset(l, 0, sizeof(*l));
	l->m = m;
	l->index = index;
	l->slot = slot;
	l->gen = gen;
	l->instance = ++m->next_instance;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		ws__master_say("worker %d: fork: %s", slot, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		ws_free(l);
		return NULL;
	}
	if (pid == 0) {
		close(sv[0]);
		child_cleanup(m);
		ws_worker_start_t w = { slot, (int)m->cfg.workers, sv[1], l->instance, gen == 1 };
		ws_free(l);
		if (gen > 1) {
			exec_worker(m, &w);
		}
		*m->child = w;
		m->in_child = 1;
		return NULL;
	}
	close(sv[1]);
	l->pid = pid;
	size_t max_record = (size_t)m->cfg.max_message_size + WS_TOPIC_MAX + 64 + (16u << 20);
	if (ws_bus_link_start(&l->bus, m->loop, sv[0], m->cfg.bus_buffer, max_record, link_record, link_eof, l) != 0) {
		ws__master_say("worker %d: bus: %s", slot, strerror(errno));
		close(sv[0]);
		kill(pid, SIGKILL);
		l->bus.fd = -1;
	} else {
		l->connected = 1;
		ws__hub_send_snapshot(m, l);
	}
	m->links[index] = l;
	return l;
}

static void slot_start(master_t *m, mslot_t *sl)
{
	sl->started_ms = ws_loop_now(m->loop);
	mlink_t *l = spawn(m, sl->id, m->gen);
	if (m->in_child) {
		return;
	}
	sl->link = l;
	if (l == NULL) {
		/* Try again later, as after a crash. */
		sl->crashes++;
		ws_timer_start(m->loop, &sl->restart, ws_loop_now(m->loop) + WS_BACKOFF_MAX_MS);
	}
}

static void restart_cb(ws_loop_t *loop, ws_timer_t *t)
{
	mslot_t *sl = t->data;
	master_t *m = sl->m;
	(void)loop;
	if (m->in_child || m->stopping || sl->link || sl->given_up) {
		return;
	}
	slot_start(m, sl);
}

/* ---------------------------------------------------------------- reload */

static void reload_abort(master_t *m, const char *why)
{
	ws__master_say("reload failed: %s; the old workers keep serving", why);
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l && l->gen == m->new_gen && !l->reaped) {
			kill(l->pid, SIGKILL);
		}
	}
	m->new_gen = 0;
	ws_timer_stop(m->loop, &m->reload_timer);
}

static void reload_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	master_t *m = t->data;
	(void)loop;
	if (!m->in_child && m->new_gen) {
		reload_abort(m, "the new workers did not become ready within 30 s");
	}
}

static void reload_start(master_t *m)
{
	if (m->stopping || m->new_gen) {
		ws__master_say("reload ignored: %s", m->stopping ? "stopping" : "a reload is already under way");
		return;
	}
	if (m->argv == NULL) {
		ws__master_say("reload impossible: the command line could not be read from /proc/self/cmdline");
		return;
	}
	m->new_gen = m->gen + 1;
	ws__master_say("reload: starting %u new workers (generation %u)", m->cfg.workers, m->new_gen);
	for (unsigned i = 0; i < m->cfg.workers; i++) {
		mlink_t *l = spawn(m, (int)i, m->new_gen);
		if (m->in_child) {
			return;
		}
		if (l == NULL) {
			reload_abort(m, "a new worker could not be started");
			return;
		}
	}
	ws_timer_start(m->loop, &m->reload_timer, ws_loop_now(m->loop) + WS_RELOAD_TIMEOUT_MS);
}

/* Once every new worker is ready, the old ones drain and the new generation serves. */
static void reload_check(master_t *m)
{
	if (!m->new_gen || m->stopping) {
		return;
	}
	unsigned ready = 0;
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		ready += l && l->gen == m->new_gen && l->ready && !l->reaped;
	}
	if (ready < m->cfg.workers) {
		return;
	}
	uint8_t w[4];
	uint32_t win = m->cfg.reload_window_ms;
	w[0] = (uint8_t)win;
	w[1] = (uint8_t)(win >> 8);
	w[2] = (uint8_t)(win >> 16);
	w[3] = (uint8_t)(win >> 24);
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l && l->gen == m->gen && !l->reaped) {
			ws__hub_link_send(m, l, WS_BUS_DRAIN, w, sizeof(w));
		}
	}
	for (unsigned i = 0; i < m->cfg.workers; i++) {
		ws_timer_stop(m->loop, &m->slots[i].restart);
		m->slots[i].link = NULL;
		m->slots[i].start_failures = m->slots[i].crashes = 0;
		m->slots[i].given_up = 0;
	}
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l && l->gen == m->new_gen) {
			m->slots[l->slot].link = l;
			m->slots[l->slot].started_ms = ws_loop_now(m->loop);
		}
	}
	ws__master_say("reload: generation %u serves; generation %u closes its clients with 1012 over %u ms",
		m->new_gen, m->gen, m->cfg.reload_window_ms);
	m->gen = m->new_gen;
	m->new_gen = 0;
	ws_timer_stop(m->loop, &m->reload_timer);
}

/* ---------------------------------------------------------------- children */

static void describe_status(int status, char *out, size_t cap)
{
	if (WIFSIGNALED(status)) {
		snprintf(out, cap, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else {
		snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
	}
}

static void child_exited(master_t *m, mlink_t *l, int status)
{
	char what[96];
	describe_status(status, what, sizeof(what));
	l->reaped = 1;
	int slot = l->slot, was_ready = l->ready;
	uint32_t gen = l->gen;
	pid_t pid = l->pid;
	link_free(m, l);
	if (m->stopping) {
		return;
	}
	if (gen == m->new_gen) {
		char why[160];
		snprintf(why, sizeof(why), "new worker %d (pid %d) %s before it was ready", slot, (int)pid, what);
		reload_abort(m, why);
		return;
	}
	if (gen != m->gen) {
		return; /* an old generation leaving after a reload */
	}
	mslot_t *sl = &m->slots[slot];
	if (sl->link && sl->link->pid != pid) {
		return;
	}
	sl->link = NULL;
	uint64_t now = ws_loop_now(m->loop);
	if (!was_ready) {
		sl->start_failures++;
	}
	if (sl->start_failures >= WS_START_FAILURES_MAX) {
		ws__master_say("worker %d (pid %d) %s before its workerStart returned, %d times in a row: not restarting it",
			slot, (int)pid, what, sl->start_failures);
		sl->given_up = 1;
	} else {
		sl->crashes = now - sl->started_ms < WS_STABLE_MS ? sl->crashes + 1 : 0;
		uint64_t delay = 0;
		if (sl->crashes > 0) {
			delay = WS_BACKOFF_MIN_MS;
			for (int i = 1; i < sl->crashes && delay < WS_BACKOFF_MAX_MS; i++) {
				delay *= 2;
			}
			if (delay > WS_BACKOFF_MAX_MS) {
				delay = WS_BACKOFF_MAX_MS;
			}
		}
		ws__master_say("worker %d (pid %d) %s; restarting it in %llu ms", slot, (int)pid, what, (unsigned long long)delay);
		ws_timer_start(m->loop, &sl->restart, now + delay);
	}
	int serving = 0;
	for (unsigned i = 0; i < m->cfg.workers; i++) {
		serving |= !m->slots[i].given_up;
	}
	if (!serving) {
		snprintf(m->err, m->errcap, "every worker failed to start %d times in a row (the last %s); giving up",
			WS_START_FAILURES_MAX, what);
		m->fatal = 1;
		m->stopping = 1;
		for (size_t i = 0; i < m->nlinks_cap; i++) {
			if (m->links[i] && !m->links[i]->reaped) {
				kill(m->links[i]->pid, SIGTERM);
			}
		}
	}
}

static void reap(master_t *m)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		mlink_t *l = link_find_pid(m, pid);
		if (l) {
			child_exited(m, l, status);
		}
	}
	if (m->stopping && alive_count(m) == 0) {
		m->done = 1;
	}
}

static void signal_all(master_t *m, int sig)
{
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		if (m->links[i] && !m->links[i]->reaped) {
			kill(m->links[i]->pid, sig);
		}
	}
}

static void stop(master_t *m)
{
	if (m->stopping) {
		return;
	}
	m->stopping = 1;
	for (unsigned i = 0; i < m->cfg.workers; i++) {
		ws_timer_stop(m->loop, &m->slots[i].restart);
	}
	ws_timer_stop(m->loop, &m->reload_timer);
	signal_all(m, SIGTERM);
	if (alive_count(m) == 0) {
		m->done = 1;
	}
}

static void sig_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	master_t *m = io->data;
	char buf[64];
	ssize_t n;
	(void)loop;
	(void)events;
	while (!m->in_child && (n = read(io->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && !m->in_child; i++) {
			switch (buf[i]) {
			case 'T':
				stop(m);
				break;
			case 'K':
				/* A second stop signal: no more waiting. */
				signal_all(m, SIGKILL);
				ws__master_say("second stop signal: workers killed");
				_exit(1);
			case 'H':
				signal_all(m, SIGHUP);
				break;
			case 'R':
				reload_start(m);
				break;
			case 'C':
				reap(m);
				break;
			default:
				break;
			}
		}
	}
}

/* ---------------------------------------------------------------- run */

/* Our own command line, NUL-separated in /proc/self/cmdline, as an argv for exec. */
static char **read_cmdline(void)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = ws_malloc(cap + 1);
	ssize_t n;
	while (buf && (n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *nb = ws_realloc(buf, cap * 2 + 1);
			if (nb == NULL) {
				ws_free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (buf == NULL || len == 0) {
		ws_free(buf);
		return NULL;
	}
	buf[len] = '\0';
	size_t argc = 0;
	for (size_t i = 0; i < len; i++) {
		argc += buf[i] == '\0';
	}
	char **argv = ws_malloc((argc + 2) * sizeof(*argv));
	if (argv == NULL) {
		ws_free(buf);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		argv[k++] = buf + i;
	}
	argv[k] = NULL;
	return argv;
}

/* One link to Redis per node, made after the first workers were forked (they need none of it). */
static void master_free(master_t *m, int in_child)
{
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l == NULL) {
			continue;
		}
		if (in_child) {
			ws_bus_link_abandon(&l->bus);
		} else {
			ws_bus_link_close(&l->bus);
		}
		ws_free(l->stats);
		ws_free(l);
	}
	if (!in_child) {
		ws_broker_free(m->broker);
	}
	ws_free(m->links);
	ws_free(m->slots);
	ws_map_each(&m->interest, ws__hub_free_interest_cb, NULL);
	ws_map_free(&m->interest);
	ws_state_free(&m->state);
	ws_fills_free(&m->fills);
	if (m->sigpipe[0] >= 0) {
		close(m->sigpipe[0]);
		close(m->sigpipe[1]);
	}
	if (m->argv) {
		ws_free(m->argv[0]);
		ws_free(m->argv);
	}
	/* In a child this only drops our reference to the supervisor's kernel object. */
	ws_loop_free(m->loop);
	ws_free(m);
}

int ws_master_run(const ws_master_config_t *cfg, ws_worker_start_t *child, char *err, size_t errcap)
{
	if (cfg->workers < 1 || cfg->workers > 1024) {
		snprintf(err, errcap, "workers must be between 1 and 1024");
		return -1;
	}
	master_t *m = ws_malloc(sizeof(*m));
	if (m == NULL) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memset(m, 0, sizeof(*m));
	ws_state_init(&m->state, NULL);
	ws_fills_init(&m->fills);
	m->hsynced = 1;
	ws_timer_init(&m->hsync_timer, ws__hub_hsync_timer_cb, m);
	m->cfg = *cfg;
	m->err = err;
	m->errcap = errcap;
	m->child = child;
	m->sigpipe[0] = m->sigpipe[1] = -1;
	m->nlinks_cap = 2 * (size_t)cfg->workers;
	m->words = (m->nlinks_cap + 63) / 64;
	m->links = ws_malloc(m->nlinks_cap * sizeof(*m->links));
	m->slots = ws_malloc(cfg->workers * sizeof(*m->slots));
	m->loop = ws_loop_new();
	if (m->links == NULL || m->slots == NULL || m->loop == NULL || pipe(m->sigpipe) != 0) {
		snprintf(err, errcap, "cannot start the supervisor: %s", strerror(errno ? errno : ENOMEM));
		master_free(m, 0);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(m->sigpipe[i], F_SETFL, fcntl(m->sigpipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(m->sigpipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(m->links, 0, m->nlinks_cap * sizeof(*m->links));
	memset(m->slots, 0, cfg->workers * sizeof(*m->slots));
	ws_map_init(&m->interest);
	if (cfg->state && ws_state_copy_rules(&m->state, cfg->state) != 0) {
		snprintf(err, errcap, "cannot start the supervisor: out of memory");
		master_free(m, 0);
		return -1;
	}
	m->argv = read_cmdline();
	m->gen = 1;
	ws_timer_init(&m->cluster_timer, ws__hub_cluster_cb, m);
	ws_timer_init(&m->reload_timer, reload_timer_cb, m);
	ws_io_start(m->loop, &m->sig_io, m->sigpipe[0], WS_IO_READ, sig_io_cb, m);

	struct sigaction old[NSIGNALS];
	signals_install(m, old);
	/* Before the first fork: the node id goes to every worker with its snapshot (a child lets go of the link). */
	ws__hub_broker_start(m);
	for (unsigned i = 0; i < cfg->workers && !m->in_child; i++) {
		m->slots[i].m = m;
		m->slots[i].id = (int)i;
		ws_timer_init(&m->slots[i].restart, restart_cb, &m->slots[i]);
		slot_start(m, &m->slots[i]);
	}
	if (!m->in_child) {
		ws_timer_start(m->loop, &m->cluster_timer, ws_loop_now(m->loop) + WS_CLUSTER_INTERVAL_MS);
	}
	while (!m->done && !m->in_child) {
		if (ws_loop_run_once(m->loop, -1) < 0 && errno != EINTR) {
			break;
		}
		for (size_t i = 0; i < m->nlinks_cap && !m->in_child; i++) {
			if (m->links[i]) {
				ws_bus_flush(&m->links[i]->bus);
			}
		}
		if (m->broker && !m->in_child) {
			ws_broker_flush(m->broker);
			if (ws_fill_pending(&m->fills)) {
				ws_fill_expire(&m->fills, ws__hub_wall_ms(), ws__hub_fill_deliver, m);
			}
		}
	}
	if (m->in_child) {
		/* A worker now: nothing of the supervisor's stays in this process but the listening sockets. */
		master_free(m, 1);
		return 1;
	}
	signals_restore(old);
	int fatal = m->fatal;
	master_free(m, 0);
	return fatal ? -1 : 0;
}

/* ---------------------------------------------------------------- exec'd workers */

int ws_worker_from_env(ws_worker_start_t *w, int *fds, size_t cap, size_t *nfds)
{
	const char *v = getenv(WS_ENV_WORKER);
	if (v == NULL) {
		return 0;
	}
	char copy[1200];
	snprintf(copy, sizeof(copy), "%s", v);
	unsetenv(WS_ENV_WORKER);
	long vals[4 + 64];
	size_t n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok && n < 4 + 64; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		vals[n++] = strtol(tok, &end, 10);
		if (*end != '\0' || vals[n - 1] < 0) {
			return -1;
		}
	}
	if (n < 4 || vals[1] < 1 || vals[0] >= vals[1]) {
		return -1;
	}
	memset(w, 0, sizeof(*w));
	w->slot = (int)vals[0];
	w->count = (int)vals[1];
	w->instance = (uint32_t)vals[2];
	w->bus_fd = (int)vals[3];
	w->forked = 0;
	*nfds = 0;
	for (size_t i = 4; i < n && *nfds < cap; i++) {
		fds[(*nfds)++] = (int)vals[i];
	}
	return 1;
}
