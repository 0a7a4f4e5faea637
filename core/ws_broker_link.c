/*
 * ws_broker_link.c - the node's link to the Redis broker: one connection
 * pair (a publisher and a subscriber; Redis forbids PUBLISH on a subscribed
 * connection) driven by the hub's event loop through ws_redis.c.
 *
 * It never blocks and never gives up: an unreachable Redis is retried with
 * a backoff doubling from 100 ms to 5 s, with one warning per outage; a
 * publication made while Redis is down is dropped and counted (at most
 * once); after a reconnect every channel of the node's interest set is
 * subscribed again.  Interest changes are collected and sent at the end of
 * the loop iteration as one SUBSCRIBE and one UNSUBSCRIBE (chunked), so
 * ten thousand new topics are a handful of commands, not 10,000 round trips.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_alloc.h"
#include "ws_broker.h"
#include "ws_handshake.h"
#include "ws_map.h"
#include "ws_redis.h"
#include "ws_state.h"
#include "ws_broker_int.h"

#ifdef WS_HAVE_HIREDIS

void ws__broker_warn(ws_broker_t *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b->on_warning) {
		b->on_warning(b->arg, msg);
	}
}

static void conn_open(bconn_t *c);
static void resubscribe(ws_broker_t *b);

static void update_up(ws_broker_t *b)
{
	int up = b->pub.ready && b->sub.ready;
	if (up && !b->up) {
		if (b->ever_up) {
			b->st.reconnects++;
		}
		b->ever_up = 1;
		b->warned = 0;
		b->up_since = ws_loop_now(b->loop);
		b->send_hello = b->on_member != NULL;
		b->sync_histories = b->on_history_load != NULL;
	}
	b->up = up;
	b->st.connected = up;
}

/* c is down (hiredis has freed or is freeing its context): plan the retry, report the outage once. */
static void conn_down(bconn_t *c, const char *why)
{
	ws_broker_t *b = c->b;
	c->ac = NULL;
	c->ready = 0;
	c->kill = 0;
	c->pending = 0;
	if (c->sub) {
		b->st.channels = 0;
	}
	if (why && why[0]) {
		snprintf(c->why, sizeof(c->why), "%s", why);
	}
	update_up(b);
	if (b->abandoned) {
		return;
	}
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : WS_BROKER_BACKOFF_MIN_MS;
	if (c->backoff_ms > WS_BROKER_BACKOFF_MAX_MS) {
		c->backoff_ms = WS_BROKER_BACKOFF_MAX_MS;
	}
	c->retry_at = ws_loop_now(b->loop) + c->backoff_ms;
	if (!b->warned) {
		b->warned = 1;
		ws__broker_warn(b, "Redis broker at %s unavailable (%s): publications stay on this node until it is back; retrying",
			b->where, c->why);
	}
}

/* Closes c from outside hiredis's callbacks. */
static void conn_close(bconn_t *c, const char *why)
{
	redisAsyncContext *ac = c->ac;
	if (ac == NULL) {
		return;
	}
	c->closing = 1;
	redisAsyncFree(ac);
	c->closing = 0;
	conn_down(c, why);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	bconn_t *c = ac->data;
	if (c == NULL || c->b->abandoned || status == REDIS_OK) {
		return;
	}
	/* hiredis frees the context after this returns. */
	conn_down(c, ac->errstr[0] ? ac->errstr : "connect failed");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	bconn_t *c = ac->data;
	(void)status;
	if (c == NULL || c->b->abandoned || c->closing) {
		return;
	}
	conn_down(c, ac->err && ac->errstr[0] ? ac->errstr : "connection closed by Redis");
}

static void on_timeout(redisAsyncContext *ac, void *arg)
{
	(void)ac;
	(void)arg;
	/* Timeouts are checked by the tick, for both connections at once. */
}

static void auth_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	bconn_t *c = priv;
	redisReply *r = reply;
	(void)ac;
	if (r == NULL || c->b->abandoned) {
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(c->why, sizeof(c->why), "AUTH refused: %.*s", (int)(r->len > 100 ? 100 : r->len), r->str);
		c->kill = 1;
	}
}

static void hello_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	bconn_t *c = priv;
	redisReply *r = reply;
	(void)ac;
	if (r == NULL || c->b->abandoned || c->kill) {
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(c->why, sizeof(c->why), "%.*s", (int)(r->len > 150 ? 150 : r->len), r->str);
		c->kill = 1;
		return;
	}
	c->ready = 1;
	c->pending = 0;
	c->backoff_ms = 0;
	if (!c->sub && c->b->on_history_load) {
		/* Every later EVALSHA on this connection follows it: no NOSCRIPT round trip. */
		ws__broker_script_load(c);
	}
	update_up(c->b);
	if (c->sub) {
		resubscribe(c->b);
	}
}

