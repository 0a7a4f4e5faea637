/*
 * websocket_conn.c - WebSocket\Connection and WebSocket\Request.
 *
 * Both are made by the server only.  A Connection wraps a core connection
 * pointer that the server clears (on_free) when the core lets go of it, so
 * every method works on a closed connection too: it simply reports so.  A
 * Request is writable (respond, setSubprotocol, setHeader) only while its
 * handler runs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "ext/standard/url.h"
#include "zend_smart_str.h"
#include "php_websocket_private.h"
#include "core/ws_frame.h"
#include "core/ws_utf8.h"
#include "core/ws_http_util.h"

zend_class_entry *websocket_connection_ce;
zend_class_entry *websocket_request_ce;
static zend_object_handlers websocket_conn_handlers;
static zend_object_handlers websocket_request_handlers;

/* ------------------------------------------------------------ Connection */

static zend_object *php_websocket_conn_create_object(zend_class_entry *ce)
{
	php_websocket_conn *c = zend_object_alloc(sizeof(php_websocket_conn), ce);
	zend_object_std_init(&c->std, ce);
	object_properties_init(&c->std, ce);
	c->std.handlers = &websocket_conn_handlers;
	c->conn = NULL;
	return &c->std;
}

static void php_websocket_conn_free(zend_object *obj)
{
	php_websocket_conn *c = php_websocket_conn_from_obj(obj);
	/* Freed before its server (a garbage cycle): the core must not release us again. */
	if (c->conn && ws_conn_user(c->conn) == obj) {
		ws_conn_set_user(c->conn, NULL);
	}
	c->conn = NULL;
	zend_object_std_dtor(obj);
}

static zend_function *php_websocket_no_ctor(zend_object *obj)
{
	zend_throw_error(NULL, "Cannot directly construct %s, it is created by WebSocket\\Server", ZSTR_VAL(obj->ce->name));
	return NULL;
}

zend_object *php_websocket_conn_object(ws_conn_t *conn, zval *data)
{
	zend_object *existing = ws_conn_user(conn);
	if (existing) {
		return existing;
	}
	zend_object *obj = php_websocket_conn_create_object(websocket_connection_ce);
	php_websocket_conn *c = php_websocket_conn_from_obj(obj);
	char addr[80];
	size_t alen = ws_conn_remote_address(conn, addr, sizeof(addr));
	c->conn = conn;
	ZVAL_LONG(OBJ_PROP_NUM(obj, PHP_WS_CONN_PROP_ID), (zend_long)ws_conn_id(conn));
	ZVAL_STRINGL(OBJ_PROP_NUM(obj, PHP_WS_CONN_PROP_REMOTE), addr, alen);
	ws_span_t path = ws_conn_path(conn);
	ZVAL_STRINGL_FAST(OBJ_PROP_NUM(obj, PHP_WS_CONN_PROP_PATH), path.ptr, path.len);
	ws_span_t sp = ws_conn_subprotocol(conn);
	if (sp.ptr) {
		ZVAL_STRINGL(OBJ_PROP_NUM(obj, PHP_WS_CONN_PROP_SUBPROTOCOL), sp.ptr, sp.len);
	} else {
		ZVAL_NULL(OBJ_PROP_NUM(obj, PHP_WS_CONN_PROP_SUBPROTOCOL));
	}
	if (data) {
		zval *slot = OBJ_PROP_NUM(obj, PHP_WS_CONN_PROP_DATA);
		zval_ptr_dtor(slot);
		ZVAL_COPY(slot, data);
	}
	ws_conn_set_user(conn, obj);
	return obj;
}

ws_conn_t *php_websocket_conn_core(zval *zconn)
{
	if (zconn == NULL || Z_TYPE_P(zconn) != IS_OBJECT) {
		return NULL;
	}
	return Z_WEBSOCKET_CONN_P(zconn)->conn;
}

ZEND_METHOD(WebSocket_Connection, __construct)
{
	zend_throw_error(NULL, "Cannot directly construct WebSocket\\Connection, it is created by WebSocket\\Server");
}

/* Messages at least this long are queued by reference instead of copied. */
#define PHP_WS_SEND_BY_REFERENCE 16384

static void php_websocket_release_string(void *ctx)
{
	zend_string_release((zend_string *)ctx);
}

