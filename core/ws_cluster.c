/*
 * ws_cluster.c - a single-process server's side of the Redis broker
 * (docs/BROKER.md).  Without workers the process is its own hub: route()
 * hands every publication to local delivery and, through these hooks, to
 * the broker; publications from other nodes come back in through
 * ws__route_remote() exactly like local ones.  In a worker none of this
 * runs: the supervisor owns the node's link (ws_master.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ws_broker.h"
#include "ws_server_int.h"

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = ws_malloc(n);
	if (d) {
		memcpy(d, s, n);
	}
	return d;
}

int ws_server_set_broker(ws_server_t *s, const char *url, const char *prefix, size_t max_pending)
{
	if (s->running) {
		errno = EBUSY;
		return -1;
	}
	ws_free(s->broker_url);
	ws_free(s->broker_prefix);
	s->broker_url = url ? dup_str(url) : NULL;
	s->broker_prefix = prefix ? dup_str(prefix) : NULL;
	s->broker_buffer = max_pending;
	if ((url && s->broker_url == NULL) || (prefix && s->broker_prefix == NULL)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

const char *ws_server_broker_url(const ws_server_t *s)
{
	return s->broker_url;
}

size_t ws_server_broker_buffer(const ws_server_t *s)
{
	return s->broker_buffer;
}

const char *ws_server_broker_prefix(const ws_server_t *s)
{
	return s->broker_prefix ? s->broker_prefix : "ws";
}

static void on_record(void *arg, const ws_bus_route_t *r)
{
	ws__route_remote(arg, r);
}

static void on_warning(void *arg, const char *msg)
{
	ws_server_t *s = arg;
	if (s->h->on_warning) {
		s->h->on_warning(s, msg);
	}
}

static void on_member(void *arg, int join, uint64_t node, const ws_broker_member_t *m)
{
	ws__replica_remote_member(arg, join, node, m);
}

static void on_node_reset(void *arg, uint64_t node, int dead, int report)
{
	ws__replica_node_reset(arg, node, dead, report);
}

static void each_local(void *arg, void (*fn)(void *fnarg, const ws_broker_member_t *m), void *fnarg)
{
	ws__replica_each_local(arg, fn, fnarg);
}

static void on_history_load(void *arg, const char *topic, size_t tlen, const char *epoch,
	const ws_state_load_t *entries, size_t n)
{
	ws__replica_history_load(arg, topic, tlen, epoch, entries, n);
}

static void start_accepting(ws_server_t *s)
{
	ws_timer_stop(s->loop, &s->sync_timer);
	if (!s->synced) {
		s->synced = 1;
		if (s->running && !s->stopping && !s->draining) {
			ws__accepting_set(s, 1);
		}
	}
}

static void on_synced(void *arg)
{
	start_accepting(arg);
}

static void sync_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_server_t *s = t->data;
	(void)loop;
	on_warning(s, "the histories could not be loaded from Redis within 5 s: serving without them until they are");
	start_accepting(s);
}

static void interest_cb(void *arg, const char *name, size_t len, size_t subscribers)
{
	(void)subscribers;
	ws_broker_interest(arg, name, len, 1);
}

void ws__cluster_start(ws_server_t *s)
{
	if (s->broker_url == NULL || s->bus || s->broker) {
		return;
	}
	ws_broker_config_t bc;
	memset(&bc, 0, sizeof(bc));
	bc.url = s->broker_url;
	bc.prefix = s->broker_prefix;
	bc.max_pending = s->broker_buffer;
	bc.on_record = on_record;
	bc.on_warning = on_warning;
	bc.on_member = on_member;
	bc.on_node_reset = on_node_reset;
	bc.each_local = each_local;
	bc.on_history_load = ws_state_has_history(&s->state) ? on_history_load : NULL;
	bc.on_synced = on_synced;
	bc.arg = s;
	s->broker = ws_broker_start(s->loop, &bc);
	if (s->broker == NULL) {
		on_warning(s, errno == ENOTSUP ? "built without Redis support: the broker option is ignored"
			: "the Redis broker could not be started");
		return;
	}
	snprintf(s->node_hex, sizeof(s->node_hex), "%s", ws_broker_node(s->broker));
	if (bc.on_history_load) {
		/* Resumes need Redis's histories: accept once they are loaded (or after 5 s without Redis). */
		s->synced = 0;
		ws__accepting_set(s, 0);
		ws_timer_init(&s->sync_timer, sync_timer_cb, s);
		ws_timer_start(s->loop, &s->sync_timer, ws_loop_now(s->loop) + 5000);
	}
	/* Topics that already have subscribers (none in practice: clients come with run()). */
	ws_server_each_topic(s, interest_cb, s->broker);
}

void ws__cluster_stop(ws_server_t *s)
{
	if (s->sync_timer.cb) {
		ws_timer_stop(s->loop, &s->sync_timer);
	}
	if (s->broker) {
		ws_broker_get_stats(s->broker, &s->broker_last);
		ws_broker_free(s->broker);
		s->broker = NULL;
	}
}

void ws__cluster_interest(ws_server_t *s, const char *topic, size_t len, int on)
{
	if (s->broker) {
		ws_broker_interest(s->broker, topic, len, on);
	}
}

void ws__cluster_publish(ws_server_t *s, const ws_bus_route_t *r)
{
	if (s->broker) {
		ws_broker_publish(s->broker, r);
	}
}

void ws__cluster_tick(ws_server_t *s)
{
	if (s->broker) {
		ws_broker_flush(s->broker);
	}
}

int ws_server_broker_stats(const ws_server_t *s, ws_broker_stats_t *out)
{
	if (s->bus) {
		/* A worker: its supervisor's link, as of the latest CLUSTER record (ws_route.c). */
		*out = s->broker_last;
		return s->broker_url != NULL;
	}
	if (s->broker) {
		ws_broker_get_stats(s->broker, out);
		return 1;
	}
	*out = s->broker_last;
	return s->broker_url != NULL;
}
