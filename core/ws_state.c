/*
 * ws_state.c - topic histories (a bounded ring of publications per topic,
 * each with its position) and presence (a map of members per topic), the
 * store that hubs order and replicas apply (ws_state.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "ws_alloc.h"
#include "ws_state.h"

typedef struct ws_history {
	ws_history_entry_t **ring;    /* cap slots, count used from head (the oldest) */
	uint32_t cap, head, count;
	uint32_t size, ttl;           /* the topic's limits, fixed when it was created */
	uint64_t last_seq;
	char epoch[WS_STATE_EPOCH_LEN + 1]; /* "" : the store's */
} ws_history_t;

typedef struct ws_presence {
	ws_map_t members;             /* 8-byte connection id -> ws_member_t */
} ws_presence_t;

static void mem_add(ws_state_t *st, size_t n)
{
	st->bytes += n;
	if (st->mem) {
		*st->mem += n;
	}
}

static void mem_sub(ws_state_t *st, size_t n)
{
	st->bytes -= n;
	if (st->mem) {
		*st->mem -= n;
	}
}

void ws_state_init(ws_state_t *st, size_t *mem)
{
	memset(st, 0, sizeof(*st));
	ws_map_init(&st->histories);
	ws_map_init(&st->presence);
	st->mem = mem;
	ws_state_new_epoch(st);
}

void ws_state_new_epoch(ws_state_t *st)
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec << 20 ^ (uint64_t)getpid();
	}
	snprintf(st->epoch, sizeof(st->epoch), "%016llx", (unsigned long long)r);
}

static size_t entry_size(const ws_history_entry_t *e)
{
	return sizeof(*e) + e->id_len + e->len;
}

static void history_free_cb(void *arg, ws_map_entry_t *me)
{
	ws_state_t *st = arg;
	ws_history_t *h = me->value;
	for (uint32_t i = 0; i < h->count; i++) {
		ws_history_entry_t *e = h->ring[(h->head + i) % h->cap];
		mem_sub(st, entry_size(e));
		ws_free(e);
	}
	st->entries -= h->count;
	mem_sub(st, sizeof(*h) + h->cap * sizeof(*h->ring));
	ws_free(h->ring);
	ws_free(h);
}

static void member_free_cb(void *arg, ws_map_entry_t *me)
{
	ws_state_t *st = arg;
	ws_member_t *m = me->value;
	mem_sub(st, sizeof(*m) + m->info_len);
	st->members--;
	ws_free(m);
}

static void presence_free_cb(void *arg, ws_map_entry_t *me)
{
	ws_presence_t *p = me->value;
	ws_map_each(&p->members, member_free_cb, arg);
	ws_map_free(&p->members);
	mem_sub(arg, sizeof(*p));
	ws_free(p);
}

void ws_state_free(ws_state_t *st)
{
	ws_map_each(&st->histories, history_free_cb, st);
	ws_map_free(&st->histories);
	ws_map_each(&st->presence, presence_free_cb, st);
	ws_map_free(&st->presence);
	for (size_t i = 0; i < st->nrules; i++) {
		ws_free(st->rules[i].pattern);
	}
	ws_free(st->rules);
	st->rules = NULL;
	st->nrules = 0;
}

/* ---------------------------------------------------------------- rules */

void ws_state_set_default(ws_state_t *st, uint32_t size, uint32_t ttl)
{
	st->default_size = size;
	st->default_ttl = ttl;
}

int ws_state_add_rule(ws_state_t *st, const char *pattern, size_t len, uint32_t size, uint32_t ttl)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	ws_history_rule_t *n = ws_realloc(st->rules, (st->nrules + 1) * sizeof(*n));
	if (n == NULL) {
		errno = ENOMEM;
		return -1;
	}
	st->rules = n;
	char *p = ws_malloc(len + 1);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(p, pattern, len);
	p[len] = '\0';
	n[st->nrules].pattern = p;
	n[st->nrules].len = len;
	n[st->nrules].size = size;
	n[st->nrules].ttl = ttl;
	st->nrules++;
	return 0;
}

