/*
 * ws_replica.c - the server's copy of the topic state (ws_state.h):
 * histories, resume and presence, and their events.
 *
 * A single process is its own hub: it gives each publication of a topic
 * with history its position here, and applies presence changes at once.
 * A worker keeps a replica of the supervisor's state: it starts from the
 * snapshot the supervisor sends first on the bus, then applies every
 * sequenced publication and presence change in the supervisor's one order
 * (ws_route.c hands them over).  Reads (history, presence, resume) are
 * therefore local and never wait for anyone.  docs/PRESENCE_HISTORY.md
 * has the rules.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "ws_broker.h"
#include "ws_fill.h"
#include "ws_server_int.h"

/* A topic a connection joined: what it must leave when it goes. */
typedef struct ws_pres_ref {
	uint16_t len;
	char name[];
} ws_pres_ref_t;

/* A presence event waiting for the end of the iteration. */
typedef struct ws_pevent {
	struct ws_pevent *next;
	uint64_t conn;
	int join;
	int worker;
	uint16_t topic_len;
	uint32_t info_len;
	char bytes[];                 /* topic, then info */
} ws_pevent_t;

uint64_t ws__wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- configuration */

int ws_server_history_default(ws_server_t *s, uint32_t size, uint32_t ttl)
{
	if (s->running) {
		errno = EBUSY;
		return -1;
	}
	ws_state_set_default(&s->state, size, ttl);
	return 0;
}

int ws_server_history_rule(ws_server_t *s, const char *pattern, size_t len, uint32_t size, uint32_t ttl)
{
	if (s->running) {
		errno = EBUSY;
		return -1;
	}
	return ws_state_add_rule(&s->state, pattern, len, size, ttl);
}

uint32_t ws_server_history_limits(const ws_server_t *s, const char *topic, size_t len, uint32_t *ttl)
{
	uint32_t t;
	uint32_t size = ws_state_limits(&s->state, topic, len, &t);
	if (ttl) {
		*ttl = t;
	}
	return size;
}

const ws_state_t *ws_server_state(const ws_server_t *s)
{
	return &s->state;
}

const char *ws_server_epoch(const ws_server_t *s)
{
	return s->state.epoch;
}

const char *ws_server_history_epoch(ws_server_t *s, const char *topic, size_t len)
{
	const char *e = ws_state_topic_epoch(&s->state, topic, len);
	return e ? e : s->state.epoch;
}

/* ---------------------------------------------------------------- history */

/*
 * A publication is about to be delivered here: keep it in its topic's
 * history.  A single process gives it its position; a worker stores the
 * position the supervisor gave.  Sets r->seq (0: the topic keeps none).
 */
int ws__replica_store(ws_server_t *s, ws_bus_route_t *r)
{
	if (r->kind != WS_ROUTE_PUBLISH || (r->flags & WS_ROUTE_NOSTORE)) {
		return 1;
	}
	uint64_t now = ws__wall_ms();
	if (r->epoch) {
		/* Ordered by Redis (a single process with the broker): Redis's position and epoch. */
		uint64_t last = ws_state_last_seq(&s->state, r->topic, r->topic_len);
		int rc = ws_state_append_remote(&s->state, r->topic, r->topic_len, r->epoch, r->seq, r->time_ms,
			r->id, r->id_len, r->data, r->len, r->flags & WS_ROUTE_BINARY, now);
		if (rc == WS_STATE_HOLE) {
			/* Missed while our link was down: hold the live stream until Redis's copy fills the hole. */
			ws_fill_start(&s->fills, r->topic, r->topic_len, last + 1, now);
		}
		if ((rc == WS_STATE_RESET || rc == WS_STATE_HOLE) && s->broker) {
			ws_broker_load_history(s->broker, r->topic, r->topic_len); /* the entries before it */
		}
		s->metrics.history_entries = s->state.entries;
		return !ws_fill_hold(&s->fills, r);
	} else if (s->bus) {
		if (r->seq == 0) {
			return 1; /* not sequenced by the supervisor: the topic keeps no history */
		}
		r->seq = ws_state_append(&s->state, r->topic, r->topic_len, r->seq, r->time_ms,
			r->id, r->id_len, r->data, r->len, r->flags & WS_ROUTE_BINARY, now);
	} else {
		uint32_t ttl;
		if (ws_state_limits(&s->state, r->topic, r->topic_len, &ttl) == 0) {
			return 1;
		}
		r->time_ms = now;
		r->seq = ws_state_append(&s->state, r->topic, r->topic_len, 0, r->time_ms,
			r->id, r->id_len, r->data, r->len, r->flags & WS_ROUTE_BINARY, now);
	}
	s->metrics.history_entries = s->state.entries;
	return 1;
}

