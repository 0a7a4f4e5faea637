/*
 * ws_broker_state.c - the state that crosses nodes through Redis
 * (docs/PRESENCE_HISTORY.md, "Across nodes"): presence over the presence
 * channel (joins, leaves, heartbeats, full states, expiry) and histories in
 * Redis streams (the publishing script, loads, the sync at connect).  The
 * connections themselves are ws_broker_link.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_alloc.h"
#include "ws_broker.h"
#include "ws_broker_int.h"
#include "ws_handshake.h"
#include "ws_redis.h"

#ifdef WS_HAVE_HIREDIS

/* ---- presence across nodes (ws_broker.h, docs/PRESENCE_HISTORY.md) ---- */

/* Publishes head + body on channel without counting it as a publication.  0 or -1. */
static int publish_raw(ws_broker_t *b, const char *channel, const char *head, size_t hlen, const char *body, size_t blen)
{
	bconn_t *c = &b->pub;
	if (!c->ready || c->kill || c->ac == NULL || hlen == 0 || ws__broker_over_cap(b, c)) {
		return -1;
	}
	size_t need = hlen + blen;
	if (need > b->scratch_cap) {
		char *p = ws_realloc(b->scratch, need);
		if (p == NULL) {
			return -1;
		}
		b->scratch = p;
		b->scratch_cap = need;
	}
	memcpy(b->scratch, head, hlen);
	if (blen) {
		memcpy(b->scratch + hlen, body, blen);
	}
	const char *argv[3] = { "PUBLISH", channel, b->scratch };
	size_t lens[3] = { 7, strlen(channel), need };
	if (redisAsyncCommandArgv(c->ac, ws__broker_publish_cb, c, 3, argv, lens) != REDIS_OK) {
		return -1;
	}
	if (c->pending++ == 0) {
		c->waiting_since = ws_loop_now(b->loop);
	}
	return 0;
}

void ws_broker_member(ws_broker_t *b, int join, const ws_broker_member_t *m)
{
	if (b->on_member == NULL) {
		return;
	}
	char head[WS_BROKER_HEADER_MAX];
	size_t hlen = ws_broker_presence_header(head, join ? 'J' : 'L', b->node, m);
	char body[256 + 4096];
	size_t blen = 0;
	memcpy(body, m->topic, m->topic_len);
	blen = m->topic_len;
	if (join) {
		memcpy(body + blen, m->info, m->info_len);
		blen += m->info_len;
	}
	publish_raw(b, b->pchan, head, hlen, body, blen);
}

typedef struct pack_ctx {
	char *buf;
	size_t len, cap;
	int failed;
} pack_ctx_t;

static void pack_cb(void *arg, const ws_broker_member_t *m)
{
	pack_ctx_t *p = arg;
	if (!p->failed && ws_broker_pack_member(&p->buf, &p->len, &p->cap, m) != 0) {
		p->failed = 1;
	}
}

/* Every member of this node in one message. */
static void send_state(ws_broker_t *b)
{
	pack_ctx_t p = { NULL, 0, 0, 0 };
	b->each_local(b->arg, pack_cb, &p);
	char head[WS_BROKER_HEADER_MAX];
	size_t hlen = ws_broker_presence_header(head, 'S', b->node, NULL);
	if (!p.failed) {
		publish_raw(b, b->pchan, head, hlen, p.buf, p.len);
	}
	ws_free(p.buf);
}