ZEND_METHOD(WebSocket_Connection, send)
{
	zend_string *data;
	bool binary = false;
	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(data)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(binary)
	ZEND_PARSE_PARAMETERS_END();
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	if (!binary && !php_websocket_known_utf8(data)
		&& !ws_utf8_valid((const uint8_t *)ZSTR_VAL(data), ZSTR_LEN(data))) {
		zend_argument_value_error(1, "must be valid UTF-8 when sent as text (pass $binary = true for arbitrary bytes)");
		RETURN_THROWS();
	}
	if (conn == NULL) {
		RETURN_LONG(WS_SEND_DROPPED);
	}
	if (ZSTR_LEN(data) >= PHP_WS_SEND_BY_REFERENCE) {
		/* A large string is queued by reference (PHP strings are immutable once shared). */
		RETURN_LONG(ws_conn_send_ref(conn, ZSTR_VAL(data), ZSTR_LEN(data), binary,
			php_websocket_release_string, zend_string_copy(data)));
	}
	RETURN_LONG(ws_conn_send(conn, ZSTR_VAL(data), ZSTR_LEN(data), binary));
}

ZEND_METHOD(WebSocket_Connection, ping)
{
	zend_string *payload = NULL;
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR(payload)
	ZEND_PARSE_PARAMETERS_END();
	if (payload && ZSTR_LEN(payload) > WS_CONTROL_PAYLOAD_MAX) {
		zend_argument_value_error(1, "must be at most %d bytes long", WS_CONTROL_PAYLOAD_MAX);
		RETURN_THROWS();
	}
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	if (conn == NULL) {
		RETURN_FALSE;
	}
	RETURN_BOOL(ws_conn_ping(conn, payload ? ZSTR_VAL(payload) : "", payload ? ZSTR_LEN(payload) : 0));
}

ZEND_METHOD(WebSocket_Connection, close)
{
	zend_long code = WS_CLOSE_NORMAL;
	zend_string *reason = NULL;
	ZEND_PARSE_PARAMETERS_START(0, 2)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(code)
		Z_PARAM_STR(reason)
	ZEND_PARSE_PARAMETERS_END();
	if (code < 0 || code > 65535 || !ws_close_code_is_sendable((unsigned)code)) {
		zend_argument_value_error(1, "must be 1000-1003, 1007-1014 or 3000-4999, " ZEND_LONG_FMT " given", code);
		RETURN_THROWS();
	}
	if (reason && ZSTR_LEN(reason) > WS_CLOSE_REASON_MAX) {
		zend_argument_value_error(2, "must be at most %d bytes long", WS_CLOSE_REASON_MAX);
		RETURN_THROWS();
	}
	if (reason && !ws_utf8_valid((const uint8_t *)ZSTR_VAL(reason), ZSTR_LEN(reason))) {
		zend_argument_value_error(2, "must be valid UTF-8");
		RETURN_THROWS();
	}
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	if (conn) {
		ws_conn_close(conn, (unsigned)code, reason ? ZSTR_VAL(reason) : NULL, reason ? ZSTR_LEN(reason) : 0);
	}
}

ZEND_METHOD(WebSocket_Connection, isOpen)
{
	ZEND_PARSE_PARAMETERS_NONE();
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	RETURN_BOOL(conn && ws_conn_is_open(conn));
}

ZEND_METHOD(WebSocket_Connection, bufferedAmount)
{
	ZEND_PARSE_PARAMETERS_NONE();
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	RETURN_LONG(conn ? (zend_long)ws_conn_buffered_amount(conn) : 0);
}

static bool php_websocket_topic_arg(zend_string *topic)
{
	if (ZSTR_LEN(topic) == 0 || ZSTR_LEN(topic) > WS_TOPIC_MAX) {
		zend_argument_value_error(1, "must be between 1 and %d bytes long", WS_TOPIC_MAX);
		return false;
	}
	return true;
}

ZEND_METHOD(WebSocket_Connection, subscribe)
{
	zend_string *topic;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(topic)
	ZEND_PARSE_PARAMETERS_END();
	if (!php_websocket_topic_arg(topic)) {
		RETURN_THROWS();
	}
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	if (conn == NULL) {
		RETURN_FALSE;
	}
	int r = ws_conn_subscribe(conn, ZSTR_VAL(topic), ZSTR_LEN(topic));
	if (r < 0) {
		zend_throw_exception(websocket_exception_ce, "cannot subscribe: out of memory", 0);
		RETURN_THROWS();
	}
	RETURN_BOOL(r == 1);
}

ZEND_METHOD(WebSocket_Connection, unsubscribe)
{
	zend_string *topic;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(topic)
	ZEND_PARSE_PARAMETERS_END();
	if (!php_websocket_topic_arg(topic)) {
		RETURN_THROWS();
	}
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	RETURN_BOOL(conn && ws_conn_unsubscribe(conn, ZSTR_VAL(topic), ZSTR_LEN(topic)) == 1);
}

