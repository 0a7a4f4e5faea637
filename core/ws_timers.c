/*
 * ws_timers.c - time: each connection's single deadline (handshake, idle,
 * ping/pong, close, linger), re-armed lazily, and the user timers of
 * every()/after().
 */
#include <stdint.h>
#include <string.h>

#include "ws_metrics_int.h"

static uint64_t conn_deadline(const ws_conn_t *c)
{
	const ws_server_config_t *cfg = &c->server->cfg;
	const uint64_t now = ws_loop_now(c->server->loop);
	uint64_t d = UINT64_MAX;
	switch (c->state) {
	case ST_TLS:
	case ST_HTTP:
		if (cfg->handshake_timeout_ms) {
			d = ws__stamp_ms(now, c->t_created) + cfg->handshake_timeout_ms;
		}
		break;
	case ST_RESPONDING:
		d = ws__stamp_ms(now, c->t_close) + cfg->close_timeout_ms;
		break;
	case ST_OPEN:
		if (cfg->idle_timeout_ms) {
			d = ws__stamp_ms(now, c->t_data) + cfg->idle_timeout_ms;
		}
		if (cfg->ping_interval_ms) {
			uint64_t p = c->ping_outstanding ? ws__stamp_ms(now, c->t_ping) + cfg->pong_timeout_ms
				: ws__stamp_ms(now, c->t_rx) + cfg->ping_interval_ms;
			if (p < d) {
				d = p;
			}
		}
		break;
	case ST_CLOSING:
		d = ws__stamp_ms(now, c->t_close) + cfg->close_timeout_ms;
		break;
	case ST_LINGER:
		d = ws__stamp_ms(now, c->t_close) + WS_LINGER_MS;
		break;
	default:
		break;
	}
	return d;
}

void ws__conn_arm_timer(ws_conn_t *c)
{
	uint64_t d = conn_deadline(c);
	if (d == UINT64_MAX) {
		ws_timer_stop(c->server->loop, &c->timer);
		return;
	}
	/*
	 * Lazy: activity only moves deadlines later, and a timer that fires
	 * early just re-arms itself, so the heap is touched once per timeout
	 * period rather than once per message.
	 */
	if (!ws_timer_active(&c->timer) || c->timer.deadline > d) {
		ws_timer_start(c->server->loop, &c->timer, d);
	}
}

void ws__conn_timer_cb(ws_loop_t *loop, ws_timer_t *t)
{
	ws_conn_t *c = t->data;
	ws_server_t *s = c->server;
	uint64_t now = ws_loop_now(loop);
	if (c->state == ST_DEAD) {
		return;
	}
	/* Quiet long enough for a timer: an empty output ring and an idle parser go back. */
	ws__queue_release_ring(c);
	ws__conn_busy_release(c, 0);
	uint64_t d = conn_deadline(c);
	if (d > now || s->breaking) {
		if (d != UINT64_MAX) {
			ws_timer_start(loop, t, d > now ? d : now + 10);
		}
		return;
	}
	const ws_server_config_t *cfg = &s->cfg;
	switch (c->state) {
	case ST_TLS:
		s->metrics.tls_failures[WS_MTLS_TIMEOUT]++;
		c->drop = 1; /* a TLS handshake that never completes */
		ws__conn_touch(c);
		return;
	case ST_HTTP:
		ws__conn_http_refuse(c, 408, NULL, "handshake timeout\n");
		break;
	case ST_OPEN:
		if (cfg->ping_interval_ms && c->ping_outstanding && now >= ws__stamp_ms(now, c->t_ping) + cfg->pong_timeout_ms) {
			/* The peer is gone without a word: drop it, as a lost connection (1006). */
			c->drop = 1;
			ws__conn_touch(c);
			return;
		}
		if (cfg->idle_timeout_ms && now >= ws__stamp_ms(now, c->t_data) + cfg->idle_timeout_ms) {
			ws__conn_close_internal(c, WS_CLOSE_GOING_AWAY, "idle timeout", 12, 0);
			break;
		}
		if (cfg->ping_interval_ms && !c->ping_outstanding && now >= ws__stamp_ms(now, c->t_rx) + cfg->ping_interval_ms) {
			s->metrics.pings_sent += ws__queue_frame(c, WS_OPCODE_PING, NULL, 0) == 0;
			c->ping_outstanding = 1;
			c->t_ping = (ws_stamp_t)now;
		}
		break;
	case ST_RESPONDING:
	case ST_CLOSING:
	case ST_LINGER:
		c->drop = 1;
		ws__conn_touch(c);
		return;
	default:
		break;
	}
	ws__conn_arm_timer(c);
}

