/*
 * websocket_server.c - WebSocket\Server: object handlers, methods, and the glue that
 * turns core events into PHP handler calls.
 *
 * Handler calls go through php_websocket_call(), which keeps the callable
 * alive for the duration of the call (a handler may replace itself with
 * on()), and routes exceptions: to the "error" handler when there is one
 * (closing only the connection concerned), otherwise to ws_server_break()
 * so that run() returns and rethrows.  No handler is called while an
 * exception is pending.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"
#include "php_websocket_private.h"
#include "core/ws_utf8.h"

zend_class_entry *websocket_server_ce;
static zend_object_handlers websocket_server_handlers;

static const char *const php_websocket_event_names[PHP_WS_EV_COUNT] = {
	"handshake", "open", "message", "close", "error", "request", "drain",
	"workerStart", "workerStop", "workerMessage", "join", "leave"
};

/* ------------------------------------------------------------ object handlers */

static zend_object *php_websocket_server_create(zend_class_entry *ce)
{
	php_websocket_server *srv = zend_object_alloc(sizeof(php_websocket_server), ce);
	zend_object_std_init(&srv->std, ce);
	object_properties_init(&srv->std, ce);
	srv->std.handlers = &websocket_server_handlers;
	for (int i = 0; i < PHP_WS_EV_COUNT; i++) {
		ZVAL_UNDEF(&srv->handlers[i].callable);
	}
	zend_hash_init(&srv->timers, 8, NULL, ZVAL_PTR_DTOR, 0);
	srv->env_bus_fd = -1;
	return &srv->std;
}

static void php_websocket_handler_clear(php_websocket_handler *h)
{
	if (Z_TYPE(h->callable) != IS_UNDEF) {
		zval_ptr_dtor(&h->callable);
		ZVAL_UNDEF(&h->callable);
	}
	memset(&h->fcc, 0, sizeof(h->fcc));
	h->use_fci = false;
}

static void php_websocket_server_free(zend_object *obj)
{
	php_websocket_server *srv = php_websocket_server_from_obj(obj);
	if (srv->core) {
		ws_server_timer_clear_all(srv->core, NULL);
		/* Releases every Connection through on_free; no handler runs. */
		ws_server_free(srv->core);
		srv->core = NULL;
	}
	if (srv->pending_request) {
		OBJ_RELEASE(srv->pending_request);
		srv->pending_request = NULL;
	}
	for (int i = 0; i < PHP_WS_EV_COUNT; i++) {
		php_websocket_handler_clear(&srv->handlers[i]);
	}
	zend_hash_destroy(&srv->timers);
	if (srv->spare) {
		zend_string_efree(srv->spare);
		srv->spare = NULL;
	}
	zend_object_std_dtor(&srv->std);
}

static HashTable *php_websocket_server_get_gc(zend_object *obj, zval **table, int *n)
{
	php_websocket_server *srv = php_websocket_server_from_obj(obj);
	zend_get_gc_buffer *buf = zend_get_gc_buffer_create();
	for (int i = 0; i < PHP_WS_EV_COUNT; i++) {
		if (Z_TYPE(srv->handlers[i].callable) != IS_UNDEF) {
			zend_get_gc_buffer_add_zval(buf, &srv->handlers[i].callable);
		}
	}
	zval *zv;
	ZEND_HASH_FOREACH_VAL(&srv->timers, zv) {
		zend_get_gc_buffer_add_zval(buf, zv);
	} ZEND_HASH_FOREACH_END();
	if (srv->pending_request) {
		zend_get_gc_buffer_add_obj(buf, srv->pending_request);
	}
	if (srv->core) {
		for (ws_conn_t *c = ws_server_first_socket(srv->core); c; c = ws_server_next_socket(c)) {
			zend_object *co = ws_conn_user(c);
			if (co) {
				zend_get_gc_buffer_add_obj(buf, co);
			}
		}
	}
	zend_get_gc_buffer_use(buf, table, n);
	return zend_std_get_properties(obj);
}

