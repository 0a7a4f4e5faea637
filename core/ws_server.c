/*
 * ws_server.c - the server engine (see ws_server.h for the contract).
 *
 * Life of a connection:
 *
 *   accept -> HTTP (head gathered in c->head) -> OPEN -> CLOSING -> LINGER -> freed
 *                      \-> RESPONDING (plain HTTP answer or refusal) -/
 *
 * Reads go into one server-wide buffer, so an idle connection owns no read
 * buffer at all.  The frame parser unmasks in place there and hands out
 * spans; a message that ends inside the same read is delivered straight from
 * that buffer, others are gathered in c->msg.  Bytes left unparsed because
 * reading was paused (backpressure) are saved in c->rest.
 *
 * Writes are queued as segments (ws_seg_t) pointing into reference-counted
 * buffers (ws_buf_t).  Small sends append to the connection's private tail
 * buffer; broadcast and publish share one buffer among all recipients.
 * Nothing is written from inside a send: the connection is put on the
 * server's "touched" list and flushed with one sendmsg() at the end of the
 * loop iteration, which also re-evaluates what to watch and what to close.
 *
 * Nothing is torn down from inside an API call: closing only queues a close
 * frame and changes state, so handlers may close, send or stop freely.
 * Torn-down connections wait on a dead list until the iteration is over,
 * because the event loop may still hold a pointer to their io.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ws_alloc.h"
#include "ws_deflate.h"
#include "ws_frame.h"
#include "ws_loop.h"
#include "ws_map.h"
#include "ws_server.h"
#include "ws_static.h"
#include "ws_tls.h"
#include "ws_utf8.h"

#define WS_READ_CHUNK (256 * 1024)   /* the shared read buffer */
#define WS_OUT_CHUNK (16 * 1024)     /* private output buffers */
#define WS_OUT_POOL_MAX 64           /* pooled private output buffers */
#define WS_IOV_MAX 64
#define WS_LINGER_MS 2000
#define WS_ACCEPT_BATCH 128
#define WS_ACCEPT_PAUSE_MS 100
#define WS_MSG_KEEP (16 * 1024)      /* reassembly buffers up to this size are kept */

/* ---------------------------------------------------------------- buffers */

/*
 * An output buffer: bytes inline (data[], cap bytes, len used), or, when
 * release is set, a reference to the caller's bytes (a PHP string) that is
 * released once the last segment pointing into it is written or dropped.
 * A referenced buffer keeps the referenced length in len: those bytes count
 * against max_memory until the reference is released.
 */
typedef struct ws_buf {
	uint32_t refs;
	size_t len;
	size_t cap;
	void (*release)(void *ctx);
	void *ctx;
	uint8_t data[];
} ws_buf_t;

typedef struct ws_seg {
	ws_buf_t *buf;
	const uint8_t *ptr;  /* next byte to write, inside buf's bytes */
	size_t len;
} ws_seg_t;

typedef enum conn_state {
	ST_TLS = 0,        /* TLS handshake (wss:// listeners only) */
	ST_HTTP,           /* reading the request head */
	ST_RESPONDING,     /* an HTTP answer is queued; close when flushed */
	ST_OPEN,
	ST_CLOSING,        /* close frame sent and/or received; waiting for the other */
	ST_LINGER,         /* our side shut down; draining the peer until EOF */
	ST_DEAD
} conn_state_t;

typedef struct ws_sub {
	struct ws_topic *topic;
	size_t index;      /* position in topic->subs */
} ws_sub_t;

typedef struct ws_topic_sub {
	ws_conn_t *conn;
	size_t sub_index;  /* position in conn->subs */
} ws_topic_sub_t;

typedef struct ws_topic {
	ws_map_entry_t *entry;  /* name lives in the map entry */
	ws_topic_sub_t *subs;
	size_t nsubs, cap;
} ws_topic_t;

typedef union ws_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
} ws_sockaddr_t;

struct ws_conn {
	ws_server_t *server;
	ws_io_t io;
	ws_timer_t timer;
	uint64_t id;
	ws_tls_conn_t *tls;          /* NULL on plain TCP: the only cost TLS adds to it */
	void *user;
	ws_conn_t *prev, *next;      /* server->conns (all sockets) */
	ws_conn_t *open_prev, *open_next; /* server->open_head: open WebSocket connections, in open order */
	ws_conn_t *touched_next;     /* server->touched */
	conn_state_t state;

	unsigned opened : 1;         /* on_open fired: on_close owed */
	unsigned close_fired : 1;
	unsigned close_sent : 1;
	unsigned close_received : 1;
	unsigned fail_fast : 1;      /* protocol error: do not wait for the peer's close */
	unsigned touched : 1;
	unsigned read_paused : 1;    /* backpressure */
	unsigned write_blocked : 1;  /* the kernel refused part of the queue */
	unsigned over_low_water : 1; /* drain owed once under low_water_mark */
	unsigned ping_outstanding : 1;
	unsigned responded : 1;
	unsigned in_handshake_cb : 1;
	unsigned msg_binary : 1;
	unsigned head_method_head : 1;
	unsigned counted_ip : 1;
	unsigned shut_wr : 1;
	unsigned drop : 1;           /* tear down at the end of this iteration */
	unsigned bp_close : 1;       /* over max_buffered_amount: close with 1008 at the end of this iteration */

	uint16_t close_code;         /* code reported to on_close */
	uint64_t t_created, t_rx, t_data, t_ping, t_close;

	ws_sockaddr_t peer;

	/* HTTP phase: the request head; later also the subprotocol and extra headers. */
	char *head;
	size_t head_len, head_cap;
	char *extra_headers;
	size_t extra_len;
	char *subprotocol;
	size_t subprotocol_len;
	const char *path;            /* handshake path; the static "/" needs no memory */
	size_t path_len;

	ws_frame_parser_t parser;

	/* permessage-deflate */
	ws_pmd_params_t pmd;
	uint8_t pmd_on;
	uint8_t msg_compressed;
	ws_inflater_t *inflater;
	ws_deflater_t *deflater;     /* own context (server context takeover) */
	uint64_t msg_inflated;
	ws_utf8_t msg_utf8;          /* validates inflated text */

	/* message reassembly */
	uint8_t *msg;
	size_t msg_len, msg_cap;
	const uint8_t *span;         /* message so far lies in the read buffer */
	size_t span_len;

	/* bytes read but not parsed (reading paused) */
	uint8_t *rest;
	size_t rest_len;

	/* output queue: ring of segments */
	ws_seg_t *segs;
	uint32_t seg_head, seg_count, seg_cap;
	size_t buffered;

	/* topics */
	ws_sub_t *subs;
	uint32_t nsubs, subs_cap;
};

typedef struct ws_listener {
	ws_io_t io;
	int fd;
	int port;
	ws_server_t *server;
	ws_tls_ctx_t *tls;           /* owned; NULL for ws:// */
} ws_listener_t;

typedef struct ws_utimer {
	ws_timer_t timer;
	uint64_t id;
	uint64_t interval;
	int repeat;
	int firing;
	int cleared;
	void *data;
} ws_utimer_t;

struct ws_server {
	ws_server_config_t cfg;
	const ws_server_handler_t *h;
	void *user;
	ws_loop_t *loop;

	ws_listener_t *listeners;
	size_t nlisteners;
	int accepting;
	ws_timer_t accept_timer;     /* resumes accepting after EMFILE */
	int spare_fd;
	int warned_emfile;

	ws_conn_t *conns;            /* every socket, newest first */
	ws_conn_t *open_head, *open_tail;
	ws_conn_t *touched;
	ws_conn_t *dead;
	size_t nconns, nopen;
	uint64_t next_conn_id;

	uint8_t *rbuf;

	ws_buf_t *pool[WS_OUT_POOL_MAX];
	size_t npool;

	ws_map_t topics;
	ws_map_t per_ip;
	ws_map_t timers;
	uint64_t next_timer_id;

	char *document_root;
	char **protocols;
	size_t *protocol_lens;
	size_t nprotocols;
	char **origins;
	size_t *origin_lens;
	size_t norigins;

	int running;
	int stopping;
	int breaking;
	ws_timer_t stop_timer;
	int warned_nofile;

	/* permessage-deflate without server context takeover: one deflater per window size */
	ws_deflater_t *shared_deflaters[16];
	uint8_t *zbuf;
	size_t zcap;

	ws_server_stats_t stats;
	size_t mem;                  /* bytes tracked against max_memory */
};

static void conn_touch(ws_conn_t *c);
static void conn_teardown(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len);
static void conn_arm_timer(ws_conn_t *c);
static void conn_process_rest(ws_conn_t *c);
static void server_finish_stop_if_done(ws_server_t *s);
static void topics_leave_all(ws_conn_t *c);
static void conn_read_frames(ws_conn_t *c);

/* ------------------------------------------------------- memory tracking */

static void *mem_alloc(ws_server_t *s, size_t n)
{
	void *p = ws_malloc(n);
	if (p) {
		s->mem += n;
	}
	return p;
}

static void mem_release(ws_server_t *s, void *p, size_t n)
{
	if (p) {
		s->mem -= n;
		ws_free(p);
	}
}

/* Grows *buf (of *cap bytes) to hold need bytes; doubles; tracked. */
static int mem_reserve(ws_server_t *s, uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap) {
		return 0;
	}
	size_t n = *cap ? *cap : 256;
	while (n < need) {
		n = n > SIZE_MAX / 2 ? need : n * 2;
	}
	uint8_t *p = ws_realloc(*buf, n);
	if (p == NULL) {
		return -1;
	}
	s->mem += n - *cap;
	*buf = p;
	*cap = n;
	return 0;
}

static ws_buf_t *buf_new(ws_server_t *s, size_t need)
{
	ws_buf_t *b;
	if (need <= WS_OUT_CHUNK && s->npool > 0) {
		b = s->pool[--s->npool];
	} else {
		size_t cap = need < WS_OUT_CHUNK ? WS_OUT_CHUNK : need;
		b = mem_alloc(s, sizeof(*b) + cap);
		if (b == NULL) {
			return NULL;
		}
		b->cap = cap;
	}
	b->refs = 1;
	b->len = 0;
	b->release = NULL;
	b->ctx = NULL;
	return b;
}

