/*
 * ws_server.c - the server's lifecycle: configuration defaults, creation and
 * destruction, the settings that take lists (subprotocols, origins, document
 * root), run() and its signal handling, graceful stop, and statistics.
 *
 * The engine is split by concern (see ws_server_int.h for the shared
 * structures and the map of files); this file only ties the loop together.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ws_server_int.h"
#include "ws_server_test.h"
#include "ws_metrics_int.h"

static void stop_timer_cb(ws_loop_t *loop, ws_timer_t *t);

void ws_server_config_defaults(ws_server_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_message_size = 16 * 1024 * 1024;
	cfg->max_frame_size = 0;
	cfg->max_header_size = WS_HTTP_DEFAULT_MAX_HEAD;
	cfg->handshake_timeout_ms = 10000;
	cfg->idle_timeout_ms = 0;
	cfg->ping_interval_ms = 30000;
	cfg->pong_timeout_ms = 10000;
	cfg->close_timeout_ms = 5000;
	cfg->shutdown_timeout_ms = 5000;
	cfg->max_connections = 10000;
	cfg->max_connections_per_ip = 0;
	cfg->max_buffered_amount = 4 * 1024 * 1024;
	cfg->low_water_mark = 64 * 1024;
	cfg->backpressure = WS_BACKPRESSURE_CLOSE;
	cfg->max_memory = 0;
	cfg->backlog = 511;
	cfg->workers = 1;
	cfg->reload_window_ms = 5000;
	cfg->bus_buffer = 64 * 1024 * 1024;
	ws_deflate_config_defaults(&cfg->deflate);
	cfg->deflate.enabled = ws_deflate_available();
}

ws_server_t *ws_server_new(const ws_server_config_t *cfg, const ws_server_handler_t *handler, void *user)
{
	ws_server_t *s = ws_malloc(sizeof(*s));
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (s->cfg.max_frame_size == 0) {
		s->cfg.max_frame_size = s->cfg.max_message_size;
	}
	if (s->cfg.low_water_mark > s->cfg.max_buffered_amount) {
		s->cfg.low_water_mark = s->cfg.max_buffered_amount;
	}
	s->h = handler;
	s->user = user;
	s->spare_fd = -1;
	s->loop = ws_loop_new();
	if (s->loop == NULL) {
		ws_free(s);
		return NULL;
	}
	ws_map_init(&s->topics);
	ws_map_init(&s->per_ip);
	ws_map_init(&s->timers);
	ws_timer_init(&s->accept_timer, ws__accept_timer_cb, s);
	ws_timer_init(&s->stop_timer, stop_timer_cb, s);
	s->next_conn_id = 1;
	s->next_timer_id = 1;
	ws_metrics_init(&s->metrics);
	ws_state_init(&s->state, &s->mem);
	ws_fills_init(&s->fills);
	s->synced = 1;
	return s;
}

void *ws_server_user(const ws_server_t *s)
{
	return s->user;
}

const ws_server_config_t *ws_server_config(const ws_server_t *s)
{
	return &s->cfg;
}

static void free_strings(char **v, size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ws_free(v[i]);
	}
	ws_free(v);
	ws_free(lens);
}

static void free_timer_entry(void *arg, ws_map_entry_t *e)
{
	ws_free(e->value);
}

void ws_server_free(ws_server_t *s)
{
	if (s == NULL) {
		return;
	}
	/* Abortive: no close frames, no on_close; the binding only needs on_free. */
	while (s->conns) {
		ws_conn_t *c = s->conns;
		c->opened = 0;
		if (c->state == ST_DEAD) {
			ws__conn_release(c); /* its teardown was cut short by a bailout in a handler */
		} else {
			ws__conn_teardown(c, WS_CLOSE_ABNORMAL, NULL, 0);
		}
	}
	while (s->dead) {
		ws_conn_t *c = s->dead;
		s->dead = c->next;
		ws_free(c);
	}
	for (size_t i = 0; i < s->nlisteners; i++) {
		if (s->listeners[i].fd >= 0) {
			ws_io_stop(s->loop, &s->listeners[i].io);
			close(s->listeners[i].fd);
		}
		ws_tls_ctx_free(s->listeners[i].tls);
	}
	ws_free(s->listeners);
	ws_free(s->touched);
	if (s->spare_fd >= 0) {
		close(s->spare_fd);
	}
	ws_map_each(&s->timers, free_timer_entry, NULL);
	ws_map_free(&s->timers);
	ws_map_free(&s->topics);
	ws_map_free(&s->per_ip);
	for (size_t i = 0; i < s->npool; i++) {
		ws_free(s->pool[i]);
	}
	for (size_t i = 0; i < 16; i++) {
		ws_deflater_free(s->shared_deflaters[i]);
	}
	ws_inflater_free(s->shared_inflater);
	ws__mem_release(s, s->spare_msg, s->spare_msg_cap);
	ws_free(s->zbuf);
	ws_free(s->rbuf);
	ws_free(s->document_root);
	free_strings(s->protocols, s->protocol_lens, s->nprotocols);
	free_strings(s->origins, s->origin_lens, s->norigins);
	ws__route_free(s);
	ws__replica_free(s);
	ws__metrics_free(s);
	ws_loop_free(s->loop);
	ws_free(s);
}

