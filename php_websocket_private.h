/*
 * php_websocket_private.h - what the binding's files share: the object
 * structs wrapping core handles, class entries and the glue helpers.
 * Only the binding includes it; the core never sees a zval.
 */
#ifndef PHP_WEBSOCKET_PRIVATE_H
#define PHP_WEBSOCKET_PRIVATE_H

#include "php.h"
#include "php_websocket.h"
#include "core/ws_server.h"
#include "core/ws_master.h"

typedef enum php_websocket_event {
	PHP_WS_EV_HANDSHAKE = 0,
	PHP_WS_EV_OPEN,
	PHP_WS_EV_MESSAGE,
	PHP_WS_EV_CLOSE,
	PHP_WS_EV_ERROR,
	PHP_WS_EV_REQUEST,
	PHP_WS_EV_DRAIN,
	PHP_WS_EV_WORKER_START,
	PHP_WS_EV_WORKER_STOP,
	PHP_WS_EV_WORKER_MESSAGE,
	PHP_WS_EV_JOIN,
	PHP_WS_EV_LEAVE,
	PHP_WS_EV_COUNT
} php_websocket_event;

/* A registered handler: the callable (kept for GC and to keep it alive) and its resolved cache. */
typedef struct php_websocket_handler {
	zval callable;                 /* IS_UNDEF when not set */
	zend_fcall_info_cache fcc;
	bool use_fci;                  /* trampoline (__call): re-resolve at every call */
} php_websocket_handler;

typedef struct php_websocket_server {
	ws_server_t *core;
	php_websocket_handler handlers[PHP_WS_EV_COUNT];
	HashTable timers;              /* timer id => callable */
	zend_object *pending_request;  /* handshake Request kept for the "open" event */
	bool in_error_handler;
	bool quiet;                    /* exit() in progress: call no more handlers */
	bool worker;                   /* a worker process of a supervisor (websocket_workers.c) */
	int env_bus_fd;                /* exec'd by a supervisor: the bus end to attach in run(), else -1 */
	ws_worker_start_t env_worker;
	zend_string *spare;            /* a short message's string, reused when no handler kept it */
	zend_object std;
} php_websocket_server;

typedef struct php_websocket_conn {
	ws_conn_t *conn;               /* NULL once the core connection is gone */
	zend_object std;
} php_websocket_conn;

typedef enum php_websocket_request_mode {
	PHP_WS_REQ_DONE = 0,           /* handler returned: read-only */
	PHP_WS_REQ_HANDSHAKE,
	PHP_WS_REQ_HTTP
} php_websocket_request_mode;

typedef struct php_websocket_request {
	ws_conn_t *conn;               /* valid while mode != DONE */
	php_websocket_request_mode mode;
	zend_object std;
} php_websocket_request;

/*
 * Known to be valid UTF-8 without a scan: a received text message (the
 * server marks its string) or a string PCRE has validated.  PHP clears the
 * flag whenever a string changes.
 */
static zend_always_inline bool php_websocket_known_utf8(const zend_string *s)
{
#ifdef IS_STR_VALID_UTF8
	return (GC_FLAGS(s) & IS_STR_VALID_UTF8) != 0;
#else
	return false;
#endif
}

static inline php_websocket_server *php_websocket_server_from_obj(zend_object *obj)
{
	return (php_websocket_server *)((char *)obj - XtOffsetOf(php_websocket_server, std));
}
static inline php_websocket_conn *php_websocket_conn_from_obj(zend_object *obj)
{
	return (php_websocket_conn *)((char *)obj - XtOffsetOf(php_websocket_conn, std));
}
static inline php_websocket_request *php_websocket_request_from_obj(zend_object *obj)
{
	return (php_websocket_request *)((char *)obj - XtOffsetOf(php_websocket_request, std));
}
#define Z_WEBSOCKET_SERVER_P(zv)  php_websocket_server_from_obj(Z_OBJ_P(zv))
#define Z_WEBSOCKET_CONN_P(zv)    php_websocket_conn_from_obj(Z_OBJ_P(zv))
#define Z_WEBSOCKET_REQUEST_P(zv) php_websocket_request_from_obj(Z_OBJ_P(zv))