static void buf_unref(ws_server_t *s, ws_buf_t *b)
{
	if (--b->refs > 0) {
		return;
	}
	if (b->release) {
		b->release(b->ctx);
		s->mem -= b->len;
		mem_release(s, b, sizeof(*b));
		return;
	}
	if (b->cap == WS_OUT_CHUNK && s->npool < WS_OUT_POOL_MAX) {
		s->pool[s->npool++] = b;
		return;
	}
	mem_release(s, b, sizeof(*b) + b->cap);
}

/* ------------------------------------------------------------ config */

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
	ws_deflate_config_defaults(&cfg->deflate);
	cfg->deflate.enabled = ws_deflate_available();
}

/* ------------------------------------------------------------ lifecycle */

static void accept_timer_cb(ws_loop_t *loop, ws_timer_t *t);
static void stop_timer_cb(ws_loop_t *loop, ws_timer_t *t);

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
	ws_timer_init(&s->accept_timer, accept_timer_cb, s);
	ws_timer_init(&s->stop_timer, stop_timer_cb, s);
	s->next_conn_id = 1;
	s->next_timer_id = 1;
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

static void conn_free_memory(ws_conn_t *c);
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
		conn_teardown(c, WS_CLOSE_ABNORMAL, NULL, 0);
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
	ws_free(s->zbuf);
	ws_free(s->rbuf);
	ws_free(s->document_root);
	free_strings(s->protocols, s->protocol_lens, s->nprotocols);
	free_strings(s->origins, s->origin_lens, s->norigins);
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

/* Non-blocking, close-on-exec descriptors where accept4()/pipe2() do not exist (macOS). */
static int set_nb_cloexec(int fd)
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
	if (fd >= 0 && set_nb_cloexec(fd) != 0) {
		close(fd);
		return -1;
	}
	return fd;
#endif
}

static int pipe_nb(int fds[2])
{
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
	return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
#else
	if (pipe(fds) != 0) {
		return -1;
	}
	if (set_nb_cloexec(fds[0]) != 0 || set_nb_cloexec(fds[1]) != 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
#endif
}

/* ------------------------------------------------------------ listening */

static void listener_cb(ws_loop_t *loop, ws_io_t *io, unsigned events);

int ws_server_listen(ws_server_t *s, const char *host, int port, ws_tls_ctx_t *tls, char *err, size_t errcap)
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
		if (fd < 0 || set_nb_cloexec(fd) != 0) {
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
	s->nlisteners++;
	if (s->accepting) {
		for (size_t i = 0; i < s->nlisteners; i++) {
			ws_io_start(s->loop, &l[i].io, l[i].fd, WS_IO_READ, listener_cb, &l[i]);
		}
	}
	return 0;
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

int ws_server_port(const ws_server_t *s, size_t i)
{
	return i < s->nlisteners ? s->listeners[i].port : -1;
}

size_t ws_server_listener_count(const ws_server_t *s)
{
	return s->nlisteners;
}

static void accepting_set(ws_server_t *s, int on)
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
			ws_io_start(s->loop, &l->io, l->fd, WS_IO_READ, listener_cb, l);
		} else {
			ws_io_stop(s->loop, &l->io);
		}
	}
}

static void accept_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_server_t *s = t->data;
	if (s->running && !s->stopping) {
		accepting_set(s, 1);
	}
}

/* ------------------------------------------------------------ connections */

static void conn_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events);
static void conn_timer_cb(ws_loop_t *loop, ws_timer_t *t);


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

static void conn_new(ws_server_t *s, int fd, const ws_sockaddr_t *peer, ws_tls_ctx_t *tls)
{
	ws_conn_t *c = ws_malloc(sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->server = s;
	c->id = s->next_conn_id++;
	c->peer = *peer;
	c->state = ST_HTTP;
	if (tls) {
		c->tls = ws_tls_conn_new(tls, fd);
		if (c->tls == NULL) {
			close(fd);
			ws_free(c);
			return;
		}
		c->state = ST_TLS;
	}
	c->t_created = c->t_rx = c->t_data = ws_loop_now(s->loop);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ws_io_start(s->loop, &c->io, fd, WS_IO_READ, conn_io_cb, c) != 0) {
		ws_tls_conn_free(c->tls);
		close(fd);
		ws_free(c);
		return;
	}
	ws_timer_init(&c->timer, conn_timer_cb, c);
	c->next = s->conns;
	if (s->conns) {
		s->conns->prev = c;
	}
	s->conns = c;
	s->nconns++;
	s->stats.accepted++;
	conn_arm_timer(c);
}

static void listener_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	ws_listener_t *l = io->data;
	ws_server_t *s = l->server;
	for (int i = 0; i < WS_ACCEPT_BATCH && s->accepting; i++) {
		ws_sockaddr_t peer;
		socklen_t plen = sizeof(peer);
		int fd = accept_nb(l->fd, &peer.sa, &plen);
		if (fd >= 0) {
			conn_new(s, fd, &peer, l->tls);
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
			accepting_set(s, 0);
			ws_timer_start(s->loop, &s->accept_timer, ws_loop_now(s->loop) + WS_ACCEPT_PAUSE_MS);
			if (s->h->on_warning && !s->warned_emfile) {
				s->warned_emfile = 1;
				s->h->on_warning(s, "out of file descriptors: refusing new connections for now (raise the open-files limit)");
			}
		}
		break; /* EAGAIN or any other error: wait for the next readiness */
	}
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
	ws_span_t sp = { c->path ? c->path : ws__root_path, c->path ? c->path_len : 1 };
	return sp;
}