static void php_websocket_conn_topic_cb(void *arg, const char *name, size_t len)
{
	add_next_index_stringl((zval *)arg, name, len);
}

ZEND_METHOD(WebSocket_Connection, topics)
{
	ZEND_PARSE_PARAMETERS_NONE();
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	array_init(return_value);
	if (conn) {
		ws_conn_each_topic(conn, php_websocket_conn_topic_cb, return_value);
	}
}

/* ------------------------------------------------------------ Request */

static zend_object *php_websocket_request_create_object(zend_class_entry *ce)
{
	php_websocket_request *r = zend_object_alloc(sizeof(php_websocket_request), ce);
	zend_object_std_init(&r->std, ce);
	object_properties_init(&r->std, ce);
	r->std.handlers = &websocket_request_handlers;
	r->conn = NULL;
	r->mode = PHP_WS_REQ_DONE;
	return &r->std;
}

static void php_websocket_request_free(zend_object *obj)
{
	zend_object_std_dtor(obj);
}

static zend_string *php_websocket_lower(const char *s, size_t len)
{
	zend_string *str = zend_string_alloc(len, 0);
	zend_str_tolower_copy(ZSTR_VAL(str), s, len);
	return str;
}

zend_object *php_websocket_request_create(ws_conn_t *conn, const ws_http_request_t *req,
	const ws_handshake_t *hs, php_websocket_request_mode mode)
{
	zend_object *obj = php_websocket_request_create_object(websocket_request_ce);
	php_websocket_request *r = php_websocket_request_from_obj(obj);
	r->conn = conn;
	r->mode = mode;

	ZVAL_STRINGL_FAST(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_METHOD), req->method.ptr, req->method.len);
	ZVAL_STRINGL_FAST(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_URI), req->target.ptr, req->target.len);
	ZVAL_STRINGL_FAST(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_PATH), req->path.ptr, req->path.len);
	ZVAL_STRINGL_FAST(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_QUERY), req->query.ptr, req->query.len);

	zval headers, cookies;
	array_init_size(&headers, (uint32_t)req->num_headers);
	array_init(&cookies);
	for (size_t i = 0; i < req->num_headers; i++) {
		const ws_http_header_t *h = &req->headers[i];
		zend_string *name = php_websocket_lower(h->name.ptr, h->name.len);
		zval *existing = zend_symtable_find(Z_ARRVAL(headers), name);
		if (existing) {
			/* Repeated fields combine into one comma-separated value (RFC 9110 5.3). */
			zend_string *joined = zend_string_concat3(Z_STRVAL_P(existing), Z_STRLEN_P(existing),
				", ", 2, h->value.ptr, h->value.len);
			zval_ptr_dtor(existing);
			ZVAL_STR(existing, joined);
		} else {
			zval v;
			ZVAL_STRINGL(&v, h->value.ptr, h->value.len);
			zend_symtable_update(Z_ARRVAL(headers), name, &v);
		}
		if (zend_string_equals_literal(name, "cookie")) {
			size_t pos = 0;
			ws_span_t cn, cv;
			while (ws_http_next_cookie(h->value.ptr, h->value.len, &pos, &cn, &cv)) {
				zend_string *key = zend_string_init(cn.ptr, cn.len, 0);
				if (!zend_symtable_exists(Z_ARRVAL(cookies), key)) {
					/* First occurrence wins, as for $_COOKIE; values are URL-decoded likewise. */
					zend_string *val = zend_string_init(cv.ptr, cv.len, 0);
					ZSTR_LEN(val) = php_url_decode(ZSTR_VAL(val), ZSTR_LEN(val));
					zval zv;
					ZVAL_STR(&zv, val);
					zend_symtable_update(Z_ARRVAL(cookies), key, &zv);
				}
				zend_string_release(key);
			}
		}
		zend_string_release(name);
	}
	ZVAL_COPY_VALUE(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_HEADERS), &headers);
	ZVAL_COPY_VALUE(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_COOKIES), &cookies);

	char addr[80];
	size_t alen = ws_conn_remote_address(conn, addr, sizeof(addr));
	ZVAL_STRINGL(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_REMOTE), addr, alen);

	zval protos;
	array_init(&protos);
	if (hs) {
		for (size_t i = 0; i < hs->num_protocols; i++) {
			add_next_index_stringl(&protos, hs->protocols[i].ptr, hs->protocols[i].len);
		}
	}
	ZVAL_COPY_VALUE(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_SUBPROTOCOLS), &protos);

	ZVAL_BOOL(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_SECURE), ws_conn_is_secure(conn));
	char subject[512];
	size_t slen = ws_conn_tls_subject(conn, subject, sizeof(subject));
	if (slen) {
		ZVAL_STRINGL(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_CLIENT_SUBJECT), subject, slen);
	} else {
		ZVAL_NULL(OBJ_PROP_NUM(obj, PHP_WS_REQ_PROP_CLIENT_SUBJECT));
	}
	return obj;
}