int ws_state_copy_rules(ws_state_t *st, const ws_state_t *from)
{
	ws_state_set_default(st, from->default_size, from->default_ttl);
	for (size_t i = 0; i < from->nrules; i++) {
		const ws_history_rule_t *r = &from->rules[i];
		if (ws_state_add_rule(st, r->pattern, r->len, r->size, r->ttl) != 0) {
			return -1;
		}
	}
	return 0;
}

uint32_t ws_state_limits(const ws_state_t *st, const char *topic, size_t len, uint32_t *ttl)
{
	for (size_t i = 0; i < st->nrules; i++) {
		const ws_history_rule_t *r = &st->rules[i];
		int wild = r->pattern[r->len - 1] == '*';
		size_t plen = wild ? r->len - 1 : r->len;
		if (wild ? (len >= plen && memcmp(topic, r->pattern, plen) == 0)
			 : (len == plen && memcmp(topic, r->pattern, plen) == 0)) {
			*ttl = r->ttl;
			return r->size;
		}
	}
	*ttl = st->default_ttl;
	return st->default_size;
}

int ws_state_has_history(const ws_state_t *st)
{
	if (st->default_size > 0) {
		return 1;
	}
	for (size_t i = 0; i < st->nrules; i++) {
		if (st->rules[i].size > 0) {
			return 1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- history */

static ws_history_t *history_get(ws_state_t *st, const char *topic, size_t tlen, int create)
{
	ws_map_entry_t *me;
	if (!create) {
		me = ws_map_find(&st->histories, topic, tlen);
		return me ? me->value : NULL;
	}
	uint32_t ttl;
	uint32_t size = ws_state_limits(st, topic, tlen, &ttl);
	if (size == 0) {
		return NULL;
	}
	int created = 0;
	me = ws_map_upsert(&st->histories, topic, tlen, &created);
	if (me == NULL) {
		return NULL;
	}
	if (created) {
		ws_history_t *h = ws_malloc(sizeof(*h));
		if (h == NULL) {
			ws_map_remove(&st->histories, topic, tlen);
			return NULL;
		}
		memset(h, 0, sizeof(*h));
		h->size = size;
		h->ttl = ttl;
		me->value = h;
		mem_add(st, sizeof(*h));
	}
	return me->value;
}

static void drop_oldest(ws_state_t *st, ws_history_t *h)
{
	ws_history_entry_t *e = h->ring[h->head];
	h->ring[h->head] = NULL;
	h->head = (h->head + 1) % h->cap;
	h->count--;
	st->entries--;
	mem_sub(st, entry_size(e));
	ws_free(e);
}

/* Drops what is over the age limit. */
static void trim_age(ws_state_t *st, ws_history_t *h, uint64_t now_ms)
{
	if (h->ttl == 0) {
		return;
	}
	uint64_t horizon = (uint64_t)h->ttl * 1000;
	while (h->count > 0 && h->ring[h->head]->time_ms + horizon <= now_ms) {
		drop_oldest(st, h);
	}
}

/* Makes room for one more entry: grows the ring (up to size) or drops the oldest. */
static int make_room(ws_state_t *st, ws_history_t *h)
{
	if (h->count < h->cap) {
		return 0;
	}
	if (h->cap < h->size) {
		uint32_t ncap = h->cap ? h->cap * 2 : 16;
		if (ncap > h->size) {
			ncap = h->size;
		}
		ws_history_entry_t **n = ws_malloc(ncap * sizeof(*n));
		if (n == NULL) {
			return -1;
		}
		for (uint32_t i = 0; i < h->count; i++) {
			n[i] = h->ring[(h->head + i) % h->cap];
		}
		mem_add(st, (ncap - h->cap) * sizeof(*n));
		ws_free(h->ring);
		h->ring = n;
		h->cap = ncap;
		h->head = 0;
		return 0;
	}
	drop_oldest(st, h);
	return 0;
}

uint64_t ws_state_append(ws_state_t *st, const char *topic, size_t tlen, uint64_t seq, uint64_t time_ms,
	const char *id, size_t id_len, const char *data, size_t len, int binary, uint64_t now_ms)
{
	if (id_len > WS_HISTORY_ID_MAX || len > UINT32_MAX) {
		return 0;
	}
	ws_history_t *h = history_get(st, topic, tlen, 1);
	if (h == NULL) {
		return 0;
	}
	if (seq == 0) {
		seq = h->last_seq + 1;
	} else if (seq <= h->last_seq) {
		return h->last_seq; /* already applied (a snapshot overlapping the live stream) */
	}
	trim_age(st, h, now_ms);
	if (make_room(st, h) != 0) {
		return 0;
	}
	ws_history_entry_t *e = ws_malloc(sizeof(*e) + id_len + len);
	if (e == NULL) {
		return 0;
	}
	e->seq = seq;
	e->time_ms = time_ms;
	e->len = (uint32_t)len;
	e->binary = (uint8_t)(binary != 0);
	e->id_len = (uint8_t)id_len;
	memcpy(e->bytes, id, id_len);
	memcpy(e->bytes + id_len, data, len);
	h->ring[(h->head + h->count) % h->cap] = e;
	h->count++;
	h->last_seq = seq;
	st->entries++;
	mem_add(st, entry_size(e));
	return seq;
}

uint64_t ws_state_last_seq(ws_state_t *st, const char *topic, size_t tlen)
{
	ws_history_t *h = history_get(st, topic, tlen, 0);
	return h ? h->last_seq : 0;
}

const char *ws_state_topic_epoch(ws_state_t *st, const char *topic, size_t tlen)
{
	ws_history_t *h = history_get(st, topic, tlen, 0);
	if (h == NULL) {
		return NULL;
	}
	return h->epoch[0] ? h->epoch : st->epoch;
}

int ws_state_history_reset(ws_state_t *st, const char *topic, size_t tlen, const char *epoch)
{
	ws_history_t *h = history_get(st, topic, tlen, 1);
	if (h == NULL) {
		return -1;
	}
	while (h->count > 0) {
		drop_oldest(st, h);
	}
	h->head = 0;
	h->last_seq = 0;
	snprintf(h->epoch, sizeof(h->epoch), "%s", epoch ? epoch : "");
	return 0;
}

int ws_state_append_remote(ws_state_t *st, const char *topic, size_t tlen, const char *epoch, uint64_t seq,
	uint64_t time_ms, const char *id, size_t id_len, const char *data, size_t len, int binary, uint64_t now_ms)
{
	ws_history_t *h = history_get(st, topic, tlen, 1);
	if (h == NULL || seq == 0) {
		return WS_STATE_NONE;
	}
	char ep[WS_STATE_EPOCH_LEN + 1]; /* the span may be part of a longer header */
	memcpy(ep, epoch, WS_STATE_EPOCH_LEN);
	ep[WS_STATE_EPOCH_LEN] = '\0';
	int rc = WS_STATE_APPENDED;
	if (strcmp(h->epoch, ep) != 0 || seq > h->last_seq + 1) {
		rc = strcmp(h->epoch, ep) == 0 && h->last_seq > 0 ? WS_STATE_HOLE : WS_STATE_RESET;
		ws_state_history_reset(st, topic, tlen, ep);
	} else if (seq <= h->last_seq) {
		return WS_STATE_DUPLICATE;
	}
	if (ws_state_append(st, topic, tlen, seq, time_ms, id, id_len, data, len, binary, now_ms) != seq) {
		return WS_STATE_NONE;
	}
	return rc;
}

int ws_state_history_load(ws_state_t *st, const char *topic, size_t tlen, const char *epoch,
	const ws_state_load_t *entries, size_t n, uint64_t now_ms)
{
	ws_history_t *h = history_get(st, topic, tlen, 1);
	if (h == NULL) {
		return -1;
	}
	const char *was = h->epoch[0] ? h->epoch : st->epoch;
	int same = epoch == NULL ? h->epoch[0] == '\0' : strcmp(was, epoch) == 0;
	/* Keep our entries newer than the load (same epoch only), drop the rest. */
	uint64_t upto = n ? entries[n - 1].seq : 0;
	uint32_t keep_from = h->count;
	if (same) {
		while (keep_from > 0 && h->ring[(h->head + keep_from - 1) % h->cap]->seq > upto) {
			keep_from--;
		}
	}
	uint32_t nkeep = h->count - keep_from;
	ws_history_entry_t **kept = NULL;
	if (nkeep) {
		kept = ws_malloc(nkeep * sizeof(*kept));
		if (kept == NULL) {
			return -1;
		}
		for (uint32_t i = 0; i < nkeep; i++) {
			kept[i] = h->ring[(h->head + keep_from + i) % h->cap];
		}
		h->count = keep_from; /* the kept ones are ours now, not the ring's */
		st->entries -= nkeep;
	}
	while (h->count > 0) {
		drop_oldest(st, h);
	}
	h->head = 0;
	h->last_seq = 0;
	if (epoch) {
		snprintf(h->epoch, sizeof(h->epoch), "%s", epoch);
	}
	for (size_t i = 0; i < n; i++) {
		const ws_state_load_t *e = &entries[i];
		ws_state_append(st, topic, tlen, e->seq, e->time_ms, e->id, e->id_len, e->data, e->len, e->binary, now_ms);
	}
	for (uint32_t i = 0; i < nkeep; i++) {
		ws_history_entry_t *e = kept[i];
		mem_sub(st, entry_size(e));
		ws_state_append(st, topic, tlen, e->seq, e->time_ms, WS_HISTORY_ENTRY_ID(e), e->id_len,
			WS_HISTORY_ENTRY_DATA(e), e->len, e->binary, now_ms);
		ws_free(e);
	}
	ws_free(kept);
	return 0;
}

size_t ws_state_history(ws_state_t *st, const char *topic, size_t tlen, size_t limit, uint64_t now_ms,
	ws_history_cb fn, void *arg)
{
	ws_history_t *h = history_get(st, topic, tlen, 0);
	if (h == NULL) {
		return 0;
	}
	trim_age(st, h, now_ms);
	uint32_t from = (limit > 0 && limit < h->count) ? h->count - (uint32_t)limit : 0;
	for (uint32_t i = from; i < h->count; i++) {
		fn(arg, h->ring[(h->head + i) % h->cap]);
	}
	return h->count - from;
}

long ws_state_since(ws_state_t *st, const char *topic, size_t tlen, const char *since, size_t since_len,
	const char *epoch, size_t epoch_len, uint64_t now_ms, ws_history_cb fn, void *arg)
{
	ws_history_t *h = history_get(st, topic, tlen, 0);
	if (h == NULL || since_len == 0 || since_len > WS_HISTORY_ID_MAX) {
		return -1;
	}
	if (epoch) {
		const char *mine = h->epoch[0] ? h->epoch : st->epoch;
		if (epoch_len != strlen(mine) || memcmp(epoch, mine, epoch_len) != 0) {
			return -1;
		}
	}
	trim_age(st, h, now_ms);
	uint32_t i = h->count;
	while (i > 0) {
		const ws_history_entry_t *e = h->ring[(h->head + i - 1) % h->cap];
		if (e->id_len == since_len && memcmp(e->bytes, since, since_len) == 0) {
			break;
		}
		i--;
	}
	if (i == 0) {
		return -1;
	}
	long n = 0;
	for (; i < h->count; i++, n++) {
		fn(arg, h->ring[(h->head + i) % h->cap]);
	}
	return n;
}

typedef struct each_history_ctx {
	void (*fn)(void *arg, const char *topic, size_t len, size_t entries);
	void *arg;
} each_history_ctx_t;

static void each_history_cb(void *arg, ws_map_entry_t *me)
{
	each_history_ctx_t *ctx = arg;
	ws_history_t *h = me->value;
	ctx->fn(ctx->arg, me->key, me->key_len, h->count);
}

void ws_state_each_history(ws_state_t *st, void (*fn)(void *arg, const char *topic, size_t len, size_t entries), void *arg)
{
	each_history_ctx_t ctx = { fn, arg };
	ws_map_each(&st->histories, each_history_cb, &ctx);
}

/* ---------------------------------------------------------------- presence */

static ws_presence_t *presence_get(ws_state_t *st, const char *topic, size_t tlen, int create)
{
	ws_map_entry_t *me;
	if (!create) {
		me = ws_map_find(&st->presence, topic, tlen);
		return me ? me->value : NULL;
	}
	int created = 0;
	me = ws_map_upsert(&st->presence, topic, tlen, &created);
	if (me == NULL) {
		return NULL;
	}
	if (created) {
		ws_presence_t *p = ws_malloc(sizeof(*p));
		if (p == NULL) {
			ws_map_remove(&st->presence, topic, tlen);
			return NULL;
		}
		ws_map_init(&p->members);
		me->value = p;
		mem_add(st, sizeof(*p));
	}
	return me->value;
}

static void presence_drop_if_empty(ws_state_t *st, const char *topic, size_t tlen, ws_presence_t *p)
{
	if (p->members.count == 0) {
		ws_map_free(&p->members);
		mem_sub(st, sizeof(*p));
		ws_free(p);
		ws_map_remove(&st->presence, topic, tlen);
	}
}

typedef struct member_key {
	uint64_t node, conn;
} member_key_t;

int ws_state_join(ws_state_t *st, const char *topic, size_t tlen, uint64_t node, uint64_t conn, int worker,
	const char *info, size_t info_len)
{
	member_key_t key = { node, conn };
	if (info_len > WS_PRESENCE_INFO_MAX) {
		errno = EINVAL;
		return -1;
	}
	ws_presence_t *p = presence_get(st, topic, tlen, 1);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	int created = 0;
	ws_map_entry_t *me = ws_map_upsert(&p->members, &key, sizeof(key), &created);
	if (me == NULL) {
		presence_drop_if_empty(st, topic, tlen, p);
		errno = ENOMEM;
		return -1;
	}
	ws_member_t *old = me->value;
	if (old && old->info_len == info_len && memcmp(old->info, info, info_len) == 0 && old->worker == worker) {
		return 0;
	}
	ws_member_t *m = ws_malloc(sizeof(*m) + info_len);
	if (m == NULL) {
		if (created) {
			ws_map_remove(&p->members, &key, sizeof(key));
			presence_drop_if_empty(st, topic, tlen, p);
		}
		errno = ENOMEM;
		return -1;
	}
	m->node = node;
	m->conn = conn;
	m->worker = worker;
	m->info_len = (uint32_t)info_len;
	memcpy(m->info, info, info_len);
	mem_add(st, sizeof(*m) + info_len);
	if (old) {
		mem_sub(st, sizeof(*old) + old->info_len);
		ws_free(old);
	} else {
		st->members++;
	}
	me->value = m;
	return old ? 2 : 1;
}

int ws_state_leave(ws_state_t *st, const char *topic, size_t tlen, uint64_t node, uint64_t conn)
{
	ws_presence_t *p = presence_get(st, topic, tlen, 0);
	if (p == NULL) {
		return 0;
	}
	member_key_t key = { node, conn };
	ws_member_t *m = ws_map_remove(&p->members, &key, sizeof(key));
	if (m == NULL) {
		return 0;
	}
	mem_sub(st, sizeof(*m) + m->info_len);
	st->members--;
	ws_free(m);
	presence_drop_if_empty(st, topic, tlen, p);
	return 1;
}

const ws_member_t *ws_state_member(ws_state_t *st, const char *topic, size_t tlen, uint64_t node, uint64_t conn)
{
	ws_presence_t *p = presence_get(st, topic, tlen, 0);
	if (p == NULL) {
		return NULL;
	}
	member_key_t key = { node, conn };
	ws_map_entry_t *me = ws_map_find(&p->members, &key, sizeof(key));
	return me ? me->value : NULL;
}

typedef struct members_ctx {
	void (*fn)(void *arg, const ws_member_t *m);
	void *arg;
	size_t n;
} members_ctx_t;

static void members_cb(void *arg, ws_map_entry_t *me)
{
	members_ctx_t *ctx = arg;
	ctx->fn(ctx->arg, me->value);
	ctx->n++;
}

size_t ws_state_members(ws_state_t *st, const char *topic, size_t tlen,
	void (*fn)(void *arg, const ws_member_t *m), void *arg)
{
	ws_presence_t *p = presence_get(st, topic, tlen, 0);
	if (p == NULL) {
		return 0;
	}
	members_ctx_t ctx = { fn, arg, 0 };
	ws_map_each(&p->members, members_cb, &ctx);
	return ctx.n;
}

typedef struct each_member_ctx {
	void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m);
	void *arg;
	const ws_map_entry_t *topic;
} each_member_ctx_t;

static void each_member_inner(void *arg, ws_map_entry_t *me)
{
	each_member_ctx_t *ctx = arg;
	ctx->fn(ctx->arg, ctx->topic->key, ctx->topic->key_len, me->value);
}

static void each_member_outer(void *arg, ws_map_entry_t *me)
{
	each_member_ctx_t *ctx = arg;
	ws_presence_t *p = me->value;
	ctx->topic = me;
	ws_map_each(&p->members, each_member_inner, ctx);
}

void ws_state_each_member(ws_state_t *st, void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m), void *arg)
{
	each_member_ctx_t ctx = { fn, arg, NULL };
	ws_map_each(&st->presence, each_member_outer, &ctx);
}

/* The members to drop, collected first: the maps must not change while they are walked. */
typedef struct drop_ctx {
	uint32_t instance;
	uint64_t node;                /* with by_node: every member of this node; else node 0's of instance */
	int by_node;
	char **topics;                /* copies, NUL-terminated */
	size_t *tlens;
	uint64_t *conns;
	size_t n, cap;
	int failed;
} drop_ctx_t;

static void drop_collect(void *arg, const char *topic, size_t tlen, const ws_member_t *m)
{
	drop_ctx_t *d = arg;
	int match = d->by_node ? m->node == d->node : (m->node == 0 && (uint32_t)(m->conn >> 40) == d->instance);
	if (!match || d->failed) {
		return;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		char **t = ws_realloc(d->topics, ncap * sizeof(*t));
		if (t) {
			d->topics = t;
		}
		size_t *l = ws_realloc(d->tlens, ncap * sizeof(*l));
		if (l) {
			d->tlens = l;
		}
		uint64_t *c = ws_realloc(d->conns, ncap * sizeof(*c));
		if (c) {
			d->conns = c;
		}
		if (t == NULL || l == NULL || c == NULL) {
			d->failed = 1;
			return;
		}
		d->cap = ncap;
	}
	char *copy = ws_malloc(tlen + 1);
	if (copy == NULL) {
		d->failed = 1;
		return;
	}
	memcpy(copy, topic, tlen);
	copy[tlen] = '\0';
	d->topics[d->n] = copy;
	d->tlens[d->n] = tlen;
	d->conns[d->n] = m->conn;
	d->n++;
}

static size_t drop_where(ws_state_t *st, int by_node, uint64_t node, uint32_t instance,
	void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m), void *arg)
{
	size_t dropped = 0;
	for (;;) {
		/* One pass normally; another only if memory ran short while collecting. */
		drop_ctx_t d;
		memset(&d, 0, sizeof(d));
		d.instance = instance;
		d.node = node;
		d.by_node = by_node;
		ws_state_each_member(st, drop_collect, &d);
		uint64_t mnode = by_node ? node : 0;
		for (size_t i = 0; i < d.n; i++) {
			const ws_member_t *m = ws_state_member(st, d.topics[i], d.tlens[i], mnode, d.conns[i]);
			if (m && fn) {
				fn(arg, d.topics[i], d.tlens[i], m);
			}
			dropped += (size_t)ws_state_leave(st, d.topics[i], d.tlens[i], mnode, d.conns[i]);
			ws_free(d.topics[i]);
		}
		int again = d.failed && d.n > 0;
		ws_free(d.topics);
		ws_free(d.tlens);
		ws_free(d.conns);
		if (!again) {
			return dropped;
		}
	}
}

size_t ws_state_drop_instance(ws_state_t *st, uint32_t instance,
	void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m), void *arg)
{
	return drop_where(st, 0, 0, instance, fn, arg);
}

size_t ws_state_drop_node(ws_state_t *st, uint64_t node,
	void (*fn)(void *arg, const char *topic, size_t tlen, const ws_member_t *m), void *arg)
{
	return node ? drop_where(st, 1, node, 0, fn, arg) : 0;
}

uint64_t ws_state_node_id(const char *hex, size_t len)
{
	if (len == 0 || len > 16) {
		return 0;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)hex[i], d;
		if (c >= '0' && c <= '9') {
			d = c - '0';
		} else if (c >= 'a' && c <= 'f') {
			d = c - 'a' + 10;
		} else {
			return 0;
		}
		v = v << 4 | (uint64_t)d;
	}
	return v;
}