ws_span_t ws_conn_subprotocol(const ws_conn_t *c)
{
	ws_span_t sp = { c->subprotocol, c->subprotocol_len };
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

/* ------------------------------------------------------------ open list */

static void open_list_add(ws_conn_t *c)
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

/* ------------------------------------------------------------ output queue */

static ws_seg_t *seg_tail(ws_conn_t *c)
{
	if (c->seg_count == 0) {
		return NULL;
	}
	return &c->segs[(c->seg_head + c->seg_count - 1) & (c->seg_cap - 1)];
}

/* Makes room for n more segments, so that a header and its payload are queued together or not at all. */
static int seg_reserve(ws_conn_t *c, uint32_t n)
{
	if (c->seg_count + n <= c->seg_cap) {
		return 0;
	}
	uint32_t ncap = c->seg_cap ? c->seg_cap : 4;
	while (ncap < c->seg_count + n) {
		ncap *= 2;
	}
	ws_seg_t *nsegs = mem_alloc(c->server, ncap * sizeof(*nsegs));
	if (nsegs == NULL) {
		return -1;
	}
	for (uint32_t i = 0; i < c->seg_count; i++) {
		nsegs[i] = c->segs[(c->seg_head + i) & (c->seg_cap - 1)];
	}
	mem_release(c->server, c->segs, c->seg_cap * sizeof(*c->segs));
	c->segs = nsegs;
	c->seg_cap = ncap;
	c->seg_head = 0;
	return 0;
}

static int seg_push(ws_conn_t *c, ws_buf_t *b, const uint8_t *ptr, size_t len)
{
	if (seg_reserve(c, 1) != 0) {
		return -1;
	}
	ws_seg_t *sg = &c->segs[(c->seg_head + c->seg_count) & (c->seg_cap - 1)];
	sg->buf = b;
	sg->ptr = ptr;
	sg->len = len;
	c->seg_count++;
	return 0;
}

static void queue_account(ws_conn_t *c, size_t n)
{
	c->buffered += n;
	c->server->stats.buffered_bytes += n;
}

/*
 * Appends raw bytes (two pieces, e.g. frame header and payload) to the
 * connection's private tail buffer, or a new one.  Copies.
 */
static int queue_bytes(ws_conn_t *c, const void *a, size_t alen, const void *b, size_t blen)
{
	ws_server_t *s = c->server;
	size_t total = alen + blen;
	ws_seg_t *t = seg_tail(c);
	if (t && t->buf->refs == 1 && !t->buf->release && t->ptr + t->len == t->buf->data + t->buf->len
		&& t->buf->cap - t->buf->len >= total) {
		memcpy(t->buf->data + t->buf->len, a, alen);
		if (blen) {
			memcpy(t->buf->data + t->buf->len + alen, b, blen);
		}
		t->buf->len += total;
		t->len += total;
	} else {
		ws_buf_t *nb = buf_new(s, total);
		if (nb == NULL) {
			return -1;
		}
		memcpy(nb->data, a, alen);
		if (blen) {
			memcpy(nb->data + alen, b, blen);
		}
		nb->len = total;
		if (seg_push(c, nb, nb->data, total) != 0) {
			buf_unref(s, nb);
			return -1;
		}
	}
	queue_account(c, total);
	conn_touch(c);
	return 0;
}

/* Queues a shared buffer (reference taken). */
static int queue_shared(ws_conn_t *c, ws_buf_t *b)
{
	if (seg_push(c, b, b->data, b->len) != 0) {
		return -1;
	}
	b->refs++;
	queue_account(c, b->len);
	conn_touch(c);
	return 0;
}

/* Drops every queued byte that has not started to leave (keeps a partly written head segment). */
static void queue_discard_unsent(ws_conn_t *c, int keep_partial)
{
	ws_server_t *s = c->server;
	uint32_t keep = 0;
	if (keep_partial && c->seg_count > 0 && c->write_blocked) {
		keep = 1; /* the head segment may be partly on the wire already */
	}
	while (c->seg_count > keep) {
		ws_seg_t *sg = &c->segs[(c->seg_head + c->seg_count - 1) & (c->seg_cap - 1)];
		c->buffered -= sg->len;
		s->stats.buffered_bytes -= sg->len;
		buf_unref(s, sg->buf);
		c->seg_count--;
	}
}

static void queue_free(ws_conn_t *c)
{
	queue_discard_unsent(c, 0);
	mem_release(c->server, c->segs, c->seg_cap * sizeof(*c->segs));
	c->segs = NULL;
	c->seg_cap = c->seg_head = 0;
}

/* ------------------------------------------------------------ sending frames */

static int queue_frame(ws_conn_t *c, ws_opcode_t op, const void *payload, size_t len)
{
	uint8_t hdr[WS_FRAME_HEADER_MAX];
	size_t hl = ws_frame_encode_header(hdr, 1, 0, op, len, NULL);
	return queue_bytes(c, hdr, hl, payload, len);
}

static int conn_can_send_data(const ws_conn_t *c)
{
	return c->state == ST_OPEN && !c->close_sent && !c->bp_close;
}

/*
 * What ws_conn_send() reports for a message that was queued: QUEUED once the
 * backlog is over the low-water mark, and then a drain event is owed, which
 * fires when the backlog falls back under it (possibly right after this
 * iteration's write).
 */
static ws_send_status_t sent_status(ws_conn_t *c)
{
	if (c->buffered > c->server->cfg.low_water_mark) {
		c->over_low_water = 1;
		return WS_SEND_QUEUED;
	}
	return WS_SEND_SENT;
}

static void conn_close_internal(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len, int fail_fast);

/*
 * The per-connection limit check shared by every data send.  A message is
 * admitted while the backlog is under max_buffered_amount, whatever its own
 * size, so any message up to max_message_size can be sent and a connection
 * holds at most the limit plus one message.  Otherwise the policy applies
 * and 0 is returned.
 */
static int backpressure_admit(ws_conn_t *c, size_t total)
{
	ws_server_t *s = c->server;
	if (c->buffered < s->cfg.max_buffered_amount) {
		return 1;
	}
	if (s->cfg.backpressure == WS_BACKPRESSURE_CLOSE) {
		/*
		 * A consumer this slow loses its backlog: keep memory bounded.  The
		 * close itself (and its event) waits for the end of the iteration, so
		 * that a fan-out in progress is not disturbed and no close handler
		 * runs inside send().
		 */
		queue_discard_unsent(c, 1);
		c->bp_close = 1;
		conn_touch(c);
	}
	return 0;
}

static void count_out(ws_server_t *s, size_t len)
{
	s->stats.messages_out++;
	s->stats.bytes_out += len;
}

/* The deflater for a connection's sends: shared when it keeps no context. */
static ws_deflater_t *conn_deflater(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	const ws_deflate_config_t *dc = &s->cfg.deflate;
	if (c->pmd.server_no_context_takeover) {
		uint8_t bits = c->pmd.server_max_window_bits;
		if (s->shared_deflaters[bits] == NULL) {
			s->shared_deflaters[bits] = ws_deflater_new(dc->level, dc->mem_level, bits);
		}
		return s->shared_deflaters[bits];
	}
	if (c->deflater == NULL) {
		c->deflater = ws_deflater_new(dc->level, dc->mem_level, c->pmd.server_max_window_bits);
	}
	return c->deflater;
}

/* Compresses a message for c into s->zbuf; returns its length or -1 (send it plain then). */
static long conn_compress(ws_conn_t *c, const char *data, size_t len)
{
	ws_deflater_t *d = conn_deflater(c);
	if (d == NULL) {
		return -1;
	}
	return ws_deflater_compress(d, (const uint8_t *)data, len, c->pmd.server_no_context_takeover,
		&c->server->zbuf, &c->server->zcap);
}

static int conn_compresses(const ws_conn_t *c, size_t len)
{
	return c->pmd_on && len >= c->server->cfg.deflate.threshold;
}

/* Queues one data message for c, compressed when negotiated and worth it. */
static int queue_message(ws_conn_t *c, const char *data, size_t len, int binary)
{
	ws_opcode_t op = binary ? WS_OPCODE_BINARY : WS_OPCODE_TEXT;
	if (conn_compresses(c, len)) {
		long n = conn_compress(c, data, len);
		if (n >= 0) {
			uint8_t hdr[WS_FRAME_HEADER_MAX];
			size_t hl = ws_frame_encode_header(hdr, 1, 1, op, (uint64_t)n, NULL);
			return queue_bytes(c, hdr, hl, c->server->zbuf, (size_t)n);
		}
	}
	return queue_frame(c, op, data, len);
}

ws_send_status_t ws_conn_send(ws_conn_t *c, const char *data, size_t len, int binary)
{
	if (!conn_can_send_data(c)) {
		return WS_SEND_DROPPED;
	}
	if (!backpressure_admit(c, len)) {
		return WS_SEND_DROPPED;
	}
	if (queue_message(c, data, len, binary) != 0) {
		return WS_SEND_DROPPED;
	}
	c->t_data = ws_loop_now(c->server->loop);
	count_out(c->server, len);
	return sent_status(c);
}

ws_send_status_t ws_conn_send_ref(ws_conn_t *c, const char *data, size_t len, int binary,
	void (*release)(void *ctx), void *ctx)
{
	if (!conn_can_send_data(c) || !backpressure_admit(c, len)) {
		release(ctx);
		return WS_SEND_DROPPED;
	}
	int r;
	if (conn_compresses(c, len)) {
		/* Compressed bytes are new bytes: nothing to reference. */
		r = queue_message(c, data, len, binary);
		release(ctx);
	} else {
		uint8_t hdr[WS_FRAME_HEADER_MAX];
		size_t hl = ws_frame_encode_header(hdr, 1, 0, binary ? WS_OPCODE_BINARY : WS_OPCODE_TEXT, len, NULL);
		ws_buf_t *b = mem_alloc(c->server, sizeof(*b));
		if (b == NULL) {
			release(ctx);
			return WS_SEND_DROPPED;
		}
		b->refs = 1;
		b->len = len;
		b->cap = 0;
		b->release = release;
		b->ctx = ctx;
		c->server->mem += len; /* held for the queue, like a copy would be */
		r = seg_reserve(c, 2) == 0 ? queue_bytes(c, hdr, hl, NULL, 0) : -1;
		if (r == 0 && seg_push(c, b, (const uint8_t *)data, len) == 0) {
			queue_account(c, len);
		} else {
			buf_unref(c->server, b);
			r = -1;
		}
	}
	if (r != 0) {
		return WS_SEND_DROPPED;
	}
	c->t_data = ws_loop_now(c->server->loop);
	count_out(c->server, len);
	return sent_status(c);
}

int ws_conn_ping(ws_conn_t *c, const char *data, size_t len)
{
	if (!conn_can_send_data(c)) {
		return 0;
	}
	if (len > WS_CONTROL_PAYLOAD_MAX) {
		len = WS_CONTROL_PAYLOAD_MAX;
	}
	return queue_frame(c, WS_OPCODE_PING, data, len) == 0;
}

/* Encodes a whole server frame into a new shared buffer. */
static ws_buf_t *encode_shared(ws_server_t *s, int rsv1, ws_opcode_t op, const void *data, size_t len)
{
	uint8_t hdr[WS_FRAME_HEADER_MAX];
	size_t hl = ws_frame_encode_header(hdr, 1, rsv1, op, len, NULL);
	/*
	 * Shared buffers are never pooled or appended to: allocate exactly (one
	 * byte more when that would make it look like a pooled chunk).
	 */
	size_t cap = hl + len + (hl + len == WS_OUT_CHUNK);
	ws_buf_t *b = mem_alloc(s, sizeof(*b) + cap);
	if (b == NULL) {
		return NULL;
	}
	b->refs = 1;
	b->cap = cap;
	b->release = NULL;
	b->ctx = NULL;
	memcpy(b->data, hdr, hl);
	memcpy(b->data + hl, data, len);
	b->len = hl + len;
	return b;
}

/*
 * One message on its way to many recipients.  Each encoding is made at most
 * once, when the first recipient that needs it comes up: the plain frame, and
 * one compressed frame per deflate window size for recipients that keep no
 * compression context.  Recipients with their own context get their own
 * compression (it cannot be shared).
 */
typedef struct fanout {
	const char *data;
	size_t len;
	ws_opcode_t op;
	ws_buf_t *plain;
	ws_buf_t *deflated[16];
	int failed_deflate[16];
} fanout_t;

static ws_buf_t *fanout_buffer(ws_server_t *s, fanout_t *f, ws_conn_t *c)
{
	if (conn_compresses(c, f->len) && c->pmd.server_no_context_takeover) {
		uint8_t bits = c->pmd.server_max_window_bits;
		if (f->deflated[bits] == NULL && !f->failed_deflate[bits]) {
			long n = conn_compress(c, f->data, f->len);
			if (n >= 0) {
				f->deflated[bits] = encode_shared(s, 1, f->op, s->zbuf, (size_t)n);
			}
			f->failed_deflate[bits] = f->deflated[bits] == NULL;
		}
		if (f->deflated[bits]) {
			return f->deflated[bits];
		}
	}
	if (f->plain == NULL) {
		f->plain = encode_shared(s, 0, f->op, f->data, f->len);
	}
	return f->plain;
}

/* Queues the message for one recipient under its own limits.  1 if queued. */
static int fanout_one(ws_conn_t *c, fanout_t *f)
{
	ws_server_t *s = c->server;
	if (!conn_can_send_data(c) || !backpressure_admit(c, f->len)) {
		return 0;
	}
	if (conn_compresses(c, f->len) && !c->pmd.server_no_context_takeover) {
		return queue_message(c, f->data, f->len, f->op == WS_OPCODE_BINARY) == 0;
	}
	ws_buf_t *b = fanout_buffer(s, f, c);
	return b != NULL && queue_shared(c, b) == 0;
}

static void fanout_init(fanout_t *f, const char *data, size_t len, int binary)
{
	memset(f, 0, sizeof(*f));
	f->data = data;
	f->len = len;
	f->op = binary ? WS_OPCODE_BINARY : WS_OPCODE_TEXT;
}

static void fanout_finish(ws_server_t *s, fanout_t *f, size_t recipients)
{
	if (f->plain) {
		buf_unref(s, f->plain);
	}
	for (int i = 0; i < 16; i++) {
		if (f->deflated[i]) {
			buf_unref(s, f->deflated[i]);
		}
	}
	s->stats.messages_out += recipients;
	s->stats.bytes_out += (uint64_t)recipients * f->len;
}

size_t ws_server_broadcast(ws_server_t *s, const char *data, size_t len, int binary, ws_conn_t *except)
{
	fanout_t f;
	fanout_init(&f, data, len, binary);
	size_t n = 0;
	for (ws_conn_t *c = s->open_head; c; c = c->open_next) {
		if (c != except) {
			n += fanout_one(c, &f);
		}
	}
	fanout_finish(s, &f, n);
	return n;
}

/* ------------------------------------------------------------ closing */

static void conn_fire_close(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len)
{
	ws_server_t *s = c->server;
	if (c->close_fired) {
		return;
	}
	c->close_fired = 1;
	if (!c->opened) {
		return; /* plain HTTP or a refused handshake: not a WebSocket close */
	}
	if (code >= 1000 && code <= 1015) {
		s->stats.closes_by_code[code - 1000]++;
	} else {
		s->stats.closes_other++;
	}
	if (c->open_prev || c->open_next || s->open_head == c) {
		open_list_remove(c);
	}
	/* A closed connection has left its topics before anyone hears of it. */
	topics_leave_all(c);
	if (s->h->on_close) {
		s->h->on_close(s, c, code, reason ? reason : "", reason ? reason_len : 0);
	}
}

static void conn_close_internal(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len, int fail_fast)
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
	queue_frame(c, WS_OPCODE_CLOSE, payload, n);
	c->close_sent = 1;
	if (!c->close_received) {
		c->close_code = (uint16_t)code;
	}
	c->state = ST_CLOSING;
	c->t_close = ws_loop_now(c->server->loop);
	/* Nothing more is delivered; stop watching for messages we would drop anyway once failed. */
	conn_arm_timer(c);
	conn_touch(c);
	if (c->close_received || c->fail_fast) {
		/* The handshake is complete (or abandoned): report it now. */
		conn_fire_close(c, c->close_code ? c->close_code : code,
			c->close_received ? NULL : reason, c->close_received ? 0 : reason_len);
	}
}

