/*
 * websocket_presence.c - the PHP side of topic histories, resume and
 * presence: the "history" option, Server::history(), historyEpoch(),
 * presence(), Connection::resume(), join(), leave(), and the "join" and
 * "leave" events.  The state itself lives in the core (core/ws_replica.c,
 * core/ws_state.c); nothing here parses bytes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"

#include "php_websocket_private.h"
#include "core/ws_state.h"

#define HIST_ERR(...) do { zend_argument_value_error(3, __VA_ARGS__); return FAILURE; } while (0)

/* One history limit: an int size, or ["size" => int, "ttl" => int]. */
static zend_result history_limits(const char *what, zval *v, uint32_t *size, uint32_t *ttl)
{
	ZVAL_DEREF(v);
	if (Z_TYPE_P(v) == IS_LONG) {
		if (Z_LVAL_P(v) < 0 || Z_LVAL_P(v) > 10000000) {
			HIST_ERR("option \"history\": %s must be between 0 and 10000000 messages", what);
		}
		*size = (uint32_t)Z_LVAL_P(v);
		return SUCCESS;
	}
	if (Z_TYPE_P(v) != IS_ARRAY) {
		HIST_ERR("option \"history\": %s must be an int or an array with keys \"size\" and \"ttl\", %s given",
			what, zend_zval_type_name(v));
	}
	zend_string *k;
	zval *e;
	ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(v), k, e) {
		ZVAL_DEREF(e);
		if (k == NULL || (!zend_string_equals_literal(k, "size") && !zend_string_equals_literal(k, "ttl"))) {
			HIST_ERR("option \"history\": %s takes only the keys \"size\" and \"ttl\"", what);
		}
		if (Z_TYPE_P(e) != IS_LONG) {
			HIST_ERR("option \"history\": %s[\"%s\"] must be of type int, %s given", what, ZSTR_VAL(k),
				zend_zval_type_name(e));
		}
		bool is_size = zend_string_equals_literal(k, "size");
		zend_long max = is_size ? 10000000 : (zend_long)100 * 365 * 86400;
		if (Z_LVAL_P(e) < 0 || Z_LVAL_P(e) > max) {
			HIST_ERR("option \"history\": %s[\"%s\"] must be between 0 and " ZEND_LONG_FMT, what, ZSTR_VAL(k), max);
		}
		*(is_size ? size : ttl) = (uint32_t)Z_LVAL_P(e);
	} ZEND_HASH_FOREACH_END();
	return SUCCESS;
}

/*
 * "history" => 50, or ["size" => 50, "ttl" => 300, "topics" => ["room:*" => 100,
 * "news" => ["size" => 1000, "ttl" => 86400]]].  Rules are tried in order.
 */
zend_result php_websocket_history_option(zval *v, ws_server_t *core)
{
	ZVAL_DEREF(v);
	if (Z_TYPE_P(v) == IS_NULL) {
		return SUCCESS;
	}
	uint32_t size = 0, ttl = 0;
	if (Z_TYPE_P(v) == IS_LONG) {
		if (history_limits("the size", v, &size, &ttl) == FAILURE) {
			return FAILURE;
		}
		ws_server_history_default(core, size, 0);
		return SUCCESS;
	}
	if (Z_TYPE_P(v) != IS_ARRAY) {
		HIST_ERR("option \"history\" must be an int, an array or null, %s given", zend_zval_type_name(v));
	}
	zend_string *k;
	zval *e;
	ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(v), k, e) {
		ZVAL_DEREF(e);
		if (k == NULL) {
			HIST_ERR("option \"history\" takes the keys \"size\", \"ttl\" and \"topics\"");
		}
		if (zend_string_equals_literal(k, "size") || zend_string_equals_literal(k, "ttl")) {
			continue; /* read below, together */
		}
		if (!zend_string_equals_literal(k, "topics")) {
			HIST_ERR("option \"history\" takes the keys \"size\", \"ttl\" and \"topics\", not \"%s\"", ZSTR_VAL(k));
		}
		if (Z_TYPE_P(e) != IS_ARRAY) {
			HIST_ERR("option \"history\": \"topics\" must be an array of topic or \"prefix*\" => limits");
		}
	} ZEND_HASH_FOREACH_END();
	zval top;
	array_init(&top);
	zval *sz = zend_hash_str_find(Z_ARRVAL_P(v), "size", 4), *tt = zend_hash_str_find(Z_ARRVAL_P(v), "ttl", 3);
	if (sz) {
		Z_TRY_ADDREF_P(sz);
		add_assoc_zval(&top, "size", sz);
	}
	if (tt) {
		Z_TRY_ADDREF_P(tt);
		add_assoc_zval(&top, "ttl", tt);
	}
	zend_result r = history_limits("the default", &top, &size, &ttl);
	zval_ptr_dtor(&top);
	if (r == FAILURE) {
		return FAILURE;
	}
	ws_server_history_default(core, size, ttl);
	zval *topics = zend_hash_str_find_deref(Z_ARRVAL_P(v), "topics", 6);
	if (topics == NULL) {
		return SUCCESS;
	}
	ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(topics), k, e) {
		if (k == NULL || ZSTR_LEN(k) == 0 || ZSTR_LEN(k) > WS_TOPIC_MAX) {
			HIST_ERR("option \"history\": each key of \"topics\" must be a topic or a \"prefix*\" of 1 to %d bytes",
				WS_TOPIC_MAX);
		}
		uint32_t tsize = 0, tttl = 0;
		char what[WS_TOPIC_MAX + 32];
		snprintf(what, sizeof(what), "\"topics\"[\"%s\"]", ZSTR_VAL(k));
		if (history_limits(what, e, &tsize, &tttl) == FAILURE) {
			return FAILURE;
		}
		if (ws_server_history_rule(core, ZSTR_VAL(k), ZSTR_LEN(k), tsize, tttl) != 0) {
			zend_throw_exception(websocket_exception_ce, "out of memory", 0);
			return FAILURE;
		}
	} ZEND_HASH_FOREACH_END();
	return SUCCESS;
}