static int copy_strings(char ***dst, size_t **dst_lens, size_t *dst_n,
	const char *const *names, const size_t *lens, size_t n)
{
	char **v = NULL;
	size_t *l = NULL;
	if (n) {
		v = ws_malloc(n * sizeof(*v));
		l = ws_malloc(n * sizeof(*l));
		if (v == NULL || l == NULL) {
			ws_free(v);
			ws_free(l);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			v[i] = ws_malloc(lens[i] + 1);
			if (v[i] == NULL) {
				free_strings(v, l, i);
				return -1;
			}
			memcpy(v[i], names[i], lens[i]);
			v[i][lens[i]] = '\0';
			l[i] = lens[i];
		}
	}
	free_strings(*dst, *dst_lens, *dst_n);
	*dst = v;
	*dst_lens = l;
	*dst_n = n;
	return 0;
}

int ws_server_set_subprotocols(ws_server_t *s, const char *const *names, const size_t *lens, size_t n)
{
	return copy_strings(&s->protocols, &s->protocol_lens, &s->nprotocols, names, lens, n);
}

int ws_server_set_allowed_origins(ws_server_t *s, const char *const *names, const size_t *lens, size_t n)
{
	return copy_strings(&s->origins, &s->origin_lens, &s->norigins, names, lens, n);
}

int ws_server_set_document_root(ws_server_t *s, const char *path)
{
	char *copy = NULL;
	if (path) {
		size_t n = strlen(path);
		copy = ws_malloc(n + 1);
		if (copy == NULL) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(copy, path, n + 1);
	}
	ws_free(s->document_root);
	s->document_root = copy;
	return 0;
}

static int pipe_nb(int fds[2])
{
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
	return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
#else
	if (pipe(fds) != 0) {
		return -1;
	}
	if (ws__set_nb_cloexec(fds[0]) != 0 || ws__set_nb_cloexec(fds[1]) != 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
#endif
}

static volatile sig_atomic_t ws__signals;
static int ws__sigpipe[2] = { -1, -1 };

static void ws__on_signal(int sig)
{
	int saved = errno;
	char code = sig == SIGHUP ? 'h' : 's';
	if (sig != SIGHUP && ws__signals++ > 0) {
		/* A second SIGINT/SIGTERM while shutting down: leave at once. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	if (ws__sigpipe[1] >= 0) {
		ssize_t r = write(ws__sigpipe[1], &code, 1);
		(void)r;
	}
	errno = saved;
}

static void signal_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	ws_server_t *s = io->data;
	char buf[16];
	ssize_t n;
	int stop = 0, reload = 0;
	while ((n = read(io->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			stop |= buf[i] == 's';
			reload |= buf[i] == 'h';
		}
	}
	if (reload) {
		char err[256];
		if (ws_server_reload_tls(s, err, sizeof(err)) != 0 && s->h->on_warning) {
			char msg[320];
			snprintf(msg, sizeof(msg), "SIGHUP: TLS reload failed, keeping the old certificate: %s", err);
			s->h->on_warning(s, msg);
		}
	}
	if (stop) {
		ws_server_stop(s);
	}
}

static void raise_nofile(ws_server_t *s)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		/* As Go's runtime does: the hard limit is what the admin allowed. */
		struct rlimit want = rl;
		want.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
			rl = want;
		}
	}
	if (s->cfg.max_connections && rl.rlim_cur != RLIM_INFINITY
		&& (rlim_t)s->cfg.max_connections + 64 > rl.rlim_cur && !s->warned_nofile && s->h->on_warning) {
		char msg[200];
		snprintf(msg, sizeof(msg), "max_connections (%zu) does not fit under the open-files limit (%llu); "
			"raise it with ulimit -n or LimitNOFILE=", s->cfg.max_connections, (unsigned long long)rl.rlim_cur);
		s->warned_nofile = 1;
		s->h->on_warning(s, msg);
	}
}