void ws_conn_close(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len)
{
	if (c->state == ST_TLS || c->state == ST_HTTP || c->state == ST_RESPONDING) {
		/* Not upgraded yet: just drop the socket once what is queued is out. */
		c->state = ST_RESPONDING;
		conn_touch(c);
		return;
	}
	conn_close_internal(c, code, reason, reason_len, 0);
}

/* Unlinks the connection from everything, closes the socket, fires on_close if owed. */

static void conn_teardown(ws_conn_t *c, unsigned code, const char *reason, size_t reason_len)
{
	ws_server_t *s = c->server;
	if (c->state == ST_DEAD) {
		return;
	}
	/* Dead first: in its close handler the connection is closed to every API. */
	c->state = ST_DEAD;
	conn_fire_close(c, code, reason, reason_len);
	topics_leave_all(c);
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
		server_finish_stop_if_done(s);
	}
}

static void conn_free_memory(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	queue_free(c);
	mem_release(s, c->head, c->head_cap);
	c->head = NULL;
	c->head_cap = 0;
	mem_release(s, c->msg, c->msg_cap);
	c->msg = NULL;
	c->msg_cap = 0;
	mem_release(s, c->rest, c->rest_len);
	c->rest = NULL;
	c->rest_len = 0;
	ws_free(c->extra_headers);
	c->extra_headers = NULL;
	ws_free(c->subprotocol);
	c->subprotocol = NULL;
	ws_free((void *)c->path);
	c->path = NULL;
	ws_free(c->subs);
	c->subs = NULL;
	ws_inflater_free(c->inflater);
	c->inflater = NULL;
	ws_deflater_free(c->deflater);
	c->deflater = NULL;
}

/* ------------------------------------------------------------ flushing */

static ssize_t conn_write(ws_conn_t *c, struct iovec *iov, int n)
{
	if (c->tls) {
		return ws_tls_writev(c->tls, iov, n);
	}
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)n;
	/* MSG_NOSIGNAL: a peer that vanished must not kill the process with SIGPIPE. */
	return sendmsg(c->io.fd, &mh, MSG_NOSIGNAL);
}

static ssize_t conn_read(ws_conn_t *c, void *buf, size_t len)
{
	if (c->tls) {
		return ws_tls_read(c->tls, buf, len);
	}
	return recv(c->io.fd, buf, len, 0);
}

/* 1 when nothing is left to write: the queue, and the TLS layer's record buffer. */
static int conn_out_empty(const ws_conn_t *c)
{
	return c->seg_count == 0 && !(c->tls && ws_tls_write_pending(c->tls));
}

/* Writes as much of the queue as the kernel takes.  -1 on a fatal write error. */
static int conn_flush(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	if (c->tls && ws_tls_write_pending(c->tls)) {
		int f = ws_tls_flush(c->tls);
		if (f < 0) {
			return -1;
		}
		if (f > 0) {
			c->write_blocked = 1;
			return 0;
		}
	}
	while (c->seg_count > 0) {
		struct iovec iov[WS_IOV_MAX];
		int n = 0;
		for (uint32_t i = 0; i < c->seg_count && n < WS_IOV_MAX; i++) {
			ws_seg_t *sg = &c->segs[(c->seg_head + i) & (c->seg_cap - 1)];
			iov[n].iov_base = (void *)sg->ptr;
			iov[n].iov_len = sg->len;
			n++;
		}
		ssize_t w = conn_write(c, iov, n);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->write_blocked = 1;
				return 0;
			}
			return -1;
		}
		size_t left = (size_t)w;
		c->buffered -= left;
		s->stats.buffered_bytes -= left;
		while (left > 0) {
			ws_seg_t *sg = &c->segs[c->seg_head];
			if (left < sg->len) {
				sg->ptr += left;
				sg->len -= left;
				left = 0;
				break;
			}
			left -= sg->len;
			buf_unref(s, sg->buf);
			c->seg_head = (c->seg_head + 1) & (c->seg_cap - 1);
			c->seg_count--;
		}
		if (c->seg_count > 0) {
			/* A short write means the socket buffer is full. */
			c->write_blocked = 1;
			return 0;
		}
	}
	if (c->tls && ws_tls_write_pending(c->tls)) {
		c->write_blocked = 1;
		return 0;
	}
	c->write_blocked = 0;
	if (c->seg_cap > 16) {
		/* A burst grew the ring; give the memory back when idle. */
		mem_release(s, c->segs, c->seg_cap * sizeof(*c->segs));
		c->segs = NULL;
		c->seg_cap = c->seg_head = 0;
	}
	return 0;
}

static void conn_touch(ws_conn_t *c)
{
	if (!c->touched && c->state != ST_DEAD) {
		c->touched = 1;
		c->touched_next = c->server->touched;
		c->server->touched = c;
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
	c->t_close = ws_loop_now(c->server->loop);
	ws_timer_stop(c->server->loop, &c->timer);
	conn_arm_timer(c);
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
		conn_teardown(c, c->close_sent ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
		return;
	}
	if (c->bp_close) {
		c->bp_close = 0;
		conn_close_internal(c, WS_CLOSE_POLICY_VIOLATION, "send buffer limit exceeded", 26, 1);
		if (c->state == ST_DEAD) {
			return;
		}
	}
	if (conn_flush(c) != 0) {
		conn_teardown(c, c->close_sent ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
		return;
	}
	/* Backpressure bookkeeping. */
	if (c->buffered > s->cfg.low_water_mark) {
		c->over_low_water = 1;
	} else if (c->over_low_water) {
		c->over_low_water = 0;
		if (c->read_paused) {
			c->read_paused = 0;
			if (c->rest_len) {
				conn_process_rest(c);
				if (c->state == ST_DEAD) {
					return;
				}
			}
			if (c->tls && !c->read_paused && ws_tls_read_pending(c->tls)
				&& (c->state == ST_OPEN || c->state == ST_CLOSING)) {
				/* Decrypted bytes waiting inside TLS will not wake the loop. */
				conn_read_frames(c);
				if (c->state == ST_DEAD) {
					return;
				}
			}
		}
		if (c->state == ST_OPEN && s->h->on_drain) {
			s->h->on_drain(s, c);
			if (c->state == ST_DEAD) {
				return;
			}
			if (c->seg_count && conn_flush(c) != 0) {
				conn_teardown(c, WS_CLOSE_ABNORMAL, NULL, 0);
				return;
			}
		}
	}
	if (conn_out_empty(c)) {
		if (c->state == ST_RESPONDING) {
			conn_begin_linger(c);
		} else if (c->state == ST_CLOSING && c->close_sent && (c->close_received || c->fail_fast)) {
			conn_begin_linger(c);
		}
	}
	unsigned want = 0;
	if (!conn_out_empty(c)) {
		want |= WS_IO_WRITE;
	}
	if (!c->read_paused && c->state != ST_RESPONDING) {
		want |= WS_IO_READ;
	}
	if (c->state == ST_RESPONDING && conn_out_empty(c)) {
		want |= WS_IO_READ;
	}
	if (c->tls) {
		/* A TLS read may need the socket writable, and a write readable. */
		want |= ws_tls_wants(c->tls);
	}
	ws_io_set(s->loop, &c->io, want);
}

static void server_settle_touched(ws_server_t *s)
{
	/* Settling may touch other connections (a drain handler broadcasting): loop until quiet. */
	while (s->touched) {
		ws_conn_t *c = s->touched;
		s->touched = c->touched_next;
		c->touched = 0;
		c->touched_next = NULL;
		conn_settle(c);
	}
}

static void server_free_dead(ws_server_t *s)
{
	while (s->dead) {
		ws_conn_t *c = s->dead;
		s->dead = c->next;
		ws_free(c);
	}
}

/* ------------------------------------------------------------ HTTP phase */

static int conn_http_respond(ws_conn_t *c, int status, const char *headers, size_t hlen,
	const char *body, size_t blen)
{
	size_t need = ws_http_response(NULL, 0, status, headers, hlen, body, blen, 1, c->head_method_head);
	char *out = ws_malloc(need);
	if (out == NULL) {
		c->drop = 1;
		conn_touch(c);
		return -1;
	}
	ws_http_response(out, need, status, headers, hlen, body, blen, 1, c->head_method_head);
	int r = queue_bytes(c, out, need, NULL, 0);
	ws_free(out);
	c->responded = 1;
	c->state = ST_RESPONDING;
	c->t_close = ws_loop_now(c->server->loop);
	conn_touch(c);
	return r;
}

int ws_conn_respond(ws_conn_t *c, int status, const char *headers, size_t headers_len, const char *body, size_t body_len)
{
	if (c->state != ST_HTTP || c->responded) {
		return -1;
	}
	return conn_http_respond(c, status, headers, headers_len, body, body_len);
}

int ws_conn_responded(const ws_conn_t *c)
{
	return c->responded;
}

int ws_conn_set_subprotocol(ws_conn_t *c, const char *name, size_t len)
{
	if (!c->in_handshake_cb) {
		return -1;
	}
	char *p = ws_malloc(len + 1);
	if (p == NULL) {
		return -1;
	}
	memcpy(p, name, len);
	p[len] = '\0';
	ws_free(c->subprotocol);
	c->subprotocol = p;
	c->subprotocol_len = len;
	return 0;
}

int ws_conn_add_response_header(ws_conn_t *c, const char *name, size_t name_len, const char *value, size_t value_len)
{
	if (!c->in_handshake_cb) {
		return -1;
	}
	size_t add = name_len + 2 + value_len + 2;
	char *p = ws_realloc(c->extra_headers, c->extra_len + add);
	if (p == NULL) {
		return -1;
	}
	memcpy(p + c->extra_len, name, name_len);
	memcpy(p + c->extra_len + name_len, ": ", 2);
	memcpy(p + c->extra_len + name_len + 2, value, value_len);
	memcpy(p + c->extra_len + name_len + 2 + value_len, "\r\n", 2);
	c->extra_headers = p;
	c->extra_len += add;
	return 0;
}

static void conn_http_error(ws_conn_t *c, int err)
{
	int status = ws_error_http_status(err);
	const char *msg = ws_strerror(err);
	char body[160];
	int n = snprintf(body, sizeof(body), "%s\n", msg);
	const char *hdr = status == 405 ? "Allow: GET\r\n" : NULL;
	c->server->stats.handshakes_rejected++;
	conn_http_respond(c, status, hdr, hdr ? strlen(hdr) : 0, body, (size_t)n);
}

static void conn_http_refuse(ws_conn_t *c, int status, const char *extra, const char *msg)
{
	c->server->stats.handshakes_rejected++;
	conn_http_respond(c, status, extra, extra ? strlen(extra) : 0, msg, strlen(msg));
}

static int span_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen) {
		return 0;
	}
	for (size_t i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z') {
			x = (unsigned char)(x + 32);
		}
		if (y >= 'A' && y <= 'Z') {
			y = (unsigned char)(y + 32);
		}
		if (x != y) {
			return 0;
		}
	}
	return 1;
}