void ws__broker_presence_message(ws_broker_t *b, const char *payload, size_t len)
{
	ws_broker_pmsg_t pm;
	if (b->on_member == NULL) {
		return;
	}
	if (ws_broker_presence_decode(payload, len, &pm) != 0) {
		b->st.invalid++;
		return;
	}
	if (strcmp(pm.node, b->node) == 0) {
		return; /* our own */
	}
	uint64_t node = ws_state_node_id(pm.node, strlen(pm.node));
	if (node == 0) {
		b->st.invalid++;
		return;
	}
	int created = 0;
	ws_map_entry_t *e = ws_map_upsert(&b->nodes, &node, sizeof(node), &created);
	if (e && created) {
		e->value = ws_malloc(sizeof(uint64_t));
		if (e->value == NULL) {
			ws_map_remove(&b->nodes, &node, sizeof(node));
			e = NULL;
		}
	}
	if (e) {
		*(uint64_t *)e->value = ws_loop_now(b->loop);
		if (created && pm.kind != 'S' && pm.kind != 'Q') {
			/*
			 * A node we had expired (its loop stalled past the timeout) or never
			 * heard say hello: its members are unknown here, ask for them.
			 */
			b->send_query = 1;
		}
	}
	switch (pm.kind) {
	case 'J':
	case 'L':
		b->on_member(b->arg, pm.kind == 'J', node, &pm.m);
		break;
	case 'Q':
		b->send_state = 1;
		break;
	case 'S': {
		/* The node's whole state: replace what we knew of it. */
		b->on_node_reset(b->arg, node, 0, 0);
		const char *p = pm.body, *end = pm.body + pm.body_len;
		ws_broker_member_t m;
		int r;
		while ((r = ws_broker_unpack_member(&p, end, &m)) == 1) {
			b->on_member(b->arg, 1, node, &m);
		}
		if (r < 0) {
			b->st.invalid++;
		}
		break;
	}
	default:
		break;
	}
}

typedef struct expire_ctx {
	ws_broker_t *b;
	uint64_t now;
	uint64_t dead[64];
	size_t ndead;
	uint64_t lowest_alive;   /* the lowest id among us and the nodes still alive */
} expire_ctx_t;

static void expire_scan_cb(void *arg, ws_map_entry_t *e)
{
	expire_ctx_t *x = arg;
	uint64_t node, last = *(uint64_t *)e->value;
	memcpy(&node, e->key, sizeof(node));
	if (x->now - last >= WS_BROKER_NODE_TIMEOUT_MS) {
		if (x->ndead < 64) {
			x->dead[x->ndead++] = node;
		}
	} else if (node < x->lowest_alive) {
		x->lowest_alive = node;
	}
}

/* Heartbeats out; nodes not heard from for WS_BROKER_NODE_TIMEOUT_MS expire (only while we hear Redis ourselves). */
void ws__broker_presence_tick(ws_broker_t *b, uint64_t now)
{
	if (b->on_member == NULL || !b->up || !b->sub.ready || b->sub.pending > 0) {
		return;
	}
	char head[WS_BROKER_HEADER_MAX];
	if (b->send_hello) {
		/* Back (or new): everyone's members may have changed unheard, and ours too for them. */
		b->send_hello = 0;
		b->send_state = 1;
		publish_raw(b, b->pchan, head, ws_broker_presence_header(head, 'Q', b->node, NULL), NULL, 0);
		b->next_heartbeat = now + WS_BROKER_HEARTBEAT_MS;
	}
	if (b->send_query) {
		b->send_query = 0;
		publish_raw(b, b->pchan, head, ws_broker_presence_header(head, 'Q', b->node, NULL), NULL, 0);
	}
	if (b->send_state) {
		b->send_state = 0;
		send_state(b);
	}
	if (now >= b->next_heartbeat) {
		publish_raw(b, b->pchan, head, ws_broker_presence_header(head, 'H', b->node, NULL), NULL, 0);
		b->next_heartbeat = now + WS_BROKER_HEARTBEAT_MS;
	}
	if (now - b->up_since < WS_BROKER_NODE_TIMEOUT_MS) {
		return; /* we may not have heard everyone yet */
	}
	expire_ctx_t x;
	memset(&x, 0, sizeof(x));
	x.b = b;
	x.now = now;
	x.lowest_alive = b->node_id;
	ws_map_each(&b->nodes, expire_scan_cb, &x);
	for (size_t i = 0; i < x.ndead; i++) {
		ws_free(ws_map_remove(&b->nodes, &x.dead[i], sizeof(x.dead[i])));
		b->on_node_reset(b->arg, x.dead[i], 1, x.lowest_alive == b->node_id);
	}
}

