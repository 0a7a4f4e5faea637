/*
 * ws_budget.c - memory accounting: tracked allocations counted against
 * max_memory, and the budget that sheds the largest consumers when over it.
 */
#include <stdint.h>

#include "ws_metrics_int.h"

void *ws__mem_alloc(ws_server_t *s, size_t n)
{
	void *p = ws_malloc(n);
	if (p) {
		s->mem += n;
	}
	return p;
}

void ws__mem_release(ws_server_t *s, void *p, size_t n)
{
	if (p) {
		s->mem -= n;
		ws_free(p);
	}
}

/* Grows *buf (of *cap bytes) to hold need bytes; doubles; tracked. */
int ws__mem_reserve(ws_server_t *s, uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap) {
		return 0;
	}
	size_t n = *cap ? *cap : 256;
	while (n < need) {
		n = n > SIZE_MAX / 2 ? need : n * 2;
	}
	uint8_t *p = ws_realloc(*buf, n);
	if (p == NULL) {
		return -1;
	}
	s->mem += n - *cap;
	*buf = p;
	*cap = n;
	return 0;
}

/*
 * Over max_memory: give back the pooled output buffers and the spare
 * reassembly buffer (caches that count against the budget, and that
 * shedding refills), then shed the connection
 * with the largest send queue, by the backpressure policy (close: 1008 and
 * its queue discarded; drop: its queued messages discarded), until back
 * under budget.
 */
/* What a connection holds that the budget counts: its queue, its unfinished message, its unparsed input. */
static size_t conn_footprint(const ws_conn_t *c)
{
	return c->buffered + (c->busy ? c->busy->msg_cap + c->busy->rest_len : 0);
}

void ws__server_enforce_memory(ws_server_t *s)
{
	for (int rounds = 0; rounds < 64 && s->mem > s->cfg.max_memory; rounds++) {
		while (s->npool > 0 && s->mem > s->cfg.max_memory) {
			ws__mem_release(s, s->pool[--s->npool], sizeof(ws_buf_t) + WS_OUT_CHUNK);
		}
		if (s->spare_msg != NULL && s->mem > s->cfg.max_memory) {
			/* The spare reassembly buffer is a cache too. */
			ws__mem_release(s, s->spare_msg, s->spare_msg_cap);
			s->spare_msg = NULL;
			s->spare_msg_cap = 0;
		}
		if (s->mem <= s->cfg.max_memory) {
			return;
		}
		ws_conn_t *worst = NULL;
		for (ws_conn_t *c = s->open_head; c; c = c->open_next) {
			if (worst == NULL || conn_footprint(c) > conn_footprint(worst)) {
				worst = c;
			}
		}
		if (worst == NULL || conn_footprint(worst) == 0) {
			return;
		}
		ws_conn_busy_t *b = worst->busy;
		if (b && b->msg_cap + b->rest_len > worst->buffered) {
			/*
			 * Most of it is an incoming message: there is no dropping half a
			 * message, so the sender goes, and its buffer with it at once.
			 */
			s->metrics.memory_sheds[WS_MSHED_CLOSED]++;
			ws__conn_close_internal(worst, WS_CLOSE_POLICY_VIOLATION, "server memory budget exceeded", 29, 1);
			ws__conn_msg_free(worst);
			ws__mem_release(s, b->rest, b->rest_len);
			b->rest = NULL;
			b->rest_len = 0;
		} else {
			ws__queue_discard_unsent(worst, 1);
			s->metrics.memory_sheds[s->cfg.backpressure == WS_BACKPRESSURE_CLOSE ? WS_MSHED_CLOSED : WS_MSHED_DROPPED]++;
			if (s->cfg.backpressure == WS_BACKPRESSURE_CLOSE) {
				ws__conn_close_internal(worst, WS_CLOSE_POLICY_VIOLATION, "server memory budget exceeded", 29, 1);
			}
		}
		ws__conn_touch(worst);
	}
}