void php_websocket_server_register(void)
{
	websocket_server_ce->create_object = php_websocket_server_create;
	memcpy(&websocket_server_handlers, &std_object_handlers, sizeof(zend_object_handlers));
	websocket_server_handlers.offset = XtOffsetOf(php_websocket_server, std);
	websocket_server_handlers.free_obj = php_websocket_server_free;
	websocket_server_handlers.get_gc = php_websocket_server_get_gc;
	websocket_server_handlers.clone_obj = NULL;
	websocket_server_handlers.compare = zend_objects_not_comparable;
}

/* ------------------------------------------------------------ calling PHP */

static void php_websocket_handle_exception(php_websocket_server *srv, ws_conn_t *c);

static void php_websocket_call(php_websocket_server *srv, php_websocket_handler *h,
	uint32_t argc, zval *argv, ws_conn_t *c)
{
	if (Z_TYPE(h->callable) == IS_UNDEF || EG(exception) || srv->quiet) {
		return;
	}
	zval callable, rv;
	/* The handler may replace itself (on()) or drop the last reference to its object. */
	ZVAL_COPY(&callable, &h->callable);
	ZVAL_UNDEF(&rv);
	if (!h->use_fci) {
		zend_call_known_function(h->fcc.function_handler, h->fcc.object, h->fcc.called_scope,
			&rv, argc, argv, NULL);
	} else {
		call_user_function(NULL, NULL, &callable, &rv, argc, argv);
	}
	zval_ptr_dtor(&rv);
	zval_ptr_dtor(&callable);
	if (UNEXPECTED(EG(exception))) {
		php_websocket_handle_exception(srv, c);
	}
}

static void php_websocket_handle_exception(php_websocket_server *srv, ws_conn_t *c)
{
	zend_object *ex = EG(exception);
	if (zend_is_unwind_exit(ex) || zend_is_graceful_exit(ex)) {
		/* exit(): leave at once, calling nothing else. */
		srv->quiet = true;
		ws_server_break(srv->core);
		return;
	}
	php_websocket_handler *eh = &srv->handlers[PHP_WS_EV_ERROR];
	if (Z_TYPE(eh->callable) == IS_UNDEF || srv->in_error_handler) {
		/* No error handler (or it threw itself): stop; run() rethrows. */
		ws_server_break(srv->core);
		return;
	}
	GC_ADDREF(ex);
	zend_clear_exception();
	zval args[2];
	ZVAL_OBJ(&args[0], ex);
	zend_object *co = c ? ws_conn_user(c) : NULL;
	if (co) {
		ZVAL_OBJ(&args[1], co);
	} else {
		ZVAL_NULL(&args[1]);
	}
	srv->in_error_handler = true;
	php_websocket_call(srv, eh, 2, args, NULL);
	srv->in_error_handler = false;
	OBJ_RELEASE(ex);
	if (c) {
		if (ws_conn_is_open(c)) {
			ws_conn_close(c, WS_CLOSE_INTERNAL_ERROR, "internal error", 14);
		} else if (!ws_conn_responded(c)) {
			ws_conn_respond(c, 500, NULL, 0, "internal server error\n", 22);
		}
	}
}

void php_websocket_fire(php_websocket_server *srv, php_websocket_event ev, uint32_t argc, zval *argv)
{
	php_websocket_call(srv, &srv->handlers[ev], argc, argv, NULL);
}

/* ------------------------------------------------------------ core callbacks */

static void php_websocket_release_pending(php_websocket_server *srv)
{
	if (srv->pending_request) {
		php_websocket_request_finish(srv->pending_request);
		OBJ_RELEASE(srv->pending_request);
		srv->pending_request = NULL;
	}
}

static bool php_websocket_has(php_websocket_server *srv, php_websocket_event ev)
{
	return Z_TYPE(srv->handlers[ev].callable) != IS_UNDEF;
}

static void php_websocket_on_handshake(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req, const ws_handshake_t *hs)
{
	php_websocket_server *srv = ws_server_user(s);
	php_websocket_release_pending(srv);
	if (!php_websocket_has(srv, PHP_WS_EV_HANDSHAKE) && !php_websocket_has(srv, PHP_WS_EV_OPEN)) {
		return;
	}
	srv->pending_request = php_websocket_request_create(c, req, hs, PHP_WS_REQ_HANDSHAKE);
	if (php_websocket_has(srv, PHP_WS_EV_HANDSHAKE)) {
		zval arg;
		ZVAL_OBJ(&arg, srv->pending_request);
		php_websocket_call(srv, &srv->handlers[PHP_WS_EV_HANDSHAKE], 1, &arg, c);
	}
	if (srv->pending_request) {
		php_websocket_request_finish(srv->pending_request);
	}
	if (ws_conn_responded(c) || EG(exception)) {
		php_websocket_release_pending(srv);
	}
}