/* Declared property slots, in stub order. */
enum { PHP_WS_CONN_PROP_ID, PHP_WS_CONN_PROP_REMOTE, PHP_WS_CONN_PROP_PATH, PHP_WS_CONN_PROP_SUBPROTOCOL, PHP_WS_CONN_PROP_DATA };
enum { PHP_WS_REQ_PROP_METHOD, PHP_WS_REQ_PROP_URI, PHP_WS_REQ_PROP_PATH, PHP_WS_REQ_PROP_QUERY,
	PHP_WS_REQ_PROP_HEADERS, PHP_WS_REQ_PROP_COOKIES, PHP_WS_REQ_PROP_REMOTE, PHP_WS_REQ_PROP_SUBPROTOCOLS,
	PHP_WS_REQ_PROP_SECURE, PHP_WS_REQ_PROP_CLIENT_SUBJECT, PHP_WS_REQ_PROP_DATA };

extern zend_class_entry *websocket_exception_ce;
extern zend_class_entry *websocket_server_ce;
extern zend_class_entry *websocket_connection_ce;
extern zend_class_entry *websocket_request_ce;
extern zend_class_entry *websocket_publisher_ce;
void php_websocket_publisher_register(void);
/* Adds "broker" => the node's Redis broker counters to arr, if the server has a broker. */
void php_websocket_broker_stats(zval *arr, ws_server_t *core);

/* websocket_server.c */
void php_websocket_server_register(void);
extern const ws_server_handler_t php_websocket_core_handler;

/* websocket_server.c */
/* The stats() array of one set of counters. */
void php_websocket_stats_array(zval *out, const ws_server_stats_t *st);
/* Calls the handler of ev with argc arguments (exceptions routed as for any handler). */
void php_websocket_fire(php_websocket_server *srv, php_websocket_event ev, uint32_t argc, zval *argv);

/* websocket_workers.c */
/*
 * In the constructor: a process exec'd by a supervisor for a reload adopts
 * the listening sockets it inherited (once per process).  FAILURE with an
 * exception thrown.
 */
zend_result php_websocket_worker_adopt(php_websocket_server *srv, ws_server_t *core);
/*
 * The part of run() that decides what this process is.  Returns 1 when the
 * caller should run the event loop as a worker or a single process, 0 when
 * this process was the supervisor and every worker is done (or an exception
 * was thrown).
 */
int php_websocket_run_prepare(php_websocket_server *srv);
void php_websocket_on_worker_message(ws_server_t *s, const char *data, size_t len, int origin);

/* websocket_options.c */
/* Validates the options array into cfg (ValueError naming the key on failure). */
zend_result php_websocket_parse_config(HashTable *opts, ws_server_config_t *cfg);
/* The options that need the core server (subprotocols, allowed_origins, document_root). */
zend_result php_websocket_apply_list_options(HashTable *opts, ws_server_t *core);
/* websocket_presence.c */
zend_result php_websocket_history_option(zval *v, ws_server_t *core);
void php_websocket_on_presence(ws_server_t *s, int join, const char *topic, size_t topic_len, uint64_t conn_id,
	int worker, const char *info, size_t info_len);
/* TLS options of argument arg; *out is NULL for a plain listener.  only_tls: other keys are errors. */
zend_result php_websocket_tls_options(HashTable *opts, uint32_t arg, bool only_tls, ws_tls_ctx_t **out);

/* websocket_metrics.c */
/* The "metrics" option: validated (ValueError naming the key), then the core's endpoint is configured. */
zend_result php_websocket_metrics_option(zval *v, ws_server_t *core);
/* stats(true): appends every other counter of the metrics endpoint to arr. */
void php_websocket_stats_detailed(zval *arr, ws_server_t *core);

/* websocket_conn.c */
void php_websocket_conn_register(void);
/*
 * The Connection object of an open connection, created on first use (an idle
 * connection nobody asked about has none: memory).  data: its initial $data
 * (NULL for null).  The core connection holds the reference.
 */
zend_object *php_websocket_conn_object(ws_conn_t *conn, zval *data);
zend_object *php_websocket_request_create(ws_conn_t *conn, const ws_http_request_t *req,
	const ws_handshake_t *hs, php_websocket_request_mode mode);
/* Ends the request's writable phase (its handler returned). */
void php_websocket_request_finish(zend_object *req);
/* The core connection of a ?Connection argument (NULL for null or a closed connection). */
ws_conn_t *php_websocket_conn_core(zval *zconn);

#endif