static size_t per_ip_count(ws_conn_t *c)
{
	uint8_t key[16];
	size_t n = addr_key(&c->peer, key);
	ws_map_entry_t *e = ws_map_find(&c->server->per_ip, key, n);
	return e ? (size_t)(uintptr_t)e->value : 0;
}

static void per_ip_acquire(ws_conn_t *c)
{
	uint8_t key[16];
	size_t n = addr_key(&c->peer, key);
	ws_map_entry_t *e = ws_map_upsert(&c->server->per_ip, key, n, NULL);
	if (e) {
		e->value = (void *)((uintptr_t)e->value + 1);
		c->counted_ip = 1;
	}
}

static void conn_feed(ws_conn_t *c, uint8_t *buf, size_t len);
static const ws_frame_callbacks_t conn_frame_callbacks;

static void conn_upgrade(ws_conn_t *c, const ws_http_request_t *req, size_t head_len)
{
	ws_server_t *s = c->server;
	ws_handshake_t hs;
	int e = ws_handshake_validate(req, &hs);
	if (e != 0) {
		conn_http_error(c, e);
		return;
	}
	if (s->stopping) {
		conn_http_refuse(c, 503, "Retry-After: 5\r\n", "server is shutting down\n");
		return;
	}
	if (s->norigins && hs.origin.ptr) {
		int ok = 0;
		for (size_t i = 0; i < s->norigins && !ok; i++) {
			ok = span_ieq(hs.origin.ptr, hs.origin.len, s->origins[i], s->origin_lens[i]);
		}
		if (!ok) {
			conn_http_refuse(c, 403, NULL, "origin not allowed\n");
			return;
		}
	}
	if (s->cfg.max_connections && s->nopen >= s->cfg.max_connections) {
		conn_http_refuse(c, 503, "Retry-After: 1\r\n", "too many connections\n");
		return;
	}
	if (s->cfg.max_connections_per_ip && per_ip_count(c) >= s->cfg.max_connections_per_ip) {
		conn_http_refuse(c, 503, "Retry-After: 1\r\n", "too many connections from this address\n");
		return;
	}
	if (s->cfg.max_memory && s->mem > s->cfg.max_memory) {
		conn_http_refuse(c, 503, "Retry-After: 1\r\n", "server memory budget exhausted\n");
		return;
	}
	/* Subprotocol: the first the client offers that the server speaks. */
	for (size_t i = 0; i < hs.num_protocols && c->subprotocol == NULL; i++) {
		for (size_t j = 0; j < s->nprotocols; j++) {
			if (hs.protocols[i].len == s->protocol_lens[j]
				&& memcmp(hs.protocols[i].ptr, s->protocols[j], s->protocol_lens[j]) == 0) {
				char *p = ws_malloc(hs.protocols[i].len + 1);
				if (p) {
					memcpy(p, hs.protocols[i].ptr, hs.protocols[i].len);
					p[hs.protocols[i].len] = '\0';
					c->subprotocol = p;
					c->subprotocol_len = hs.protocols[i].len;
				}
				break;
			}
		}
	}
	/* permessage-deflate: the first acceptable offer, else no compression. */
	char ext_resp[160];
	size_t ext_len = 0;
	if (s->cfg.deflate.enabled && hs.num_extensions_raw > 0) {
		c->pmd_on = (uint8_t)ws_pmd_negotiate(&s->cfg.deflate, hs.extensions_raw, hs.num_extensions_raw,
			&c->pmd, ext_resp, sizeof(ext_resp), &ext_len);
		if (!c->pmd_on) {
			ext_len = 0;
		}
	}
	if (s->h->on_handshake) {
		c->in_handshake_cb = 1;
		s->h->on_handshake(s, c, req, &hs);
		c->in_handshake_cb = 0;
		if (c->responded || c->state != ST_HTTP) {
			s->stats.handshakes_rejected += c->responded;
			return;
		}
		if (s->breaking) {
			c->drop = 1;
			conn_touch(c);
			return;
		}
	}
	char accept[WS_ACCEPT_KEY_LEN];
	ws_handshake_accept(hs.key.ptr, hs.key.len, accept);
	size_t need = ws_handshake_response(NULL, 0, accept, c->subprotocol, c->subprotocol_len,
		ext_len ? ext_resp : NULL, ext_len, c->extra_headers, c->extra_len);
	char *out = ws_malloc(need);
	if (out != NULL) {
		ws_handshake_response(out, need, accept, c->subprotocol, c->subprotocol_len,
			ext_len ? ext_resp : NULL, ext_len, c->extra_headers, c->extra_len);
	}
	if (out == NULL || queue_bytes(c, out, need, NULL, 0) != 0) {
		ws_free(out);
		c->drop = 1;
		conn_touch(c);
		return;
	}
	ws_free(out);
	ws_free(c->extra_headers);
	c->extra_headers = NULL;
	c->extra_len = 0;

	ws_frame_config_t fc;
	memset(&fc, 0, sizeof(fc));
	fc.role = WS_ROLE_SERVER;
	fc.max_frame_size = s->cfg.max_frame_size;
	fc.max_message_size = s->cfg.max_message_size;
	fc.allow_rsv1 = c->pmd_on;
	ws_frame_parser_init(&c->parser, &fc, &conn_frame_callbacks, c);
	per_ip_acquire(c);
	/* Kept for the binding, which may create its connection object later. */
	if (!(req->path.len == 1 && req->path.ptr[0] == '/') && req->path.len > 0) {
		char *p = ws_malloc(req->path.len);
		if (p) {
			memcpy(p, req->path.ptr, req->path.len);
			c->path = p;
			c->path_len = req->path.len;
		}
	}
	c->state = ST_OPEN;
	c->opened = 1;
	c->t_rx = c->t_data = ws_loop_now(s->loop);
	open_list_add(c);
	ws_timer_stop(s->loop, &c->timer);
	conn_arm_timer(c);
	if (s->h->on_open) {
		s->h->on_open(s, c, req);
	}
	/*
	 * Frames the client sent right behind its request: parse them in place in
	 * the head buffer, which lives until the caller frees it after we return
	 * (conn_feed copies whatever must outlive that).
	 */
	size_t extra = c->head_len - head_len;
	if (extra && (c->state == ST_OPEN || c->state == ST_CLOSING) && !s->breaking) {
		conn_feed(c, (uint8_t *)c->head + head_len, extra);
	}
}

static void conn_plain_http(ws_conn_t *c, const ws_http_request_t *req)
{
	ws_server_t *s = c->server;
	c->head_method_head = req->method.len == 4 && memcmp(req->method.ptr, "HEAD", 4) == 0;
	if (req->version_minor >= 1 && ws_http_header_get(req, "host", 0, NULL).ptr == NULL) {
		conn_http_refuse(c, 400, NULL, "missing Host header\n"); /* RFC 9112 3.2 */
		return;
	}
	int handled = 0;
	if (s->h->on_http) {
		handled = s->h->on_http(s, c, req);
		if (c->responded || c->state != ST_HTTP || s->breaking) {
			return;
		}
	}
	if (s->document_root) {
		char *resp = NULL;
		size_t rlen = 0;
		ws_static_serve(s->document_root, req, &resp, &rlen);
		if (resp) {
			queue_bytes(c, resp, rlen, NULL, 0);
			ws_free(resp);
			c->responded = 1;
			c->state = ST_RESPONDING;
			c->t_close = ws_loop_now(s->loop);
			conn_touch(c);
			return;
		}
		c->drop = 1;
		conn_touch(c);
		return;
	}
	if (handled) {
		conn_http_respond(c, 404, NULL, 0, "not found\n", 10);
	} else {
		conn_http_respond(c, 426, NULL, 0, "this is a WebSocket server\n", 27);
	}
}