int ws_server_is_running(const ws_server_t *s)
{
	return s->running;
}

/* What every way of running needs before the first iteration: the read buffer and the spare descriptor. */
static int server_prepare(ws_server_t *s)
{
	if (s->rbuf == NULL) {
		s->rbuf = ws_malloc(WS_READ_CHUNK);
		if (s->rbuf == NULL) {
			errno = ENOMEM;
			return -1;
		}
	}
	if (s->spare_fd < 0) {
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	s->running = 1;
	s->stopping = 0;
	s->breaking = 0;
	s->draining = 0;
	/* A worker accepts once the supervisor's snapshot of histories and presence is in (ws_replica.c). */
	ws__accepting_set(s, s->synced);
	ws__route_start(s);
	return 0;
}

/*
 * One iteration: wait (up to max_wait_ms), dispatch, then the end-of-iteration
 * work: publications in transit, the memory budget, the writes and watch
 * changes of every connection touched, the memory of connections torn down,
 * and the iteration's timing for the metrics.
 */
static int server_iterate(ws_server_t *s, int max_wait_ms)
{
	int rc = ws_loop_run_once(s->loop, max_wait_ms) < 0 ? -1 : 0;
	int saved = errno;
	if (rc == 0) {
		ws__route_tick(s);
		if (s->cfg.max_memory && s->mem > s->cfg.max_memory) {
			ws__server_enforce_memory(s);
		}
		if (!s->breaking) {
			ws__server_settle_touched(s);
		}
	}
	ws__server_free_dead(s);
	if (rc == 0 && s->mctl) {
		ws__metrics_iteration_end(s);
	}
	errno = saved;
	return rc;
}

/* After the last iteration: stop accepting and the server's own timers. */
static void server_wind_down(ws_server_t *s)
{
	ws__route_stop(s);
	ws__accepting_set(s, 0);
	ws_timer_stop(s->loop, &s->accept_timer);
	ws_timer_stop(s->loop, &s->stop_timer);
	s->running = 0;
	s->stopping = 0;
}

int ws_server_run(ws_server_t *s)
{
	if (s->running) {
		errno = EBUSY;
		return -1;
	}
	raise_nofile(s);
	if (server_prepare(s) != 0) {
		return -1;
	}

	struct sigaction sa, old_int, old_term, old_pipe, old_hup;
	ws_io_t sig_io;
	memset(&sig_io, 0, sizeof(sig_io));
	int have_sig = 0;
	if (ws__sigpipe[0] < 0 && pipe_nb(ws__sigpipe) == 0) {
		have_sig = 1;
		ws__signals = 0;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = ws__on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		sigaction(SIGHUP, &sa, &old_hup);
		ws_io_start(s->loop, &sig_io, ws__sigpipe[0], WS_IO_READ, signal_io_cb, s);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, &old_pipe);

	int rc = 0;
	while (s->running && !s->breaking) {
		if (server_iterate(s, -1) != 0) {
			rc = -1;
			break;
		}
	}
	int saved = errno;
	server_wind_down(s);
	if (have_sig) {
		ws_io_stop(s->loop, &sig_io);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		close(ws__sigpipe[0]);
		close(ws__sigpipe[1]);
		ws__sigpipe[0] = ws__sigpipe[1] = -1;
	}
	sigaction(SIGPIPE, &old_pipe, NULL);
	errno = saved;
	return rc;
}

int ws_server_run_once(ws_server_t *s, int max_wait_ms)
{
	/*
	 * Not running and not stopping: never started, or wound down, so start.
	 * Not running but stopping: a stop completed outside an iteration (no
	 * connection was left), and breaking: a break outside one; either way
	 * this call reports the end, as run() would return, without iterating.
	 */
	if (!s->running && !s->stopping && server_prepare(s) != 0) {
		return -1;
	}
	if (s->running && !s->breaking && server_iterate(s, max_wait_ms) != 0) {
		return -1;
	}
	if (s->running && !s->breaking) {
		return 1;
	}
	server_wind_down(s);
	return 0;
}

void ws_server_set_clock(ws_server_t *s, uint64_t (*now_ms)(void *arg), void *arg)
{
	ws_loop_set_clock(s->loop, now_ms, arg);
}

void ws__server_finish_stop_if_done(ws_server_t *s)
{
	if (s->stopping && s->nconns == 0) {
		s->running = 0;
	}
}

static void stop_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_server_t *s = t->data;
	/*
	 * Peers that did not answer in time are dropped; their close events
	 * still fire.  What is queued (our close frame at least) gets one last
	 * write first, even with a zero shutdown_timeout.
	 */
	for (ws_conn_t *c = s->conns; c; c = c->next) {
		if (ws__conn_flush(c) == 0 && c->tls) {
			ws_tls_flush(c->tls);
		}
		c->drop = 1;
		ws__conn_touch(c);
	}
}

