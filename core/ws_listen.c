/*
 * ws_listen.c - listening sockets and accepting: bind/listen on every
 * resolved address, TLS listeners, accept in batches, and the EMFILE pause.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws_server_int.h"
#include "ws_server_test.h"
#include "ws_metrics_int.h"

static void listener_cb(ws_loop_t *loop, ws_io_t *io, unsigned events);

/* Non-blocking, close-on-exec descriptors where accept4()/pipe2() do not exist (macOS). */
int ws__set_nb_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		return -1;
	}
	fl = fcntl(fd, F_GETFD);
	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static int accept_nb(int lfd, struct sockaddr *sa, socklen_t *len)
{
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
	return accept4(lfd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
	int fd = accept(lfd, sa, len);
	if (fd >= 0 && ws__set_nb_cloexec(fd) != 0) {
		close(fd);
		return -1;
	}
	return fd;
#endif
}

/* Workers share listening sockets: one wake-up per connection, not one per worker. */
static unsigned listen_events(const ws_server_t *s)
{
	return WS_IO_READ | (s->bus ? WS_IO_EXCLUSIVE : 0);
}

int ws_server_adopt_listeners(ws_server_t *s, const int *fds, size_t n)
{
	int *copy = ws_malloc((n ? n : 1) * sizeof(*copy));
	if (copy == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(copy, fds, n * sizeof(*copy));
	ws_free(s->adopt_fds);
	s->adopt_fds = copy;
	s->adopt_n = n;
	s->adopt_next = 0;
	return 0;
}

int ws_server_listener_fd(const ws_server_t *s, size_t i)
{
	return i < s->nlisteners ? s->listeners[i].fd : -1;
}

/* Binds and listens on host:port; returns the descriptor or -1 (err filled, errno set). */
static int listen_socket(ws_server_t *s, const char *host, int port, char *err, size_t errcap)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	int fd = -1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	e = getaddrinfo(host && *host ? host : NULL, portstr, &hints, &res);
	if (e != 0) {
		snprintf(err, errcap, "cannot resolve \"%s\": %s", host ? host : "", gai_strerror(e));
		errno = EINVAL;
		return -1;
	}
	int saved = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0 || ws__set_nb_cloexec(fd) != 0) {
			saved = errno;
			if (fd >= 0) {
				close(fd);
			}
			continue;
		}
		int one = 1, zero = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6) {
			/* "::" serves IPv4 too (dual stack). */
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, s->cfg.backlog) == 0) {
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errcap, "cannot listen on %s:%d: %s", host ? host : "", port, strerror(saved));
		errno = saved;
		return -1;
	}
	return fd;
}