typedef struct ws_utimer_full {
	ws_utimer_t t;
	ws_server_t *server;
} ws_utimer_full_t;

static void utimer_cb(ws_loop_t *loop, ws_timer_t *timer)
{
	ws_utimer_full_t *u = timer->data;
	ws_server_t *s = u->server;
	uint64_t id = u->t.id;
	if (s->breaking) {
		ws_timer_start(loop, timer, ws_loop_now(loop) + 1);
		return;
	}
	if (!u->t.repeat) {
		ws_map_remove(&s->timers, &id, sizeof(id));
		void *data = u->t.data;
		ws_free(u);
		uint64_t t0 = ws__mt_begin(s);
		s->h->on_timer(s, id, data, 1);
		ws__mt_end(&s->metrics.handler[WS_MEV_TIMER], t0);
		return;
	}
	/* Re-arm first so the callback may clear (or the loop may outlive) it. */
	uint64_t next = timer->deadline + u->t.interval;
	uint64_t now = ws_loop_now(loop);
	if (next <= now) {
		next = now + u->t.interval; /* fell behind: skip, do not burst */
	}
	ws_timer_start(loop, timer, next);
	u->t.firing = 1;
	uint64_t t0 = ws__mt_begin(s);
	s->h->on_timer(s, id, u->t.data, 0);
	ws__mt_end(&s->metrics.handler[WS_MEV_TIMER], t0);
	u->t.firing = 0;
	if (u->t.cleared) {
		ws_free(u);
	}
}

uint64_t ws_server_timer_add(ws_server_t *s, uint64_t ms, int repeat, void *data)
{
	ws_utimer_full_t *u = ws_malloc(sizeof(*u));
	if (u == NULL) {
		return 0;
	}
	memset(u, 0, sizeof(*u));
	u->server = s;
	u->t.id = s->next_timer_id++;
	u->t.interval = ms ? ms : 1;
	u->t.repeat = repeat;
	u->t.data = data;
	ws_map_entry_t *e = ws_map_upsert(&s->timers, &u->t.id, sizeof(u->t.id), NULL);
	if (e == NULL) {
		ws_free(u);
		return 0;
	}
	e->value = u;
	ws_timer_init(&u->t.timer, utimer_cb, u);
	ws_loop_update_time(s->loop);
	ws_timer_start(s->loop, &u->t.timer, ws_loop_now(s->loop) + ms);
	return u->t.id;
}

void *ws_server_timer_clear(ws_server_t *s, uint64_t id)
{
	ws_utimer_full_t *u = ws_map_remove(&s->timers, &id, sizeof(id));
	if (u == NULL) {
		return NULL;
	}
	void *data = u->t.data;
	ws_timer_stop(s->loop, &u->t.timer);
	if (u->t.firing) {
		u->t.cleared = 1; /* freed by utimer_cb once the callback returns */
	} else {
		ws_free(u);
	}
	return data;
}

typedef struct clear_all_ctx {
	ws_server_t *s;
	void (*fn)(void *data);
} clear_all_ctx_t;

static void clear_all_cb(void *arg, ws_map_entry_t *e)
{
	clear_all_ctx_t *ctx = arg;
	ws_utimer_full_t *u = e->value;
	ws_timer_stop(ctx->s->loop, &u->t.timer);
	if (ctx->fn) {
		ctx->fn(u->t.data);
	}
	if (u->t.firing) {
		u->t.cleared = 1;
	} else {
		ws_free(u);
	}
}

void ws_server_timer_clear_all(ws_server_t *s, void (*fn)(void *data))
{
	clear_all_ctx_t ctx = { s, fn };
	ws_map_each(&s->timers, clear_all_cb, &ctx);
	ws_map_free(&s->timers);
}
