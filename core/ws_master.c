/*
 * ws_master.c - the supervisor: worker processes, their restarts and
 * reloads, signals, and the hub that sequences and routes publications
 * between workers (docs/PROCESS_MODEL.md).
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

#include "ws_alloc.h"
#include "ws_broker.h"
#include "ws_state.h"
#include "ws_fill.h"
#include "ws_bus.h"
#include "ws_loop.h"
#include "ws_map.h"
#include "ws_master.h"
#include "ws_server.h"

#define WS_ENV_WORKER "WEBSOCKET_WORKER"
#define WS_CLUSTER_INTERVAL_MS 1000
#define WS_RELOAD_TIMEOUT_MS 30000
#define WS_START_FAILURES_MAX 5
#define WS_BACKOFF_MIN_MS 100
#define WS_BACKOFF_MAX_MS 5000
#define WS_STABLE_MS 30000

typedef struct master master_t;

/* One worker process and its bus link. */
typedef struct mlink {
	ws_bus_link_t bus;
	master_t *m;
	size_t index;          /* in m->links: its bit in interest sets */
	pid_t pid;
	int slot;
	uint32_t gen;
	uint32_t instance;
	int ready;             /* sent READY: its workerStart returned */
	int connected;         /* the bus link is up */
	int reaped;
	uint8_t *stats;        /* its latest STATS payload */
	size_t stats_len;
} mlink_t;

typedef struct mslot {
	master_t *m;
	int id;
	mlink_t *link;         /* the current generation's process, or NULL while it waits for a restart */
	ws_timer_t restart;
	int start_failures;    /* consecutive deaths before READY */
	int crashes;           /* consecutive deaths within WS_STABLE_MS of their start */
	uint64_t started_ms;
	int given_up;
} mslot_t;

struct master {
	ws_master_config_t cfg;
	ws_loop_t *loop;
	mlink_t **links;       /* capacity nlinks_cap; NULL slots are free */
	size_t nlinks_cap;
	size_t words;          /* 64-bit words of an interest set */
	mslot_t *slots;
	ws_map_t interest;     /* topic -> uint64_t[words] of interested links */
	ws_broker_t *broker;   /* the node's Redis link, or NULL (ws_broker_link.c) */
	ws_state_t state;      /* the node's histories and presence: the hub's copy, the one that orders */
	int hsynced;           /* histories are complete: new workers get SYNCED (0 while Redis's load is on) */
	ws_fills_t fills;      /* topics whose missed publications are being fetched from Redis (ws_fill.h) */
	ws_timer_t hsync_timer;
	uint32_t gen;          /* the serving generation */
	uint32_t new_gen;      /* the generation a reload is starting, 0 if none */
	uint32_t next_instance;
	int stopping;
	int done;
	int fatal;
	char *err;
	size_t errcap;
	ws_timer_t cluster_timer;
	ws_timer_t reload_timer;
	ws_io_t sig_io;
	int sigpipe[2];
	char **argv;           /* our command line, for exec'd generations */
	/* Set in a freshly forked worker: unwind and return 1. */
	int in_child;
	ws_worker_start_t *child;
};

static volatile sig_atomic_t ws__master_signals;
static int ws__master_pipe = -1;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
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

typedef struct interest_ctx {
	master_t *m;
	size_t index;
} interest_ctx_t;

/* Drops a link's bit from every interest set (the set goes when empty). */
static void interest_clear_cb(void *arg, ws_map_entry_t *e)
{
	interest_ctx_t *ctx = arg;
	uint64_t *bits = e->value;
	bits[ctx->index / 64] &= ~(UINT64_C(1) << (ctx->index % 64));
}

static void interest_drop_link(master_t *m, size_t index)
{
	interest_ctx_t ctx = { m, index };
	ws_map_each(&m->interest, interest_clear_cb, &ctx);
	/* Empty sets stay until their topic is named again: cheaper than a second pass, bounded by topics. */
}