size_t ws_broker_nodes(const ws_broker_t *b)
{
	return b->nodes.count;
}

/* ---- histories in Redis (docs/PRESENCE_HISTORY.md, "Across nodes") ---- */

/*
 * KEYS: the stream, the position counter, the epoch.  ARGV: a new epoch (if
 * the topic has none), the size, the ttl in ms (0: none), the channel, the
 * header up to the slot, the id, the data.  One atomic step: the position,
 * the append (bounded by size and age), the expiry, and the publication
 * whose header carries position, epoch, time and the id's length.
 */
const char ws__broker_history_script[] =
	"local off = redis.call('INCR', KEYS[2])\n"
	"local ep = redis.call('GET', KEYS[3])\n"
	"if not ep then ep = ARGV[1]; redis.call('SET', KEYS[3], ep) end\n"
	"local t = redis.call('TIME')\n"
	"local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'o', off, 'm', ms, 'i', ARGV[6], 't', ARGV[8], 'd', ARGV[7])\n"
	"local ttl = tonumber(ARGV[3])\n"
	"if ttl > 0 then\n"
	"  redis.call('XTRIM', KEYS[1], 'MINID', tostring(ms - ttl))\n"
	"  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end\n"
	"end\n"
	"redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. off .. ' ' .. ep .. ' ' .. ms .. ' ' .. string.len(ARGV[6]) .. '\\n' .. ARGV[6] .. ARGV[7])\n"
	"return off\n";

void ws__broker_pending_done(bconn_t *c)
{
	if (c->pending > 0 && --c->pending > 0) {
		c->waiting_since = ws_loop_now(c->b->loop);
	}
}

void ws__broker_pending_add(bconn_t *c)
{
	if (c->pending++ == 0) {
		c->waiting_since = ws_loop_now(c->b->loop);
	}
}

int ws_broker_up(const ws_broker_t *b)
{
	return b->up;
}

static void script_load_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	bconn_t *c = priv;
	redisReply *r = reply;
	(void)ac;
	if (r == NULL || c->b->abandoned) {
		return;
	}
	ws__broker_pending_done(c);
	c->b->script_reloading = 0;
	if (r->type != REDIS_REPLY_STRING || r->len != 40 || memcmp(r->str, c->b->script_sha, 40) != 0) {
		ws__broker_warn(c->b, "Redis did not load the history script (%.*s): history publications will fail",
			(int)(r->len > 100 ? 100 : r->len), r->str ? r->str : "");
	}
}

void ws__broker_script_load(bconn_t *c)
{
	const char *argv[] = { "SCRIPT", "LOAD", ws__broker_history_script };
	size_t lens[] = { 6, 4, strlen(ws__broker_history_script) };
	if (redisAsyncCommandArgv(c->ac, script_load_cb, c, 3, argv, lens) == REDIS_OK) {
		ws__broker_pending_add(c);
	}
}

static void key_of(ws_broker_t *b, char *out, size_t cap, char kind, const char *topic, size_t len, size_t *out_len)
{
	size_t pl = strlen(b->prefix);
	*out_len = 0;
	if (pl + 3 + len + 1 > cap) {
		return;
	}
	memcpy(out, b->prefix, pl);
	out[pl] = ':';
	out[pl + 1] = kind;
	out[pl + 2] = ':';
	memcpy(out + pl + 3, topic, len);
	out[pl + 3 + len] = '\0';
	*out_len = pl + 3 + len;
}

