/*
 * websocket_metrics.c - the binding's side of metrics: the "metrics" option
 * (validated, then handed to the core's endpoint) and stats(true), which
 * reads the same counters the endpoint renders.  The endpoint itself, its
 * access control and the rendering are in the core (core/ws_metrics*.c):
 * nothing here parses a request or formats an exposition.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"
#include "php_websocket_private.h"
#include "core/ws_metrics.h"
#include "core/ws_metrics_http.h"

#define METRICS_ERR(...) do { zend_argument_value_error(3, __VA_ARGS__); goto fail; } while (0)

static bool metrics_string(zval *v, const char *name, zend_string **out)
{
	if (v == NULL || Z_TYPE_P(v) == IS_NULL) {
		*out = NULL;
		return true;
	}
	if (Z_TYPE_P(v) != IS_STRING) {
		zend_argument_value_error(3, "option \"metrics[%s]\" must be of type string, %s given", name, zend_zval_type_name(v));
		return false;
	}
	*out = Z_STR_P(v);
	return true;
}

/*
 * "metrics" => null | false            off (the default)
 *            | true                    "/metrics" on the server's own listeners
 *            | "/path"                 that path on the server's own listeners
 *            | ["path" => "/path", "listen" => "host:port", "allow" => [cidr, ...], "token" => "secret"]
 */
zend_result php_websocket_metrics_option(zval *v, ws_server_t *core)
{
	ws_metrics_endpoint_config_t cfg;
	ws_cidr_t *allow = NULL;
	char host[256];
	memset(&cfg, 0, sizeof(cfg));
	ZVAL_DEREF(v);
	if (Z_TYPE_P(v) == IS_NULL || Z_TYPE_P(v) == IS_FALSE) {
		return SUCCESS;
	}
	if (Z_TYPE_P(v) == IS_STRING) {
		cfg.path = Z_STRVAL_P(v);
		cfg.path_len = Z_STRLEN_P(v);
		if (!ws_metrics_path_valid(cfg.path, cfg.path_len)) {
			METRICS_ERR("option \"metrics\" must be a path starting with \"/\" (visible ASCII, no \"?\" or \"#\", "
				"at most %d bytes), \"%s\" given", WS_METRICS_PATH_MAX, Z_STRVAL_P(v));
		}
	} else if (Z_TYPE_P(v) == IS_ARRAY) {
		zend_string *key, *path = NULL, *listen = NULL, *token = NULL;
		zend_ulong idx;
		zval *item, *list = NULL;
		ZEND_HASH_FOREACH_KEY_VAL(Z_ARRVAL_P(v), idx, key, item) {
			ZVAL_DEREF(item);
			if (key == NULL) {
				METRICS_ERR("option \"metrics\" must be an array with string keys, found index " ZEND_ULONG_FMT, idx);
			} else if (zend_string_equals_literal(key, "path")) {
				if (!metrics_string(item, "path", &path)) {
					goto fail;
				}
			} else if (zend_string_equals_literal(key, "listen")) {
				if (!metrics_string(item, "listen", &listen)) {
					goto fail;
				}
			} else if (zend_string_equals_literal(key, "token")) {
				if (Z_TYPE_P(item) != IS_NULL && Z_TYPE_P(item) != IS_STRING) {
					METRICS_ERR("option \"metrics[token]\" must be a string of visible ASCII characters, %s given",
						zend_zval_type_name(item));
				}
				token = Z_TYPE_P(item) == IS_STRING ? Z_STR_P(item) : NULL;
			} else if (zend_string_equals_literal(key, "allow")) {
				list = item;
			} else {
				METRICS_ERR("option \"metrics\" contains unknown key \"%s\" (path, listen, allow, token)", ZSTR_VAL(key));
			}
		} ZEND_HASH_FOREACH_END();
		if (path) {
			cfg.path = ZSTR_VAL(path);
			cfg.path_len = ZSTR_LEN(path);
			if (!ws_metrics_path_valid(cfg.path, cfg.path_len)) {
				METRICS_ERR("option \"metrics[path]\" must be a path starting with \"/\" (visible ASCII, no \"?\" or \"#\", "
					"at most %d bytes), \"%s\" given", WS_METRICS_PATH_MAX, ZSTR_VAL(path));
			}
		}
		if (token) {
			if (!ws_metrics_token_valid(ZSTR_VAL(token), ZSTR_LEN(token))) {
				METRICS_ERR("option \"metrics[token]\" must be 1 to %d visible ASCII characters", WS_METRICS_TOKEN_MAX);
			}
			cfg.token = ZSTR_VAL(token);
			cfg.token_len = ZSTR_LEN(token);
		}
		if (listen) {
			if (ws_metrics_parse_hostport(ZSTR_VAL(listen), ZSTR_LEN(listen), host, sizeof(host), &cfg.listen_port) != 0) {
				METRICS_ERR("option \"metrics[listen]\" must be \"host:port\" or \"[IPv6 address]:port\" with a port "
					"from 1 to 65535, \"%s\" given", ZSTR_VAL(listen));
			}
			cfg.listen_host = host;
		}
		if (list && Z_TYPE_P(list) != IS_NULL) {
			if (Z_TYPE_P(list) == IS_STRING) {
				allow = emalloc(sizeof(*allow));
				if (ws_cidr_parse(Z_STRVAL_P(list), Z_STRLEN_P(list), &allow[0]) != 0) {
					METRICS_ERR("option \"metrics[allow]\" must list IP addresses or CIDR blocks "
						"(\"10.0.0.0/8\", \"::1\"), \"%s\" is not one", Z_STRVAL_P(list));
				}
				cfg.nallow = 1;
			} else if (Z_TYPE_P(list) == IS_ARRAY) {
				uint32_t n = zend_hash_num_elements(Z_ARRVAL_P(list));
				if (n == 0 || n > WS_METRICS_ALLOW_MAX) {
					METRICS_ERR("option \"metrics[allow]\" must list 1 to %d IP addresses or CIDR blocks", WS_METRICS_ALLOW_MAX);
				}
				allow = safe_emalloc(n, sizeof(*allow), 0);
				ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(list), item) {
					ZVAL_DEREF(item);
					if (Z_TYPE_P(item) != IS_STRING) {
						METRICS_ERR("option \"metrics[allow]\" must list IP addresses or CIDR blocks as strings, %s given",
							zend_zval_type_name(item));
					}
					if (ws_cidr_parse(Z_STRVAL_P(item), Z_STRLEN_P(item), &allow[cfg.nallow]) != 0) {
						METRICS_ERR("option \"metrics[allow]\" must list IP addresses or CIDR blocks "
							"(\"10.0.0.0/8\", \"::1\"), \"%s\" is not one", Z_STRVAL_P(item));
					}
					cfg.nallow++;
				} ZEND_HASH_FOREACH_END();
			} else {
				METRICS_ERR("option \"metrics[allow]\" must be a list of IP addresses or CIDR blocks, %s given",
					zend_zval_type_name(list));
			}
			cfg.allow = allow;
		}
	} else if (Z_TYPE_P(v) != IS_TRUE) {
		METRICS_ERR("option \"metrics\" must be a path, an array, a bool or null, %s given", zend_zval_type_name(v));
	}
	char err[256];
	if (ws_server_set_metrics_endpoint(core, &cfg, err, sizeof(err)) != 0) {
		int e = errno;
		if (allow) {
			efree(allow);
		}
		zend_throw_exception_ex(websocket_exception_ce, e, "metrics endpoint: %s", err);
		return FAILURE;
	}
	if (allow) {
		efree(allow);
	}
	return SUCCESS;