#define PHP_WS_SERVER_FETCH(srv) \
	php_websocket_server *srv = Z_WEBSOCKET_SERVER_P(ZEND_THIS); \
	if (UNEXPECTED(srv->core == NULL)) { \
		zend_throw_error(NULL, "WebSocket\\Server object is not initialized"); \
		RETURN_THROWS(); \
	}

static bool topic_ok(uint32_t arg, zend_string *topic)
{
	if (ZSTR_LEN(topic) == 0 || ZSTR_LEN(topic) > WS_TOPIC_MAX) {
		zend_argument_value_error(arg, "must be between 1 and %d bytes long", WS_TOPIC_MAX);
		return false;
	}
	return true;
}

static void history_entry_cb(void *arg, const ws_history_entry_t *e)
{
	zval row;
	array_init_size(&row, 5);
	if (e->id_len) {
		add_assoc_stringl(&row, "id", WS_HISTORY_ENTRY_ID(e), e->id_len);
	} else {
		add_assoc_null(&row, "id");
	}
	add_assoc_stringl(&row, "data", WS_HISTORY_ENTRY_DATA(e), e->len);
	add_assoc_bool(&row, "binary", e->binary);
	add_assoc_long(&row, "seq", (zend_long)e->seq);
	add_assoc_double(&row, "time", (double)e->time_ms / 1000.0);
	add_next_index_zval((zval *)arg, &row);
}

ZEND_METHOD(WebSocket_Server, history)
{
	zend_string *topic;
	zend_long limit = 0;
	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(topic)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(limit)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (!topic_ok(1, topic)) {
		RETURN_THROWS();
	}
	if (limit < 0) {
		zend_argument_value_error(2, "must be 0 (all) or more");
		RETURN_THROWS();
	}
	array_init(return_value);
	ws_server_history(srv->core, ZSTR_VAL(topic), ZSTR_LEN(topic), (size_t)limit, history_entry_cb, return_value);
}

ZEND_METHOD(WebSocket_Server, historyEpoch)
{
	zend_string *topic = NULL;
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(topic)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (topic == NULL) {
		RETURN_STRING(ws_server_epoch(srv->core));
	}
	if (!topic_ok(1, topic)) {
		RETURN_THROWS();
	}
	RETURN_STRING(ws_server_history_epoch(srv->core, ZSTR_VAL(topic), ZSTR_LEN(topic)));
}

ZEND_METHOD(WebSocket_Server, nodeId)
{
	ZEND_PARSE_PARAMETERS_NONE();
	PHP_WS_SERVER_FETCH(srv);
	RETURN_STRING(ws_server_node(srv->core));
}

typedef struct members_ctx {
	zval *list;
	const char *node;              /* ours */
} members_ctx_t;

static void member_cb(void *arg, const ws_member_t *m)
{
	members_ctx_t *x = arg;
	zval row;
	array_init_size(&row, 4);
	add_assoc_long(&row, "id", (zend_long)m->conn);
	add_assoc_stringl(&row, "info", m->info, m->info_len);
	add_assoc_long(&row, "worker", m->worker);
	if (m->node == 0) {
		add_assoc_string(&row, "node", x->node);
	} else {
		char hex[17];
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)m->node);
		add_assoc_string(&row, "node", hex);
	}
	add_next_index_zval(x->list, &row);
}