static void script_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	bconn_t *c = priv;
	redisReply *r = reply;
	(void)ac;
	if (r == NULL || c->b->abandoned) {
		return;
	}
	ws__broker_pending_done(c);
	if (r->type == REDIS_REPLY_ERROR) {
		c->b->st.dropped++;
		if (r->len >= 8 && memcmp(r->str, "NOSCRIPT", 8) == 0) {
			/* Redis's script cache was flushed: load it again (publications meanwhile are dropped, and counted). */
			if (!c->b->script_reloading) {
				c->b->script_reloading = 1;
				ws__broker_warn(c->b, "Redis forgot the history script (SCRIPT FLUSH?): loading it again");
				ws__broker_script_load(c);
			}
			return;
		}
		ws__broker_warn(c->b, "Redis refused a history publication: %.*s", (int)(r->len > 200 ? 200 : r->len), r->str);
	}
}

int ws_broker_publish_history(ws_broker_t *b, const ws_bus_route_t *r, uint32_t size, uint32_t ttl, int slot)
{
	bconn_t *c = &b->pub;
	/* Only the publishing connection must be up: what our subscriber misses meanwhile comes back as a hole to fill. */
	if (!c->ready || c->kill || c->ac == NULL || r->kind != WS_ROUTE_PUBLISH || ws__broker_over_cap(b, c)) {
		b->st.dropped++;
		return -1;
	}
	char stream[WS_BROKER_PREFIX_MAX + 8 + 256], counter[sizeof(stream)], epoch_key[sizeof(stream)], channel[sizeof(stream)];
	size_t sl, ol, el, cl;
	key_of(b, stream, sizeof(stream), 's', r->topic, r->topic_len, &sl);
	key_of(b, counter, sizeof(counter), 'o', r->topic, r->topic_len, &ol);
	key_of(b, epoch_key, sizeof(epoch_key), 'e', r->topic, r->topic_len, &el);
	key_of(b, channel, sizeof(channel), 'h', r->topic, r->topic_len, &cl);
	char new_epoch[WS_BROKER_NODE_LEN + 1], size_s[16], ttl_s[24], head[WS_BROKER_HEADER_MAX];
	ws_broker_node_id(new_epoch);
	snprintf(size_s, sizeof(size_s), "%u", size);
	snprintf(ttl_s, sizeof(ttl_s), "%llu", (unsigned long long)ttl * 1000);
	int hl = snprintf(head, sizeof(head), WS_BROKER_VERSION " P %c %s %llu H %d", (r->flags & WS_ROUTE_BINARY) ? 'B' : 'T',
		b->node, (unsigned long long)r->except, slot < 0 ? 0 : slot);
	const char *argv[] = { "EVALSHA", b->script_sha, "3", stream, counter, epoch_key, new_epoch, size_s, ttl_s, channel, head,
		r->id ? r->id : "", r->data ? r->data : "", (r->flags & WS_ROUTE_BINARY) ? "B" : "T" };
	size_t lens[] = { 7, 40, 1, sl, ol, el, WS_BROKER_NODE_LEN, strlen(size_s), strlen(ttl_s), cl,
		(size_t)hl, r->id_len, r->len, 1 };
	if (sl == 0 || hl <= 0 || redisAsyncCommandArgv(c->ac, script_cb, c, 14, argv, lens) != REDIS_OK) {
		b->st.dropped++;
		return -1;
	}
	ws__broker_pending_add(c);
	b->st.published++;
	return 0;
}

/* One topic's load: GET epoch, then XRANGE; the context carries the topic and the epoch between the two. */
typedef struct hload {
	ws_broker_t *b;
	int refs;                /* commands queued that still hold it */
	int of_sync;             /* counted in b->sync_loads */
	char epoch[WS_BROKER_NODE_LEN + 1];
	int have_epoch;
	size_t topic_len;
	char topic[];
} hload_t;

static void hload_epoch_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	hload_t *h = priv;
	redisReply *r = reply;
	(void)ac;
	if (r != NULL && !h->b->abandoned) {
		ws__broker_pending_done(&h->b->pub);
		if (r->type == REDIS_REPLY_STRING && r->len == WS_BROKER_NODE_LEN) {
			memcpy(h->epoch, r->str, WS_BROKER_NODE_LEN);
			h->epoch[WS_BROKER_NODE_LEN] = '\0';
			h->have_epoch = 1;
		}
	}
	if (--h->refs == 0) {
		ws_free(h);
	}
}