static void php_websocket_on_open(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	php_websocket_server *srv = ws_server_user(s);
	if (!srv->pending_request && !php_websocket_has(srv, PHP_WS_EV_OPEN)) {
		/* Nobody needs the Connection object yet: make it when someone does. */
		return;
	}
	zend_object *co = php_websocket_conn_object(c, srv->pending_request
		? OBJ_PROP_NUM(srv->pending_request, PHP_WS_REQ_PROP_DATA) : NULL);
	if (php_websocket_has(srv, PHP_WS_EV_OPEN)) {
		zval args[2];
		ZVAL_OBJ(&args[0], co);
		if (srv->pending_request) {
			ZVAL_OBJ(&args[1], srv->pending_request);
		} else {
			ZVAL_NULL(&args[1]);
		}
		php_websocket_call(srv, &srv->handlers[PHP_WS_EV_OPEN], 2, args, c);
	}
	php_websocket_release_pending(srv);
}

/*
 * A text message has passed the core's UTF-8 validation: say so on its
 * string (the flag PCRE keeps, which PHP clears whenever a string changes),
 * so that sending it back as text does not validate it again.
 */
static zend_always_inline void php_websocket_mark_utf8(zend_string *str, int binary)
{
#ifdef IS_STR_VALID_UTF8
	if (!binary && !ZSTR_IS_INTERNED(str)) {
		GC_ADD_FLAGS(str, IS_STR_VALID_UTF8);
	}
#endif
}

/* Messages up to this length reuse one string (a 256-byte allocation). */
#define PHP_WS_SPARE_LEN (256 - _ZSTR_HEADER_SIZE - 1)

static void php_websocket_on_message(ws_server_t *s, ws_conn_t *c, const char *data, size_t len, int binary)
{
	php_websocket_server *srv = ws_server_user(s);
	php_websocket_handler *h = &srv->handlers[PHP_WS_EV_MESSAGE];
	if (Z_TYPE(h->callable) == IS_UNDEF) {
		return;
	}
	zend_object *co = php_websocket_conn_object(c, NULL);
	zval args[3];
	ZVAL_OBJ(&args[0], co);
	if (len > 1 && len <= PHP_WS_SPARE_LEN) {
		/*
		 * A short message goes into the string the previous one used, when
		 * no handler kept that: no allocation per message.  Its capacity is
		 * PHP_WS_SPARE_LEN whatever its length, which the allocator allows.
		 */
		zend_string *str = srv->spare ? srv->spare : zend_string_alloc(PHP_WS_SPARE_LEN, 0);
		srv->spare = NULL;
		ZSTR_LEN(str) = len;
		zend_string_forget_hash_val(str);
		memcpy(ZSTR_VAL(str), data, len);
		ZSTR_VAL(str)[len] = '\0';
		php_websocket_mark_utf8(str, binary);
		ZVAL_STR(&args[1], str);
		ZVAL_BOOL(&args[2], binary);
		php_websocket_call(srv, h, 3, args, c);
		if (GC_REFCOUNT(str) == 1 && !ZSTR_IS_INTERNED(str) && srv->spare == NULL) {
			srv->spare = str; /* nobody else holds it */
		} else {
			zend_string_release(str);
		}
		return;
	}
	ZVAL_STRINGL_FAST(&args[1], data, len);
	php_websocket_mark_utf8(Z_STR(args[1]), binary);
	ZVAL_BOOL(&args[2], binary);
	php_websocket_call(srv, h, 3, args, c);
	zval_ptr_dtor(&args[1]);
}

/*
 * Large messages: the core writes the payload straight into the zend_string
 * that becomes the handler's argument (one pass over the bytes, no copy).
 */
