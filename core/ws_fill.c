/*
 * ws_fill.c - holding a topic's live publications while the ones a hub
 * missed are fetched from Redis, then delivering all of them in order
 * (ws_fill.h).
 */
#include <errno.h>
#include <string.h>

#include "ws_alloc.h"
#include "ws_fill.h"

/* A held publication: the route's fields and a copy of its bytes. */
typedef struct held {
	struct held *next;
	ws_bus_route_t r;             /* spans point into bytes */
	char bytes[];                 /* topic, id, data */
} held_t;

typedef struct fill {
	uint64_t from;                /* the first missed position */
	uint64_t deadline;
	held_t *head, *tail;
} fill_t;

void ws_fills_init(ws_fills_t *f)
{
	ws_map_init(&f->topics);
}

static void fill_free(fill_t *fl)
{
	while (fl->head) {
		held_t *h = fl->head;
		fl->head = h->next;
		ws_free(h);
	}
	ws_free(fl);
}

static void free_cb(void *arg, ws_map_entry_t *e)
{
	(void)arg;
	fill_free(e->value);
}

void ws_fills_free(ws_fills_t *f)
{
	ws_map_each(&f->topics, free_cb, NULL);
	ws_map_free(&f->topics);
}

int ws_fill_pending(const ws_fills_t *f)
{
	return f->topics.count > 0;
}

int ws_fill_start(ws_fills_t *f, const char *topic, size_t tlen, uint64_t from, uint64_t now_ms)
{
	int created = 0;
	ws_map_entry_t *e = ws_map_upsert(&f->topics, topic, tlen, &created);
	if (e == NULL) {
		return -1;
	}
	if (!created) {
		return 0; /* one fill at a time per topic: it covers the new hole too, from its start */
	}
	fill_t *fl = ws_malloc(sizeof(*fl));
	if (fl == NULL) {
		ws_map_remove(&f->topics, topic, tlen);
		errno = ENOMEM;
		return -1;
	}
	memset(fl, 0, sizeof(*fl));
	fl->from = from;
	fl->deadline = now_ms + WS_FILL_DEADLINE_MS;
	e->value = fl;
	return 0;
}

int ws_fill_hold(ws_fills_t *f, const ws_bus_route_t *r)
{
	if (f->topics.count == 0 || r->kind != WS_ROUTE_PUBLISH) {
		return 0;
	}
	ws_map_entry_t *e = ws_map_find(&f->topics, r->topic, r->topic_len);
	if (e == NULL) {
		return 0;
	}
	fill_t *fl = e->value;
	held_t *h = ws_malloc(sizeof(*h) + r->topic_len + r->id_len + r->len);
	if (h == NULL) {
		return 0; /* out of memory: deliver it now rather than lose it */
	}
	h->next = NULL;
	h->r = *r;
	memcpy(h->bytes, r->topic, r->topic_len);
	if (r->id_len) {
		memcpy(h->bytes + r->topic_len, r->id, r->id_len);
	}
	if (r->len) {
		memcpy(h->bytes + r->topic_len + r->id_len, r->data, r->len);
	}
	h->r.topic = h->bytes;
	h->r.id = h->bytes + r->topic_len;
	h->r.data = h->bytes + r->topic_len + r->id_len;
	h->r.epoch = NULL;
	if (fl->tail) {
		fl->tail->next = h;
	} else {
		fl->head = h;
	}
	fl->tail = h;
	return 1;
}

static void deliver_held(fill_t *fl, ws_fill_deliver_cb deliver, void *arg)
{
	for (held_t *h = fl->head; h; h = h->next) {
		deliver(arg, &h->r);
	}
}

typedef struct missed_ctx {
	uint64_t from, upto;          /* deliver positions in [from, upto) */
	const char *topic;
	size_t tlen;
	ws_fill_deliver_cb deliver;
	void *arg;
} missed_ctx_t;

static void missed_cb(void *arg, const ws_history_entry_t *e)
{
	missed_ctx_t *x = arg;
	if (e->seq < x->from || e->seq >= x->upto) {
		return;
	}
	ws_bus_route_t r;
	memset(&r, 0, sizeof(r));
	r.kind = WS_ROUTE_PUBLISH;
	r.flags = (uint8_t)(e->binary ? WS_ROUTE_BINARY : 0);
	r.origin = -1;
	r.topic = x->topic;
	r.topic_len = x->tlen;
	r.data = WS_HISTORY_ENTRY_DATA(e);
	r.len = e->len;
	r.seq = e->seq;
	r.time_ms = e->time_ms;
	r.id = WS_HISTORY_ENTRY_ID(e);
	r.id_len = e->id_len;
	x->deliver(x->arg, &r);
}

void ws_fill_complete(ws_fills_t *f, ws_state_t *st, const char *topic, size_t tlen, uint64_t now_ms,
	ws_fill_deliver_cb deliver, void *arg)
{
	fill_t *fl = ws_map_remove(&f->topics, topic, tlen);
	if (fl == NULL) {
		return;
	}
	/* The missed ones: from the first missed position up to the first held one (or everything loaded). */
	missed_ctx_t x = { fl->from, fl->head ? fl->head->r.seq : UINT64_MAX, topic, tlen, deliver, arg };
	ws_state_history(st, topic, tlen, 0, now_ms, missed_cb, &x);
	deliver_held(fl, deliver, arg);
	fill_free(fl);
}

typedef struct expire_ctx {
	uint64_t now;
	char *names[32];
	size_t lens[32];
	size_t n;
} expire_ctx_t;

static void expire_cb(void *arg, ws_map_entry_t *e)
{
	expire_ctx_t *x = arg;
	fill_t *fl = e->value;
	if (fl->deadline <= x->now && x->n < 32) {
		x->names[x->n] = e->key;
		x->lens[x->n++] = e->key_len;
	}
}

void ws_fill_expire(ws_fills_t *f, uint64_t now_ms, ws_fill_deliver_cb deliver, void *arg)
{
	expire_ctx_t x;
	x.now = now_ms;
	x.n = 0;
	ws_map_each(&f->topics, expire_cb, &x);
	for (size_t i = 0; i < x.n; i++) {
		/* The key's memory goes with its entry: take the fill out first, by a copy of the name. */
		char name[257];
		size_t len = x.lens[i] < sizeof(name) ? x.lens[i] : sizeof(name);
		memcpy(name, x.names[i], len);
		fill_t *fl = ws_map_remove(&f->topics, name, len);
		if (fl) {
			deliver_held(fl, deliver, arg);
			fill_free(fl);
		}
	}
}