void ws_server_stop(ws_server_t *s)
{
	if (!s->running || s->stopping) {
		return;
	}
	s->stopping = 1;
	ws__accepting_set(s, 0);
	ws_timer_stop(s->loop, &s->accept_timer);
	for (ws_conn_t *c = s->conns; c; c = c->next) {
		if (c->state == ST_OPEN) {
			ws__conn_close_internal(c, WS_CLOSE_GOING_AWAY, "server shutting down", 20, 0);
		} else if (c->state == ST_HTTP || c->state == ST_TLS) {
			c->drop = 1;
			ws__conn_touch(c);
		}
	}
	ws_timer_start(s->loop, &s->stop_timer, ws_loop_now(s->loop) + s->cfg.shutdown_timeout_ms);
	ws__server_finish_stop_if_done(s);
}

void ws_server_break(ws_server_t *s)
{
	s->breaking = 1;
}

void ws_server_close_all(ws_server_t *s, unsigned code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;
	int was_breaking = s->breaking;
	s->breaking = 0;
	while (s->conns) {
		ws_conn_t *c = s->conns;
		if (c->state == ST_OPEN) {
			ws__conn_close_internal(c, code, reason, rlen, 1);
		}
		/* One best-effort write of what is queued (the close frame above). */
		ws__conn_flush(c);
		ws__conn_teardown(c, c->close_code ? c->close_code : code, reason, rlen);
	}
	s->ntouched = s->touched_done = 0;
	ws__server_free_dead(s);
	s->breaking = was_breaking;
}

/* The stats() keys, from the same counters as the metrics endpoint (ws_metrics.h). */
void ws_server_get_stats(const ws_server_t *s, ws_server_stats_t *out)
{
	const ws_metrics_t *m = &s->metrics;
	*out = s->stats;
	out->connections = s->nopen;
	out->pending = s->nconns - s->nopen;
	out->buffered_bytes = (size_t)m->buffered_bytes;
	out->memory_bytes = s->mem;
	out->messages_in = m->messages_received[WS_MT_TEXT] + m->messages_received[WS_MT_BINARY];
	out->messages_out = m->messages_sent[WS_MT_TEXT] + m->messages_sent[WS_MT_BINARY];
	out->bytes_in = m->read_bytes;
	out->bytes_out = m->sent_bytes[WS_MT_TEXT] + m->sent_bytes[WS_MT_BINARY];
	out->accepted = m->connections_accepted;
	out->handshakes_rejected = 0;
	for (int i = 0; i < WS_MST_COUNT; i++) {
		out->handshakes_rejected += m->handshakes_refused[i];
	}
	for (int i = 0; i < 16; i++) {
		out->closes_by_code[i] = m->closes[WS_MSIDE_PEER][i] + m->closes[WS_MSIDE_SERVER][i];
	}
	out->closes_other = m->closes[WS_MSIDE_PEER][16] + m->closes[WS_MSIDE_SERVER][16];
}