static void *php_websocket_message_alloc(ws_server_t *s, ws_conn_t *c, size_t len)
{
	php_websocket_server *srv = ws_server_user(s);
	if (Z_TYPE(srv->handlers[PHP_WS_EV_MESSAGE].callable) == IS_UNDEF) {
		return NULL; /* nothing will read it: not worth a string */
	}
	return ZSTR_VAL(zend_string_alloc(len, 0));
}

static zend_string *php_websocket_message_string(void *buf)
{
	return (zend_string *)((char *)buf - XtOffsetOf(zend_string, val));
}

static void php_websocket_message_free(ws_server_t *s, ws_conn_t *c, void *buf)
{
	zend_string_efree(php_websocket_message_string(buf));
}

static void php_websocket_on_message_owned(ws_server_t *s, ws_conn_t *c, void *buf, size_t len, int binary)
{
	php_websocket_server *srv = ws_server_user(s);
	php_websocket_handler *h = &srv->handlers[PHP_WS_EV_MESSAGE];
	zend_string *str = php_websocket_message_string(buf);
	ZEND_ASSERT(ZSTR_LEN(str) == len);
	ZSTR_VAL(str)[len] = '\0';
	if (Z_TYPE(h->callable) == IS_UNDEF) {
		zend_string_efree(str);
		return;
	}
	php_websocket_mark_utf8(str, binary);
	zend_object *co = php_websocket_conn_object(c, NULL);
	zval args[3];
	ZVAL_OBJ(&args[0], co);
	ZVAL_STR(&args[1], str);
	ZVAL_BOOL(&args[2], binary);
	php_websocket_call(srv, h, 3, args, c);
	zval_ptr_dtor(&args[1]);
}

static void php_websocket_on_close(ws_server_t *s, ws_conn_t *c, unsigned code, const char *reason, size_t len)
{
	php_websocket_server *srv = ws_server_user(s);
	if (!php_websocket_has(srv, PHP_WS_EV_CLOSE)) {
		return;
	}
	zend_object *co = php_websocket_conn_object(c, NULL);
	zval args[3];
	ZVAL_OBJ(&args[0], co);
	ZVAL_LONG(&args[1], (zend_long)code);
	ZVAL_STRINGL_FAST(&args[2], reason, len);
	php_websocket_call(srv, &srv->handlers[PHP_WS_EV_CLOSE], 3, args, c);
	zval_ptr_dtor(&args[2]);
}

static void php_websocket_on_drain(ws_server_t *s, ws_conn_t *c)
{
	php_websocket_server *srv = ws_server_user(s);
	if (!php_websocket_has(srv, PHP_WS_EV_DRAIN)) {
		return;
	}
	zend_object *co = php_websocket_conn_object(c, NULL);
	zval arg;
	ZVAL_OBJ(&arg, co);
	php_websocket_call(srv, &srv->handlers[PHP_WS_EV_DRAIN], 1, &arg, c);
}

static int php_websocket_on_http(ws_server_t *s, ws_conn_t *c, const ws_http_request_t *req)
{
	php_websocket_server *srv = ws_server_user(s);
	if (!php_websocket_has(srv, PHP_WS_EV_REQUEST)) {
		return 0;
	}
	zval arg;
	zend_object *ro = php_websocket_request_create(c, req, NULL, PHP_WS_REQ_HTTP);
	ZVAL_OBJ(&arg, ro);
	php_websocket_call(srv, &srv->handlers[PHP_WS_EV_REQUEST], 1, &arg, c);
	php_websocket_request_finish(ro);
	OBJ_RELEASE(ro);
	return 1;
}

static void php_websocket_on_timer(ws_server_t *s, uint64_t id, void *data, int last)
{
	php_websocket_server *srv = ws_server_user(s);
	zval *cb = zend_hash_index_find(&srv->timers, (zend_ulong)id);
	if (cb == NULL) {
		return;
	}
	php_websocket_handler h;
	ZVAL_COPY(&h.callable, cb);
	h.use_fci = true;
	if (last) {
		zend_hash_index_del(&srv->timers, (zend_ulong)id);
	}
	php_websocket_call(srv, &h, 0, NULL, NULL);
	zval_ptr_dtor(&h.callable);
}