void ws__broker_publish_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	bconn_t *c = priv;
	(void)ac;
	if (reply == NULL || c->b->abandoned) {
		return;
	}
	if (c->pending > 0 && --c->pending > 0) {
		c->waiting_since = ws_loop_now(c->b->loop);
	}
}

/* Every reply of the subscriber connection: confirmations and messages. */
static void message_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	bconn_t *c = priv;
	redisReply *r = reply;
	ws_broker_t *b = c->b;
	(void)ac;
	if (r == NULL || b->abandoned || r->type != REDIS_REPLY_ARRAY || r->elements < 3) {
		return;
	}
	redisReply *k = r->element[0], *ch = r->element[1], *v = r->element[2];
	if (k->type == REDIS_REPLY_STRING && k->len == 8 && memcmp(k->str, "pmessage", 8) == 0 && r->elements >= 4) {
		/* A history topic's publication: pattern, channel, payload. */
		ch = r->element[2];
		v = r->element[3];
		if (ch->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING) {
			ws_bus_route_t rt;
			if (ws_broker_decode(b->prefix, b->node, ch->str, ch->len, v->str, v->len, &rt) == 0 && rt.epoch) {
				b->st.received++;
				b->on_record(b->arg, &rt);
			} else {
				b->st.invalid++;
			}
		}
		return;
	}
	if (k->type != REDIS_REPLY_STRING || ch->type != REDIS_REPLY_STRING) {
		return;
	}
	if (k->len == 7 && memcmp(k->str, "message", 7) == 0 && v->type == REDIS_REPLY_STRING
		&& ch->len == strlen(b->pchan) && memcmp(ch->str, b->pchan, ch->len) == 0) {
		ws__broker_presence_message(b, v->str, v->len);
		return;
	}
	if (k->len == 7 && memcmp(k->str, "message", 7) == 0 && v->type == REDIS_REPLY_STRING) {
		ws_bus_route_t rt;
		int rc = ws_broker_decode(b->prefix, b->node, ch->str, ch->len, v->str, v->len, &rt);
		if (rc == 0) {
			b->st.received++;
			b->on_record(b->arg, &rt);
		} else if (rc < 0) {
			b->st.invalid++;
		}
		return;
	}
	if (v->type == REDIS_REPLY_INTEGER) {
		b->st.channels = (uint64_t)v->integer;
	}
	if (((k->len == 9 && memcmp(k->str, "subscribe", 9) == 0) || (k->len == 10 && memcmp(k->str, "psubscribe", 10) == 0))
		&& c->pending > 0) {
		if (--c->pending > 0) {
			c->waiting_since = ws_loop_now(b->loop);
		}
	}
}

static void conn_open(bconn_t *c)
{
	ws_broker_t *b = c->b;
	redisAsyncContext *ac = b->url.path[0] ? redisAsyncConnectUnix(b->url.path)
		: redisAsyncConnect(b->url.host, b->url.port);
	if (ac == NULL) {
		conn_down(c, "out of memory");
		return;
	}
	if (ac->err) {
		char why[160];
		snprintf(why, sizeof(why), "%s", ac->errstr);
		redisAsyncFree(ac);
		conn_down(c, why);
		return;
	}
	if (ws_redis_attach(ac, b->loop, on_timeout, c) != 0) {
		redisAsyncFree(ac);
		conn_down(c, "cannot watch the socket");
		return;
	}
	/* An exec'd worker must not inherit the supervisor's Redis sockets. */
	fcntl(ac->c.fd, F_SETFD, fcntl(ac->c.fd, F_GETFD) | FD_CLOEXEC);
	ac->data = c;
	c->ac = ac;
	c->ready = 0;
	c->kill = 0;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (b->url.password[0]) {
		if (b->url.user[0]) {
			redisAsyncCommand(ac, auth_cb, c, "AUTH %s %s", b->url.user, b->url.password);
		} else {
			redisAsyncCommand(ac, auth_cb, c, "AUTH %s", b->url.password);
		}
	}
	/* Channels are global to a Redis server: the database number changes nothing for pub/sub. */
	redisAsyncCommand(ac, hello_cb, c, "PING");
	c->pending = 1;
	c->waiting_since = ws_loop_now(b->loop);
}

