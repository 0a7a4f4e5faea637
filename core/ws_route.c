/*
 * ws_route.c - the one publish path, the worker's end of the bus, and the
 * cluster view (docs/PROCESS_MODEL.md).
 *
 * broadcast(), publish() and send_to_workers() build one publication and
 * hand it to route(), which knows nothing of where the recipients live: in a
 * single process it delivers locally at once; in a worker it sends the
 * record to the supervisor, which sequences it and sends it back to every
 * worker that needs it, this one included, where deliver() does the local
 * fan-out.  Later sinks (the Redis broker, history) sit behind the same
 * record in the hub.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ws_broker.h"
#include "ws_server_int.h"
#include "ws_metrics_int.h"

#define WS_STATS_INTERVAL_MS 1000

/* A worker message waiting for the end of the iteration (single process). */
typedef struct ws_wmsg {
	struct ws_wmsg *next;
	int origin;
	size_t len;
	char data[];
} ws_wmsg_t;

static int queue_wmsg(ws_server_t *s, const ws_bus_route_t *r);

/* Local delivery of a publication, after it is stored in its topic's history (if it has one). */
static size_t deliver(ws_server_t *s, ws_bus_route_t *r)
{
	uint64_t except = r->origin == s->worker_id ? r->except : 0;
	switch (r->kind) {
	case WS_ROUTE_PUBLISH:
		if (!ws__replica_store(s, r) || (r->flags & WS_ROUTE_REPLAY)) {
			break; /* held until a hole is filled (ws_fill.h), or a history entry only */
		}
		return ws__publish_local(s, r->topic, r->topic_len, r->data, r->len, r->flags & WS_ROUTE_BINARY, except);
	case WS_ROUTE_BROADCAST:
		return ws__broadcast_local(s, r->data, r->len, r->flags & WS_ROUTE_BINARY, except);
	case WS_ROUTE_WORKER_MESSAGE:
		if (s->in_barrier) {
			queue_wmsg(s, r); /* never re-enter PHP from inside the call that waits */
		} else if (s->h->on_worker_message && !s->breaking) {
			s->h->on_worker_message(s, r->data, r->len, r->origin);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Queues a worker message for the end of the iteration (single process). */
static int queue_wmsg(ws_server_t *s, const ws_bus_route_t *r)
{
	ws_wmsg_t *m = ws_malloc(sizeof(*m) + r->len);
	if (m == NULL) {
		return -1;
	}
	m->next = NULL;
	m->origin = r->origin;
	m->len = r->len;
	memcpy(m->data, r->data, r->len);
	if (s->wmsg_tail) {
		s->wmsg_tail->next = m;
	} else {
		s->wmsg_head = m;
	}
	s->wmsg_tail = m;
	return 0;
}

/* Hands a publication to its sinks.  0, or -1 if it could not be taken (bus over its limit, memory). */
static int route(ws_server_t *s, const ws_bus_route_t *r)
{
	if (s->bus) {
		return ws_bus_send_route(s->bus, r);
	}
	ws__cluster_publish(s, r);
	if (r->kind == WS_ROUTE_WORKER_MESSAGE) {
		/* Never inside the caller's handler: fire at the end of the iteration, as a worker would. */
		return queue_wmsg(s, r);
	}
	ws_bus_route_t copy = *r;
	deliver(s, &copy);
	return 0;
}

/* A publication from another node (single process): it enters like a local one, minus the broker. */
void ws__route_remote(ws_server_t *s, const ws_bus_route_t *r)
{
	if (r->kind == WS_ROUTE_WORKER_MESSAGE) {
		queue_wmsg(s, r);
		return;
	}
	ws_bus_route_t copy = *r;
	copy.flags &= (uint8_t)~WS_ROUTE_REPLAY;
	if (copy.epoch == NULL) {
		/* Not ordered by Redis: kept out of the history when Redis holds it, else given our next position. */
		copy.seq = 0;
		if (s->broker && ws_state_has_history(&s->state)) {
			copy.flags |= WS_ROUTE_NOSTORE;
		}
	}
	deliver(s, &copy);
}

static void route_init(ws_bus_route_t *r, unsigned kind, int binary, const ws_server_t *s, const ws_conn_t *except)
{
	memset(r, 0, sizeof(*r));
	r->kind = (uint8_t)kind;
	r->flags = binary ? WS_ROUTE_BINARY : 0;
	r->origin = (int16_t)s->worker_id;
	r->except = except ? except->id : 0;
}

size_t ws_server_publish(ws_server_t *s, const char *topic, size_t topic_len,
	const char *data, size_t len, int binary, ws_conn_t *except)
{
	return ws_server_publish_id(s, topic, topic_len, data, len, binary, except, NULL, 0);
}

size_t ws_server_publish_id(ws_server_t *s, const char *topic, size_t topic_len,
	const char *data, size_t len, int binary, ws_conn_t *except, const char *id, size_t id_len)
{
	ws_bus_route_t r;
	route_init(&r, WS_ROUTE_PUBLISH, binary, s, except);
	r.topic = topic;
	r.topic_len = topic_len;
	r.data = data;
	r.len = len;
	r.id = id_len ? id : NULL;
	r.id_len = id_len > WS_HISTORY_ID_MAX ? WS_HISTORY_ID_MAX : id_len;
	if (s->bus == NULL) {
		uint32_t size, ttl;
		if (s->broker && (size = ws_state_limits(&s->state, topic, topic_len, &ttl)) > 0) {
			/* Redis holds the history and gives the position: delivered here when it comes back. */
			if (ws_broker_publish_history(s->broker, &r, size, ttl, 0) == 0) {
				size_t local = ws_server_subscribers(s, topic, topic_len);
				return local - (except && local > 0 && ws_conn_is_subscribed(except, topic, topic_len));
			}
			r.flags |= WS_ROUTE_NOSTORE; /* Redis is down: here only, out of the history */
			return deliver(s, &r);
		}
		ws__cluster_publish(s, &r);
		return deliver(s, &r);
	}
	size_t local = ws_server_subscribers(s, topic, topic_len);
	local -= except && local > 0 && ws_conn_is_subscribed(except, topic, topic_len);
	return route(s, &r) == 0 ? local : 0;
}

size_t ws_server_broadcast(ws_server_t *s, const char *data, size_t len, int binary, ws_conn_t *except)
{
	ws_bus_route_t r;
	route_init(&r, WS_ROUTE_BROADCAST, binary, s, except);
	r.data = data;
	r.len = len;
	if (s->bus == NULL) {
		ws__cluster_publish(s, &r);
		return ws__broadcast_local(s, data, len, binary, r.except);
	}
	size_t local = s->nopen - (except && except->state == ST_OPEN && s->nopen > 0);
	return route(s, &r) == 0 ? local : 0;
}

int ws_server_send_to_workers(ws_server_t *s, const char *data, size_t len)
{
	ws_bus_route_t r;
	route_init(&r, WS_ROUTE_WORKER_MESSAGE, 0, s, NULL);
	r.data = data;
	r.len = len;
	return route(s, &r);
}

void ws__route_interest(ws_server_t *s, const char *topic, size_t len, int on)
{
	if (s->bus) {
		uint8_t flag = (uint8_t)(on != 0);
		ws_bus_send(s->bus, WS_BUS_INTEREST, &flag, 1, topic, len, NULL, 0);
	} else {
		ws__cluster_interest(s, topic, len, on);
	}
}

/* ---- the worker's end of the bus ---- */

static void drain_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_server_t *s = t->data;
	uint64_t now = ws_loop_now(loop);
	if (!s->running || s->stopping) {
		return;
	}
	if (now >= s->drain_end) {
		/* Whatever is left gets its 1012 now; stop() then waits for the replies. */
		for (ws_conn_t *c = s->open_head; c; c = c->open_next) {
			ws__conn_close_internal(c, WS_CLOSE_SERVICE_RESTART, "server restart", 14, 0);
		}
		ws_server_stop(s);
		return;
	}
	/* Spread the closes evenly over what is left of the window. */
	size_t open = 0;
	for (ws_conn_t *c = s->open_head; c; c = c->open_next) {
		open += c->state == ST_OPEN;
	}
	uint64_t left = s->drain_end - now, step = 20;
	size_t n = (size_t)((open * step + left - 1) / left);
	for (ws_conn_t *c = s->open_head; c && n > 0; c = c->open_next) {
		if (c->state == ST_OPEN) {
			ws__conn_close_internal(c, WS_CLOSE_SERVICE_RESTART, "server restart", 14, 0);
			n--;
		}
	}
	ws_timer_start(loop, t, now + (left < step ? left : step));
}

static void start_drain(ws_server_t *s, uint32_t window_ms)
{
	if (s->draining || s->stopping) {
		return;
	}
	s->draining = 1;
	ws__accepting_set(s, 0);
	ws_timer_stop(s->loop, &s->accept_timer);
	s->drain_end = ws_loop_now(s->loop) + window_ms;
	ws_timer_start(s->loop, &s->drain_timer, ws_loop_now(s->loop));
}

/*
 * The metrics endpoint of a worker renders the whole machine: its own live
 * counters and the other workers' latest snapshots from the CLUSTER record,
 * copied into aligned storage here.
 */
static void peers_refresh(ws_server_t *s)
{
	const uint8_t *p = s->cluster, *end = s->cluster + s->cluster_len;
	s->npeers = 0;
	if (end - p < 2) {
		return;
	}
	size_t nw = (size_t)p[0] | (size_t)p[1] << 8;
	p += 2;
	if (nw > s->peers_cap) {
		ws_metrics_t *m = ws_realloc(s->peer_metrics, nw * sizeof(*m));
		int *ids = ws_realloc(s->peer_ids, nw * sizeof(*ids));
		if (m) {
			s->peer_metrics = m;
		}
		if (ids) {
			s->peer_ids = ids;
		}
		if (m == NULL || ids == NULL) {
			return;
		}
		s->peers_cap = nw;
	}
	for (size_t i = 0; i < nw; i++) {
		int16_t id;
		uint32_t ml;
		if ((size_t)(end - p) < 10 + sizeof(ws_server_stats_t)) {
			return;
		}
		memcpy(&id, p, 2);
		p += 6 + sizeof(ws_server_stats_t);
		memcpy(&ml, p, 4);
		p += 4;
		if ((size_t)(end - p) < ml) {
			return;
		}
		if (id != s->worker_id && ml == sizeof(ws_metrics_t)) {
			memcpy(&s->peer_metrics[s->npeers], p, ml);
			if (ws_metrics_compatible(&s->peer_metrics[s->npeers])) {
				s->peer_ids[s->npeers++] = id;
			}
		}
		p += ml;
	}
}

/*
 * The length of the workers and topics parts of a CLUSTER payload (laid out
 * in ws_server_cluster() below), or 0 if it is truncated.  What follows is
 * the supervisor's broker counters, when it has a link: 'B' and a
 * ws_broker_stats_t.
 */
static size_t cluster_body_len(const uint8_t *start, size_t total)
{
	const uint8_t *p = start, *end = start + total;
	if (total < 2) {
		return 0;
	}
	size_t nw = (size_t)p[0] | (size_t)p[1] << 8;
	p += 2;
	for (size_t i = 0; i < nw; i++) {
		uint32_t ml;
		if ((size_t)(end - p) < 10 + sizeof(ws_server_stats_t)) {
			return 0;
		}
		p += 6 + sizeof(ws_server_stats_t);
		memcpy(&ml, p, 4);
		p += 4;
		if ((size_t)(end - p) < ml) {
			return 0;
		}
		p += ml;
	}
	uint32_t nt;
	if (end - p < 4) {
		return 0;
	}
	memcpy(&nt, p, 4);
	p += 4;
	for (uint32_t i = 0; i < nt; i++) {
		uint16_t len;
		if (end - p < 6) {
			return 0;
		}
		memcpy(&len, p, 2);
		p += 6;
		if ((size_t)(end - p) < len) {
			return 0;
		}
		p += len;
	}
	return (size_t)(p - start);
}

/* A worker keeps the node's broker counters of the latest CLUSTER record (ws_server_broker_stats()). */
static void cluster_broker_refresh(ws_server_t *s)
{
	size_t body = cluster_body_len(s->cluster, s->cluster_len);
	memset(&s->broker_last, 0, sizeof(s->broker_last));
	if (body && s->cluster_len - body >= 1 + sizeof(ws_broker_stats_t) && s->cluster[body] == 'B') {
		memcpy(&s->broker_last, s->cluster + body + 1, sizeof(ws_broker_stats_t));
	}
}

static size_t peers_fn(void *arg, const ws_metrics_t **snaps, int *ids, size_t cap)
{
	ws_server_t *s = arg;
	size_t n = 0;
	for (; n < s->npeers && n < cap; n++) {
		snaps[n] = &s->peer_metrics[n];
		ids[n] = s->peer_ids[n];
	}
	return n;
}

static void bus_record(ws_bus_link_t *link, unsigned type, const uint8_t *p, size_t len)
{
	ws_server_t *s = link->data;
	ws_bus_route_t r;
	switch (type) {
	case WS_BUS_ROUTE:
		if (ws_bus_route_decode(p, len, &r) == 0) {
			deliver(s, &r);
		}
		break;
	case WS_BUS_PRESENCE: {
		ws_bus_presence_t pr;
		if (ws_bus_presence_decode(p, len, &pr) == 0) {
			ws__replica_presence(s, &pr);
		}
		break;
	}
	case WS_BUS_SYNCED:
		ws__replica_synced(s, (const char *)p, len);
		break;
	case WS_BUS_HRESET:
		ws__replica_history_reset(s, p, len);
		break;
	case WS_BUS_BARRIER:
		if (len == sizeof(uint64_t) && memcmp(p, &s->barrier_sent, sizeof(uint64_t)) == 0) {
			s->barrier_done = 1;
		}
		break;
	case WS_BUS_DRAIN:
		if (len >= 4) {
			start_drain(s, (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		}
		break;
	case WS_BUS_CLUSTER: {
		uint8_t *copy = ws_malloc(len ? len : 1);
		if (copy) {
			memcpy(copy, p, len);
			ws_free(s->cluster);
			s->cluster = copy;
			s->cluster_len = len;
			cluster_broker_refresh(s);
			if (s->mctl) {
				peers_refresh(s);
			}
		}
		break;
	}
	default:
		break;
	}
}

static void bus_eof(ws_bus_link_t *link)
{
	ws_server_t *s = link->data;
	/* The supervisor is gone: nobody will route for us any more.  Leave gracefully. */
	if (s->h->on_warning) {
		s->h->on_warning(s, "the supervisor went away: stopping this worker");
	}
	ws_server_stop(s);
}

static void stats_topic_cb(void *arg, const char *name, size_t len, size_t subscribers)
{
	uint16_t l = (uint16_t)len;
	uint32_t n = (uint32_t)subscribers;
	ws_bus_buf_put(arg, &l, 2);
	ws_bus_buf_put(arg, &n, 4);
	ws_bus_buf_put(arg, name, len);
}

/*
 * STATS payload (host byte order: both ends are one machine): i32 pid, the
 * stats struct, u32 length and the bytes of the metrics snapshot
 * (ws_metrics.h), then per topic u16 length, u32 subscribers, name.
 */
static void send_stats(ws_server_t *s)
{
	ws_bus_buf_t b = { NULL, 0, 0, 0 };
	ws_server_stats_t st;
	ws_server_get_stats(s, &st);
	int32_t pid = (int32_t)getpid();
	ws_bus_buf_put(&b, &pid, sizeof(pid));
	ws_bus_buf_put(&b, &st, sizeof(st));
	const ws_metrics_t *mt = ws_server_metrics(s);
	uint32_t ml = (uint32_t)sizeof(*mt);
	ws_bus_buf_put(&b, &ml, sizeof(ml));
	ws_bus_buf_put(&b, mt, ml);
	ws_server_each_topic(s, stats_topic_cb, &b);
	if (!b.failed) {
		ws_bus_send(s->bus, WS_BUS_STATS, b.p, b.len, NULL, 0, NULL, 0);
	}
	ws_bus_buf_free(&b);
}

static void stats_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_server_t *s = t->data;
	if (s->bus) {
		send_stats(s);
	}
	ws_timer_start(loop, t, ws_loop_now(loop) + WS_STATS_INTERVAL_MS);
}

int ws_server_attach_bus(ws_server_t *s, int bus_fd, int id, int count, uint32_t instance, int forked)
{
	if (s->bus || s->running) {
		errno = EBUSY;
		return -1;
	}
	if (forked && ws_loop_after_fork(s->loop) != 0) {
		return -1;
	}
	ws_bus_link_t *link = ws_malloc(sizeof(*link));
	if (link == NULL) {
		errno = ENOMEM;
		return -1;
	}
	size_t max_record = s->cfg.max_message_size + WS_TOPIC_MAX + 64 + (16u << 20);
	if (ws_bus_link_start(link, s->loop, bus_fd, s->cfg.bus_buffer, max_record, bus_record, bus_eof, s) != 0) {
		int e = errno;
		ws_free(link);
		errno = e;
		return -1;
	}
	s->bus = link;
	s->worker_id = id;
	s->worker_count = count;
	s->instance = instance;
	s->synced = 0; /* until the supervisor's snapshot is in */
	s->next_conn_id = ((uint64_t)instance << 40) | 1;
	ws_timer_init(&s->drain_timer, drain_timer_cb, s);
	ws_timer_init(&s->stats_timer, stats_timer_cb, s);
	if (s->mctl) {
		/* Metrics are on: one scrape of any worker shows every worker. */
		ws_server_set_metrics_peers(s, id, peers_fn, s);
	}
	return 0;
}

int ws_server_worker_id(const ws_server_t *s)
{
	return s->worker_id;
}

int ws_server_worker_count(const ws_server_t *s)
{
	return s->worker_count > 0 ? s->worker_count : 1;
}

int ws_server_request_reload(ws_server_t *s)
{
	if (s->bus == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	return ws_bus_send(s->bus, WS_BUS_RELOAD, NULL, 0, NULL, 0, NULL, 0);
}

/*
 * Waits until every publication and presence change the supervisor ordered
 * before now has been applied here (one round trip on the bus, at most
 * timeout_ms).  0 when done, or at once in a single process; -1 otherwise.
 */
int ws__route_barrier(ws_server_t *s, int timeout_ms)
{
	if (s->bus == NULL) {
		return 0;
	}
	if (s->in_barrier) {
		return -1;
	}
	s->barrier_sent++;
	s->barrier_done = 0;
	if (ws_bus_send(s->bus, WS_BUS_BARRIER, &s->barrier_sent, sizeof(s->barrier_sent), NULL, 0, NULL, 0) != 0) {
		return -1;
	}
	s->in_barrier = 1;
	int rc = ws_bus_wait_sync(s->bus, timeout_ms, &s->barrier_done);
	s->in_barrier = 0;
	return rc;
}

uint64_t ws_server_bus_dropped(const ws_server_t *s)
{
	return s->bus ? s->bus->dropped : 0;
}

/* Start of run(): tell the supervisor we serve, and start reporting. */
void ws__route_start(ws_server_t *s)
{
	if (s->bus) {
		ws_bus_send(s->bus, WS_BUS_READY, NULL, 0, NULL, 0, NULL, 0);
		send_stats(s);
		ws_timer_start(s->loop, &s->stats_timer, ws_loop_now(s->loop) + WS_STATS_INTERVAL_MS);
	} else {
		ws__cluster_start(s);
	}
}

/* End of run(): stop reporting, push out what is queued for the supervisor. */
void ws__route_stop(ws_server_t *s)
{
	/* The leaves of the connections closed by the stop are reported too, before run() returns. */
	ws__replica_tick(s);
	if (s->bus) {
		ws_timer_stop(s->loop, &s->stats_timer);
		ws_timer_stop(s->loop, &s->drain_timer);
		ws_bus_drain_sync(s->bus, 1000);
	}
	ws__cluster_stop(s);
}

/* Once per loop iteration, before the connections settle. */
void ws__route_tick(ws_server_t *s)
{
	while (s->wmsg_head && !s->breaking) {
		ws_wmsg_t *m = s->wmsg_head;
		s->wmsg_head = m->next;
		if (s->wmsg_head == NULL) {
			s->wmsg_tail = NULL;
		}
		if (s->h->on_worker_message) {
			s->h->on_worker_message(s, m->data, m->len, m->origin);
		}
		ws_free(m);
	}
	ws__replica_tick(s);
	ws__replica_fill_tick(s);
	if (s->bus) {
		ws_bus_flush(s->bus);
	}
	ws__cluster_tick(s);
}

void ws__route_free(ws_server_t *s)
{
	while (s->wmsg_head) {
		ws_wmsg_t *m = s->wmsg_head;
		s->wmsg_head = m->next;
		ws_free(m);
	}
	s->wmsg_tail = NULL;
	ws__cluster_stop(s);
	ws_free(s->broker_url);
	ws_free(s->broker_prefix);
	s->broker_url = s->broker_prefix = NULL;
	if (s->bus) {
		ws_bus_link_close(s->bus);
		ws_free(s->bus);
		s->bus = NULL;
	}
	ws_free(s->cluster);
	s->cluster = NULL;
	ws_free(s->peer_metrics);
	ws_free(s->peer_ids);
	s->peer_metrics = NULL;
	s->peer_ids = NULL;
	s->npeers = s->peers_cap = 0;
	ws_free(s->adopt_fds);
	s->adopt_fds = NULL;
}

/* ---- the cluster view ---- */

typedef struct local_topics_ctx {
	void (*on_topic)(void *arg, const char *name, size_t len, size_t subscribers);
	void *arg;
} local_topics_ctx_t;

size_t ws_server_cluster(ws_server_t *s, void (*on_worker)(void *arg, const ws_cluster_worker_t *w),
	void (*on_topic)(void *arg, const char *name, size_t len, size_t subscribers), void *arg)
{
	if (s->bus == NULL || s->cluster == NULL) {
		/* A single process (or a worker before its first snapshot): its own numbers. */
		ws_cluster_worker_t w;
		memset(&w, 0, sizeof(w));
		w.id = s->worker_id;
		w.pid = (int)getpid();
		ws_server_get_stats(s, &w.stats);
		if (on_worker) {
			on_worker(arg, &w);
		}
		if (on_topic) {
			ws_server_each_topic(s, on_topic, arg);
		}
		return 1;
	}
	/*
	 * CLUSTER payload (ws_master.c): u16 workers, then per worker i16 id,
	 * i32 pid, stats struct, u32 length and a metrics snapshot; then u32
	 * topics, then per topic u16 len, u32 subscribers, name; then, if the
	 * supervisor has a broker link, 'B' and its ws_broker_stats_t.
	 */
	const uint8_t *p = s->cluster, *end = s->cluster + s->cluster_len;
	if (end - p < 2) {
		return 0;
	}
	size_t nw = (size_t)p[0] | (size_t)p[1] << 8;
	p += 2;
	for (size_t i = 0; i < nw; i++) {
		if ((size_t)(end - p) < 6 + sizeof(ws_server_stats_t)) {
			return i;
		}
		ws_cluster_worker_t w;
		int16_t id;
		int32_t pid;
		uint32_t ml;
		memcpy(&id, p, 2);
		memcpy(&pid, p + 2, 4);
		memcpy(&w.stats, p + 6, sizeof(w.stats));
		w.id = id;
		w.pid = pid;
		p += 6 + sizeof(ws_server_stats_t);
		if (end - p < 4) {
			return i;
		}
		memcpy(&ml, p, 4);
		if ((size_t)(end - p - 4) < ml) {
			return i;
		}
		p += 4 + ml;
		if (on_worker) {
			on_worker(arg, &w);
		}
	}
	if (end - p >= 4) {
		uint32_t nt;
		memcpy(&nt, p, 4);
		p += 4;
		for (uint32_t i = 0; i < nt && end - p >= 6; i++) {
			uint16_t len;
			uint32_t count;
			memcpy(&len, p, 2);
			memcpy(&count, p + 2, 4);
			p += 6;
			if ((size_t)(end - p) < len) {
				break;
			}
			if (on_topic) {
				on_topic(arg, (const char *)p, len, count);
			}
			p += len;
		}
	}
	return nw;
}