fail:
	if (allow) {
		efree(allow);
	}
	return FAILURE;
}

/* ------------------------------------------------------------ stats(true) */

static void add_nonzero_table(zval *arr, const char *name, const uint64_t *v, size_t n, const int *keys)
{
	zval t;
	array_init(&t);
	for (size_t i = 0; i < n; i++) {
		if (v[i]) {
			add_index_long(&t, keys[i], (zend_long)v[i]);
		}
	}
	add_assoc_zval(arr, name, &t);
}

static void add_timing(zval *arr, const char *name, const ws_metrics_hist_t *h)
{
	zval t;
	uint64_t count = 0;
	for (int i = 0; i <= WS_METRICS_BUCKETS; i++) {
		count += h->bucket[i];
	}
	array_init(&t);
	add_assoc_long(&t, "count", (zend_long)count);
	add_assoc_double(&t, "sum", (double)h->sum_ns / 1e9);
	add_assoc_zval(arr, name, &t);
}

/* Appends to the array stats() built every other counter the metrics endpoint renders. */
void php_websocket_stats_detailed(zval *arr, ws_server_t *core)
{
	const ws_metrics_t *m = ws_server_metrics(core);
	static const int status_keys[WS_MST_COUNT] = { 400, 401, 403, 404, 405, 408, 413, 426, 429, 431, 500, 503, 0 };
	int code_keys[WS_METRICS_CLOSE_CODES];
	for (int i = 0; i < 16; i++) {
		code_keys[i] = 1000 + i;
	}
	code_keys[16] = 0;

	add_assoc_long(arr, "opened", (zend_long)m->connections_opened);
	add_nonzero_table(arr, "handshakes_refused", m->handshakes_refused, WS_MST_COUNT, status_keys);
	zval sides;
	array_init(&sides);
	add_nonzero_table(&sides, "peer", m->closes[WS_MSIDE_PEER], WS_METRICS_CLOSE_CODES, code_keys);
	add_nonzero_table(&sides, "server", m->closes[WS_MSIDE_SERVER], WS_METRICS_CLOSE_CODES, code_keys);
	add_assoc_zval(arr, "closes_by_side", &sides);

	static const struct { const char *key; size_t off; } plain[] = {
		{ "messages_in_text", offsetof(ws_metrics_t, messages_received[WS_MT_TEXT]) },
		{ "messages_in_binary", offsetof(ws_metrics_t, messages_received[WS_MT_BINARY]) },
		{ "messages_out_text", offsetof(ws_metrics_t, messages_sent[WS_MT_TEXT]) },
		{ "messages_out_binary", offsetof(ws_metrics_t, messages_sent[WS_MT_BINARY]) },
		{ "payload_in_text", offsetof(ws_metrics_t, received_bytes[WS_MT_TEXT]) },
		{ "payload_in_binary", offsetof(ws_metrics_t, received_bytes[WS_MT_BINARY]) },
		{ "payload_out_text", offsetof(ws_metrics_t, sent_bytes[WS_MT_TEXT]) },
		{ "payload_out_binary", offsetof(ws_metrics_t, sent_bytes[WS_MT_BINARY]) },
		{ "bytes_written", offsetof(ws_metrics_t, written_bytes) },
		{ "pings_in", offsetof(ws_metrics_t, pings_received) },
		{ "pings_out", offsetof(ws_metrics_t, pings_sent) },
		{ "pongs_in", offsetof(ws_metrics_t, pongs_received) },
		{ "pongs_out", offsetof(ws_metrics_t, pongs_sent) },
		{ "backpressure_queued", offsetof(ws_metrics_t, backpressure[WS_MBP_QUEUED]) },
		{ "backpressure_paused", offsetof(ws_metrics_t, backpressure[WS_MBP_PAUSED]) },
		{ "backpressure_dropped", offsetof(ws_metrics_t, backpressure[WS_MBP_DROPPED]) },
		{ "backpressure_closed", offsetof(ws_metrics_t, backpressure[WS_MBP_CLOSED]) },
		{ "memory_shed_closed", offsetof(ws_metrics_t, memory_sheds[WS_MSHED_CLOSED]) },
		{ "memory_shed_dropped", offsetof(ws_metrics_t, memory_sheds[WS_MSHED_DROPPED]) },
		{ "memory_limit", offsetof(ws_metrics_t, memory_limit_bytes) },
		{ "tls_handshakes", offsetof(ws_metrics_t, tls_handshakes) },
		{ "tls_failures", offsetof(ws_metrics_t, tls_failures[WS_MTLS_ERROR]) },
		{ "tls_timeouts", offsetof(ws_metrics_t, tls_failures[WS_MTLS_TIMEOUT]) },
		{ "deflate_in", offsetof(ws_metrics_t, compression_bytes[WS_MDIR_SENT][WS_MFORM_UNCOMPRESSED]) },
		{ "deflate_out", offsetof(ws_metrics_t, compression_bytes[WS_MDIR_SENT][WS_MFORM_COMPRESSED]) },
		{ "inflate_in", offsetof(ws_metrics_t, compression_bytes[WS_MDIR_RECEIVED][WS_MFORM_COMPRESSED]) },
		{ "inflate_out", offsetof(ws_metrics_t, compression_bytes[WS_MDIR_RECEIVED][WS_MFORM_UNCOMPRESSED]) },
		{ "publications", offsetof(ws_metrics_t, publications[WS_MFAN_PUBLISH]) },
		{ "broadcasts", offsetof(ws_metrics_t, publications[WS_MFAN_BROADCAST]) },
		{ "publish_deliveries", offsetof(ws_metrics_t, deliveries[WS_MFAN_PUBLISH]) },
		{ "broadcast_deliveries", offsetof(ws_metrics_t, deliveries[WS_MFAN_BROADCAST]) },
		{ "topics", offsetof(ws_metrics_t, topics) },
		{ "subscriptions", offsetof(ws_metrics_t, subscriptions) },
		{ "history_entries", offsetof(ws_metrics_t, history_entries) },
		{ "broker_configured", offsetof(ws_metrics_t, broker_configured) },
		{ "broker_connected", offsetof(ws_metrics_t, broker_connected) },
		{ "broker_reconnects", offsetof(ws_metrics_t, broker_reconnects) },
		{ "broker_messages_lost", offsetof(ws_metrics_t, broker_messages_lost) },
		{ "metrics_scrapes_text", offsetof(ws_metrics_t, scrapes[WS_MSCRAPE_TEXT]) },
		{ "metrics_scrapes_openmetrics", offsetof(ws_metrics_t, scrapes[WS_MSCRAPE_OPENMETRICS]) },
		{ "metrics_refused", offsetof(ws_metrics_t, scrapes[WS_MSCRAPE_REFUSED]) },
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		uint64_t val;
		memcpy(&val, (const char *)m + plain[i].off, sizeof(val));
		add_assoc_long(arr, plain[i].key, (zend_long)val);
	}

	static const char *const events[WS_MEV_COUNT] = {
		"handler_handshake", "handler_open", "handler_message", "handler_close", "handler_drain",
		"handler_request", "handler_timer"
	};
	zval timings;
	array_init(&timings);
	for (int i = 0; i < WS_MEV_COUNT; i++) {
		add_timing(&timings, events[i], &m->handler[i]);
	}
	add_timing(&timings, "loop_iteration", &m->loop_iteration);
	add_timing(&timings, "fanout", &m->fanout);
	add_timing(&timings, "handshake", &m->handshake);
	add_assoc_zval(arr, "timings", &timings);
}