int ws__broker_over_cap(ws_broker_t *b, bconn_t *c)
{
	if (ws_redis_pending(c->ac) <= b->max_pending) {
		return 0;
	}
	/* Redis does not keep up: drop this connection and resync, rather than grow without bound. */
	b->st.overflows++;
	snprintf(c->why, sizeof(c->why), "more than %zu bytes waiting for Redis", b->max_pending);
	c->kill = 1;
	ws_timer_start(b->loop, &b->tick, ws_loop_now(b->loop));
	return 1;
}

/* Sends "cmd ch1 ch2 ..." in chunks (names[i] is nlen[i] bytes: a topic may hold any byte). */
static void send_channels(ws_broker_t *b, const char *cmd, char **names, const size_t *nlen, size_t n)
{
	bconn_t *c = &b->sub;
	const char *argv[WS_BROKER_CHUNK + 1];
	size_t lens[WS_BROKER_CHUNK + 1];
	int sub = cmd[0] == 'S' || cmd[0] == 'P';
	for (size_t i = 0; i < n && c->ac && !c->kill;) {
		size_t k = 0;
		argv[k] = cmd;
		lens[k++] = strlen(cmd);
		while (i < n && k <= WS_BROKER_CHUNK) {
			argv[k] = names[i];
			lens[k++] = nlen[i++];
		}
		/*
		 * No output cap here: (un)subscriptions are bounded by the number of
		 * topics, and a resubscribe of many topics must not trip it and loop.
		 * A Redis that stops reading is caught by the confirmation timeout.
		 */
		if (redisAsyncCommandArgv(c->ac, sub ? message_cb : NULL, c, (int)k, argv, lens) == REDIS_OK && sub) {
			if (c->pending == 0) {
				c->waiting_since = ws_loop_now(b->loop);
			}
			c->pending += (unsigned)(k - 1);
		}
	}
}

typedef struct collect {
	ws_broker_t *b;
	char **on, **off;
	size_t *on_len, *off_len;
	size_t non, noff;
	int failed;
	int all;                 /* every topic of want (a resubscribe), not only dirty ones */
} collect_t;

static char *channel_of(ws_broker_t *b, const char *topic, size_t len, size_t *out_len)
{
	size_t cap = strlen(b->prefix) + 3 + len + 1;
	char *ch = ws_malloc(cap);
	if (ch) {
		*out_len = ws_broker_channel(ch, cap, b->prefix, topic, len);
	}
	return ch;
}

static void collect_cb(void *arg, ws_map_entry_t *e)
{
	collect_t *x = arg;
	if (x->failed) {
		return;
	}
	int on = x->all || ws_map_find(&x->b->want, e->key, e->key_len) != NULL;
	size_t clen = 0;
	char *ch = channel_of(x->b, e->key, e->key_len, &clen);
	if (ch == NULL) {
		x->failed = 1;
		return;
	}
	if (on) {
		x->on_len[x->non] = clen;
		x->on[x->non++] = ch;
	} else {
		x->off_len[x->noff] = clen;
		x->off[x->noff++] = ch;
	}
}

static void send_interest(ws_broker_t *b, ws_map_t *from, int all, const char *extra)
{
	size_t n = from->count + 1;
	collect_t x = { b, ws_malloc(n * sizeof(char *)), ws_malloc(n * sizeof(char *)),
		ws_malloc(n * sizeof(size_t)), ws_malloc(n * sizeof(size_t)), 0, 0, 0, all };
	if (x.on && x.off && x.on_len && x.off_len) {
		if (extra) {
			x.on[x.non] = ws_malloc(strlen(extra) + 1);
			if (x.on[x.non]) {
				strcpy(x.on[x.non], extra);
				x.on_len[x.non++] = strlen(extra);
			}
		}
		ws_map_each(from, collect_cb, &x);
		send_channels(b, "SUBSCRIBE", x.on, x.on_len, x.non);
		send_channels(b, "UNSUBSCRIBE", x.off, x.off_len, x.noff);
	}
	for (size_t i = 0; x.on && i < x.non; i++) {
		ws_free(x.on[i]);
	}
	for (size_t i = 0; x.off && i < x.noff; i++) {
		ws_free(x.off[i]);
	}
	ws_free(x.on);
	ws_free(x.off);
	ws_free(x.on_len);
	ws_free(x.off_len);
}

static void clear_dirty(ws_broker_t *b)
{
	ws_map_free(&b->dirty);
	ws_map_init(&b->dirty);
}

/* The subscriber connection is (again) ready: the broadcast channel and every topic of ours. */
static void resubscribe(ws_broker_t *b)
{
	clear_dirty(b);
	send_interest(b, &b->want, 1, b->bchan);
	if (b->on_member) {
		char *name = b->pchan;
		size_t len = strlen(b->pchan);
		send_channels(b, "SUBSCRIBE", &name, &len, 1);
	}
	if (b->on_history_load) {
		char *name = b->hpattern;
		size_t len = strlen(b->hpattern);
		send_channels(b, "PSUBSCRIBE", &name, &len, 1);
	}
}

