/*
 * websocket_publisher.c - WebSocket\Publisher: publishing to a cluster's
 * Redis broker from a process that runs no server (PHP-FPM, CLI), and the
 * server's broker counters in stats(true) and clusterStats().  Thin:
 * the URL, the wire format and the Redis calls are the core's
 * (core/ws_broker.c); this file maps arguments in and errors out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "php_websocket_private.h"
#include "core/ws_broker.h"

zend_class_entry *websocket_publisher_ce;
static zend_object_handlers websocket_publisher_handlers;

typedef struct php_websocket_publisher {
	ws_publisher_t *pub;
	zend_object std;
} php_websocket_publisher;

static inline php_websocket_publisher *php_websocket_publisher_from_obj(zend_object *obj)
{
	return (php_websocket_publisher *)((char *)obj - XtOffsetOf(php_websocket_publisher, std));
}

#define Z_WEBSOCKET_PUBLISHER_P(zv) php_websocket_publisher_from_obj(Z_OBJ_P(zv))

static zend_object *php_websocket_publisher_create_object(zend_class_entry *ce)
{
	php_websocket_publisher *p = zend_object_alloc(sizeof(php_websocket_publisher), ce);
	p->pub = NULL;
	zend_object_std_init(&p->std, ce);
	object_properties_init(&p->std, ce);
	p->std.handlers = &websocket_publisher_handlers;
	return &p->std;
}

static void php_websocket_publisher_free(zend_object *obj)
{
	php_websocket_publisher *p = php_websocket_publisher_from_obj(obj);
	ws_publisher_free(p->pub);
	p->pub = NULL;
	zend_object_std_dtor(obj);
}

ZEND_METHOD(WebSocket_Publisher, __construct)
{
	zend_string *url;
	HashTable *opts = NULL;
	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(url)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(opts)
	ZEND_PARSE_PARAMETERS_END();
	php_websocket_publisher *p = Z_WEBSOCKET_PUBLISHER_P(ZEND_THIS);
	if (p->pub) {
		zend_throw_error(NULL, "WebSocket\\Publisher::__construct() cannot be called twice");
		RETURN_THROWS();
	}
	double timeout = 2.0;
	const char *prefix = "ws";
	if (opts) {
		zend_string *key;
		zend_ulong idx;
		zval *v;
		ZEND_HASH_FOREACH_KEY_VAL(opts, idx, key, v) {
			ZVAL_DEREF(v);
			(void)idx;
			if (key == NULL) {
				zend_argument_value_error(2, "must be an array with string keys");
				RETURN_THROWS();
			}
			if (zend_string_equals_literal(key, "timeout")) {
				if (Z_TYPE_P(v) == IS_LONG) {
					timeout = (double)Z_LVAL_P(v);
				} else if (Z_TYPE_P(v) == IS_DOUBLE) {
					timeout = Z_DVAL_P(v);
				} else {
					timeout = -1;
				}
				if (!(timeout >= 0.001 && timeout <= 3600)) {
					zend_argument_value_error(2, "option \"timeout\" must be a number of seconds between 0.001 and 3600");
					RETURN_THROWS();
				}
			} else if (zend_string_equals_literal(key, "prefix")) {
				char err[128];
				if (Z_TYPE_P(v) != IS_STRING || ws_broker_prefix_check(Z_STRVAL_P(v), err, sizeof(err)) != 0
					|| strlen(Z_STRVAL_P(v)) != Z_STRLEN_P(v)) {
					zend_argument_value_error(2, "option \"prefix\" must be 1 to %d letters, digits, '_', '.', ':' or '-'",
						WS_BROKER_PREFIX_MAX);
					RETURN_THROWS();
				}
				prefix = Z_STRVAL_P(v);
			} else {
				zend_argument_value_error(2, "contains unknown option \"%s\"", ZSTR_VAL(key));
				RETURN_THROWS();
			}
		} ZEND_HASH_FOREACH_END();
	}
	char err[300];
	ws_broker_url_t u;
	if (ZSTR_LEN(url) != strlen(ZSTR_VAL(url)) || ws_broker_url_parse(ZSTR_VAL(url), &u, err, sizeof(err)) != 0) {
		zend_argument_value_error(1, "is not a valid broker URL: %s", ZSTR_LEN(url) != strlen(ZSTR_VAL(url)) ? "it contains NUL" : err);
		RETURN_THROWS();
	}
	if (!ws_broker_available()) {
		zend_throw_exception(websocket_exception_ce,
			"WebSocket\\Publisher: the websocket extension was built without Redis support (hiredis)", 0);
		RETURN_THROWS();
	}
	p->pub = ws_publisher_new(ZSTR_VAL(url), prefix, (uint32_t)(timeout * 1000 + 0.5), err, sizeof(err));
	if (p->pub == NULL) {
		zend_throw_exception(websocket_exception_ce, err, 0);
		RETURN_THROWS();
	}
}

static void php_websocket_publisher_send(INTERNAL_FUNCTION_PARAMETERS, php_websocket_publisher *p, ws_bus_route_t *r)
{
	if (p->pub == NULL) {
		zend_throw_error(NULL, "WebSocket\\Publisher object is not initialized");
		RETURN_THROWS();
	}
	char err[400];
	long long n = ws_publisher_send(p->pub, r, err, sizeof(err));
	if (n < 0) {
		zend_throw_exception(websocket_exception_ce, err, 0);
		RETURN_THROWS();
	}
	RETURN_LONG((zend_long)n);
}

ZEND_METHOD(WebSocket_Publisher, publish)
{
	zend_string *topic, *data;
	bool binary = false;
	ZEND_PARSE_PARAMETERS_START(2, 3)
		Z_PARAM_STR(topic)
		Z_PARAM_STR(data)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(binary)
	ZEND_PARSE_PARAMETERS_END();
	if (ZSTR_LEN(topic) == 0 || ZSTR_LEN(topic) > WS_TOPIC_MAX) {
		zend_argument_value_error(1, "must be 1 to %d bytes", WS_TOPIC_MAX);
		RETURN_THROWS();
	}
	ws_bus_route_t r;
	memset(&r, 0, sizeof(r));
	r.kind = WS_ROUTE_PUBLISH;
	r.flags = binary ? WS_ROUTE_BINARY : 0;
	r.origin = -1;
	r.topic = ZSTR_VAL(topic);
	r.topic_len = ZSTR_LEN(topic);
	r.data = ZSTR_VAL(data);
	r.len = ZSTR_LEN(data);
	php_websocket_publisher_send(INTERNAL_FUNCTION_PARAM_PASSTHRU, Z_WEBSOCKET_PUBLISHER_P(ZEND_THIS), &r);
}

ZEND_METHOD(WebSocket_Publisher, broadcast)
{
	zend_string *data;
	bool binary = false;
	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(data)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(binary)
	ZEND_PARSE_PARAMETERS_END();
	ws_bus_route_t r;
	memset(&r, 0, sizeof(r));
	r.kind = WS_ROUTE_BROADCAST;
	r.flags = binary ? WS_ROUTE_BINARY : 0;
	r.origin = -1;
	r.data = ZSTR_VAL(data);
	r.len = ZSTR_LEN(data);
	php_websocket_publisher_send(INTERNAL_FUNCTION_PARAM_PASSTHRU, Z_WEBSOCKET_PUBLISHER_P(ZEND_THIS), &r);
}

void php_websocket_broker_stats(zval *arr, ws_server_t *core)
{
	ws_broker_stats_t bs;
	if (!ws_server_broker_stats(core, &bs)) {
		return;
	}
	zval b;
	array_init(&b);
	add_assoc_bool(&b, "connected", bs.connected != 0);
	add_assoc_long(&b, "published", (zend_long)bs.published);
	add_assoc_long(&b, "received", (zend_long)bs.received);
	add_assoc_long(&b, "dropped", (zend_long)bs.dropped);
	add_assoc_long(&b, "invalid", (zend_long)bs.invalid);
	add_assoc_long(&b, "reconnects", (zend_long)bs.reconnects);
	add_assoc_long(&b, "overflows", (zend_long)bs.overflows);
	add_assoc_long(&b, "channels", (zend_long)bs.channels);
	add_assoc_zval(arr, "broker", &b);
}

void php_websocket_publisher_register(void)
{
	websocket_publisher_ce->create_object = php_websocket_publisher_create_object;
	memcpy(&websocket_publisher_handlers, &std_object_handlers, sizeof(zend_object_handlers));
	websocket_publisher_handlers.offset = XtOffsetOf(php_websocket_publisher, std);
	websocket_publisher_handlers.free_obj = php_websocket_publisher_free;
	websocket_publisher_handlers.clone_obj = NULL;
	websocket_publisher_handlers.compare = zend_objects_not_comparable;
}