static void php_websocket_on_free(ws_server_t *s, ws_conn_t *c)
{
	zend_object *co = ws_conn_user(c);
	if (co) {
		ws_conn_set_user(c, NULL);
		php_websocket_conn_from_obj(co)->conn = NULL;
		OBJ_RELEASE(co);
	}
}

static void php_websocket_on_warning(ws_server_t *s, const char *msg)
{
	php_error_docref(NULL, E_WARNING, "%s", msg);
}

const ws_server_handler_t php_websocket_core_handler = {
	php_websocket_on_handshake,
	php_websocket_on_open,
	php_websocket_on_message,
	NULL, /* on_ping: pings and pongs are handled by the core */
	php_websocket_on_close,
	php_websocket_on_drain,
	php_websocket_on_http,
	php_websocket_on_timer,
	php_websocket_on_free,
	php_websocket_on_warning,
	php_websocket_on_worker_message,
	php_websocket_on_presence,
	php_websocket_message_alloc,
	php_websocket_on_message_owned,
	php_websocket_message_free
};

/* ------------------------------------------------------------ methods */

#define PHP_WS_SERVER_FETCH(srv) \
	php_websocket_server *srv = Z_WEBSOCKET_SERVER_P(ZEND_THIS); \
	if (UNEXPECTED(srv->core == NULL)) { \
		zend_throw_error(NULL, "WebSocket\\Server object is not initialized"); \
		RETURN_THROWS(); \
	}

ZEND_METHOD(WebSocket_Server, __construct)
{
	zend_string *host = NULL;
	zend_long port = 8080;
	HashTable *opts = NULL;
	php_websocket_server *srv = Z_WEBSOCKET_SERVER_P(ZEND_THIS);

	ZEND_PARSE_PARAMETERS_START(0, 3)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR(host)
		Z_PARAM_LONG(port)
		Z_PARAM_ARRAY_HT(opts)
	ZEND_PARSE_PARAMETERS_END();

	if (srv->core) {
		zend_throw_error(NULL, "WebSocket\\Server::__construct() cannot be called twice");
		RETURN_THROWS();
	}
	if (port < 0 || port > 65535) {
		zend_argument_value_error(2, "must be between 0 and 65535");
		RETURN_THROWS();
	}
	if (host && (ZSTR_LEN(host) == 0 || memchr(ZSTR_VAL(host), 0, ZSTR_LEN(host)))) {
		zend_argument_value_error(1, "must be a non-empty address without NUL bytes");
		RETURN_THROWS();
	}
	ws_server_config_t cfg;
	ws_server_config_defaults(&cfg);
	if (opts && php_websocket_parse_config(opts, &cfg) == FAILURE) {
		RETURN_THROWS();
	}
	ws_server_t *core = ws_server_new(&cfg, &php_websocket_core_handler, srv);
	if (core == NULL) {
		zend_throw_exception_ex(websocket_exception_ce, errno, "cannot create the event loop: %s", strerror(errno));
		RETURN_THROWS();
	}
	if (opts && php_websocket_apply_list_options(opts, core) == FAILURE) {
		ws_server_free(core);
		RETURN_THROWS();
	}
	if (php_websocket_worker_adopt(srv, core) == FAILURE) {
		ws_server_free(core);
		RETURN_THROWS();
	}
	ws_tls_ctx_t *tls = NULL;
	if (php_websocket_tls_options(opts, 3, false, &tls) == FAILURE) {
		ws_server_free(core);
		RETURN_THROWS();
	}
	char err[256];
	if (ws_server_listen(core, host ? ZSTR_VAL(host) : "0.0.0.0", (int)port, tls, err, sizeof(err)) != 0) {
		int e = errno;
		ws_tls_ctx_free(tls);
		ws_server_free(core);
		zend_throw_exception(websocket_exception_ce, err, e);
		RETURN_THROWS();
	}
	srv->core = core;
}

