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

#ifdef WS_HAVE_HIREDIS

#define WS_BROKER_BACKOFF_MIN_MS 100
#define WS_BROKER_BACKOFF_MAX_MS 1600
#define WS_BROKER_TICK_MS 200
#define WS_BROKER_CHUNK 1024         /* channels per SUBSCRIBE command */

typedef struct bconn {
	ws_broker_t *b;
	redisAsyncContext *ac;   /* NULL while down */
	const char *name;        /* "publisher" / "subscriber" for messages */
	int sub;                 /* the subscriber connection */
	int ready;               /* the handshake (AUTH, PING) was answered */
	int kill;                /* to be closed by the next tick (not from inside hiredis) */
	int closing;             /* inside redisAsyncFree() called by us */
	unsigned pending;        /* replies awaited that prove Redis alive */
	uint64_t waiting_since;  /* connect start, or when pending became non-zero */
	uint64_t retry_at;       /* reconnect when down; 0: now */
	uint32_t backoff_ms;
	char why[160];           /* why it went down, for the warning */
} bconn_t;

struct ws_broker {
	ws_loop_t *loop;
	ws_broker_url_t url;
	char where[300];
	char prefix[WS_BROKER_PREFIX_MAX + 1];
	char node[WS_BROKER_NODE_LEN + 1];
	char bchan[WS_BROKER_PREFIX_MAX + 16];
	char pchan[WS_BROKER_PREFIX_MAX + 16];   /* presence */
	uint64_t node_id;                        /* our node as a number (ws_state_node_id) */
	uint32_t timeout_ms;
	size_t max_pending;
	void (*on_record)(void *arg, const ws_bus_route_t *r);
	void (*on_warning)(void *arg, const char *msg);
	void (*on_member)(void *arg, int join, uint64_t node, const ws_broker_member_t *m);
	void (*on_node_reset)(void *arg, uint64_t node, int dead, int report);
	void (*each_local)(void *arg, void (*fn)(void *fnarg, const ws_broker_member_t *m), void *fnarg);
	void (*on_history_load)(void *arg, const char *topic, size_t topic_len, const char *epoch,
		const ws_state_load_t *entries, size_t n);
	void *arg;
	bconn_t pub, sub;
	char hpattern[WS_BROKER_PREFIX_MAX + 8];  /* "<prefix>:h:*": every history topic's channel */
	int sync_histories;      /* (re)connected: load every history from Redis */
	char script_sha[41];     /* SHA-1 of history_script, for EVALSHA (loaded on each publishing connection) */
	int script_reloading;    /* a SCRIPT LOAD after NOSCRIPT is on its way */
	int scanning;            /* the SCAN of a sync is not finished */
	unsigned sync_loads;     /* loads of the current sync not answered yet */
	int synced_once;         /* on_synced was called */
	void (*on_synced)(void *arg);
	ws_map_t nodes;          /* presence: other nodes heard from: 8-byte id -> uint64_t[1] last heard (ms) */
	uint64_t up_since;       /* when both connections last became ready */
	uint64_t next_heartbeat;
	int send_hello;          /* (re)connected: ask for every node's members and send ours */
	int send_state;          /* someone asked: send ours */
	int send_query;          /* we heard a node we did not know (or had given up on): ask for its members */
	ws_map_t want;           /* topics with subscribers on this node */
	ws_map_t dirty;          /* topics whose interest changed since the last flush */
	ws_timer_t tick;
	int abandoned;
	int up;                  /* both connections ready */
	int ever_up;
	int warned;              /* this outage was reported */
	char *scratch;           /* header + data of a publication */
	size_t scratch_cap;
	ws_broker_stats_t st;
};

static void warn(ws_broker_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(ws_broker_t *b, const char *fmt, ...)
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
static void script_load(bconn_t *c);
static void histories_scan(ws_broker_t *b, const char *cursor);
static int over_cap(ws_broker_t *b, bconn_t *c);
static void publish_cb(redisAsyncContext *ac, void *reply, void *priv);

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
		warn(b, "Redis broker at %s unavailable (%s): publications stay on this node until it is back; retrying",
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
		script_load(c);
	}
	update_up(c->b);
	if (c->sub) {
		resubscribe(c->b);
	}
}

static void publish_cb(redisAsyncContext *ac, void *reply, void *priv)
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

/* ---- presence across nodes (ws_broker.h, docs/PRESENCE_HISTORY.md) ---- */

