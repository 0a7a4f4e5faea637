/*
 * ws_master_int.h - what the supervisor's two files share (private): the
 * supervisor's state, its links and slots.  ws_master.c supervises (fork,
 * exec, restarts, reloads, signals); ws_hub.c is the hub (routing by
 * interest, histories and presence with their snapshots and fills, the
 * node's Redis link, the cluster view).  docs/PROCESS_MODEL.md.
 */
#ifndef WS_MASTER_INT_H
#define WS_MASTER_INT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "ws_alloc.h"
#include "ws_broker.h"
#include "ws_bus.h"
#include "ws_fill.h"
#include "ws_loop.h"
#include "ws_map.h"
#include "ws_master.h"
#include "ws_server.h"
#include "ws_state.h"

#define WS_CLUSTER_INTERVAL_MS 1000

typedef struct master master_t;

/* One worker process and its bus link. */
typedef struct mlink {
	ws_bus_link_t bus;
	master_t *m;
	size_t index;          /* in m->links: its bit in interest sets */
	pid_t pid;
	int slot;
	uint32_t gen;
	uint32_t instance;
	int ready;             /* sent READY: its workerStart returned */
	int connected;         /* the bus link is up */
	int reaped;
	uint8_t *stats;        /* its latest STATS payload */
	size_t stats_len;
} mlink_t;

typedef struct mslot {
	master_t *m;
	int id;
	mlink_t *link;         /* the current generation's process, or NULL while it waits for a restart */
	ws_timer_t restart;
	int start_failures;    /* consecutive deaths before READY */
	int crashes;           /* consecutive deaths within WS_STABLE_MS of their start */
	uint64_t started_ms;
	int given_up;
} mslot_t;

struct master {
	ws_master_config_t cfg;
	ws_loop_t *loop;
	mlink_t **links;       /* capacity nlinks_cap; NULL slots are free */
	size_t nlinks_cap;
	size_t words;          /* 64-bit words of an interest set */
	mslot_t *slots;
	ws_map_t interest;     /* topic -> uint64_t[words] of interested links */
	ws_broker_t *broker;   /* the node's Redis link, or NULL (ws_broker_link.c) */
	ws_state_t state;      /* the node's histories and presence: the hub's copy, the one that orders */
	int hsynced;           /* histories are complete: new workers get SYNCED (0 while Redis's load is on) */
	ws_fills_t fills;      /* topics whose missed publications are being fetched from Redis (ws_fill.h) */
	ws_timer_t hsync_timer;
	uint32_t gen;          /* the serving generation */
	uint32_t new_gen;      /* the generation a reload is starting, 0 if none */
	uint32_t next_instance;
	int stopping;
	int done;
	int fatal;
	char *err;
	size_t errcap;
	ws_timer_t cluster_timer;
	ws_timer_t reload_timer;
	ws_io_t sig_io;
	int sigpipe[2];
	char **argv;           /* our command line, for exec'd generations */
	/* Set in a freshly forked worker: unwind and return 1. */
	int in_child;
	ws_worker_start_t *child;
};


/* ws_master.c */
void ws__master_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ws_hub.c */
uint64_t ws__hub_wall_ms(void);
void ws__hub_link_send(master_t *m, mlink_t *l, unsigned type, const void *p, size_t len);
void ws__hub_interest_set(master_t *m, mlink_t *l, const char *topic, size_t len, int on);
void ws__hub_interest_drop_link(master_t *m, size_t index);
void ws__hub_free_interest_cb(void *arg, ws_map_entry_t *e);
void ws__hub_route(master_t *m, mlink_t *l, const uint8_t *p, size_t len);
void ws__hub_presence(master_t *m, mlink_t *l, const uint8_t *p, size_t len);
void ws__hub_presence_drop_link(master_t *m, mlink_t *l);
void ws__hub_send_snapshot(master_t *m, mlink_t *l);
void ws__hub_broker_start(master_t *m);
void ws__hub_fill_deliver(void *arg, const ws_bus_route_t *r);
void ws__hub_hsync_timer_cb(ws_loop_t *loop, ws_timer_t *t);
void ws__hub_cluster_cb(ws_loop_t *loop, ws_timer_t *t);

#endif