static void interest_set(master_t *m, mlink_t *l, const char *topic, size_t len, int on)
{
	ws_map_entry_t *e = on ? ws_map_upsert(&m->interest, topic, len, NULL) : ws_map_find(&m->interest, topic, len);
	if (e == NULL) {
		return;
	}
	if (e->value == NULL) {
		e->value = ws_malloc(m->words * sizeof(uint64_t));
		if (e->value == NULL) {
			ws_map_remove(&m->interest, topic, len);
			return;
		}
		memset(e->value, 0, m->words * sizeof(uint64_t));
		if (m->broker) {
			ws_broker_interest(m->broker, topic, len, 1);
		}
	}
	uint64_t *bits = e->value;
	uint64_t bit = UINT64_C(1) << (l->index % 64);
	if (on) {
		bits[l->index / 64] |= bit;
		return;
	}
	bits[l->index / 64] &= ~bit;
	for (size_t w = 0; w < m->words; w++) {
		if (bits[w]) {
			return;
		}
	}
	ws_free(ws_map_remove(&m->interest, topic, len));
	if (m->broker) {
		ws_broker_interest(m->broker, topic, len, 0);
	}
}

static void link_send(master_t *m, mlink_t *l, unsigned type, const void *p, size_t len)
{
	int was_over = l->bus.over;
	if (ws_bus_send(&l->bus, type, p, len, NULL, 0, NULL, 0) != 0 && !was_over && l->connected) {
		say("the bus to worker %d (pid %d) holds more than bus_buffer (%zu bytes): dropping its publications "
			"until it catches up", l->slot, (int)l->pid, m->cfg.bus_buffer);
	}
}

/*
 * Sends a publication to every worker that needs it: the record p as it
 * came, or r encoded if p is NULL.  A publication with a history position
 * goes to every worker (each keeps a replica of every history).
 */
static void forward(master_t *m, const ws_bus_route_t *rp, const uint8_t *p, size_t len)
{
	const ws_bus_route_t r = *rp;
	uint64_t *bits = NULL;
	if (r.kind == WS_ROUTE_PUBLISH && r.seq == 0) {
		ws_map_entry_t *e = ws_map_find(&m->interest, r.topic, r.topic_len);
		if (e == NULL) {
			return;
		}
		bits = e->value;
	}
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l == NULL || !l->connected) {
			continue;
		}
		if (bits && !(bits[i / 64] & (UINT64_C(1) << (i % 64)))) {
			continue;
		}
		if (p) {
			link_send(m, l, WS_BUS_ROUTE, p, len);
		} else if (ws_bus_send_route(&l->bus, &r) != 0 && l->bus.over) {
			continue; /* counted in the link's dropped records, reported by link_send's episode */
		}
	}
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A publication enters the hub from a worker: a topic with history gives it
 * the next position and keeps it (or, with the Redis broker, Redis does:
 * it comes back through broker_record()); then it goes to every worker
 * that needs it.
 */
static void hub_publish(master_t *m, mlink_t *l, ws_bus_route_t *r, const uint8_t *p, size_t len)
{
	uint32_t size = 0, ttl = 0;
	if (r->kind == WS_ROUTE_PUBLISH) {
		size = ws_state_limits(&m->state, r->topic, r->topic_len, &ttl);
	}
	if (size > 0 && m->broker) {
		if (ws_broker_publish_history(m->broker, r, size, ttl, l ? l->slot : -1) == 0) {
			return; /* delivered everywhere, here too, when Redis has ordered it */
		}
		r->seq = 0; /* Redis is down: delivered on this node, out of the history */
		forward(m, r, p, len);
		return;
	}
	if (size > 0) {
		r->time_ms = wall_ms();
		r->seq = ws_state_append(&m->state, r->topic, r->topic_len, 0, r->time_ms, r->id, r->id_len,
			r->data, r->len, r->flags & WS_ROUTE_BINARY, r->time_ms);
		forward(m, r, NULL, 0);
		return;
	}
	if (m->broker) {
		ws_broker_publish(m->broker, r);
	}
	r->seq = 0;
	forward(m, r, p, len);
}