/* Publishes head + body on channel without counting it as a publication.  0 or -1. */
static int publish_raw(ws_broker_t *b, const char *channel, const char *head, size_t hlen, const char *body, size_t blen)
{
	bconn_t *c = &b->pub;
	if (!c->ready || c->kill || c->ac == NULL || hlen == 0 || over_cap(b, c)) {
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
	if (redisAsyncCommandArgv(c->ac, publish_cb, c, 3, argv, lens) != REDIS_OK) {
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

static void presence_message(ws_broker_t *b, const char *payload, size_t len)
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
static void presence_tick(ws_broker_t *b, uint64_t now)
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
static const char history_script[] =
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

static void pending_done(bconn_t *c)
{
	if (c->pending > 0 && --c->pending > 0) {
		c->waiting_since = ws_loop_now(c->b->loop);
	}
}

static void pending_add(bconn_t *c)
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
	pending_done(c);
	c->b->script_reloading = 0;
	if (r->type != REDIS_REPLY_STRING || r->len != 40 || memcmp(r->str, c->b->script_sha, 40) != 0) {
		warn(c->b, "Redis did not load the history script (%.*s): history publications will fail",
			(int)(r->len > 100 ? 100 : r->len), r->str ? r->str : "");
	}
}

static void script_load(bconn_t *c)
{
	const char *argv[] = { "SCRIPT", "LOAD", history_script };
	size_t lens[] = { 6, 4, sizeof(history_script) - 1 };
	if (redisAsyncCommandArgv(c->ac, script_load_cb, c, 3, argv, lens) == REDIS_OK) {
		pending_add(c);
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
	pending_done(c);
	if (r->type == REDIS_REPLY_ERROR) {
		c->b->st.dropped++;
		if (r->len >= 8 && memcmp(r->str, "NOSCRIPT", 8) == 0) {
			/* Redis's script cache was flushed: load it again (publications meanwhile are dropped, and counted). */
			if (!c->b->script_reloading) {
				c->b->script_reloading = 1;
				warn(c->b, "Redis forgot the history script (SCRIPT FLUSH?): loading it again");
				script_load(c);
			}
			return;
		}
		warn(c->b, "Redis refused a history publication: %.*s", (int)(r->len > 200 ? 200 : r->len), r->str);
	}
}

int ws_broker_publish_history(ws_broker_t *b, const ws_bus_route_t *r, uint32_t size, uint32_t ttl, int slot)
{
	bconn_t *c = &b->pub;
	/* Only the publishing connection must be up: what our subscriber misses meanwhile comes back as a hole to fill. */
	if (!c->ready || c->kill || c->ac == NULL || r->kind != WS_ROUTE_PUBLISH || over_cap(b, c)) {
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
	pending_add(c);
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
		pending_done(&h->b->pub);
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
		pending_done(&b->pub);
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
	pending_add(c);
	key_of(b, key, sizeof(key), 's', topic, topic_len, &kl);
	const char *a2[] = { "XRANGE", key, "-", "+" };
	size_t l2[] = { 6, kl, 1, 1 };
	if (redisAsyncCommandArgv(c->ac, hload_range_cb, h, 4, a2, l2) != REDIS_OK) {
		h->refs--; /* the GET's callback still holds it */
		return NULL;
	}
	pending_add(c);
	return h;
}

static void histories_scan(ws_broker_t *b, const char *cursor);

static void scan_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	ws_broker_t *b = priv;
	redisReply *r = reply;
	(void)ac;
	if (r == NULL || b->abandoned) {
		return;
	}
	pending_done(&b->pub);
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
		histories_scan(b, cursor);
		return;
	}
	b->scanning = 0;
	sync_check(b);
}

/* Walks every history stream of our prefix (SCAN, a page at a time) and loads each. */
static void histories_scan(ws_broker_t *b, const char *cursor)
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
		pending_add(c);
		b->scanning = 1;
	} else {
		b->scanning = 0;
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
		presence_message(b, v->str, v->len);
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

static int over_cap(ws_broker_t *b, bconn_t *c)
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
	presence_tick(b, now);
	if (b->sync_histories && b->up && b->sub.ready && b->sub.pending == 0) {
		/* Subscribed to every history channel first, so that nothing published from now on is missed. */
		b->sync_histories = 0;
		b->sync_loads = 0;
		histories_scan(b, "0");
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
	ws_sha1((const uint8_t *)history_script, sizeof(history_script) - 1, digest);
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
	if (!c->ready || c->kill || c->ac == NULL || over_cap(b, c)) {
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
	if (clen == 0 || redisAsyncCommandArgv(c->ac, publish_cb, c, 3, argv, lens) != REDIS_OK) {
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
