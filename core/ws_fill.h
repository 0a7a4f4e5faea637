/*
 * ws_fill.h - filling the holes of a live stream ordered by Redis
 * (docs/PRESENCE_HISTORY.md, "Holes").
 *
 * When a hub sees a publication whose position is past the next one, it
 * missed some (its Redis link dropped while others published).  It starts a
 * fill for the topic: from then on the topic's publications are held, in
 * order, instead of delivered; when Redis's copy of the history has been
 * loaded, the missed ones are delivered from it, then the held ones, so
 * that subscribers see every publication once and in order.  A fill that
 * gets no load within its deadline delivers what it holds and gives up on
 * the missed ones (they stay in the history for resumes).
 *
 * Shared by both hubs (a single process, the supervisor): they only differ
 * in what "deliver" means, which they pass as a callback.
 */
#ifndef WS_FILL_H
#define WS_FILL_H

#include <stddef.h>
#include <stdint.h>

#include "ws_bus.h"
#include "ws_map.h"
#include "ws_state.h"

#define WS_FILL_DEADLINE_MS 3000

typedef struct ws_fills {
	ws_map_t topics;              /* topic -> the fill under way (ws_fill.c) */
} ws_fills_t;

/* Delivers one publication (spans valid for the call). */
typedef void (*ws_fill_deliver_cb)(void *arg, const ws_bus_route_t *r);

void ws_fills_init(ws_fills_t *f);
void ws_fills_free(ws_fills_t *f);
/* A hole: publications from position `from` on were missed in topic.  0, or -1 (ENOMEM: deliver as usual). */
int ws_fill_start(ws_fills_t *f, const char *topic, size_t tlen, uint64_t from, uint64_t now_ms);
/* 1 if topic is being filled: r was copied and will be delivered later.  0: deliver it now. */
int ws_fill_hold(ws_fills_t *f, const ws_bus_route_t *r);
/*
 * Redis's copy of topic was loaded into st: deliver the missed publications
 * from it, then the held ones, and end the fill.
 */
void ws_fill_complete(ws_fills_t *f, ws_state_t *st, const char *topic, size_t tlen, uint64_t now_ms,
	ws_fill_deliver_cb deliver, void *arg);
/* Ends the fills past their deadline: what they hold is delivered, the missed ones are not. */
void ws_fill_expire(ws_fills_t *f, uint64_t now_ms, ws_fill_deliver_cb deliver, void *arg);
/* 1 if a fill is under way (a hub then checks ws_fill_expire() now and then). */
int ws_fill_pending(const ws_fills_t *f);

#endif