/* The hub: a worker's publication. */
static void route(master_t *m, mlink_t *l, const uint8_t *p, size_t len)
{
	ws_bus_route_t r;
	if (ws_bus_route_decode(p, len, &r) != 0) {
		return;
	}
	r.epoch = NULL;
	hub_publish(m, l, &r, p, len);
}

static void history_to_workers(master_t *m, const char *topic, size_t tlen);
/* A publication from another node (or our own, back from Redis with its position): to the workers that need it. */
static void broker_record(void *arg, const ws_bus_route_t *rin)
{
	master_t *m = arg;
	ws_bus_route_t r = *rin;
	if (r.epoch) {
		uint64_t now = wall_ms(), last = ws_state_last_seq(&m->state, r.topic, r.topic_len);
		int rc = ws_state_append_remote(&m->state, r.topic, r.topic_len, r.epoch, r.seq, r.time_ms, r.id, r.id_len,
			r.data, r.len, r.flags & WS_ROUTE_BINARY, now);
		if (rc == WS_STATE_HOLE) {
			/* Missed while our link was down: hold the live stream until Redis's copy fills the hole. */
			ws_fill_start(&m->fills, r.topic, r.topic_len, last + 1, now);
		}
		if (rc == WS_STATE_RESET || rc == WS_STATE_HOLE) {
			/* The workers start over with it; the rest follows from Redis. */
			history_to_workers(m, r.topic, r.topic_len);
			ws_broker_load_history(m->broker, r.topic, r.topic_len);
			/* It is in the history the workers just got: the forward below only delivers it. */
		}
		if (rc == WS_STATE_NONE) {
			r.seq = 0;
		}
		if (ws_fill_hold(&m->fills, &r)) {
			return;
		}
		forward(m, &r, NULL, 0);
		return;
	}
	r.seq = 0; /* not ordered by Redis: never in a history */
	forward(m, &r, NULL, 0);
}

/* Sends a presence change to every worker (each keeps a replica). */
static void presence_forward(master_t *m, const ws_bus_presence_t *pr)
{
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l && l->connected) {
			ws_bus_send_presence(&l->bus, pr);
		}
	}
}

/* Tells the other nodes (Redis) about a change of one of this node's members. */
static void presence_to_broker(master_t *m, int join, uint64_t conn, int worker, const char *topic, size_t tlen,
	const char *info, size_t info_len)
{
	if (m->broker) {
		ws_broker_member_t bm = { conn, worker, topic, tlen, info, info_len };
		ws_broker_member(m->broker, join, &bm);
	}
}

/* A worker's member joined or left: the hub applies it, then every replica does, then the other nodes. */
static void presence(master_t *m, mlink_t *l, const uint8_t *p, size_t len)
{
	ws_bus_presence_t pr;
	if (ws_bus_presence_decode(p, len, &pr) != 0 || pr.topic_len == 0 || pr.topic_len > WS_TOPIC_MAX) {
		return;
	}
	if ((uint32_t)(pr.conn >> 40) != l->instance) {
		return; /* a worker speaks only for its own connections */
	}
	pr.worker = (int16_t)l->slot;
	pr.fire_on = -1; /* the owner reported it already */
	pr.node = 0;
	int changed = pr.op == WS_PRESENCE_JOIN
		? ws_state_join(&m->state, pr.topic, pr.topic_len, 0, pr.conn, l->slot, pr.info, pr.info_len)
		: ws_state_leave(&m->state, pr.topic, pr.topic_len, 0, pr.conn);
	if (changed > 0) {
		presence_forward(m, &pr);
		presence_to_broker(m, pr.op == WS_PRESENCE_JOIN, pr.conn, l->slot, pr.topic, pr.topic_len, pr.info, pr.info_len);
	}
}

/* The worker that reports the leaves of a dead worker's members: the first one serving. */
static int reporter_slot(const master_t *m)
{
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		const mlink_t *l = m->links[i];
		if (l && l->connected && l->ready && l->gen == m->gen) {
			return l->slot;
		}
	}
	return -1;
}

typedef struct drop_ctx {
	master_t *m;
	int fire_on;
	int local;             /* this node's members: the other nodes hear of it too */
} drop_ctx_t;