ZEND_METHOD(WebSocket_Server, presence)
{
	zend_string *topic;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(topic)
	ZEND_PARSE_PARAMETERS_END();
	PHP_WS_SERVER_FETCH(srv);
	if (!topic_ok(1, topic)) {
		RETURN_THROWS();
	}
	array_init(return_value);
	members_ctx_t x = { return_value, ws_server_node(srv->core) };
	ws_server_presence(srv->core, ZSTR_VAL(topic), ZSTR_LEN(topic), member_cb, &x);
}

ZEND_METHOD(WebSocket_Connection, resume)
{
	zend_string *topic, *since, *epoch = NULL;
	ZEND_PARSE_PARAMETERS_START(2, 3)
		Z_PARAM_STR(topic)
		Z_PARAM_STR(since)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(epoch)
	ZEND_PARSE_PARAMETERS_END();
	if (!topic_ok(1, topic)) {
		RETURN_THROWS();
	}
	if (ZSTR_LEN(since) == 0 || ZSTR_LEN(since) > WS_HISTORY_ID_MAX) {
		zend_argument_value_error(2, "must be a message id of 1 to %d bytes", WS_HISTORY_ID_MAX);
		RETURN_THROWS();
	}
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	long n = conn ? ws_conn_resume(conn, ZSTR_VAL(topic), ZSTR_LEN(topic), ZSTR_VAL(since), ZSTR_LEN(since),
		epoch ? ZSTR_VAL(epoch) : NULL, epoch ? ZSTR_LEN(epoch) : 0) : -2;
	if (n == -2) {
		zend_throw_exception(websocket_exception_ce, "cannot resume: the connection is closed", 0);
		RETURN_THROWS();
	}
	if (n == -3) {
		zend_throw_exception(websocket_exception_ce, "cannot resume: out of memory", 0);
		RETURN_THROWS();
	}
	if (n < 0) {
		RETURN_NULL();
	}
	RETURN_LONG((zend_long)n);
}

ZEND_METHOD(WebSocket_Connection, join)
{
	zend_string *topic, *info = NULL;
	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(topic)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR(info)
	ZEND_PARSE_PARAMETERS_END();
	if (!topic_ok(1, topic)) {
		RETURN_THROWS();
	}
	if (info && ZSTR_LEN(info) > WS_PRESENCE_INFO_MAX) {
		zend_argument_value_error(2, "must be at most %d bytes", WS_PRESENCE_INFO_MAX);
		RETURN_THROWS();
	}
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	if (conn == NULL || !ws_conn_is_open(conn)) {
		zend_throw_exception(websocket_exception_ce, "cannot join: the connection is closed", 0);
		RETURN_THROWS();
	}
	int r = ws_conn_join(conn, ZSTR_VAL(topic), ZSTR_LEN(topic), info ? ZSTR_VAL(info) : "", info ? ZSTR_LEN(info) : 0);
	if (r < 0) {
		zend_throw_exception(websocket_exception_ce, "cannot join: out of memory", 0);
		RETURN_THROWS();
	}
	RETURN_BOOL(r == 1);
}

ZEND_METHOD(WebSocket_Connection, leave)
{
	zend_string *topic;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(topic)
	ZEND_PARSE_PARAMETERS_END();
	if (!topic_ok(1, topic)) {
		RETURN_THROWS();
	}
	ws_conn_t *conn = Z_WEBSOCKET_CONN_P(ZEND_THIS)->conn;
	RETURN_BOOL(conn && ws_conn_leave(conn, ZSTR_VAL(topic), ZSTR_LEN(topic)) == 1);
}

/* The core reports a presence change: fire "join" or "leave". */
void php_websocket_on_presence(ws_server_t *s, int join, const char *topic, size_t topic_len, uint64_t conn_id,
	int worker, const char *info, size_t info_len)
{
	php_websocket_server *srv = ws_server_user(s);
	php_websocket_event ev = join ? PHP_WS_EV_JOIN : PHP_WS_EV_LEAVE;
	if (Z_TYPE(srv->handlers[ev].callable) == IS_UNDEF) {
		return;
	}
	zval args[4];
	ZVAL_STRINGL(&args[0], topic, topic_len);
	ZVAL_LONG(&args[1], (zend_long)conn_id);
	ZVAL_STRINGL(&args[2], info, info_len);
	ZVAL_LONG(&args[3], worker);
	php_websocket_fire(srv, ev, 4, args);
	zval_ptr_dtor(&args[0]);
	zval_ptr_dtor(&args[2]);
}
