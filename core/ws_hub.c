/*
 * ws_hub.c - the supervisor as the hub of its node (docs/PROCESS_MODEL.md,
 * docs/PRESENCE_HISTORY.md): publications routed to the workers that need
 * them, histories given positions (or Redis's) and presence changes
 * relayed, the snapshot every new worker gets first, the fills of holes in
 * Redis-ordered streams, the node's Redis link, and the cluster view.
 * Supervision itself (processes, signals, reloads) is ws_master.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ws_master_int.h"

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

void ws__hub_interest_drop_link(master_t *m, size_t index)
{
	interest_ctx_t ctx = { m, index };
	ws_map_each(&m->interest, interest_clear_cb, &ctx);
	/* Empty sets stay until their topic is named again: cheaper than a second pass, bounded by topics. */
}

void ws__hub_interest_set(master_t *m, mlink_t *l, const char *topic, size_t len, int on)
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

void ws__hub_link_send(master_t *m, mlink_t *l, unsigned type, const void *p, size_t len)
{
	int was_over = l->bus.over;
	if (ws_bus_send(&l->bus, type, p, len, NULL, 0, NULL, 0) != 0 && !was_over && l->connected) {
		ws__master_say("the bus to worker %d (pid %d) holds more than bus_buffer (%zu bytes): dropping its publications "
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
			ws__hub_link_send(m, l, WS_BUS_ROUTE, p, len);
		} else if (ws_bus_send_route(&l->bus, &r) != 0 && l->bus.over) {
			continue; /* counted in the link's dropped records, reported by link_send's episode */
		}
	}
}

uint64_t ws__hub_wall_ms(void)
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
		r->time_ms = ws__hub_wall_ms();
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
void ws__hub_route(master_t *m, mlink_t *l, const uint8_t *p, size_t len)
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
		uint64_t now = ws__hub_wall_ms(), last = ws_state_last_seq(&m->state, r.topic, r.topic_len);
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
void ws__hub_presence(master_t *m, mlink_t *l, const uint8_t *p, size_t len)
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
void ws__hub_presence_drop_link(master_t *m, mlink_t *l)
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
	ws_state_history(&m->state, topic, len, 0, ws__hub_wall_ms(), snap_entry_cb, &c);
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
void ws__hub_fill_deliver(void *arg, const ws_bus_route_t *r)
{
	forward(arg, r, NULL, 0);
}

/* Redis's copy of a topic's history (after a (re)connect, or to fill a hole). */
static void broker_history_load(void *arg, const char *topic, size_t tlen, const char *epoch,
	const ws_state_load_t *entries, size_t n)
{
	master_t *m = arg;
	if (ws_state_history_load(&m->state, topic, tlen, epoch, entries, n, ws__hub_wall_ms()) == 0) {
		history_to_workers(m, topic, tlen);
	}
	ws_fill_complete(&m->fills, &m->state, topic, tlen, ws__hub_wall_ms(), ws__hub_fill_deliver, m);
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

void ws__hub_hsync_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	master_t *m = t->data;
	(void)loop;
	ws__master_say("the histories could not be loaded from Redis within 5 s: the workers serve without them until they are");
	histories_synced(m);
}

/*
 * The first records on a new link: every history entry and every member,
 * then SYNCED with the epoch.  The worker accepts no connection before
 * SYNCED, and every later change follows on the same FIFO link.  The
 * snapshot is not subject to bus_buffer: it is bounded by the history rules.
 */
void ws__hub_send_snapshot(master_t *m, mlink_t *l)
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
	ws__master_say("%s", msg);
}

void ws__hub_broker_start(master_t *m)
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
		ws__master_say("the Redis broker could not be started: %s", strerror(errno));
		return;
	}
	if (bc.on_history_load) {
		/* Resumes need Redis's histories: workers accept once they are loaded (or after 5 s without Redis). */
		m->hsynced = 0;
		ws_timer_start(m->loop, &m->hsync_timer, ws_loop_now(m->loop) + 5000);
	}
}

void ws__hub_free_interest_cb(void *arg, ws_map_entry_t *e)
{
	(void)arg;
	ws_free(e->value);
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
void ws__hub_cluster_cb(ws_loop_t *loop, ws_timer_t *t)
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
				ws__hub_link_send(m, m->links[i], WS_BUS_CLUSTER, b.p, b.len);
			}
		}
	}
	ws_bus_buf_free(&b);
	ws_timer_start(loop, t, ws_loop_now(loop) + WS_CLUSTER_INTERVAL_MS);
}