/* Delivers a publication held by a fill (ws_fill.h) to this process's subscribers. */
static void fill_deliver(void *arg, const ws_bus_route_t *r)
{
	ws_server_t *s = arg;
	uint64_t except = r->origin == s->worker_id ? r->except : 0;
	ws__publish_local(s, r->topic, r->topic_len, r->data, r->len, r->flags & WS_ROUTE_BINARY, except);
}

/* Once per loop iteration while a fill is under way: give up on those past their deadline. */
void ws__replica_fill_tick(ws_server_t *s)
{
	if (ws_fill_pending(&s->fills)) {
		ws_fill_expire(&s->fills, ws__wall_ms(), fill_deliver, s);
	}
}

/* A worker: the supervisor says topic's history starts over (a snapshot, or Redis's copy loaded). */
void ws__replica_history_reset(ws_server_t *s, const uint8_t *p, size_t len)
{
	if (len < 1 || (p[0] != 0 && p[0] != WS_STATE_EPOCH_LEN) || len - 1 - p[0] == 0 || len - 1 - p[0] > WS_TOPIC_MAX) {
		return;
	}
	char epoch[WS_STATE_EPOCH_LEN + 1];
	memcpy(epoch, p + 1, p[0]);
	epoch[p[0]] = '\0';
	ws_state_history_reset(&s->state, (const char *)p + 1 + p[0], len - 1 - p[0], p[0] ? epoch : NULL);
	s->metrics.history_entries = s->state.entries;
}

/* A single process with the broker: Redis's copy of a topic's history. */
void ws__replica_history_load(ws_server_t *s, const char *topic, size_t tlen, const char *epoch,
	const ws_state_load_t *entries, size_t n)
{
	uint64_t now = ws__wall_ms();
	ws_state_history_load(&s->state, topic, tlen, epoch, entries, n, now);
	s->metrics.history_entries = s->state.entries;
	ws_fill_complete(&s->fills, &s->state, topic, tlen, now, fill_deliver, s);
}

size_t ws_server_history(ws_server_t *s, const char *topic, size_t len, size_t limit,
	void (*fn)(void *arg, const ws_history_entry_t *e), void *arg)
{
	size_t n = ws_state_history(&s->state, topic, len, limit, ws__wall_ms(), fn, arg);
	s->metrics.history_entries = s->state.entries;
	return n;
}

typedef struct replay_ctx {
	ws_conn_t *c;
	int failed;
} replay_ctx_t;

static void replay_cb(void *arg, const ws_history_entry_t *e)
{
	replay_ctx_t *ctx = arg;
	if (ctx->failed) {
		return;
	}
	ws_send_status_t st = ws_conn_send(ctx->c, WS_HISTORY_ENTRY_DATA(e), e->len, e->binary);
	if (st == WS_SEND_DROPPED) { /* over max_buffered_amount, or closed by the backpressure policy */
		ctx->failed = 1;
	}
}

long ws_conn_resume(ws_conn_t *c, const char *topic, size_t len, const char *since, size_t since_len,
	const char *epoch, size_t epoch_len)
{
	ws_server_t *s = c->server;
	if (!ws_conn_is_open(c)) {
		return -2;
	}
	/*
	 * The replica holds every publication this process has been handed, and
	 * whatever the supervisor sequenced after that reaches this process
	 * later through the live stream: replay, then subscribe, in this call,
	 * and the two meet with no gap and no overlap.
	 */
	replay_ctx_t ctx = { c, 0 };
	uint64_t now = ws__wall_ms();
	long n = ws_state_since(&s->state, topic, len, since, since_len, epoch, epoch_len, now, replay_cb, &ctx);
	if (n < 0 && s->bus && ws__route_barrier(s, 1000) == 0 && ws_conn_is_open(c)) {
		/*
		 * A worker may be asked for an id that another worker delivered a
		 * moment ago and whose record is still on its way here: wait for
		 * every record ordered before now, then look again.
		 */
		n = ws_state_since(&s->state, topic, len, since, since_len, epoch, epoch_len, ws__wall_ms(), replay_cb, &ctx);
	}
	if (ws_conn_subscribe(c, topic, len) < 0) {
		return -3;
	}
	return n;
}

/* ---------------------------------------------------------------- presence */