void php_websocket_request_finish(zend_object *obj)
{
	php_websocket_request *r = php_websocket_request_from_obj(obj);
	r->conn = NULL;
	r->mode = PHP_WS_REQ_DONE;
}

ZEND_METHOD(WebSocket_Request, __construct)
{
	zend_throw_error(NULL, "Cannot directly construct WebSocket\\Request, it is created by WebSocket\\Server");
}

ZEND_METHOD(WebSocket_Request, header)
{
	zend_string *name;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(name)
	ZEND_PARSE_PARAMETERS_END();
	zval *headers = OBJ_PROP_NUM(Z_OBJ_P(ZEND_THIS), PHP_WS_REQ_PROP_HEADERS);
	if (Z_TYPE_P(headers) != IS_ARRAY) {
		RETURN_NULL();
	}
	zend_string *lower = zend_string_tolower(name);
	zval *v = zend_symtable_find(Z_ARRVAL_P(headers), lower);
	zend_string_release(lower);
	if (v == NULL) {
		RETURN_NULL();
	}
	RETURN_COPY(v);
}

/* The request while its handler runs, or NULL after throwing. */
static php_websocket_request *php_websocket_request_writable(zval *this_zv, const char *method, php_websocket_request_mode need)
{
	php_websocket_request *r = Z_WEBSOCKET_REQUEST_P(this_zv);
	if (r->mode == PHP_WS_REQ_DONE || r->conn == NULL || ws_conn_responded(r->conn)) {
		zend_throw_error(NULL, "WebSocket\\Request::%s() cannot be used after the request was answered or its handler returned", method);
		return NULL;
	}
	if (need != PHP_WS_REQ_DONE && r->mode != need) {
		zend_throw_error(NULL, "WebSocket\\Request::%s() can only be used in a \"handshake\" handler", method);
		return NULL;
	}
	return r;
}

ZEND_METHOD(WebSocket_Request, respond)
{
	zend_long status;
	zend_string *body = NULL;
	HashTable *headers = NULL;
	ZEND_PARSE_PARAMETERS_START(1, 3)
		Z_PARAM_LONG(status)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR(body)
		Z_PARAM_ARRAY_HT(headers)
	ZEND_PARSE_PARAMETERS_END();
	if (status < 200 || status > 599) {
		zend_argument_value_error(1, "must be between 200 and 599");
		RETURN_THROWS();
	}
	smart_str hs = {0};
	if (headers) {
		zend_string *name;
		zval *val;
		ZEND_HASH_FOREACH_STR_KEY_VAL(headers, name, val) {
			if (name == NULL || !ws_http_is_token(ZSTR_VAL(name), ZSTR_LEN(name))) {
				smart_str_free(&hs);
				zend_argument_value_error(3, "must map header names (tokens) to values");
				RETURN_THROWS();
			}
			if (zend_string_equals_literal_ci(name, "content-length") || zend_string_equals_literal_ci(name, "connection")) {
				smart_str_free(&hs);
				zend_argument_value_error(3, "must not set \"%s\": the server sets it", ZSTR_VAL(name));
				RETURN_THROWS();
			}
			zend_string *sv = zval_try_get_string(val);
			if (sv == NULL) {
				smart_str_free(&hs);
				RETURN_THROWS();
			}
			if (!ws_http_is_field_value(ZSTR_VAL(sv), ZSTR_LEN(sv))) {
				zend_string_release(sv);
				smart_str_free(&hs);
				zend_argument_value_error(3, "header \"%s\" must not contain control characters (CR, LF, NUL)", ZSTR_VAL(name));
				RETURN_THROWS();
			}
			smart_str_append(&hs, name);
			smart_str_appendl(&hs, ": ", 2);
			smart_str_append(&hs, sv);
			smart_str_appendl(&hs, "\r\n", 2);
			zend_string_release(sv);
		} ZEND_HASH_FOREACH_END();
	}
	php_websocket_request *r = php_websocket_request_writable(ZEND_THIS, "respond", PHP_WS_REQ_DONE);
	if (r == NULL) {
		smart_str_free(&hs);
		RETURN_THROWS();
	}
	smart_str_0(&hs);
	ws_conn_respond(r->conn, (int)status, hs.s ? ZSTR_VAL(hs.s) : NULL, hs.s ? ZSTR_LEN(hs.s) : 0,
		body ? ZSTR_VAL(body) : "", body ? ZSTR_LEN(body) : 0);
	smart_str_free(&hs);
}

