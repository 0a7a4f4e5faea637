/*
 * ws_bus.h - the local bus between a supervisor and its workers: one
 * non-blocking stream socket per worker carrying length-prefixed records
 * (docs/PROCESS_MODEL.md).  The same link code serves both ends.
 *
 * A record on the wire: u32 length (of what follows, little endian), u8
 * type, payload.  Sends are appended to the link's output buffer and leave
 * when ws_bus_flush() runs (once per loop iteration, so a burst of records
 * costs one write); past the link's limit a record is dropped and counted.
 */
#ifndef WS_BUS_H
#define WS_BUS_H

#include <stddef.h>
#include <stdint.h>
#include "ws_loop.h"

/* Record types. */
enum {
	WS_BUS_ROUTE = 1,     /* a publication (ws_bus_route_t), either way */
	WS_BUS_INTEREST = 2,  /* worker -> supervisor: u8 on, topic bytes */
	WS_BUS_READY = 3,     /* worker -> supervisor: workerStart returned, accepting */
	WS_BUS_DRAIN = 4,     /* supervisor -> worker: u32 window ms; stop accepting, close with 1012, exit */
	WS_BUS_STATS = 5,     /* worker -> supervisor: the worker's snapshot (see ws_route.c) */
	WS_BUS_CLUSTER = 6,   /* supervisor -> worker: every worker's latest snapshot */
	WS_BUS_RELOAD = 7,    /* worker -> supervisor: reload() was called */
	WS_BUS_PRESENCE = 8,  /* either way: a presence change (ws_bus_presence_t) */
	WS_BUS_SYNCED = 9,    /* supervisor -> worker: the state snapshot is complete; the epoch follows */
	WS_BUS_BARRIER = 10,  /* worker -> supervisor -> the same worker: u64 token, echoed (ws_bus_wait_sync) */
	WS_BUS_HRESET = 11    /* supervisor -> worker: u8 epoch length, epoch, topic; the topic's history starts over */
};

/* Kinds of publication. */
enum {
	WS_ROUTE_PUBLISH = 1,        /* to a topic's subscribers */
	WS_ROUTE_BROADCAST = 2,      /* to every open connection */
	WS_ROUTE_WORKER_MESSAGE = 3  /* to every worker's workerMessage handler */
};

#define WS_ROUTE_BINARY 0x1u
#define WS_ROUTE_EXT 0x2u      /* the record carries seq, time and the application id */
#define WS_ROUTE_REPLAY 0x4u   /* a history entry of a snapshot: store it, deliver it to nobody */
#define WS_ROUTE_NOSTORE 0x8u  /* deliver it, keep it out of the history (Redis was down when it was published) */

/* A publication, decoded (spans borrowed from the record). */
typedef struct ws_bus_route {
	uint8_t kind;
	uint8_t flags;
	int16_t origin;          /* worker slot that published; -1: none */
	uint64_t except;         /* connection id on the origin worker to leave out; 0: none */
	const char *topic;
	size_t topic_len;
	const char *data;
	size_t len;
	/* With WS_ROUTE_EXT: */
	uint64_t seq;            /* position in the topic's history (0: not sequenced yet) */
	uint64_t time_ms;        /* wall clock when sequenced */
	const char *id;          /* the application's message id, id_len bytes */
	size_t id_len;
	/* Not on the bus: a publication from Redis with its topic's epoch there (16 hex digits), or NULL. */
	const char *epoch;
} ws_bus_route_t;

#define WS_BUS_ROUTE_HEAD 14 /* kind, flags, origin, except, topic length */
#define WS_BUS_ROUTE_EXT 17  /* seq, time, id length; then the id */

/* Presence operations. */
enum {
	WS_PRESENCE_JOIN = 1,
	WS_PRESENCE_LEAVE = 2
};

/* A presence change, decoded (spans borrowed from the record). */
typedef struct ws_bus_presence {
	uint8_t op;
	int16_t worker;          /* the owner's slot */
	int16_t fire_on;         /* the slot whose handler reports it; -1: nobody */
	uint64_t node;           /* 0: this node; else the other node's id (a member learnt through Redis) */
	uint64_t conn;
	const char *topic;
	size_t topic_len;
	const char *info;
	size_t info_len;
} ws_bus_presence_t;