static void pevent_queue(ws_server_t *s, int join, const char *topic, size_t tlen, uint64_t conn, int worker,
	const char *info, size_t info_len)
{
	if (s->h->on_presence == NULL) {
		return;
	}
	ws_pevent_t *ev = ws_malloc(sizeof(*ev) + tlen + info_len);
	if (ev == NULL) {
		return;
	}
	ev->next = NULL;
	ev->conn = conn;
	ev->join = join;
	ev->worker = worker;
	ev->topic_len = (uint16_t)tlen;
	ev->info_len = (uint32_t)info_len;
	memcpy(ev->bytes, topic, tlen);
	memcpy(ev->bytes + tlen, info, info_len);
	if (s->pev_tail) {
		s->pev_tail->next = ev;
	} else {
		s->pev_head = ev;
	}
	s->pev_tail = ev;
}

static void presence_send(ws_server_t *s, int op, const char *topic, size_t tlen, uint64_t conn,
	const char *info, size_t info_len)
{
	if (s->bus == NULL) {
		if (s->broker) {
			/* A single process is its node's hub: tell the other nodes. */
			ws_broker_member_t bm = { conn, s->worker_id, topic, tlen, info, info_len };
			ws_broker_member(s->broker, op == WS_PRESENCE_JOIN, &bm);
		}
		return;
	}
	ws_bus_presence_t pr;
	memset(&pr, 0, sizeof(pr));
	pr.op = (uint8_t)op;
	pr.worker = (int16_t)s->worker_id;
	pr.fire_on = -1;
	pr.conn = conn;
	pr.topic = topic;
	pr.topic_len = tlen;
	pr.info = info;
	pr.info_len = info_len;
	ws_bus_send_presence(s->bus, &pr);
}

static int ref_find(const ws_conn_t *c, const char *topic, size_t len)
{
	for (uint32_t i = 0; i < c->npres; i++) {
		if (c->pres[i]->len == len && memcmp(c->pres[i]->name, topic, len) == 0) {
			return (int)i;
		}
	}
	return -1;
}

int ws_conn_join(ws_conn_t *c, const char *topic, size_t len, const char *info, size_t info_len)
{
	ws_server_t *s = c->server;
	if (!ws_conn_is_open(c) || len == 0 || len > WS_TOPIC_MAX || info_len > WS_PRESENCE_INFO_MAX) {
		errno = EINVAL;
		return -1;
	}
	int known = ref_find(c, topic, len) >= 0;
	uint32_t ncap = known ? 0 : ws__grows(c->npres, 2);
	if (ncap) {
		ws_pres_ref_t **n = ws_realloc(c->pres, ncap * sizeof(*n));
		if (n == NULL) {
			errno = ENOMEM;
			return -1;
		}
		c->pres = n;
	}
	ws_pres_ref_t *ref = NULL;
	if (!known) {
		ref = ws_malloc(sizeof(*ref) + len);
		if (ref == NULL) {
			errno = ENOMEM;
			return -1;
		}
		ref->len = (uint16_t)len;
		memcpy(ref->name, topic, len);
	}
	int r = ws_state_join(&s->state, topic, len, 0, c->id, s->worker_id, info, info_len);
	if (r < 0) {
		ws_free(ref);
		return -1;
	}
	if (ref) {
		c->pres[c->npres++] = ref;
	}
	if (r > 0) {
		presence_send(s, WS_PRESENCE_JOIN, topic, len, c->id, info, info_len);
		pevent_queue(s, 1, topic, len, c->id, s->worker_id, info, info_len);
	}
	return r;
}

/* Leaves the presence of c->pres[i]. */
static void leave_ref(ws_conn_t *c, uint32_t i)
{
	ws_server_t *s = c->server;
	ws_pres_ref_t *ref = c->pres[i];
	const ws_member_t *m = ws_state_member(&s->state, ref->name, ref->len, 0, c->id);
	if (m) {
		pevent_queue(s, 0, ref->name, ref->len, c->id, s->worker_id, m->info, m->info_len);
		presence_send(s, WS_PRESENCE_LEAVE, ref->name, ref->len, c->id, NULL, 0);
		ws_state_leave(&s->state, ref->name, ref->len, 0, c->id);
	}
	ws_free(ref);
	memmove(&c->pres[i], &c->pres[i + 1], (c->npres - i - 1) * sizeof(*c->pres));
	c->npres--;
}

int ws_conn_leave(ws_conn_t *c, const char *topic, size_t len)
{
	int i = ref_find(c, topic, len);
	if (i < 0) {
		return 0;
	}
	leave_ref(c, (uint32_t)i);
	return 1;
}

/* A connection is closing: it leaves every presence at once (on this process; the others within a bus trip). */
void ws__replica_conn_gone(ws_conn_t *c)
{
	while (c->npres > 0) {
		leave_ref(c, 0); /* in the order it joined */
	}
	ws_free(c->pres);
	c->pres = NULL;
}