ZEND_METHOD(WebSocket_Request, setSubprotocol)
{
	zend_string *protocol;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(protocol)
	ZEND_PARSE_PARAMETERS_END();
	php_websocket_request *r = php_websocket_request_writable(ZEND_THIS, "setSubprotocol", PHP_WS_REQ_HANDSHAKE);
	if (r == NULL) {
		RETURN_THROWS();
	}
	zval *offered = OBJ_PROP_NUM(&r->std, PHP_WS_REQ_PROP_SUBPROTOCOLS);
	zval *p;
	bool found = false;
	ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(offered), p) {
		if (Z_TYPE_P(p) == IS_STRING && zend_string_equals(Z_STR_P(p), protocol)) {
			found = true;
			break;
		}
	} ZEND_HASH_FOREACH_END();
	if (!found) {
		zend_argument_value_error(1, "must be one of the subprotocols the client offered");
		RETURN_THROWS();
	}
	if (ws_conn_set_subprotocol(r->conn, ZSTR_VAL(protocol), ZSTR_LEN(protocol)) != 0) {
		zend_throw_exception(websocket_exception_ce, "out of memory", 0);
	}
}

ZEND_METHOD(WebSocket_Request, setHeader)
{
	zend_string *name, *value;
	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(name)
		Z_PARAM_STR(value)
	ZEND_PARSE_PARAMETERS_END();
	if (!ws_http_is_token(ZSTR_VAL(name), ZSTR_LEN(name))) {
		zend_argument_value_error(1, "must be a valid header name");
		RETURN_THROWS();
	}
	if (!ws_http_is_field_value(ZSTR_VAL(value), ZSTR_LEN(value))) {
		zend_argument_value_error(2, "must not contain control characters (CR, LF, NUL)");
		RETURN_THROWS();
	}
	static const char *const reserved[] = { "upgrade", "connection", "sec-websocket-accept",
		"sec-websocket-protocol", "sec-websocket-extensions", "content-length" };
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (zend_string_equals_cstr(name, reserved[i], strlen(reserved[i]))
			|| (ZSTR_LEN(name) == strlen(reserved[i]) && zend_binary_strcasecmp(ZSTR_VAL(name), ZSTR_LEN(name), reserved[i], strlen(reserved[i])) == 0)) {
			zend_argument_value_error(1, "must not be \"%s\": the server sets it", ZSTR_VAL(name));
			RETURN_THROWS();
		}
	}
	php_websocket_request *r = php_websocket_request_writable(ZEND_THIS, "setHeader", PHP_WS_REQ_HANDSHAKE);
	if (r == NULL) {
		RETURN_THROWS();
	}
	if (ws_conn_add_response_header(r->conn, ZSTR_VAL(name), ZSTR_LEN(name), ZSTR_VAL(value), ZSTR_LEN(value)) != 0) {
		zend_throw_exception(websocket_exception_ce, "out of memory", 0);
	}
}

/* ------------------------------------------------------------ registration */

void php_websocket_conn_register(void)
{
	websocket_connection_ce->create_object = php_websocket_conn_create_object;
	memcpy(&websocket_conn_handlers, &std_object_handlers, sizeof(zend_object_handlers));
	websocket_conn_handlers.offset = XtOffsetOf(php_websocket_conn, std);
	websocket_conn_handlers.free_obj = php_websocket_conn_free;
	websocket_conn_handlers.clone_obj = NULL;
	websocket_conn_handlers.compare = zend_objects_not_comparable;
	websocket_conn_handlers.get_constructor = php_websocket_no_ctor;

	websocket_request_ce->create_object = php_websocket_request_create_object;
	memcpy(&websocket_request_handlers, &std_object_handlers, sizeof(zend_object_handlers));
	websocket_request_handlers.offset = XtOffsetOf(php_websocket_request, std);
	websocket_request_handlers.free_obj = php_websocket_request_free;
	websocket_request_handlers.clone_obj = NULL;
	websocket_request_handlers.compare = zend_objects_not_comparable;
	websocket_request_handlers.get_constructor = php_websocket_no_ctor;
}