ZEND_METHOD(WebSocket_Server, listen)
{
	zend_string *host;
	zend_long port;
	HashTable *opts = NULL;
	ZEND_PARSE_PARAMETERS_START(2, 3)
		Z_PARAM_STR(host)
		Z_PARAM_LONG(port)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(opts)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (ZSTR_LEN(host) == 0 || memchr(ZSTR_VAL(host), 0, ZSTR_LEN(host))) {
		zend_argument_value_error(1, "must be a non-empty address without NUL bytes");
		RETURN_THROWS();
	}
	if (port < 0 || port > 65535) {
		zend_argument_value_error(2, "must be between 0 and 65535");
		RETURN_THROWS();
	}
	ws_tls_ctx_t *tls = NULL;
	if (php_websocket_tls_options(opts, 3, true, &tls) == FAILURE) {
		RETURN_THROWS();
	}
	char err[256];
	if (ws_server_listen(srv->core, ZSTR_VAL(host), (int)port, tls, err, sizeof(err)) != 0) {
		int e = errno;
		ws_tls_ctx_free(tls);
		zend_throw_exception(websocket_exception_ce, err, e);
		RETURN_THROWS();
	}
	RETURN_OBJ_COPY(Z_OBJ_P(ZEND_THIS));
}

ZEND_METHOD(WebSocket_Server, reloadTls)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	char err[512];
	if (ws_server_reload_tls(srv->core, err, sizeof(err)) != 0) {
		zend_throw_exception(websocket_exception_ce, err, 0);
		RETURN_THROWS();
	}
}

ZEND_METHOD(WebSocket_Server, on)
{
	zend_string *event;
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(event)
		Z_PARAM_FUNC(fci, fcc)
	ZEND_PARSE_PARAMETERS_END();
	php_websocket_server *srv = Z_WEBSOCKET_SERVER_P(ZEND_THIS);

	int ev = -1;
	for (int i = 0; i < PHP_WS_EV_COUNT; i++) {
		if (zend_string_equals_cstr(event, php_websocket_event_names[i], strlen(php_websocket_event_names[i]))) {
			ev = i;
			break;
		}
	}
	if (ev < 0) {
		zend_argument_value_error(1, "must be one of \"handshake\", \"open\", \"message\", \"close\", \"error\", "
			"\"request\", \"drain\", \"workerStart\", \"workerStop\", \"workerMessage\", \"join\" or \"leave\"");
		RETURN_THROWS();
	}
	php_websocket_handler *h = &srv->handlers[ev];
	php_websocket_handler_clear(h);
	ZVAL_COPY(&h->callable, &fci.function_name);
	h->fcc = fcc;
	if (fcc.function_handler == NULL || (fcc.function_handler->common.fn_flags & ZEND_ACC_CALL_VIA_TRAMPOLINE)) {
		/*
		 * A __call/__callStatic trampoline cannot be cached: PHP 8.2's ZPP
		 * already released it (function_handler is NULL), and a kept one would
		 * be freed after its first call.  Resolve the callable at every call.
		 */
		zend_release_fcall_info_cache(&fcc);
		memset(&h->fcc, 0, sizeof(h->fcc));
		h->use_fci = true;
	}
	RETURN_OBJ_COPY(Z_OBJ_P(ZEND_THIS));
}

ZEND_METHOD(WebSocket_Server, run)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	if (WEBSOCKET_G(running)) {
		zend_throw_error(NULL, "WebSocket\\Server::run() must not be called recursively (a server is already running)");
		RETURN_THROWS();
	}
	WEBSOCKET_G(running) = true;
	srv->quiet = false;
	GC_ADDREF(&srv->std);
	if (php_websocket_run_prepare(srv)) {
		/* A worker, or a single process: the event loop, between workerStart and workerStop. */
		zval id;
		ZVAL_LONG(&id, ws_server_worker_id(srv->core));
		php_websocket_fire(srv, PHP_WS_EV_WORKER_START, 1, &id);
		int rc = 0, err = 0;
		if (!EG(exception)) {
			rc = ws_server_run(srv->core);
			err = errno;
		}
		if (EG(exception)) {
			/* A handler threw with no "error" handler (or exit()): close everything, then rethrow. */
			zend_exception_save();
			if (srv->quiet) {
				/* exit(): a normal shutdown as far as the clients can tell. */
				ws_server_close_all(srv->core, WS_CLOSE_GOING_AWAY, "server shutting down");
			} else {
				ws_server_close_all(srv->core, WS_CLOSE_INTERNAL_ERROR, "internal error");
			}
			zend_exception_restore();
		} else if (rc != 0) {
			zend_throw_exception_ex(websocket_exception_ce, err, "event loop failed: %s", strerror(err));
		} else {
			php_websocket_fire(srv, PHP_WS_EV_WORKER_STOP, 1, &id);
		}
	}
	php_websocket_release_pending(srv);
	WEBSOCKET_G(running) = false;
	OBJ_RELEASE(&srv->std);
	if (srv->worker && !EG(exception)) {
		/* A worker ends here: the code after run() belongs to the supervisor. */
		zend_throw_unwind_exit();
	}
}