static void drop_member_cb(void *arg, const char *topic, size_t tlen, const ws_member_t *mb)
{
	drop_ctx_t *d = arg;
	ws_bus_presence_t pr;
	memset(&pr, 0, sizeof(pr));
	pr.op = WS_PRESENCE_LEAVE;
	pr.worker = (int16_t)mb->worker;
	pr.fire_on = (int16_t)d->fire_on;
	pr.conn = mb->conn;
	pr.topic = topic;
	pr.topic_len = tlen;
	pr.info = mb->info;
	pr.info_len = mb->info_len;
	pr.node = mb->node;
	presence_forward(d->m, &pr);
	if (d->local) {
		presence_to_broker(d->m, 0, mb->conn, mb->worker, topic, tlen, NULL, 0);
	}
}

/* A worker's link is gone (it exited or crashed): its members leave at once, everywhere. */
static void presence_drop_link(master_t *m, mlink_t *l)
{
	drop_ctx_t d = { m, reporter_slot(m), 1 };
	ws_state_drop_instance(&m->state, l->instance, drop_member_cb, &d);
}

/* ---- the snapshot a new worker gets before anything else ---- */

typedef struct snap_ctx {
	master_t *m;
	mlink_t *l;
	const char *topic;
	size_t tlen;
} snap_ctx_t;

static void snap_entry_cb(void *arg, const ws_history_entry_t *e)
{
	snap_ctx_t *c = arg;
	ws_bus_route_t r;
	memset(&r, 0, sizeof(r));
	r.kind = WS_ROUTE_PUBLISH;
	r.flags = (uint8_t)((e->binary ? WS_ROUTE_BINARY : 0) | WS_ROUTE_REPLAY);
	r.origin = -1;
	r.topic = c->topic;
	r.topic_len = c->tlen;
	r.data = WS_HISTORY_ENTRY_DATA(e);
	r.len = e->len;
	r.seq = e->seq;
	r.time_ms = e->time_ms;
	r.id = WS_HISTORY_ENTRY_ID(e);
	r.id_len = e->id_len;
	ws_bus_send_route(&c->l->bus, &r);
}

/* Tells one worker that topic's history starts over (with its epoch if Redis gave it one), then sends it whole. */
static void send_topic_history(master_t *m, mlink_t *l, const char *topic, size_t len)
{
	const char *epoch = ws_state_topic_epoch(&m->state, topic, len);
	uint8_t el = (uint8_t)(epoch && strcmp(epoch, m->state.epoch) != 0 ? WS_STATE_EPOCH_LEN : 0);
	ws_bus_send(&l->bus, WS_BUS_HRESET, &el, 1, el ? epoch : NULL, el, topic, len);
	snap_ctx_t c = { m, l, topic, len };
	ws_state_history(&m->state, topic, len, 0, wall_ms(), snap_entry_cb, &c);
}

static void snap_topic_cb(void *arg, const char *topic, size_t len, size_t entries)
{
	snap_ctx_t *c = arg;
	(void)entries;
	send_topic_history(c->m, c->l, topic, len);
}

/* Every worker's replica of topic starts over from the hub's (a Redis load, or a new epoch). */
static void history_to_workers(master_t *m, const char *topic, size_t tlen)
{
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l && l->connected) {
			size_t limit = l->bus.limit;
			l->bus.limit = 0; /* bounded by the history rules, like a snapshot */
			send_topic_history(m, l, topic, tlen);
			l->bus.limit = limit;
		}
	}
}

/* Delivers a publication that a fill held (or one it fetched): to every worker, with its position. */
static void fill_deliver(void *arg, const ws_bus_route_t *r)
{
	forward(arg, r, NULL, 0);
}

/* Redis's copy of a topic's history (after a (re)connect, or to fill a hole). */
static void broker_history_load(void *arg, const char *topic, size_t tlen, const char *epoch,
	const ws_state_load_t *entries, size_t n)
{
	master_t *m = arg;
	if (ws_state_history_load(&m->state, topic, tlen, epoch, entries, n, wall_ms()) == 0) {
		history_to_workers(m, topic, tlen);
	}
	ws_fill_complete(&m->fills, &m->state, topic, tlen, wall_ms(), fill_deliver, m);
}