#define WS_BUS_PRESENCE_HEAD 24 /* op, pad, worker, fire_on, conn, node, topic length */

typedef struct ws_bus_link ws_bus_link_t;

/* A whole record arrived; payload is borrowed for the call. */
typedef void (*ws_bus_record_cb)(ws_bus_link_t *link, unsigned type, const uint8_t *payload, size_t len);
/* The other end is gone (EOF, error, or a malformed record). */
typedef void (*ws_bus_eof_cb)(ws_bus_link_t *link);

struct ws_bus_link {
	ws_io_t io;
	ws_loop_t *loop;
	int fd;                 /* -1 once closed */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	size_t limit;           /* output bytes held at most; 0: no limit */
	size_t max_record;      /* larger incoming records end the link */
	uint64_t dropped;       /* records not sent because of limit */
	int over;               /* currently dropping (for one warning per episode) */
	int dispatching;
	int closing;
	ws_bus_record_cb on_record;
	ws_bus_eof_cb on_eof;
	void *data;             /* the user's */
};

/*
 * Starts a link on a connected stream socket (made non-blocking here).  The
 * link owns fd from now on.  Returns 0 or -1 (errno).
 */
int ws_bus_link_start(ws_bus_link_t *link, ws_loop_t *loop, int fd, size_t limit, size_t max_record,
	ws_bus_record_cb on_record, ws_bus_eof_cb on_eof, void *data);
/* Stops watching, closes the socket, frees the buffers.  Safe to call twice, and from its callbacks. */
void ws_bus_link_close(ws_bus_link_t *link);
/* Forgets the link without touching the loop (in a forked child: the parent's loop is not ours). */
void ws_bus_link_abandon(ws_bus_link_t *link);

/*
 * Appends one record made of up to three pieces.  Returns 0, or -1 when the
 * link is closed or the record would pass the limit (then it is dropped and
 * counted in link->dropped; link->over is set until the buffer drains).
 */
int ws_bus_send(ws_bus_link_t *link, unsigned type, const void *a, size_t alen,
	const void *b, size_t blen, const void *c, size_t clen);
/* Sends a publication record. */
int ws_bus_send_route(ws_bus_link_t *link, const ws_bus_route_t *r);
/* Writes what the kernel takes; watches for writability while something is left. */
void ws_bus_flush(ws_bus_link_t *link);
/* Bytes waiting to be written. */
size_t ws_bus_pending(const ws_bus_link_t *link);
/* Blocks (poll, at most timeout_ms) until the output buffer is written.  0 if written. */
int ws_bus_drain_sync(ws_bus_link_t *link, int timeout_ms);

/*
 * Blocks (at most timeout_ms) reading and dispatching records until *done
 * becomes non-zero, after writing what is queued.  Not from inside a
 * record callback of the same link.  0 if *done, -1 on timeout, EOF or
 * re-entry.
 */
int ws_bus_wait_sync(ws_bus_link_t *link, int timeout_ms, const int *done);

/* A growable byte buffer for building a record's payload (STATS, CLUSTER). */
typedef struct ws_bus_buf {
	uint8_t *p;
	size_t len, cap;
	int failed;              /* memory ran out: every later put is a no-op; send nothing */
} ws_bus_buf_t;

/* Appends n bytes (doubling the buffer as needed). */
void ws_bus_buf_put(ws_bus_buf_t *b, const void *data, size_t n);
/* Frees the bytes and empties the buffer. */
void ws_bus_buf_free(ws_bus_buf_t *b);

/* Decodes a WS_BUS_ROUTE payload.  Returns 0, or -1 if malformed. */
int ws_bus_route_decode(const uint8_t *p, size_t len, ws_bus_route_t *out);
/* Sends a presence record. */
int ws_bus_send_presence(ws_bus_link_t *link, const ws_bus_presence_t *pr);
/* Decodes a WS_BUS_PRESENCE payload.  Returns 0, or -1 if malformed. */
int ws_bus_presence_decode(const uint8_t *p, size_t len, ws_bus_presence_t *out);

#endif
