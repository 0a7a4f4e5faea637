/*
 * ws_metrics_int.h - what the engine files share about metrics: the
 * endpoint's private state (struct ws__metrics_ctl, hung off the server as
 * s->mctl, NULL while the endpoint is off) and the cheap helpers that count
 * and time.  Counters are always kept (stats() reads them); durations are
 * measured only while the endpoint is on, so a server without metrics pays
 * one pointer test per timed call and reads no clock.
 *
 * What is timed, and what it costs (a CLOCK_MONOTONIC read is a vDSO call,
 * about 20-50 ns):
 *   - every handler call except "message": two clock reads each, per
 *     connection or per timer, never per message;
 *   - "message" handlers and fan-outs: only the first of every
 *     WS_METRICS_SAMPLE_ITERS-th loop iteration (two reads per such
 *     iteration, however many messages it handles), so that an echo server
 *     handling one message per iteration pays a quarter of a read per
 *     message for them;
 *   - loop iterations: one read per iteration (the wake-up time is the
 *     loop's own clock read);
 *   - handshakes: one read at the 101 (the accept time is the loop's).
 */
#ifndef WS_METRICS_INT_H
#define WS_METRICS_INT_H

#include <time.h>

#include "ws_server_int.h"
#include "ws_metrics.h"
#include "ws_metrics_http.h"

typedef struct ws__metrics_ctl {
	int timing;                  /* durations are measured */
	uint64_t iter;               /* loop iterations so far */
	uint64_t msg_iter;           /* iter + 1 of the last timed message handler (0: none) */
	uint64_t fanout_iter;        /* likewise for fan-outs */

	/* the endpoint */
	int on_listeners;            /* served on the server's own listeners (no listener of its own) */
	int own_listener;            /* has a listener of its own (flagged metrics_only in s->listeners) */
	char *path;
	size_t path_len;
	char *token;                 /* NULL: none asked for */
	size_t token_len;
	ws_cidr_t *allow;            /* NULL with nallow 0: see ws_server_set_metrics_endpoint() */
	size_t nallow;

	/* the seam for workers (ws_metrics.h) */
	ws_metrics_peers_fn peers;
	void *peers_arg;
	int self_id;
} ws__metrics_ctl_t;

static inline uint64_t ws__metrics_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* Start of a timed call: a clock reading, or 0 when nothing is timed. */
static inline uint64_t ws__mt_begin(ws_server_t *s)
{
	return s->mctl && s->mctl->timing ? ws__metrics_clock() : 0;
}

/* Per-message calls are timed in one loop iteration out of this many (a power of two). */
#define WS_METRICS_SAMPLE_ITERS 8

/* Start of a per-message call: timed only for the first of every WS_METRICS_SAMPLE_ITERS-th loop iteration. */
static inline uint64_t ws__mt_begin_sampled(ws_server_t *s, uint64_t *last_iter)
{
	if (s->mctl == NULL || !s->mctl->timing || (s->mctl->iter & (WS_METRICS_SAMPLE_ITERS - 1)) != 0
		|| *last_iter == s->mctl->iter + 1) {
		return 0;
	}
	*last_iter = s->mctl->iter + 1;
	return ws__metrics_clock();
}

/* End of a timed call: counts it into h if it was timed. */
static inline void ws__mt_end(ws_metrics_hist_t *h, uint64_t t0)
{
	if (t0) {
		ws_metrics_observe(h, ws__metrics_clock() - t0);
	}
}

/* A request refused with an HTTP status (the endpoint's own listener is not the WebSocket service: not counted). */
static inline void ws__metrics_refused(ws_conn_t *c, int status)
{
	if (!c->metrics_only) {
		c->server->metrics.handshakes_refused[ws_metrics_status_index(status)]++;
	}
}

/* ws_metrics_http.c */
/* End of a loop iteration: its busy time, and the iteration count the sampling uses. */
void ws__metrics_iteration_end(ws_server_t *s);
/*
 * A plain HTTP request on a listener that serves metrics: answers it and
 * returns 1 if it is for the endpoint (or the connection came through the
 * endpoint's own listener, which answers everything else with 404);
 * returns 0 to let the request go on to the application.
 */
int ws__metrics_http(ws_conn_t *c, const ws_http_request_t *req);
void ws__metrics_free(ws_server_t *s);
/* ws_listen.c */
int ws__listen_metrics(ws_server_t *s, const char *host, int port, char *err, size_t errcap);

#endif