static const redisReply *field_of(const redisReply *fields, const char *name)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const redisReply *k = fields->element[i];
		if (k->type == REDIS_REPLY_STRING && k->len == strlen(name) && memcmp(k->str, name, k->len) == 0) {
			return fields->element[i + 1];
		}
	}
	return NULL;
}

static uint64_t reply_u64(const redisReply *r)
{
	uint64_t v = 0;
	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		return 0;
	}
	for (size_t i = 0; i < r->len; i++) {
		if (r->str[i] < '0' || r->str[i] > '9') {
			return 0;
		}
		v = v * 10 + (uint64_t)(r->str[i] - '0');
	}
	return v;
}

static void sync_check(ws_broker_t *b)
{
	if (!b->scanning && b->sync_loads == 0 && !b->synced_once && !b->abandoned) {
		b->synced_once = 1;
		if (b->on_synced) {
			b->on_synced(b->arg);
		}
	}
}

static void hload_range_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	hload_t *h = priv;
	redisReply *r = reply;
	ws_broker_t *b = h->b;
	(void)ac;
	if (h->of_sync && !b->abandoned) {
		h->of_sync = 0;
		b->sync_loads--; /* checked once its data is in, below */
	}
	if (r != NULL && !b->abandoned) {
		ws__broker_pending_done(&b->pub);
		if (r->type == REDIS_REPLY_ARRAY && h->have_epoch) {
			ws_state_load_t *e = ws_malloc((r->elements ? r->elements : 1) * sizeof(*e));
			size_t n = 0;
			for (size_t i = 0; e && i < r->elements; i++) {
				const redisReply *item = r->element[i];
				if (item->type != REDIS_REPLY_ARRAY || item->elements != 2 || item->element[1]->type != REDIS_REPLY_ARRAY) {
					continue;
				}
				const redisReply *f = item->element[1];
				const redisReply *o = field_of(f, "o"), *m = field_of(f, "m"), *id = field_of(f, "i"), *d = field_of(f, "d");
				const redisReply *ty = field_of(f, "t");
				if (o == NULL || d == NULL || d->type != REDIS_REPLY_STRING || reply_u64(o) == 0) {
					continue;
				}
				e[n].seq = reply_u64(o);
				e[n].time_ms = reply_u64(m);
				e[n].id = id && id->type == REDIS_REPLY_STRING ? id->str : "";
				e[n].id_len = id && id->type == REDIS_REPLY_STRING && id->len <= 255 ? id->len : 0;
				e[n].data = d->str;
				e[n].len = d->len;
				e[n].binary = ty && ty->type == REDIS_REPLY_STRING && ty->len == 1 && ty->str[0] == 'B';
				if (n == 0 || e[n].seq > e[n - 1].seq) {
					n++;
				}
			}
			if (e) {
				b->on_history_load(b->arg, h->topic, h->topic_len, h->epoch, e, n);
			}
			ws_free(e);
		}
	}
	if (!b->abandoned) {
		sync_check(b);
	}
	if (--h->refs == 0) {
		ws_free(h);
	}
}

static hload_t *load_history(ws_broker_t *b, const char *topic, size_t topic_len);

void ws_broker_load_history(ws_broker_t *b, const char *topic, size_t topic_len)
{
	load_history(b, topic, topic_len);
}