static void conn_read_head(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	size_t max = s->cfg.max_header_size;
	if (c->head_len >= max) {
		return;
	}
	size_t want = c->head_len + 2048;
	if (want > max) {
		want = max;
	}
	if (mem_reserve(s, (uint8_t **)&c->head, &c->head_cap, want) != 0) {
		c->drop = 1;
		conn_touch(c);
		return;
	}
	ssize_t n = conn_read(c, c->head + c->head_len, c->head_cap - c->head_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		c->drop = 1;
		conn_touch(c);
		return;
	}
	if (n < 0) {
		return;
	}
	c->head_len += (size_t)n;
	s->stats.bytes_in += (uint64_t)n;
	c->t_rx = ws_loop_now(s->loop);

	ws_http_request_t req;
	int r = ws_http_parse_request(&req, c->head, c->head_len, max);
	if (r == WS_ERR_AGAIN) {
		return;
	}
	if (r < 0) {
		conn_http_error(c, r);
		return;
	}
	if (ws_handshake_is_upgrade(&req)) {
		conn_upgrade(c, &req, (size_t)r);
	} else {
		conn_plain_http(c, &req);
	}
	/* The head is no longer needed: the request is answered or upgraded. */
	mem_release(s, c->head, c->head_cap);
	c->head = NULL;
	c->head_cap = c->head_len = 0;
}

/* ------------------------------------------------------------ frames in */

static int msg_append(ws_conn_t *c, const uint8_t *data, size_t len)
{
	if (mem_reserve(c->server, &c->msg, &c->msg_cap, c->msg_len + len) != 0) {
		return -1;
	}
	memcpy(c->msg + c->msg_len, data, len);
	c->msg_len += len;
	return 0;
}

/* Moves a message prefix that still lies in the read buffer into c->msg. */
static int msg_keep_span(ws_conn_t *c)
{
	if (c->span == NULL) {
		return 0;
	}
	const uint8_t *p = c->span;
	size_t n = c->span_len;
	c->span = NULL;
	c->span_len = 0;
	return msg_append(c, p, n);
}

static int on_message_begin(void *user, ws_opcode_t opcode, int compressed)
{
	ws_conn_t *c = user;
	c->msg_binary = opcode == WS_OPCODE_BINARY;
	c->msg_compressed = (uint8_t)compressed;
	c->msg_len = 0;
	c->span = NULL;
	c->span_len = 0;
	if (compressed) {
		if (c->inflater == NULL && (c->inflater = ws_inflater_new()) == NULL) {
			return WS_ERR_NOMEM;
		}
		c->msg_inflated = 0;
		ws_utf8_init(&c->msg_utf8);
	}
	return 0;
}

/* Receives inflated bytes of the current message: validate text at once, then keep. */
static int inflate_sink(void *user, const uint8_t *data, size_t len)
{
	ws_conn_t *c = user;
	if (!c->msg_binary && ws_utf8_feed(&c->msg_utf8, data, len, NULL) != 0) {
		return WS_ERR_INVALID_UTF8;
	}
	return msg_append(c, data, len) == 0 ? 0 : WS_ERR_NOMEM;
}

static int on_message_data(void *user, const uint8_t *data, size_t len)
{
	ws_conn_t *c = user;
	if (c->state != ST_OPEN) {
		return 0; /* closing: nothing more is delivered */
	}
	if (c->msg_compressed) {
		/* max_message_size applies to the inflated size, checked as it grows. */
		return ws_inflater_feed(c->inflater, data, len, 0, &c->msg_inflated,
			c->server->cfg.max_message_size, inflate_sink, c);
	}
	if (c->msg_len == 0 && c->span == NULL) {
		c->span = data;
		c->span_len = len;
		return 0;
	}
	if (msg_keep_span(c) != 0 || msg_append(c, data, len) != 0) {
		return WS_ERR_NOMEM;
	}
	return 0;
}

static int on_message_end(void *user)
{
	ws_conn_t *c = user;
	ws_server_t *s = c->server;
	if (c->state != ST_OPEN) {
		c->span = NULL;
		c->msg_len = 0;
		return 0;
	}
	if (c->msg_compressed) {
		int e = ws_inflater_feed(c->inflater, NULL, 0, 1, &c->msg_inflated, s->cfg.max_message_size,
			inflate_sink, c);
		if (e == 0 && !c->msg_binary && !ws_utf8_is_complete(&c->msg_utf8)) {
			e = WS_ERR_INVALID_UTF8;
		}
		if (e != 0) {
			return e;
		}
		if (c->pmd.client_no_context_takeover) {
			/* No window to keep: an idle connection then holds no inflater at all. */
			ws_inflater_free(c->inflater);
			c->inflater = NULL;
		}
	}
	const char *data = c->span ? (const char *)c->span : (const char *)c->msg;
	size_t len = c->span ? c->span_len : c->msg_len;
	if (data == NULL) {
		data = "";
	}
	s->stats.messages_in++;
	c->t_data = ws_loop_now(s->loop);
	s->h->on_message(s, c, data, len, c->msg_binary);
	c->span = NULL;
	c->span_len = 0;
	c->msg_len = 0;
	if (c->msg_cap > WS_MSG_KEEP) {
		mem_release(s, c->msg, c->msg_cap);
		c->msg = NULL;
		c->msg_cap = 0;
	}
	if (s->breaking) {
		return WS_FRAME_PAUSE;
	}
	if (c->buffered >= s->cfg.max_buffered_amount / 2 && c->buffered > s->cfg.low_water_mark) {
		/* The peer sends faster than it reads: stop reading until the queue drains. */
		c->read_paused = 1;
		c->over_low_water = 1;
		return WS_FRAME_PAUSE;
	}
	return 0;
}

static int on_control(void *user, ws_opcode_t opcode, unsigned code, const uint8_t *reason, size_t reason_len)
{
	ws_conn_t *c = user;
	ws_server_t *s = c->server;
	switch (opcode) {
	case WS_OPCODE_PING:
		if (!c->close_sent) {
			queue_frame(c, WS_OPCODE_PONG, reason, reason_len);
		}
		if (s->h->on_ping && c->state == ST_OPEN) {
			s->h->on_ping(s, c, (const char *)reason, reason_len, 0);
		}
		return 0;
	case WS_OPCODE_PONG:
		c->ping_outstanding = 0;
		if (s->h->on_ping && c->state == ST_OPEN) {
			s->h->on_ping(s, c, (const char *)reason, reason_len, 1);
		}
		return 0;
	case WS_OPCODE_CLOSE:
		c->close_received = 1;
		c->close_code = (uint16_t)code;
		if (!c->close_sent) {
			/* Echo the status code, as RFC 6455 5.5.1 suggests. */
			uint8_t payload[2];
			size_t n = ws_frame_encode_close_payload(payload, code == WS_CLOSE_NO_STATUS ? 0 : code, NULL, 0);
			queue_frame(c, WS_OPCODE_CLOSE, payload, n);
			c->close_sent = 1;
			c->t_close = ws_loop_now(s->loop);
		}
		c->state = ST_CLOSING;
		conn_fire_close(c, code, (const char *)reason, reason_len);
		conn_touch(c);
		return WS_FRAME_PAUSE;
	default:
		return 0;
	}
}

static const ws_frame_callbacks_t conn_frame_callbacks = {
	on_message_begin,
	on_message_data,
	on_message_end,
	on_control
};

static void conn_protocol_error(ws_conn_t *c, int err)
{
	c->span = NULL;
	if (c->close_sent) {
		c->fail_fast = 1;
		conn_fire_close(c, c->close_code, NULL, 0);
		conn_touch(c);
		return;
	}
	const char *reason = ws_strerror(err);
	conn_close_internal(c, (unsigned)ws_error_close_code(err), reason, strlen(reason), 1);
}

static void conn_save_rest(ws_conn_t *c, const uint8_t *buf, size_t len)
{
	uint8_t *r = mem_alloc(c->server, len);
	if (r == NULL) {
		c->drop = 1;
		conn_touch(c);
		return;
	}
	memcpy(r, buf, len);
	c->rest = r;
	c->rest_len = len;
}

static void conn_feed(ws_conn_t *c, uint8_t *buf, size_t len)
{
	ws_server_t *s = c->server;
	while (len > 0 && (c->state == ST_OPEN || c->state == ST_CLOSING)) {
		if (c->close_received || c->fail_fast) {
			break; /* nothing after a close frame or a failure matters */
		}
		ssize_t n = ws_frame_parser_feed(&c->parser, buf, len);
		if (n < 0) {
			conn_protocol_error(c, (int)n);
			return;
		}
		buf += n;
		len -= (size_t)n;
		if (len > 0 && (s->breaking || c->read_paused)) {
			if (msg_keep_span(c) != 0) {
				conn_protocol_error(c, WS_ERR_NOMEM);
				return;
			}
			conn_save_rest(c, buf, len);
			conn_touch(c);
			return;
		}
	}
	/* A message still open must not point into a buffer about to be reused. */
	if (msg_keep_span(c) != 0) {
		conn_protocol_error(c, WS_ERR_NOMEM);
	}
	conn_touch(c);
}

static void conn_process_rest(ws_conn_t *c)
{
	uint8_t *r = c->rest;
	size_t n = c->rest_len;
	c->rest = NULL;
	c->rest_len = 0;
	conn_feed(c, r, n);
	mem_release(c->server, r, n);
}