static void tick_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_broker_t *b = t->data;
	uint64_t now = ws_loop_now(loop);
	bconn_t *cs[2] = { &b->pub, &b->sub };
	int stalled = 0;
	for (int i = 0; i < 2; i++) {
		bconn_t *c = cs[i];
		if (c->ac && c->pending > 0 && now - c->waiting_since >= b->timeout_ms) {
			stalled = 1;
			snprintf(c->why, sizeof(c->why), "no answer from Redis within %u ms", b->timeout_ms);
		}
	}
	for (int i = 0; i < 2; i++) {
		bconn_t *c = cs[i];
		if (c->ac && (c->kill || stalled)) {
			char why[160];
			snprintf(why, sizeof(why), "%s", c->why[0] ? c->why : "no answer from Redis");
			conn_close(c, why);
		}
	}
	for (int i = 0; i < 2; i++) {
		bconn_t *c = cs[i];
		if (c->ac == NULL && now >= c->retry_at) {
			conn_open(c);
		}
	}
	ws__broker_presence_tick(b, now);
	if (b->sync_histories && b->up && b->sub.ready && b->sub.pending == 0) {
		/* Subscribed to every history channel first, so that nothing published from now on is missed. */
		b->sync_histories = 0;
		b->sync_loads = 0;
		ws__broker_histories_scan(b, "0");
	}
	ws_timer_start(loop, t, now + WS_BROKER_TICK_MS);
}