ZEND_METHOD(WebSocket_Server, stop)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	ws_server_stop(srv->core);
}

/* Validates text and fetches the except connection shared by broadcast/publish. */
static bool php_websocket_check_text(uint32_t arg, zend_string *data, bool binary)
{
	if (!binary && !php_websocket_known_utf8(data) && !ws_utf8_valid((const uint8_t *)ZSTR_VAL(data), ZSTR_LEN(data))) {
		zend_argument_value_error(arg, "must be valid UTF-8 when sent as text (pass $binary = true for arbitrary bytes)");
		return false;
	}
	return true;
}

ZEND_METHOD(WebSocket_Server, broadcast)
{
	zend_string *data;
	bool binary = false;
	zval *except = NULL;
	ZEND_PARSE_PARAMETERS_START(1, 3)
		Z_PARAM_STR(data)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(binary)
		Z_PARAM_OBJECT_OF_CLASS_OR_NULL(except, websocket_connection_ce)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (!php_websocket_check_text(1, data, binary)) {
		RETURN_THROWS();
	}
	RETURN_LONG((zend_long)ws_server_broadcast(srv->core, ZSTR_VAL(data), ZSTR_LEN(data), binary,
		php_websocket_conn_core(except)));
}

static bool php_websocket_check_topic(uint32_t arg, zend_string *topic)
{
	if (ZSTR_LEN(topic) == 0 || ZSTR_LEN(topic) > WS_TOPIC_MAX) {
		zend_argument_value_error(arg, "must be between 1 and %d bytes long", WS_TOPIC_MAX);
		return false;
	}
	return true;
}

ZEND_METHOD(WebSocket_Server, publish)
{
	zend_string *topic, *data, *id = NULL;
	bool binary = false;
	zval *except = NULL;
	ZEND_PARSE_PARAMETERS_START(2, 5)
		Z_PARAM_STR(topic)
		Z_PARAM_STR(data)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(binary)
		Z_PARAM_OBJECT_OF_CLASS_OR_NULL(except, websocket_connection_ce)
		Z_PARAM_STR_OR_NULL(id)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (!php_websocket_check_topic(1, topic) || !php_websocket_check_text(2, data, binary)) {
		RETURN_THROWS();
	}
	if (id && (ZSTR_LEN(id) == 0 || ZSTR_LEN(id) > 255)) {
		zend_argument_value_error(5, "must be a message id of 1 to 255 bytes, or null");
		RETURN_THROWS();
	}
	RETURN_LONG((zend_long)ws_server_publish_id(srv->core, ZSTR_VAL(topic), ZSTR_LEN(topic),
		ZSTR_VAL(data), ZSTR_LEN(data), binary, php_websocket_conn_core(except),
		id ? ZSTR_VAL(id) : NULL, id ? ZSTR_LEN(id) : 0));
}

ZEND_METHOD(WebSocket_Server, subscribers)
{
	zend_string *topic;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(topic)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (!php_websocket_check_topic(1, topic)) {
		RETURN_THROWS();
	}
	RETURN_LONG((zend_long)ws_server_subscribers(srv->core, ZSTR_VAL(topic), ZSTR_LEN(topic)));
}

static void php_websocket_topic_cb(void *arg, const char *name, size_t len, size_t subscribers)
{
	add_assoc_long_ex((zval *)arg, name, len, (zend_long)subscribers);
}

ZEND_METHOD(WebSocket_Server, topics)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	array_init(return_value);
	ws_server_each_topic(srv->core, php_websocket_topic_cb, return_value);
}

