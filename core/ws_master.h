/*
 * ws_master.h - the supervisor of a server with workers (nginx's master):
 * forks or execs the worker processes, restarts the ones that die, relays
 * signals, performs zero-downtime reloads, and is the hub of the local bus
 * (it sequences and routes every publication).  docs/PROCESS_MODEL.md has
 * the design.  Plain C: no PHP code ever runs in it.
 */
#ifndef WS_MASTER_H
#define WS_MASTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_master_config {
	unsigned workers;            /* >= 1 */
	uint32_t reload_window_ms;   /* old workers spread their 1012 closes over this */
	size_t bus_buffer;           /* bytes held for one worker at most */
	uint64_t max_message_size;   /* bounds a bus record */
	const int *listen_fds;       /* the listening sockets every worker inherits */
	size_t nlisteners;
	const char *broker_url;      /* the Redis broker of the node (ws_broker.h), or NULL */
	const char *broker_prefix;   /* its channel prefix, NULL: "ws" */
	size_t broker_buffer;        /* its output cap, 0: 64 MiB */
	const struct ws_state *state; /* the server's history rules (copied), or NULL: none */
} ws_master_config_t;

/* What a worker process needs to know about itself. */
typedef struct ws_worker_start {
	int slot;                    /* 0 .. count-1 */
	int count;
	int bus_fd;                  /* its end of the bus link */
	uint32_t instance;           /* never reused by this supervisor (connection ids) */
	int forked;                  /* 1: fork() of the supervisor's process; 0: exec'd anew */
} ws_worker_start_t;

/*
 * Runs the supervisor until every worker has exited after SIGTERM/SIGINT.
 * Returns:
 *    1  in a worker just forked from it: *child is filled and the caller
 *       becomes that worker (the supervisor's own state is already gone
 *       from this process; the listening sockets stay open);
 *    0  in the supervisor, after a graceful stop;
 *   -1  in the supervisor on a fatal error: err says why (every worker
 *       gave up in a crash loop, or no worker could be started).
 * Messages for the operator (crashes, restarts, reloads) go to stderr.
 */
int ws_master_run(const ws_master_config_t *cfg, ws_worker_start_t *child, char *err, size_t errcap);

/*
 * In a process that a supervisor exec'd for a reload: reads and removes the
 * WEBSOCKET_WORKER environment variable.  Returns 1 with *w and up to cap
 * listening descriptors in fds (*nfds of them), 0 when this process is not
 * such a worker, -1 when the variable is malformed.
 */
int ws_worker_from_env(ws_worker_start_t *w, int *fds, size_t cap, size_t *nfds);

#endif