static void snap_member_cb(void *arg, const char *topic, size_t tlen, const ws_member_t *mb)
{
	snap_ctx_t *c = arg;
	ws_bus_presence_t pr;
	memset(&pr, 0, sizeof(pr));
	pr.op = WS_PRESENCE_JOIN;
	pr.worker = (int16_t)mb->worker;
	pr.fire_on = -1;
	pr.node = mb->node;
	pr.conn = mb->conn;
	pr.topic = topic;
	pr.topic_len = tlen;
	pr.info = mb->info;
	pr.info_len = mb->info_len;
	ws_bus_send_presence(&c->l->bus, &pr);
}

/* The end of a worker's snapshot: it may accept connections from now on. */
static void send_synced(master_t *m, mlink_t *l)
{
	const char *node = m->broker ? ws_broker_node(m->broker) : "";
	ws_bus_send(&l->bus, WS_BUS_SYNCED, m->state.epoch, WS_STATE_EPOCH_LEN, node, strlen(node), NULL, 0);
}

/* Redis's histories are in (or could not be loaded in time): the workers waiting for them start. */
static void histories_synced(master_t *m)
{
	if (m->hsynced) {
		return;
	}
	m->hsynced = 1;
	ws_timer_stop(m->loop, &m->hsync_timer);
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l && l->connected) {
			send_synced(m, l);
		}
	}
}

static void broker_synced(void *arg)
{
	histories_synced(arg);
}

static void hsync_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	master_t *m = t->data;
	(void)loop;
	say("the histories could not be loaded from Redis within 5 s: the workers serve without them until they are");
	histories_synced(m);
}

/*
 * The first records on a new link: every history entry and every member,
 * then SYNCED with the epoch.  The worker accepts no connection before
 * SYNCED, and every later change follows on the same FIFO link.  The
 * snapshot is not subject to bus_buffer: it is bounded by the history rules.
 */
static void send_snapshot(master_t *m, mlink_t *l)
{
	size_t limit = l->bus.limit;
	l->bus.limit = 0;
	snap_ctx_t c = { m, l, NULL, 0 };
	ws_state_each_history(&m->state, snap_topic_cb, &c);
	ws_state_each_member(&m->state, snap_member_cb, &c);
	if (m->hsynced) {
		send_synced(m, l);
	}
	l->bus.limit = limit;
}

/* Another node's member joined or left: the hub applies it, then every worker's replica. */
static void broker_member(void *arg, int join, uint64_t node, const ws_broker_member_t *bm)
{
	master_t *m = arg;
	int changed = join
		? ws_state_join(&m->state, bm->topic, bm->topic_len, node, bm->conn, bm->worker, bm->info, bm->info_len)
		: ws_state_leave(&m->state, bm->topic, bm->topic_len, node, bm->conn);
	if (changed > 0) {
		ws_bus_presence_t pr;
		memset(&pr, 0, sizeof(pr));
		pr.op = join ? WS_PRESENCE_JOIN : WS_PRESENCE_LEAVE;
		pr.worker = (int16_t)bm->worker;
		pr.fire_on = -1; /* its own node reports it */
		pr.node = node;
		pr.conn = bm->conn;
		pr.topic = bm->topic;
		pr.topic_len = bm->topic_len;
		pr.info = bm->info;
		pr.info_len = bm->info_len;
		presence_forward(m, &pr);
	}
}

/* Another node died (its leaves are reported here if report) or is about to resend its whole state. */
static void broker_node_reset(void *arg, uint64_t node, int dead, int report)
{
	master_t *m = arg;
	drop_ctx_t d = { m, dead && report ? reporter_slot(m) : -1, 0 };
	ws_state_drop_node(&m->state, node, drop_member_cb, &d);
}

typedef struct local_ctx {
	void (*fn)(void *fnarg, const ws_broker_member_t *bm);
	void *fnarg;
} local_ctx_t;

