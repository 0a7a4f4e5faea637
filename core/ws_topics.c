/*
 * ws_topics.c - pub/sub: topics, subscriptions in both directions (topic to
 * connections, connection to topics, both kept O(1) on removal), publish
 * through the shared fan-out, and topic introspection.
 */
#include <string.h>

#include "ws_metrics_int.h"

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
		ws__route_interest(s, name, len, 1);
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
	s->metrics.subscriptions--;
	for (uint32_t k = j; k < c->nsubs; k++) {
		c->subs[k].topic->subs[c->subs[k].index].sub_index = k;
	}
	if (t->nsubs == 0) {
		ws__route_interest(s, t->entry->key, t->entry->key_len, 0);
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
	uint32_t ncap = ws__grows(c->nsubs, 4);
	if (ncap) {
		ws_sub_t *n = ws_realloc(c->subs, ncap * sizeof(*n));
		if (n == NULL) {
			goto fail;
		}
		c->subs = n;
	}
	t->subs[t->nsubs].conn = c;
	t->subs[t->nsubs].sub_index = c->nsubs;
	c->subs[c->nsubs].topic = t;
	c->subs[c->nsubs].index = t->nsubs;
	t->nsubs++;
	c->nsubs++;
	s->metrics.subscriptions++;
	return 1;
fail:
	if (t->nsubs == 0) {
		ws__route_interest(s, topic, len, 0);
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

void ws__topics_leave_all(ws_conn_t *c)
{
	while (c->nsubs > 0) {
		sub_remove(c, c->nsubs - 1);
	}
	ws_free(c->subs);
	c->subs = NULL;
}

void ws_conn_each_topic(ws_conn_t *c, void (*fn)(void *arg, const char *name, size_t len), void *arg)
{
	for (uint32_t j = 0; j < c->nsubs; j++) {
		ws_map_entry_t *e = c->subs[j].topic->entry;
		fn(arg, e->key, e->key_len);
	}
}

/* Local delivery of a publication: this process's subscribers, except the connection with except_id. */
size_t ws__publish_local(ws_server_t *s, const char *topic, size_t topic_len,
	const char *data, size_t len, int binary, uint64_t except_id)
{
	ws_topic_t *t = topic_get(s, topic, topic_len, 0);
	s->metrics.publications[WS_MFAN_PUBLISH]++;
	if (t == NULL || t->nsubs == 0 || (t->nsubs == 1 && t->subs[0].conn->id == except_id)) {
		return 0;
	}
	fanout_t f;
	uint64_t t0 = s->mctl ? ws__mt_begin_sampled(s, &s->mctl->fanout_iter) : 0;
	ws__fanout_init(&f, data, len, binary);
	size_t n = 0;
	for (size_t i = 0; i < t->nsubs; i++) {
		ws_conn_t *c = t->subs[i].conn;
		if (c->id != except_id) {
			n += ws__fanout_one(c, &f);
		}
	}
	ws__fanout_finish(s, &f, n);
	ws__mt_end(&s->metrics.fanout, t0);
	s->metrics.deliveries[WS_MFAN_PUBLISH] += n;
	return n;
}

int ws_conn_is_subscribed(ws_conn_t *c, const char *topic, size_t len)
{
	if (!ws_conn_is_open(c)) {
		return 0;
	}
	for (uint32_t j = 0; j < c->nsubs; j++) {
		ws_map_entry_t *e = c->subs[j].topic->entry;
		if (e->key_len == len && memcmp(e->key, topic, len) == 0) {
			return 1;
		}
	}
	return 0;
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