ZEND_METHOD(WebSocket_Server, connections)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	array_init_size(return_value, (uint32_t)ws_server_count(srv->core));
	for (ws_conn_t *c = ws_server_first(srv->core); c; c = ws_server_next(c)) {
		zval zv;
		ZVAL_OBJ_COPY(&zv, php_websocket_conn_object(c, NULL));
		add_next_index_zval(return_value, &zv);
	}
}

ZEND_METHOD(WebSocket_Server, count)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	RETURN_LONG((zend_long)ws_server_count(srv->core));
}

ZEND_METHOD(WebSocket_Server, getPort)
{
	zend_long idx = 0;
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(idx)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (idx < 0 || (size_t)idx >= ws_server_listener_count(srv->core)) {
		zend_argument_value_error(1, "must be between 0 and %zu (the listeners of this server)", ws_server_listener_count(srv->core) - 1);
		RETURN_THROWS();
	}
	RETURN_LONG(ws_server_port(srv->core, (size_t)idx));
}

static void php_websocket_add_timer(INTERNAL_FUNCTION_PARAMETERS, bool repeat)
{
	zend_long ms;
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_LONG(ms)
		Z_PARAM_FUNC(fci, fcc)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (ms < (repeat ? 1 : 0) || ms > 86400000LL * 365) {
		zend_argument_value_error(1, "must be between %d and 31536000000", repeat ? 1 : 0);
		RETURN_THROWS();
	}
	uint64_t id = ws_server_timer_add(srv->core, (uint64_t)ms, repeat, NULL);
	if (id == 0) {
		zend_throw_exception(websocket_exception_ce, "cannot create timer: out of memory", 0);
		RETURN_THROWS();
	}
	zval cb;
	ZVAL_COPY(&cb, &fci.function_name);
	zend_hash_index_update(&srv->timers, (zend_ulong)id, &cb);
	RETURN_LONG((zend_long)id);
}

ZEND_METHOD(WebSocket_Server, every)
{
	php_websocket_add_timer(INTERNAL_FUNCTION_PARAM_PASSTHRU, true);
}

ZEND_METHOD(WebSocket_Server, after)
{
	php_websocket_add_timer(INTERNAL_FUNCTION_PARAM_PASSTHRU, false);
}

ZEND_METHOD(WebSocket_Server, clearTimer)
{
	zend_long id;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_LONG(id)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (id <= 0) {
		return;
	}
	ws_server_timer_clear(srv->core, (uint64_t)id);
	zend_hash_index_del(&srv->timers, (zend_ulong)id);
}

void php_websocket_stats_array(zval *out, const ws_server_stats_t *st)
{
	array_init(out);
	add_assoc_long(out, "connections", (zend_long)st->connections);
	add_assoc_long(out, "pending", (zend_long)st->pending);
	add_assoc_long(out, "buffered_bytes", (zend_long)st->buffered_bytes);
	add_assoc_long(out, "memory_bytes", (zend_long)st->memory_bytes);
	add_assoc_long(out, "messages_in", (zend_long)st->messages_in);
	add_assoc_long(out, "messages_out", (zend_long)st->messages_out);
	add_assoc_long(out, "bytes_in", (zend_long)st->bytes_in);
	add_assoc_long(out, "bytes_out", (zend_long)st->bytes_out);
	add_assoc_long(out, "accepted", (zend_long)st->accepted);
	add_assoc_long(out, "handshakes_rejected", (zend_long)st->handshakes_rejected);
	zval closes;
	array_init(&closes);
	for (int i = 0; i < 16; i++) {
		if (st->closes_by_code[i]) {
			add_index_long(&closes, 1000 + i, (zend_long)st->closes_by_code[i]);
		}
	}
	if (st->closes_other) {
		add_index_long(&closes, 0, (zend_long)st->closes_other);
	}
	add_assoc_zval(out, "closes", &closes);
}

ZEND_METHOD(WebSocket_Server, stats)
{
	bool detailed = false;
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(detailed)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	ws_server_stats_t st;
	ws_server_get_stats(srv->core, &st);
	php_websocket_stats_array(return_value, &st);
	if (detailed) {
		php_websocket_stats_detailed(return_value, srv->core);
		php_websocket_broker_stats(return_value, srv->core);
	}
}