static void conn_read_frames(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	ssize_t n = conn_read(c, s->rbuf, WS_READ_CHUNK);
	if (n > 0) {
		s->stats.bytes_in += (uint64_t)n;
		c->t_rx = ws_loop_now(s->loop);
		c->ping_outstanding = 0;
		conn_feed(c, s->rbuf, (size_t)n);
		/*
		 * Decrypted bytes left inside the TLS layer will not make the socket
		 * readable again: take them now.
		 */
		for (int i = 0; i < 16 && c->tls && ws_tls_read_pending(c->tls) && !c->read_paused
			&& !s->breaking && (c->state == ST_OPEN || c->state == ST_CLOSING); i++) {
			n = conn_read(c, s->rbuf, WS_READ_CHUNK);
			if (n <= 0) {
				break;
			}
			s->stats.bytes_in += (uint64_t)n;
			conn_feed(c, s->rbuf, (size_t)n);
		}
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		return;
	}
	/* EOF or reset: 1006 unless a close frame was received or sent first. */
	conn_teardown(c, (c->close_received || c->close_sent) ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
}

static void conn_read_linger(ws_conn_t *c)
{
	ws_server_t *s = c->server;
	ssize_t n = conn_read(c, s->rbuf, WS_READ_CHUNK);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) {
		return;
	}
	conn_teardown(c, c->close_code ? c->close_code : WS_CLOSE_ABNORMAL, NULL, 0);
}

static void conn_tls_step(ws_conn_t *c)
{
	int r = ws_tls_handshake(c->tls);
	if (r < 0) {
		/*
		 * OpenSSL has written its alert to the socket.  Close gently (shut
		 * down our side, drain the peer) so that a reset does not overtake
		 * the alert; the rest is plain bytes now.
		 */
		ws_tls_conn_free(c->tls);
		c->tls = NULL;
		c->state = ST_RESPONDING;
	} else if (r > 0) {
		c->state = ST_HTTP;
		/* The request may already sit decrypted in the TLS layer. */
		conn_read_head(c);
	}
	conn_touch(c);
}