size_t ws_server_presence(ws_server_t *s, const char *topic, size_t len,
	void (*fn)(void *arg, const ws_member_t *m), void *arg)
{
	return ws_state_members(&s->state, topic, len, fn, arg);
}

/* A presence change from the supervisor (a worker's replica). */
void ws__replica_presence(ws_server_t *s, const ws_bus_presence_t *pr)
{
	if (pr->node == 0 && (uint32_t)(pr->conn >> 40) == s->instance) {
		return; /* our own member: applied when it changed here */
	}
	int changed = pr->op == WS_PRESENCE_JOIN
		? ws_state_join(&s->state, pr->topic, pr->topic_len, pr->node, pr->conn, pr->worker, pr->info, pr->info_len)
		: ws_state_leave(&s->state, pr->topic, pr->topic_len, pr->node, pr->conn);
	if (changed > 0 && pr->fire_on == s->worker_id) {
		pevent_queue(s, pr->op == WS_PRESENCE_JOIN, pr->topic, pr->topic_len, pr->conn, pr->worker,
			pr->info, pr->info_len);
	}
}

/* The supervisor's snapshot is complete: adopt its epoch (and its node id) and start accepting. */
void ws__replica_synced(ws_server_t *s, const char *epoch, size_t len)
{
	if (len >= WS_STATE_EPOCH_LEN) {
		memcpy(s->state.epoch, epoch, WS_STATE_EPOCH_LEN);
		s->state.epoch[WS_STATE_EPOCH_LEN] = '\0';
	}
	if (len == 2 * WS_STATE_EPOCH_LEN) {
		memcpy(s->node_hex, epoch + WS_STATE_EPOCH_LEN, WS_STATE_EPOCH_LEN);
		s->node_hex[WS_STATE_EPOCH_LEN] = '\0';
	}
	s->metrics.history_entries = s->state.entries;
	if (!s->synced) {
		s->synced = 1;
		if (s->running && !s->stopping && !s->draining) {
			ws__accepting_set(s, 1);
		}
	}
}

/* ---- a single process's side of presence across nodes (the broker's callbacks, ws_cluster.c) ---- */

void ws__replica_remote_member(ws_server_t *s, int join, uint64_t node, const ws_broker_member_t *m)
{
	if (join) {
		ws_state_join(&s->state, m->topic, m->topic_len, node, m->conn, m->worker, m->info, m->info_len);
	} else {
		ws_state_leave(&s->state, m->topic, m->topic_len, node, m->conn);
	}
}

static void dead_member_cb(void *arg, const char *topic, size_t tlen, const ws_member_t *m)
{
	pevent_queue(arg, 0, topic, tlen, m->conn, m->worker, m->info, m->info_len);
}

void ws__replica_node_reset(ws_server_t *s, uint64_t node, int dead, int report)
{
	ws_state_drop_node(&s->state, node, dead && report ? dead_member_cb : NULL, s);
}

typedef struct local_ctx {
	void (*fn)(void *fnarg, const ws_broker_member_t *m);
	void *fnarg;
} local_ctx_t;

static void local_member_cb(void *arg, const char *topic, size_t tlen, const ws_member_t *m)
{
	local_ctx_t *x = arg;
	if (m->node == 0) {
		ws_broker_member_t bm = { m->conn, m->worker, topic, tlen, m->info, m->info_len };
		x->fn(x->fnarg, &bm);
	}
}

void ws__replica_each_local(ws_server_t *s, void (*fn)(void *fnarg, const ws_broker_member_t *m), void *fnarg)
{
	local_ctx_t x = { fn, fnarg };
	ws_state_each_member(&s->state, local_member_cb, &x);
}

const char *ws_server_node(const ws_server_t *s)
{
	return s->node_hex;
}

/* Once per loop iteration: fire the presence events of the changes made since the last one. */
void ws__replica_tick(ws_server_t *s)
{
	while (s->pev_head && !s->breaking) {
		ws_pevent_t *ev = s->pev_head;
		s->pev_head = ev->next;
		if (s->pev_head == NULL) {
			s->pev_tail = NULL;
		}
		if (s->h->on_presence) {
			s->h->on_presence(s, ev->join, ev->bytes, ev->topic_len, ev->conn, ev->worker,
				ev->bytes + ev->topic_len, ev->info_len);
		}
		ws_free(ev);
	}
}

void ws__replica_free(ws_server_t *s)
{
	while (s->pev_head) {
		ws_pevent_t *ev = s->pev_head;
		s->pev_head = ev->next;
		ws_free(ev);
	}
	s->pev_tail = NULL;
	ws_state_free(&s->state);
	ws_fills_free(&s->fills);
}