static void local_member_cb(void *arg, const char *topic, size_t tlen, const ws_member_t *mb)
{
	local_ctx_t *x = arg;
	if (mb->node == 0) {
		ws_broker_member_t bm = { mb->conn, mb->worker, topic, tlen, mb->info, mb->info_len };
		x->fn(x->fnarg, &bm);
	}
}

static void broker_each_local(void *arg, void (*fn)(void *fnarg, const ws_broker_member_t *bm), void *fnarg)
{
	master_t *m = arg;
	local_ctx_t x = { fn, fnarg };
	ws_state_each_member(&m->state, local_member_cb, &x);
}

static void broker_warning(void *arg, const char *msg)
{
	(void)arg;
	say("%s", msg);
}

static void reload_start(master_t *m);
static void reload_check(master_t *m);

static void link_record(ws_bus_link_t *bus, unsigned type, const uint8_t *p, size_t len)
{
	mlink_t *l = bus->data;
	master_t *m = l->m;
	switch (type) {
	case WS_BUS_ROUTE:
		route(m, l, p, len);
		break;
	case WS_BUS_INTEREST:
		if (len >= 1 && len - 1 <= WS_TOPIC_MAX) {
			interest_set(m, l, (const char *)p + 1, len - 1, p[0]);
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
		presence(m, l, p, len);
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
	interest_drop_link(l->m, l->index);
	presence_drop_link(l->m, l);
}

static void link_free(master_t *m, mlink_t *l)
{
	ws_bus_link_close(&l->bus);
	m->links[l->index] = NULL;
	if (l->connected) {
		interest_drop_link(m, l->index);
		presence_drop_link(m, l);
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
		say("no room for another worker process (a reload is still finishing)");
		return NULL;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		say("worker %d: socketpair: %s", slot, strerror(errno));
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
		say("worker %d: fork: %s", slot, strerror(errno));
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
		say("worker %d: bus: %s", slot, strerror(errno));
		close(sv[0]);
		kill(pid, SIGKILL);
		l->bus.fd = -1;
	} else {
		l->connected = 1;
		send_snapshot(m, l);
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
	say("reload failed: %s; the old workers keep serving", why);
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
		say("reload ignored: %s", m->stopping ? "stopping" : "a reload is already under way");
		return;
	}
	if (m->argv == NULL) {
		say("reload impossible: the command line could not be read from /proc/self/cmdline");
		return;
	}
	m->new_gen = m->gen + 1;
	say("reload: starting %u new workers (generation %u)", m->cfg.workers, m->new_gen);
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
			link_send(m, l, WS_BUS_DRAIN, w, sizeof(w));
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
	say("reload: generation %u serves; generation %u closes its clients with 1012 over %u ms",
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
		say("worker %d (pid %d) %s before its workerStart returned, %d times in a row: not restarting it",
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
		say("worker %d (pid %d) %s; restarting it in %llu ms", slot, (int)pid, what, (unsigned long long)delay);
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
				say("second stop signal: workers killed");
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

/* ---------------------------------------------------------------- cluster view */

static void topic_total_cb(void *arg, ws_map_entry_t *e)
{
	ws_bus_buf_t *b = arg;
	uint16_t len = (uint16_t)e->key_len;
	uint32_t count = (uint32_t)(uintptr_t)e->value;
	ws_bus_buf_put(b, &len, 2);
	ws_bus_buf_put(b, &count, 4);
	ws_bus_buf_put(b, e->key, e->key_len);
}

/* Every second: each worker's latest STATS, with subscribers per topic summed, to every worker. */
static void cluster_cb(ws_loop_t *loop, ws_timer_t *t)
{
	master_t *m = t->data;
	if (m->in_child) {
		return;
	}
	ws_bus_buf_t b = { NULL, 0, 0, 0 };
	ws_map_t topics;
	ws_map_init(&topics);
	uint16_t nw = 0;
	ws_bus_buf_put(&b, &nw, 2);
	/* A worker's STATS: i32 pid, stats struct, u32 length + metrics snapshot, then its topics. */
	const size_t fixed = 4 + sizeof(ws_server_stats_t);
	for (size_t i = 0; i < m->nlinks_cap; i++) {
		mlink_t *l = m->links[i];
		if (l == NULL || !l->connected || l->stats == NULL || l->stats_len < fixed + 4) {
			continue;
		}
		uint32_t ml;
		memcpy(&ml, l->stats + fixed, 4);
		size_t head = fixed + 4 + (size_t)ml;
		if (l->stats_len < head) {
			continue;
		}
		int16_t id = (int16_t)l->slot;
		ws_bus_buf_put(&b, &id, 2);
		ws_bus_buf_put(&b, l->stats, head);
		nw++;
		const uint8_t *p = l->stats + head, *end = l->stats + l->stats_len;
		while (end - p >= 6) {
			uint16_t len;
			uint32_t count;
			memcpy(&len, p, 2);
			memcpy(&count, p + 2, 4);
			p += 6;
			if ((size_t)(end - p) < len) {
				break;
			}
			ws_map_entry_t *e = ws_map_upsert(&topics, p, len, NULL);
			if (e) {
				e->value = (void *)((uintptr_t)e->value + count);
			}
			p += len;
		}
	}
	if (!b.failed) {
		memcpy(b.p, &nw, 2);
	}
	uint32_t nt = (uint32_t)topics.count;
	ws_bus_buf_put(&b, &nt, 4);
	ws_map_each(&topics, topic_total_cb, &b);
	ws_map_free(&topics);
	if (m->broker) {
		/* The node's broker counters ride at the end (read by ws_cluster.c). */
		ws_broker_stats_t bs;
		ws_broker_get_stats(m->broker, &bs);
		ws_bus_buf_put(&b, "B", 1);
		ws_bus_buf_put(&b, &bs, sizeof(bs));
	}
	if (!b.failed) {
		for (size_t i = 0; i < m->nlinks_cap; i++) {
			if (m->links[i] && m->links[i]->connected) {
				link_send(m, m->links[i], WS_BUS_CLUSTER, b.p, b.len);
			}
		}
	}
	ws_bus_buf_free(&b);
	ws_timer_start(loop, t, ws_loop_now(loop) + WS_CLUSTER_INTERVAL_MS);
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
static void broker_start(master_t *m)
{
	if (m->cfg.broker_url == NULL) {
		return;
	}
	ws_broker_config_t bc;
	memset(&bc, 0, sizeof(bc));
	bc.url = m->cfg.broker_url;
	bc.prefix = m->cfg.broker_prefix;
	bc.max_pending = m->cfg.broker_buffer;
	bc.on_record = broker_record;
	bc.on_warning = broker_warning;
	bc.on_member = broker_member;
	bc.on_node_reset = broker_node_reset;
	bc.each_local = broker_each_local;
	bc.on_history_load = ws_state_has_history(&m->state) ? broker_history_load : NULL;
	bc.on_synced = broker_synced;
	bc.arg = m;
	m->broker = ws_broker_start(m->loop, &bc);
	if (m->broker == NULL) {
		say("the Redis broker could not be started: %s", strerror(errno));
		return;
	}
	if (bc.on_history_load) {
		/* Resumes need Redis's histories: workers accept once they are loaded (or after 5 s without Redis). */
		m->hsynced = 0;
		ws_timer_start(m->loop, &m->hsync_timer, ws_loop_now(m->loop) + 5000);
	}
}

static void free_interest_cb(void *arg, ws_map_entry_t *e)
{
	(void)arg;
	ws_free(e->value);
}

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
	ws_map_each(&m->interest, free_interest_cb, NULL);
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
	ws_timer_init(&m->hsync_timer, hsync_timer_cb, m);
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
	ws_timer_init(&m->cluster_timer, cluster_cb, m);
	ws_timer_init(&m->reload_timer, reload_timer_cb, m);
	ws_io_start(m->loop, &m->sig_io, m->sigpipe[0], WS_IO_READ, sig_io_cb, m);

	struct sigaction old[NSIGNALS];
	signals_install(m, old);
	/* Before the first fork: the node id goes to every worker with its snapshot (a child lets go of the link). */
	broker_start(m);
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
				ws_fill_expire(&m->fills, wall_ms(), fill_deliver, m);
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