static void conn_io_cb(ws_loop_t *loop, ws_io_t *io, unsigned events)
{
	ws_conn_t *c = io->data;
	ws_server_t *s = c->server;
	if (c->state == ST_DEAD || s->breaking) {
		return;
	}
	if (events & WS_IO_WRITE) {
		conn_touch(c);
	}
	if (c->tls) {
		/* Readiness either way may unblock a TLS read that wanted to write. */
		events |= WS_IO_READ;
	}
	if (!(events & (WS_IO_READ | WS_IO_ERROR))) {
		return;
	}
	switch (c->state) {
	case ST_TLS:
		conn_tls_step(c);
		break;
	case ST_HTTP:
		conn_read_head(c);
		break;
	case ST_OPEN:
	case ST_CLOSING:
		if (!c->read_paused) {
			conn_read_frames(c);
		}
		break;
	case ST_LINGER:
	case ST_RESPONDING:
		conn_read_linger(c);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ timers */

static uint64_t conn_deadline(const ws_conn_t *c)
{
	const ws_server_config_t *cfg = &c->server->cfg;
	uint64_t d = UINT64_MAX;
	switch (c->state) {
	case ST_TLS:
	case ST_HTTP:
		if (cfg->handshake_timeout_ms) {
			d = c->t_created + cfg->handshake_timeout_ms;
		}
		break;
	case ST_RESPONDING:
		d = c->t_close + cfg->close_timeout_ms;
		break;
	case ST_OPEN:
		if (cfg->idle_timeout_ms) {
			d = c->t_data + cfg->idle_timeout_ms;
		}
		if (cfg->ping_interval_ms) {
			uint64_t p = c->ping_outstanding ? c->t_ping + cfg->pong_timeout_ms : c->t_rx + cfg->ping_interval_ms;
			if (p < d) {
				d = p;
			}
		}
		break;
	case ST_CLOSING:
		d = c->t_close + cfg->close_timeout_ms;
		break;
	case ST_LINGER:
		d = c->t_close + WS_LINGER_MS;
		break;
	default:
		break;
	}
	return d;
}

static void conn_arm_timer(ws_conn_t *c)
{
	uint64_t d = conn_deadline(c);
	if (d == UINT64_MAX) {
		ws_timer_stop(c->server->loop, &c->timer);
		return;
	}
	/*
	 * Lazy: activity only moves deadlines later, and a timer that fires
	 * early just re-arms itself, so the heap is touched once per timeout
	 * period rather than once per message.
	 */
	if (!ws_timer_active(&c->timer) || c->timer.deadline > d) {
		ws_timer_start(c->server->loop, &c->timer, d);
	}
}

static void conn_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_conn_t *c = t->data;
	ws_server_t *s = c->server;
	uint64_t now = ws_loop_now(loop);
	if (c->state == ST_DEAD) {
		return;
	}
	uint64_t d = conn_deadline(c);
	if (d > now || s->breaking) {
		if (d != UINT64_MAX) {
			ws_timer_start(loop, t, d > now ? d : now + 10);
		}
		return;
	}
	const ws_server_config_t *cfg = &s->cfg;
	switch (c->state) {
	case ST_TLS:
		c->drop = 1; /* a TLS handshake that never completes */
		conn_touch(c);
		return;
	case ST_HTTP:
		conn_http_refuse(c, 408, NULL, "handshake timeout\n");
		break;
	case ST_OPEN:
		if (cfg->ping_interval_ms && c->ping_outstanding && now >= c->t_ping + cfg->pong_timeout_ms) {
			/* The peer is gone without a word: drop it, as a lost connection (1006). */
			c->drop = 1;
			conn_touch(c);
			return;
		}
		if (cfg->idle_timeout_ms && now >= c->t_data + cfg->idle_timeout_ms) {
			conn_close_internal(c, WS_CLOSE_GOING_AWAY, "idle timeout", 12, 0);
			break;
		}
		if (cfg->ping_interval_ms && !c->ping_outstanding && now >= c->t_rx + cfg->ping_interval_ms) {
			queue_frame(c, WS_OPCODE_PING, NULL, 0);
			c->ping_outstanding = 1;
			c->t_ping = now;
		}
		break;
	case ST_RESPONDING:
	case ST_CLOSING:
	case ST_LINGER:
		c->drop = 1;
		conn_touch(c);
		return;
	default:
		break;
	}
	conn_arm_timer(c);
}

/* ------------------------------------------------------------ topics */

static ws_topic_t *topic_get(ws_server_t *s, const char *name, size_t len, int create)
{
	if (!create) {
		ws_map_entry_t *e = ws_map_find(&s->topics, name, len);
		return e ? e->value : NULL;
	}
	int created = 0;
	ws_map_entry_t *e = ws_map_upsert(&s->topics, name, len, &created);
	if (e == NULL) {
		return NULL;
	}
	if (created) {
		ws_topic_t *t = ws_malloc(sizeof(*t));
		if (t == NULL) {
			ws_map_remove(&s->topics, name, len);
			return NULL;
		}
		memset(t, 0, sizeof(*t));
		t->entry = e;
		e->value = t;
	}
	return e->value;
}

/* Removes subscription j of c from its topic and from c (keeping c's order). */
static void sub_remove(ws_conn_t *c, uint32_t j)
{
	ws_server_t *s = c->server;
	ws_topic_t *t = c->subs[j].topic;
	size_t i = c->subs[j].index;
	/* Topic side: swap-remove, then fix the moved subscriber's back-index. */
	t->nsubs--;
	if (i != t->nsubs) {
		t->subs[i] = t->subs[t->nsubs];
		t->subs[i].conn->subs[t->subs[i].sub_index].index = i;
	}
	/* Connection side: ordered removal, so topics() keeps subscription order. */
	memmove(&c->subs[j], &c->subs[j + 1], (c->nsubs - j - 1) * sizeof(*c->subs));
	c->nsubs--;
	for (uint32_t k = j; k < c->nsubs; k++) {
		c->subs[k].topic->subs[c->subs[k].index].sub_index = k;
	}
	if (t->nsubs == 0) {
		ws_map_remove(&s->topics, t->entry->key, t->entry->key_len);
		ws_free(t->subs);
		ws_free(t);
	}
}

static int sub_find(const ws_conn_t *c, const ws_topic_t *t)
{
	for (uint32_t j = 0; j < c->nsubs; j++) {
		if (c->subs[j].topic == t) {
			return (int)j;
		}
	}
	return -1;
}

int ws_conn_subscribe(ws_conn_t *c, const char *topic, size_t len)
{
	ws_server_t *s = c->server;
	if (c->state != ST_OPEN) {
		return 0;
	}
	ws_topic_t *t = topic_get(s, topic, len, 1);
	if (t == NULL) {
		return -1;
	}
	if (sub_find(c, t) >= 0) {
		return 0;
	}
	if (t->nsubs == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		ws_topic_sub_t *n = ws_realloc(t->subs, ncap * sizeof(*n));
		if (n == NULL) {
			goto fail;
		}
		t->subs = n;
		t->cap = ncap;
	}
	if (c->nsubs == c->subs_cap) {
		uint32_t ncap = c->subs_cap ? c->subs_cap * 2 : 4;
		ws_sub_t *n = ws_realloc(c->subs, ncap * sizeof(*n));
		if (n == NULL) {
			goto fail;
		}
		c->subs = n;
		c->subs_cap = ncap;
	}
	t->subs[t->nsubs].conn = c;
	t->subs[t->nsubs].sub_index = c->nsubs;
	c->subs[c->nsubs].topic = t;
	c->subs[c->nsubs].index = t->nsubs;
	t->nsubs++;
	c->nsubs++;
	return 1;
fail:
	if (t->nsubs == 0) {
		ws_map_remove(&s->topics, topic, len);
		ws_free(t->subs);
		ws_free(t);
	}
	return -1;
}

int ws_conn_unsubscribe(ws_conn_t *c, const char *topic, size_t len)
{
	ws_topic_t *t = topic_get(c->server, topic, len, 0);
	int j = t ? sub_find(c, t) : -1;
	if (j < 0) {
		return 0;
	}
	sub_remove(c, (uint32_t)j);
	return 1;
}

static void topics_leave_all(ws_conn_t *c)
{
	while (c->nsubs > 0) {
		sub_remove(c, c->nsubs - 1);
	}
	ws_free(c->subs);
	c->subs = NULL;
	c->subs_cap = 0;
}

void ws_conn_each_topic(ws_conn_t *c, void (*fn)(void *arg, const char *name, size_t len), void *arg)
{
	for (uint32_t j = 0; j < c->nsubs; j++) {
		ws_map_entry_t *e = c->subs[j].topic->entry;
		fn(arg, e->key, e->key_len);
	}
}

size_t ws_server_publish(ws_server_t *s, const char *topic, size_t topic_len,
	const char *data, size_t len, int binary, ws_conn_t *except)
{
	ws_topic_t *t = topic_get(s, topic, topic_len, 0);
	if (t == NULL || t->nsubs == 0 || (t->nsubs == 1 && t->subs[0].conn == except)) {
		return 0;
	}
	fanout_t f;
	fanout_init(&f, data, len, binary);
	size_t n = 0;
	for (size_t i = 0; i < t->nsubs; i++) {
		ws_conn_t *c = t->subs[i].conn;
		if (c != except) {
			n += fanout_one(c, &f);
		}
	}
	fanout_finish(s, &f, n);
	return n;
}

size_t ws_server_subscribers(ws_server_t *s, const char *topic, size_t topic_len)
{
	ws_topic_t *t = topic_get(s, topic, topic_len, 0);
	return t ? t->nsubs : 0;
}

typedef struct each_topic_ctx {
	void (*fn)(void *arg, const char *name, size_t len, size_t subscribers);
	void *arg;
} each_topic_ctx_t;

static void each_topic_cb(void *arg, ws_map_entry_t *e)
{
	each_topic_ctx_t *ctx = arg;
	ws_topic_t *t = e->value;
	ctx->fn(ctx->arg, e->key, e->key_len, t->nsubs);
}

void ws_server_each_topic(ws_server_t *s, void (*fn)(void *arg, const char *name, size_t len, size_t subscribers), void *arg)
{
	each_topic_ctx_t ctx = { fn, arg };
	ws_map_each(&s->topics, each_topic_cb, &ctx);
}

/* ------------------------------------------------------------ user timers */

typedef struct ws_utimer_full {
	ws_utimer_t t;
	ws_server_t *server;
} ws_utimer_full_t;

static void utimer_cb(ws_loop_t *loop, ws_timer_t *timer)
{
	ws_utimer_full_t *u = timer->data;
	ws_server_t *s = u->server;
	uint64_t id = u->t.id;
	if (s->breaking) {
		ws_timer_start(loop, timer, ws_loop_now(loop) + 1);
		return;
	}
	if (!u->t.repeat) {
		ws_map_remove(&s->timers, &id, sizeof(id));
		void *data = u->t.data;
		ws_free(u);
		s->h->on_timer(s, id, data, 1);
		return;
	}
	/* Re-arm first so the callback may clear (or the loop may outlive) it. */
	uint64_t next = timer->deadline + u->t.interval;
	uint64_t now = ws_loop_now(loop);
	if (next <= now) {
		next = now + u->t.interval; /* fell behind: skip, do not burst */
	}
	ws_timer_start(loop, timer, next);
	u->t.firing = 1;
	s->h->on_timer(s, id, u->t.data, 0);
	u->t.firing = 0;
	if (u->t.cleared) {
		ws_free(u);
	}
}

uint64_t ws_server_timer_add(ws_server_t *s, uint64_t ms, int repeat, void *data)
{
	ws_utimer_full_t *u = ws_malloc(sizeof(*u));
	if (u == NULL) {
		return 0;
	}
	memset(u, 0, sizeof(*u));
	u->server = s;
	u->t.id = s->next_timer_id++;
	u->t.interval = ms ? ms : 1;
	u->t.repeat = repeat;
	u->t.data = data;
	ws_map_entry_t *e = ws_map_upsert(&s->timers, &u->t.id, sizeof(u->t.id), NULL);
	if (e == NULL) {
		ws_free(u);
		return 0;
	}
	e->value = u;
	ws_timer_init(&u->t.timer, utimer_cb, u);
	ws_loop_update_time(s->loop);
	ws_timer_start(s->loop, &u->t.timer, ws_loop_now(s->loop) + ms);
	return u->t.id;
}

void *ws_server_timer_clear(ws_server_t *s, uint64_t id)
{
	ws_utimer_full_t *u = ws_map_remove(&s->timers, &id, sizeof(id));
	if (u == NULL) {
		return NULL;
	}
	void *data = u->t.data;
	ws_timer_stop(s->loop, &u->t.timer);
	if (u->t.firing) {
		u->t.cleared = 1; /* freed by utimer_cb once the callback returns */
	} else {
		ws_free(u);
	}
	return data;
}

typedef struct clear_all_ctx {
	ws_server_t *s;
	void (*fn)(void *data);
} clear_all_ctx_t;

static void clear_all_cb(void *arg, ws_map_entry_t *e)
{
	clear_all_ctx_t *ctx = arg;
	ws_utimer_full_t *u = e->value;
	ws_timer_stop(ctx->s->loop, &u->t.timer);
	if (ctx->fn) {
		ctx->fn(u->t.data);
	}
	if (u->t.firing) {
		u->t.cleared = 1;
	} else {
		ws_free(u);
	}
}

void ws_server_timer_clear_all(ws_server_t *s, void (*fn)(void *data))
{
	clear_all_ctx_t ctx = { s, fn };
	ws_map_each(&s->timers, clear_all_cb, &ctx);
	ws_map_free(&s->timers);
}

/* ------------------------------------------------------------ memory budget */

/*
 * Over max_memory: shed the connection with the largest send queue, by the
 * backpressure policy (close: 1008 and its queue discarded; drop: its queued
 * messages discarded), until back under budget.
 */
/* What a connection holds that the budget counts: its queue, its unfinished message, its unparsed input. */
static size_t conn_footprint(const ws_conn_t *c)
{
	return c->buffered + c->msg_cap + c->rest_len;
}

static void server_enforce_memory(ws_server_t *s)
{
	for (int rounds = 0; rounds < 64 && s->mem > s->cfg.max_memory; rounds++) {
		ws_conn_t *worst = NULL;
		for (ws_conn_t *c = s->open_head; c; c = c->open_next) {
			if (worst == NULL || conn_footprint(c) > conn_footprint(worst)) {
				worst = c;
			}
		}
		if (worst == NULL || conn_footprint(worst) == 0) {
			return;
		}
		if (worst->msg_cap + worst->rest_len > worst->buffered) {
			/*
			 * Most of it is an incoming message: there is no dropping half a
			 * message, so the sender goes, and its buffer with it at once.
			 */
			conn_close_internal(worst, WS_CLOSE_POLICY_VIOLATION, "server memory budget exceeded", 29, 1);
			mem_release(s, worst->msg, worst->msg_cap);
			worst->msg = NULL;
			worst->msg_cap = worst->msg_len = 0;
			mem_release(s, worst->rest, worst->rest_len);
			worst->rest = NULL;
			worst->rest_len = 0;
		} else {
			queue_discard_unsent(worst, 1);
			if (s->cfg.backpressure == WS_BACKPRESSURE_CLOSE) {
				conn_close_internal(worst, WS_CLOSE_POLICY_VIOLATION, "server memory budget exceeded", 29, 1);
			}
		}
		conn_touch(worst);
	}
}

/* ------------------------------------------------------------ run / stop */

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

int ws_server_run(ws_server_t *s)
{
	if (s->running) {
		errno = EBUSY;
		return -1;
	}
	raise_nofile(s);
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

	s->running = 1;
	s->stopping = 0;
	s->breaking = 0;
	accepting_set(s, 1);
	int rc = 0;
	while (s->running && !s->breaking) {
		if (ws_loop_run_once(s->loop, -1) < 0) {
			rc = -1;
			break;
		}
		if (s->cfg.max_memory && s->mem > s->cfg.max_memory) {
			server_enforce_memory(s);
		}
		if (!s->breaking) {
			server_settle_touched(s);
		}
		server_free_dead(s);
	}
	int saved = errno;
	accepting_set(s, 0);
	ws_timer_stop(s->loop, &s->accept_timer);
	ws_timer_stop(s->loop, &s->stop_timer);
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
	s->running = 0;
	s->stopping = 0;
	errno = saved;
	return rc;
}

static void server_finish_stop_if_done(ws_server_t *s)
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
		if (conn_flush(c) == 0 && c->tls) {
			ws_tls_flush(c->tls);
		}
		c->drop = 1;
		conn_touch(c);
	}
}

void ws_server_stop(ws_server_t *s)
{
	if (!s->running || s->stopping) {
		return;
	}
	s->stopping = 1;
	accepting_set(s, 0);
	ws_timer_stop(s->loop, &s->accept_timer);
	for (ws_conn_t *c = s->conns; c; c = c->next) {
		if (c->state == ST_OPEN) {
			conn_close_internal(c, WS_CLOSE_GOING_AWAY, "server shutting down", 20, 0);
		} else if (c->state == ST_HTTP || c->state == ST_TLS) {
			c->drop = 1;
			conn_touch(c);
		}
	}
	ws_timer_start(s->loop, &s->stop_timer, ws_loop_now(s->loop) + s->cfg.shutdown_timeout_ms);
	server_finish_stop_if_done(s);
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
			conn_close_internal(c, code, reason, rlen, 1);
		}
		/* One best-effort write of what is queued (the close frame above). */
		conn_flush(c);
		conn_teardown(c, c->close_code ? c->close_code : code, reason, rlen);
	}
	s->touched = NULL;
	server_free_dead(s);
	s->breaking = was_breaking;
}

void ws_server_get_stats(const ws_server_t *s, ws_server_stats_t *out)
{
	*out = s->stats;
	out->connections = s->nopen;
	out->pending = s->nconns - s->nopen;
	out->memory_bytes = s->mem;
}