static int listen_on(ws_server_t *s, const char *host, int port, ws_tls_ctx_t *tls, int metrics_only,
	char *err, size_t errcap)
{
	int fd;
	if (s->adopt_next < s->adopt_n) {
		/* A worker exec'd by its supervisor: the socket already listens (shared by every worker). */
		fd = s->adopt_fds[s->adopt_next++];
		if (ws__set_nb_cloexec(fd) != 0) {
			snprintf(err, errcap, "inherited listening socket %d: %s", fd, strerror(errno));
			return -1;
		}
	} else if ((fd = listen_socket(s, host, port, err, errcap)) < 0) {
		return -1;
	}
	ws_sockaddr_t addr;
	socklen_t alen = sizeof(addr);
	int bound = port;
	if (getsockname(fd, &addr.sa, &alen) == 0) {
		bound = ntohs(addr.sa.sa_family == AF_INET6 ? addr.in6.sin6_port : addr.in4.sin_port);
	}
	ws_listener_t *l = ws_realloc(s->listeners, (s->nlisteners + 1) * sizeof(*l));
	if (l == NULL) {
		close(fd);
		snprintf(err, errcap, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	/* The loop holds pointers to listener ios: re-register after the move. */
	for (size_t i = 0; i < s->nlisteners; i++) {
		if (l[i].io.active) {
			ws_io_stop(s->loop, &l[i].io);
		}
	}
	s->listeners = l;
	memset(&l[s->nlisteners], 0, sizeof(*l));
	l[s->nlisteners].fd = fd;
	l[s->nlisteners].port = bound;
	l[s->nlisteners].server = s;
	l[s->nlisteners].tls = tls;
	l[s->nlisteners].metrics_only = metrics_only;
	s->nlisteners++;
	if (s->accepting) {
		for (size_t i = 0; i < s->nlisteners; i++) {
			ws_io_start(s->loop, &l[i].io, l[i].fd, listen_events(s), listener_cb, &l[i]);
		}
	}
	return 0;
}

int ws_server_listen(ws_server_t *s, const char *host, int port, ws_tls_ctx_t *tls, char *err, size_t errcap)
{
	return listen_on(s, host, port, tls, 0, err, errcap);
}

int ws__listen_metrics(ws_server_t *s, const char *host, int port, char *err, size_t errcap)
{
	return listen_on(s, host, port, NULL, 1, err, errcap);
}

int ws_server_reload_tls(ws_server_t *s, char *err, size_t errcap)
{
	int rc = 0;
	for (size_t i = 0; i < s->nlisteners; i++) {
		if (s->listeners[i].tls && ws_tls_ctx_reload(s->listeners[i].tls, err, errcap) != 0) {
			rc = -1;
		}
	}
	return rc;
}

/* The metrics endpoint's own listener is left out of the numbering (ws_metrics_http.h). */
int ws_server_port(const ws_server_t *s, size_t i)
{
	for (size_t k = 0; k < s->nlisteners; k++) {
		if (!s->listeners[k].metrics_only && i-- == 0) {
			return s->listeners[k].port;
		}
	}
	return -1;
}

size_t ws_server_listener_count(const ws_server_t *s)
{
	size_t n = 0;
	for (size_t k = 0; k < s->nlisteners; k++) {
		n += !s->listeners[k].metrics_only;
	}
	return n;
}

void ws__accepting_set(ws_server_t *s, int on)
{
	if (s->accepting == on) {
		return;
	}
	s->accepting = on;
	for (size_t i = 0; i < s->nlisteners; i++) {
		ws_listener_t *l = &s->listeners[i];
		if (l->fd < 0) {
			continue;
		}
		if (on) {
			ws_io_start(s->loop, &l->io, l->fd, listen_events(s), listener_cb, l);
		} else {
			ws_io_stop(s->loop, &l->io);
		}
	}
}

void ws__accept_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_server_t *s = t->data;
	if (s->running && !s->stopping && !s->draining && s->synced) {
		ws__accepting_set(s, 1);
	}
}

static void listener_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	ws_listener_t *l = io->data;
	ws_server_t *s = l->server;
	/* Workers share the socket: a smaller batch per wake-up spreads connections more evenly. */
	int batch = s->bus ? WS_ACCEPT_BATCH_WORKER : WS_ACCEPT_BATCH, accepted = 0;
	for (int i = 0; i < batch && s->accepting; i++) {
		ws_sockaddr_t peer;
		socklen_t plen = sizeof(peer);
		int fd = accept_nb(l->fd, &peer.sa, &plen);
		if (fd >= 0) {
			ws_conn_t *c = ws__conn_new(s, fd, &peer, l->tls);
			if (c && l->metrics_only) {
				c->metrics_only = 1;
			} else if (c) {
				s->metrics.connections_accepted++;
			}
			accepted++;
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED) {
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			/*
			 * Out of descriptors.  The listener stays readable, so a
			 * level-triggered loop would spin.  Use the spare descriptor to
			 * accept and refuse one client (so it is not left hanging), then
			 * stop accepting for a moment.
			 */
			if (s->spare_fd >= 0) {
				close(s->spare_fd);
				s->spare_fd = -1;
				int tmp = accept(l->fd, NULL, NULL);
				if (tmp >= 0) {
					close(tmp);
				}
				s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			}
			ws__accepting_set(s, 0);
			ws_timer_start(s->loop, &s->accept_timer, ws_loop_now(s->loop) + WS_ACCEPT_PAUSE_MS);
			if (s->h->on_warning && !s->warned_emfile) {
				s->warned_emfile = 1;
				s->h->on_warning(s, "out of file descriptors: refusing new connections for now (raise the open-files limit)");
			}
		}
		break; /* EAGAIN or any other error: wait for the next readiness */
	}
	if (accepted && s->bus && s->accepting && io->active) {
		/*
		 * An exclusive wake-up goes to the first idle worker in the
		 * socket's wait queue, so one idle worker would take nearly every
		 * connection.  Registering again moves this worker to the back of
		 * the queue: the next connection wakes another one (round robin
		 * among idle workers, at two epoll_ctl calls per wake-up).
		 */
		ws_io_stop(s->loop, io);
		ws_io_start(s->loop, io, l->fd, listen_events(s), listener_cb, l);
	}
}

ws_conn_t *ws_server_adopt_fd(ws_server_t *s, int fd, const struct sockaddr *peer, socklen_t peer_len)
{
	ws_sockaddr_t addr;
	memset(&addr, 0, sizeof(addr));
	if (peer == NULL) {
		addr.in4.sin_family = AF_INET;
		addr.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if ((peer->sa_family == AF_INET && peer_len >= sizeof(addr.in4))
		|| (peer->sa_family == AF_INET6 && peer_len >= sizeof(addr.in6))) {
		memcpy(&addr, peer, peer->sa_family == AF_INET ? sizeof(addr.in4) : sizeof(addr.in6));
	} else {
		close(fd);
		errno = EAFNOSUPPORT;
		return NULL;
	}
	if (ws__set_nb_cloexec(fd) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	/* The one way in is the accept path's own; it links the newest connection first. */
	size_t before = s->nconns;
	ws__conn_new(s, fd, &addr, NULL);
	if (s->nconns == before) {
		errno = ENOMEM;
		return NULL;
	}
	return s->conns;
}
