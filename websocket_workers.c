/*
 * websocket_workers.c - WebSocket\Server with workers: what run() does in
 * the supervisor and in a worker, the worker events, and the methods of the
 * multi-process API (workerId, workerCount, sendToWorkers, reload,
 * clusterStats).  The supervisor itself is core/ws_master.c: once it has
 * forked, no PHP code runs in it until every worker is gone.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "php_websocket_private.h"

#define PHP_WS_MAX_INHERITED 64

/* Only the first Server of an exec'd worker takes the inherited sockets. */
static bool php_websocket_env_taken;

zend_result php_websocket_worker_adopt(php_websocket_server *srv, ws_server_t *core)
{
	if (php_websocket_env_taken) {
		return SUCCESS;
	}
	php_websocket_env_taken = true;
	int fds[PHP_WS_MAX_INHERITED];
	size_t n = 0;
	ws_worker_start_t w;
	int r = ws_worker_from_env(&w, fds, PHP_WS_MAX_INHERITED, &n);
	if (r == 0) {
		return SUCCESS;
	}
	if (r < 0) {
		zend_throw_exception(websocket_exception_ce, "malformed WEBSOCKET_WORKER environment variable", 0);
		return FAILURE;
	}
	if (ws_server_adopt_listeners(core, fds, n) != 0) {
		zend_throw_exception(websocket_exception_ce, "out of memory", 0);
		return FAILURE;
	}
	srv->env_worker = w;
	srv->env_bus_fd = w.bus_fd;
	return SUCCESS;
}

static bool php_websocket_attach(php_websocket_server *srv, const ws_worker_start_t *w)
{
	if (ws_server_attach_bus(srv->core, w->bus_fd, w->slot, w->count, w->instance, w->forked) != 0) {
		zend_throw_exception_ex(websocket_exception_ce, errno, "worker %d cannot join the supervisor: %s",
			w->slot, strerror(errno));
		return false;
	}
	srv->worker = true;
	return true;
}

int php_websocket_run_prepare(php_websocket_server *srv)
{
	if (srv->worker) {
		zend_throw_error(NULL, "WebSocket\\Server::run() cannot run a worker twice");
		return 0;
	}
	if (srv->env_bus_fd >= 0) {
		/* Exec'd by a supervisor for a reload: this process is a worker of the new generation. */
		ws_worker_start_t w = srv->env_worker;
		srv->env_bus_fd = -1;
		return php_websocket_attach(srv, &w) ? 1 : 0;
	}
	const ws_server_config_t *cfg = ws_server_config(srv->core);
	if (cfg->workers <= 1) {
		return 1;
	}
	int fds[PHP_WS_MAX_INHERITED];
	size_t n = ws_server_listener_count(srv->core);
	if (n > PHP_WS_MAX_INHERITED) {
		zend_throw_exception_ex(websocket_exception_ce, 0, "at most %d listeners with workers", PHP_WS_MAX_INHERITED);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		fds[i] = ws_server_listener_fd(srv->core, i);
	}
	ws_master_config_t mc;
	memset(&mc, 0, sizeof(mc));
	mc.workers = cfg->workers;
	mc.reload_window_ms = cfg->reload_window_ms;
	mc.bus_buffer = cfg->bus_buffer;
	mc.max_message_size = cfg->max_message_size;
	mc.listen_fds = fds;
	mc.nlisteners = n;
	mc.broker_url = ws_server_broker_url(srv->core);
	mc.broker_prefix = ws_server_broker_prefix(srv->core);
	mc.broker_buffer = ws_server_broker_buffer(srv->core);
	mc.state = ws_server_state(srv->core);
	ws_worker_start_t w;
	char err[256] = "";
	int r = ws_master_run(&mc, &w, err, sizeof(err));
	if (r == 1) {
		return php_websocket_attach(srv, &w) ? 1 : 0;
	}
	if (r < 0) {
		zend_throw_exception(websocket_exception_ce, err, 0);
	}
	return 0;
}

void php_websocket_on_worker_message(ws_server_t *s, const char *data, size_t len, int origin)
{
	php_websocket_server *srv = ws_server_user(s);
	if (Z_TYPE(srv->handlers[PHP_WS_EV_WORKER_MESSAGE].callable) == IS_UNDEF) {
		return;
	}
	zval args[2];
	ZVAL_STRINGL(&args[0], data, len);
	ZVAL_LONG(&args[1], origin);
	php_websocket_fire(srv, PHP_WS_EV_WORKER_MESSAGE, 2, args);
	zval_ptr_dtor(&args[0]);
}

#define PHP_WS_SERVER_FETCH(srv) \
	php_websocket_server *srv = Z_WEBSOCKET_SERVER_P(ZEND_THIS); \
	if (UNEXPECTED(srv->core == NULL)) { \
		zend_throw_error(NULL, "WebSocket\\Server object is not initialized"); \
		RETURN_THROWS(); \
	}

ZEND_METHOD(WebSocket_Server, workerId)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	RETURN_LONG(ws_server_worker_id(srv->core));
}

ZEND_METHOD(WebSocket_Server, workerCount)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	if (srv->worker) {
		RETURN_LONG(ws_server_worker_count(srv->core));
	}
	RETURN_LONG((zend_long)ws_server_config(srv->core)->workers);
}

ZEND_METHOD(WebSocket_Server, sendToWorkers)
{
	zend_string *data;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(data)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (!srv->worker && !ws_server_is_running(srv->core)) {
		zend_throw_error(NULL, "WebSocket\\Server::sendToWorkers() needs a running server (call it from a handler)");
		RETURN_THROWS();
	}
	RETURN_BOOL(ws_server_send_to_workers(srv->core, ZSTR_VAL(data), ZSTR_LEN(data)) == 0);
}

ZEND_METHOD(WebSocket_Server, reload)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	if (!srv->worker) {
		zend_throw_error(NULL, "WebSocket\\Server::reload() needs workers (the \"workers\" option) and a running server");
		RETURN_THROWS();
	}
	ws_server_request_reload(srv->core);
}

typedef struct php_ws_cluster_ctx {
	zval workers;
	zval topics;
	zend_long connections;
} php_ws_cluster_ctx;

static void php_websocket_cluster_worker(void *arg, const ws_cluster_worker_t *w)
{
	php_ws_cluster_ctx *ctx = arg;
	zval one;
	php_websocket_stats_array(&one, &w->stats);
	add_assoc_long(&one, "pid", w->pid);
	add_index_zval(&ctx->workers, w->id, &one);
	ctx->connections += (zend_long)w->stats.connections;
}

static void php_websocket_cluster_topic(void *arg, const char *name, size_t len, size_t subscribers)
{
	php_ws_cluster_ctx *ctx = arg;
	add_assoc_long_ex(&ctx->topics, name, len, (zend_long)subscribers);
}

ZEND_METHOD(WebSocket_Server, clusterStats)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	php_ws_cluster_ctx ctx;
	array_init(&ctx.workers);
	array_init(&ctx.topics);
	ctx.connections = 0;
	ws_server_cluster(srv->core, php_websocket_cluster_worker, php_websocket_cluster_topic, &ctx);
	array_init(return_value);
	add_assoc_long(return_value, "connections", ctx.connections);
	add_assoc_long(return_value, "bus_dropped", (zend_long)ws_server_bus_dropped(srv->core));
	add_assoc_zval(return_value, "workers", &ctx.workers);
	add_assoc_zval(return_value, "topics", &ctx.topics);
	php_websocket_broker_stats(return_value, srv->core);
}