static hload_t *load_history(ws_broker_t *b, const char *topic, size_t topic_len)
{
	bconn_t *c = &b->pub;
	if (b->on_history_load == NULL || !c->ready || c->kill || c->ac == NULL || topic_len == 0 || topic_len > 256) {
		return NULL; /* down: the sync after the reconnect loads every topic */
	}
	hload_t *h = ws_malloc(sizeof(*h) + topic_len);
	if (h == NULL) {
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->b = b;
	h->topic_len = topic_len;
	memcpy(h->topic, topic, topic_len);
	char key[WS_BROKER_PREFIX_MAX + 8 + 256];
	size_t kl;
	key_of(b, key, sizeof(key), 'e', topic, topic_len, &kl);
	const char *a1[] = { "GET", key };
	size_t l1[] = { 3, kl };
	h->refs = 2; /* the XRANGE's reference is dropped at once if it cannot be queued */
	if (redisAsyncCommandArgv(c->ac, hload_epoch_cb, h, 2, a1, l1) != REDIS_OK) {
		ws_free(h);
		return NULL;
	}
	ws__broker_pending_add(c);
	key_of(b, key, sizeof(key), 's', topic, topic_len, &kl);
	const char *a2[] = { "XRANGE", key, "-", "+" };
	size_t l2[] = { 6, kl, 1, 1 };
	if (redisAsyncCommandArgv(c->ac, hload_range_cb, h, 4, a2, l2) != REDIS_OK) {
		h->refs--; /* the GET's callback still holds it */
		return NULL;
	}
	ws__broker_pending_add(c);
	return h;
}


static void scan_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	ws_broker_t *b = priv;
	redisReply *r = reply;
	(void)ac;
	if (r == NULL || b->abandoned) {
		return;
	}
	ws__broker_pending_done(&b->pub);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING
		|| r->element[1]->type != REDIS_REPLY_ARRAY) {
		b->scanning = 0;
		sync_check(b);
		return;
	}
	size_t skip = strlen(b->prefix) + 3; /* "<prefix>:s:" */
	const redisReply *keys = r->element[1];
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		if (k->type == REDIS_REPLY_STRING && k->len > skip) {
			hload_t *h = load_history(b, k->str + skip, k->len - skip);
			if (h) {
				h->of_sync = 1;
				b->sync_loads++;
			}
		}
	}
	if (!(r->element[0]->len == 1 && r->element[0]->str[0] == '0')) {
		char cursor[32];
		snprintf(cursor, sizeof(cursor), "%.*s", (int)(r->element[0]->len < 31 ? r->element[0]->len : 31), r->element[0]->str);
		ws__broker_histories_scan(b, cursor);
		return;
	}
	b->scanning = 0;
	sync_check(b);
}

/* Walks every history stream of our prefix (SCAN, a page at a time) and loads each. */
void ws__broker_histories_scan(ws_broker_t *b, const char *cursor)
{
	bconn_t *c = &b->pub;
	if (!c->ready || c->kill || c->ac == NULL) {
		return;
	}
	char pattern[WS_BROKER_PREFIX_MAX + 8];
	snprintf(pattern, sizeof(pattern), "%s:s:*", b->prefix);
	const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "500", "TYPE", "stream" };
	size_t lens[] = { 4, strlen(cursor), 5, strlen(pattern), 5, 3, 4, 6 };
	if (redisAsyncCommandArgv(c->ac, scan_cb, b, 8, argv, lens) == REDIS_OK) {
		ws__broker_pending_add(c);
		b->scanning = 1;
	} else {
		b->scanning = 0;
	}
}


#else /* !WS_HAVE_HIREDIS */

void ws_broker_member(ws_broker_t *b, int join, const ws_broker_member_t *m)
{
	(void)b;
	(void)join;
	(void)m;
}

size_t ws_broker_nodes(const ws_broker_t *b)
{
	(void)b;
	return 0;
}

int ws_broker_up(const ws_broker_t *b)
{
	(void)b;
	return 0;
}

int ws_broker_publish_history(ws_broker_t *b, const ws_bus_route_t *r, uint32_t size, uint32_t ttl, int slot)
{
	(void)b;
	(void)r;
	(void)size;
	(void)ttl;
	(void)slot;
	return -1;
}

void ws_broker_load_history(ws_broker_t *b, const char *topic, size_t topic_len)
{
	(void)b;
	(void)topic;
	(void)topic_len;
}


#endif