ws_broker_t *ws_broker_start(ws_loop_t *loop, const ws_broker_config_t *cfg)
{
	ws_broker_url_t url;
	char err[256];
	const char *prefix = cfg->prefix ? cfg->prefix : "ws";
	if (ws_broker_url_parse(cfg->url, &url, err, sizeof(err)) != 0 || ws_broker_prefix_check(prefix, err, sizeof(err)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	ws_broker_t *b = ws_malloc(sizeof(*b));
	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(b, 0, sizeof(*b));
	b->loop = loop;
	b->url = url;
	if (url.path[0]) {
		snprintf(b->where, sizeof(b->where), "unix:%s", url.path);
	} else {
		snprintf(b->where, sizeof(b->where), "%s:%d", url.host, url.port);
	}
	snprintf(b->prefix, sizeof(b->prefix), "%s", prefix);
	snprintf(b->bchan, sizeof(b->bchan), "%s:broadcast", prefix);
	snprintf(b->pchan, sizeof(b->pchan), "%s:presence", prefix);
	snprintf(b->hpattern, sizeof(b->hpattern), "%s:h:*", prefix);
	ws_broker_node_id(b->node);
	b->node_id = ws_state_node_id(b->node, strlen(b->node));
	b->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 2000;
	b->max_pending = cfg->max_pending ? cfg->max_pending : (size_t)64 << 20;
	b->on_record = cfg->on_record;
	b->on_warning = cfg->on_warning;
	b->on_history_load = cfg->on_history_load;
	uint8_t digest[20];
	ws_sha1((const uint8_t *)ws__broker_history_script, strlen(ws__broker_history_script), digest);
	for (int i = 0; i < 20; i++) {
		snprintf(b->script_sha + 2 * i, 3, "%02x", digest[i]);
	}
	b->on_synced = cfg->on_synced;
	if (cfg->on_member && cfg->on_node_reset && cfg->each_local) {
		b->on_member = cfg->on_member;
		b->on_node_reset = cfg->on_node_reset;
		b->each_local = cfg->each_local;
	}
	b->arg = cfg->arg;
	ws_map_init(&b->want);
	ws_map_init(&b->nodes);
	ws_map_init(&b->dirty);
	b->pub.b = b->sub.b = b;
	b->pub.name = "publisher";
	b->sub.name = "subscriber";
	b->sub.sub = 1;
	ws_timer_init(&b->tick, tick_cb, b);
	conn_open(&b->pub);
	conn_open(&b->sub);
	ws_timer_start(loop, &b->tick, ws_loop_now(loop) + WS_BROKER_TICK_MS);
	return b;
}

static void free_node_cb(void *arg, ws_map_entry_t *e)
{
	(void)arg;
	ws_free(e->value);
}

static void broker_release(ws_broker_t *b)
{
	if (b->pub.ac) {
		redisAsyncFree(b->pub.ac);
	}
	if (b->sub.ac) {
		redisAsyncFree(b->sub.ac);
	}
	ws_map_free(&b->want);
	ws_map_free(&b->dirty);
	ws_map_each(&b->nodes, free_node_cb, NULL);
	ws_map_free(&b->nodes);
	ws_free(b->scratch);
	ws_free(b);
}

void ws_broker_free(ws_broker_t *b)
{
	if (b == NULL) {
		return;
	}
	/* Tearing down is not an outage: no warning, no retry. */
	b->abandoned = 1;
	ws_timer_stop(b->loop, &b->tick);
	broker_release(b);
}

void ws_broker_abandon(ws_broker_t *b)
{
	if (b == NULL) {
		return;
	}
	b->abandoned = 1;
	if (b->pub.ac) {
		ws_redis_abandon(b->pub.ac);
	}
	if (b->sub.ac) {
		ws_redis_abandon(b->sub.ac);
	}
	/* redisFree() only closes our copy of each socket: the parent's connections live on. */
	broker_release(b);
}

void ws_broker_interest(ws_broker_t *b, const char *topic, size_t len, int on)
{
	if (on) {
		ws_map_upsert(&b->want, topic, len, NULL);
	} else {
		ws_map_remove(&b->want, topic, len);
	}
	ws_map_upsert(&b->dirty, topic, len, NULL);
}

void ws_broker_flush(ws_broker_t *b)
{
	if (b->dirty.count == 0) {
		return;
	}
	if (!b->sub.ready || b->sub.kill) {
		/* Down: the resubscribe after the reconnect covers every topic. */
		clear_dirty(b);
		return;
	}
	send_interest(b, &b->dirty, 0, NULL);
	clear_dirty(b);
}

int ws_broker_publish(ws_broker_t *b, const ws_bus_route_t *r)
{
	bconn_t *c = &b->pub;
	if (!c->ready || c->kill || c->ac == NULL || ws__broker_over_cap(b, c)) {
		b->st.dropped++;
		return -1;
	}
	char channel[WS_BROKER_PREFIX_MAX + 16 + 256];
	size_t clen;
	if (r->kind == WS_ROUTE_PUBLISH) {
		clen = ws_broker_channel(channel, sizeof(channel), b->prefix, r->topic, r->topic_len);
	} else {
		clen = strlen(b->bchan);
		memcpy(channel, b->bchan, clen + 1);
	}
	char head[WS_BROKER_HEADER_MAX];
	size_t hlen = ws_broker_header(head, r, b->node);
	size_t need = hlen + r->len;
	if (need > b->scratch_cap) {
		char *p = ws_realloc(b->scratch, need);
		if (p == NULL) {
			b->st.dropped++;
			return -1;
		}
		b->scratch = p;
		b->scratch_cap = need;
	}
	memcpy(b->scratch, head, hlen);
	if (r->len) {
		memcpy(b->scratch + hlen, r->data, r->len);
	}
	const char *argv[3] = { "PUBLISH", channel, b->scratch };
	size_t lens[3] = { 7, clen, need };
	if (clen == 0 || redisAsyncCommandArgv(c->ac, ws__broker_publish_cb, c, 3, argv, lens) != REDIS_OK) {
		b->st.dropped++;
		return -1;
	}
	if (c->pending++ == 0) {
		c->waiting_since = ws_loop_now(b->loop);
	}
	b->st.published++;
	return 0;
}

void ws_broker_get_stats(const ws_broker_t *b, ws_broker_stats_t *out)
{
	*out = b->st;
}

const char *ws_broker_node(const ws_broker_t *b)
{
	return b->node;
}

#else /* !WS_HAVE_HIREDIS */

ws_broker_t *ws_broker_start(ws_loop_t *loop, const ws_broker_config_t *cfg)
{
	(void)loop;
	(void)cfg;
	errno = ENOTSUP;
	return NULL;
}

void ws_broker_free(ws_broker_t *b)
{
	(void)b;
}

void ws_broker_abandon(ws_broker_t *b)
{
	(void)b;
}

void ws_broker_interest(ws_broker_t *b, const char *topic, size_t len, int on)
{
	(void)b;
	(void)topic;
	(void)len;
	(void)on;
}

void ws_broker_flush(ws_broker_t *b)
{
	(void)b;
}

int ws_broker_publish(ws_broker_t *b, const ws_bus_route_t *r)
{
	(void)b;
	(void)r;
	return -1;
}

void ws_broker_get_stats(const ws_broker_t *b, ws_broker_stats_t *out)
{
	(void)b;
	memset(out, 0, sizeof(*out));
}

const char *ws_broker_node(const ws_broker_t *b)
{
	(void)b;
	return "";
}

#endif
