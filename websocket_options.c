/*
 * websocket_options.c - the Server's options array: every key validated (an
 * unknown key or a bad value throws ValueError naming it) and copied into the
 * core's configuration, and the TLS options of the constructor and listen().
 * The core never sees a zval; this file never touches a socket.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <unistd.h>

#include "php.h"
#include "zend_exceptions.h"
#include "php_websocket_private.h"
#include "core/ws_deflate.h"
#include "core/ws_http_util.h"
#include "core/ws_broker.h"

/* ------------------------------------------------------------ options */

#define OPT_ERR(...) do { zend_argument_value_error(3, __VA_ARGS__); return FAILURE; } while (0)

static zend_result opt_size(zend_string *key, zval *v, zend_long min, zend_long max, size_t *out)
{
	if (Z_TYPE_P(v) != IS_LONG) {
		OPT_ERR("option \"%s\" must be of type int, %s given", ZSTR_VAL(key), zend_zval_type_name(v));
	}
	if (Z_LVAL_P(v) < min || Z_LVAL_P(v) > max) {
		OPT_ERR("option \"%s\" must be between " ZEND_LONG_FMT " and " ZEND_LONG_FMT, ZSTR_VAL(key), min, max);
	}
	*out = (size_t)Z_LVAL_P(v);
	return SUCCESS;
}

/* Seconds as int or float; stored in ms.  min_ms: 0 allows "off". */
static zend_result opt_seconds(zend_string *key, zval *v, uint32_t min_ms, uint32_t *out)
{
	double d;
	if (Z_TYPE_P(v) == IS_LONG) {
		d = (double)Z_LVAL_P(v);
	} else if (Z_TYPE_P(v) == IS_DOUBLE) {
		d = Z_DVAL_P(v);
	} else {
		OPT_ERR("option \"%s\" must be a number of seconds (int or float), %s given", ZSTR_VAL(key), zend_zval_type_name(v));
	}
	/* Stored as 32-bit milliseconds: up to 49 days. */
	if (!(d >= 0) || d > 4000000.0) {
		OPT_ERR("option \"%s\" must be between 0 and 4000000 seconds", ZSTR_VAL(key));
	}
	double ms = d * 1000.0;
	if (ms < (double)min_ms) {
		OPT_ERR("option \"%s\" must be at least %.3f seconds", ZSTR_VAL(key), min_ms / 1000.0);
	}
	*out = (uint32_t)(ms + 0.5);
	if (d > 0 && *out == 0) {
		*out = 1;
	}
	return SUCCESS;
}

/* A list of strings for subprotocols / allowed_origins; tokens only for subprotocols. */
static zend_result opt_list(zend_string *key, zval *v, bool tokens, ws_server_t *core,
	int (*set)(ws_server_t *, const char *const *, const size_t *, size_t))
{
	if (Z_TYPE_P(v) != IS_ARRAY) {
		OPT_ERR("option \"%s\" must be a list of strings, %s given", ZSTR_VAL(key), zend_zval_type_name(v));
	}
	HashTable *ht = Z_ARRVAL_P(v);
	uint32_t n = zend_hash_num_elements(ht);
	const char **names = safe_emalloc(n ? n : 1, sizeof(char *), 0);
	size_t *lens = safe_emalloc(n ? n : 1, sizeof(size_t), 0);
	uint32_t i = 0;
	zval *item;
	ZEND_HASH_FOREACH_VAL(ht, item) {
		if (Z_TYPE_P(item) != IS_STRING || Z_STRLEN_P(item) == 0
			|| (tokens ? !ws_http_is_token(Z_STRVAL_P(item), Z_STRLEN_P(item))
				: !ws_http_is_field_value(Z_STRVAL_P(item), Z_STRLEN_P(item)))) {
			efree(names);
			efree(lens);
			OPT_ERR("option \"%s\" must contain only non-empty %s", ZSTR_VAL(key),
				tokens ? "token strings (RFC 7230)" : "strings without control characters");
		}
		names[i] = Z_STRVAL_P(item);
		lens[i] = Z_STRLEN_P(item);
		i++;
	} ZEND_HASH_FOREACH_END();
	int r = set(core, names, lens, n);
	efree(names);
	efree(lens);
	if (r != 0) {
		zend_throw_exception(websocket_exception_ce, "out of memory", 0);
		return FAILURE;
	}
	return SUCCESS;
}

static bool key_is(zend_string *key, const char *name)
{
	return zend_string_equals_cstr(key, name, strlen(name));
}

/* First pass: scalar options into cfg (before the core exists). */
zend_result php_websocket_parse_config(HashTable *opts, ws_server_config_t *cfg)
{
	zend_string *key;
	zend_ulong idx;
	zval *v;
	size_t sz;
	ZEND_HASH_FOREACH_KEY_VAL(opts, idx, key, v) {
		ZVAL_DEREF(v);
		if (key == NULL) {
			zend_argument_value_error(3, "must be an array with string keys, found index " ZEND_ULONG_FMT, idx);
			return FAILURE;
		}
		if (key_is(key, "max_message_size")) {
			if (opt_size(key, v, 1, ZEND_LONG_MAX, &sz) == FAILURE) return FAILURE;
			cfg->max_message_size = sz;
		} else if (key_is(key, "max_frame_size")) {
			if (opt_size(key, v, 0, ZEND_LONG_MAX, &sz) == FAILURE) return FAILURE;
			cfg->max_frame_size = sz;
		} else if (key_is(key, "max_header_size")) {
			if (opt_size(key, v, 256, 1024 * 1024, &sz) == FAILURE) return FAILURE;
			cfg->max_header_size = sz;
		} else if (key_is(key, "handshake_timeout")) {
			if (opt_seconds(key, v, 1, &cfg->handshake_timeout_ms) == FAILURE) return FAILURE;
		} else if (key_is(key, "idle_timeout")) {
			if (opt_seconds(key, v, 0, &cfg->idle_timeout_ms) == FAILURE) return FAILURE;
		} else if (key_is(key, "ping_interval")) {
			if (opt_seconds(key, v, 0, &cfg->ping_interval_ms) == FAILURE) return FAILURE;
		} else if (key_is(key, "pong_timeout")) {
			if (opt_seconds(key, v, 1, &cfg->pong_timeout_ms) == FAILURE) return FAILURE;
		} else if (key_is(key, "close_timeout")) {
			if (opt_seconds(key, v, 1, &cfg->close_timeout_ms) == FAILURE) return FAILURE;
		} else if (key_is(key, "shutdown_timeout")) {
			if (opt_seconds(key, v, 0, &cfg->shutdown_timeout_ms) == FAILURE) return FAILURE;
		} else if (key_is(key, "max_connections")) {
			if (opt_size(key, v, 0, ZEND_LONG_MAX, &cfg->max_connections) == FAILURE) return FAILURE;
		} else if (key_is(key, "max_connections_per_ip")) {
			if (opt_size(key, v, 0, ZEND_LONG_MAX, &cfg->max_connections_per_ip) == FAILURE) return FAILURE;
		} else if (key_is(key, "max_buffered_amount")) {
			if (opt_size(key, v, 1024, ZEND_LONG_MAX, &cfg->max_buffered_amount) == FAILURE) return FAILURE;
		} else if (key_is(key, "low_water_mark")) {
			if (opt_size(key, v, 0, ZEND_LONG_MAX, &cfg->low_water_mark) == FAILURE) return FAILURE;
		} else if (key_is(key, "max_memory")) {
			if (opt_size(key, v, 0, ZEND_LONG_MAX, &cfg->max_memory) == FAILURE) return FAILURE;
		} else if (key_is(key, "workers")) {
			if (Z_TYPE_P(v) == IS_STRING && zend_string_equals_literal(Z_STR_P(v), "auto")) {
				long n = sysconf(_SC_NPROCESSORS_ONLN);
				cfg->workers = n > 0 ? (unsigned)(n > 1024 ? 1024 : n) : 1;
			} else if (Z_TYPE_P(v) == IS_LONG && Z_LVAL_P(v) >= 1 && Z_LVAL_P(v) <= 1024) {
				cfg->workers = (unsigned)Z_LVAL_P(v);
			} else {
				OPT_ERR("option \"workers\" must be an integer between 1 and 1024, or \"auto\"");
			}
		} else if (key_is(key, "reload_window")) {
			if (opt_seconds(key, v, 0, &cfg->reload_window_ms) == FAILURE) return FAILURE;
		} else if (key_is(key, "bus_buffer")) {
			if (opt_size(key, v, 64 * 1024, ZEND_LONG_MAX, &cfg->bus_buffer) == FAILURE) return FAILURE;
		} else if (key_is(key, "backlog")) {
			if (opt_size(key, v, 1, 65535, &sz) == FAILURE) return FAILURE;
			cfg->backlog = (int)sz;
		} else if (key_is(key, "backpressure")) {
			if (Z_TYPE_P(v) == IS_STRING && zend_string_equals_literal(Z_STR_P(v), "close")) {
				cfg->backpressure = WS_BACKPRESSURE_CLOSE;
			} else if (Z_TYPE_P(v) == IS_STRING && zend_string_equals_literal(Z_STR_P(v), "drop")) {
				cfg->backpressure = WS_BACKPRESSURE_DROP;
			} else {
				OPT_ERR("option \"backpressure\" must be \"close\" or \"drop\"");
			}
		} else if (key_is(key, "compression")) {
			if (Z_TYPE_P(v) != IS_TRUE && Z_TYPE_P(v) != IS_FALSE) {
				OPT_ERR("option \"compression\" must be of type bool, %s given", zend_zval_type_name(v));
			}
			if (Z_TYPE_P(v) == IS_TRUE && !ws_deflate_available()) {
				OPT_ERR("option \"compression\" cannot be enabled: the extension was built without zlib");
			}
			cfg->deflate.enabled = Z_TYPE_P(v) == IS_TRUE;
		} else if (key_is(key, "compression_level")) {
			if (opt_size(key, v, 0, 9, &sz) == FAILURE) return FAILURE;
			cfg->deflate.level = (int)sz;
		} else if (key_is(key, "compression_memory_level")) {
			if (opt_size(key, v, 1, 9, &sz) == FAILURE) return FAILURE;
			cfg->deflate.mem_level = (int)sz;
		} else if (key_is(key, "compression_window_bits")) {
			if (opt_size(key, v, 9, 15, &sz) == FAILURE) return FAILURE;
			cfg->deflate.window_bits = (int)sz;
		} else if (key_is(key, "compression_threshold")) {
			if (opt_size(key, v, 0, ZEND_LONG_MAX, &cfg->deflate.threshold) == FAILURE) return FAILURE;
		} else if (key_is(key, "compression_context_takeover")) {
			/* true/false for both directions, or ["server" => bool, "client" => bool]. */
			if (Z_TYPE_P(v) == IS_TRUE || Z_TYPE_P(v) == IS_FALSE) {
				cfg->deflate.server_context_takeover = cfg->deflate.client_context_takeover = Z_TYPE_P(v) == IS_TRUE;
			} else if (Z_TYPE_P(v) == IS_ARRAY) {
				zend_string *dk;
				zval *dv;
				ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(v), dk, dv) {
					ZVAL_DEREF(dv);
					if (dk == NULL || (!zend_string_equals_literal(dk, "server") && !zend_string_equals_literal(dk, "client"))
						|| (Z_TYPE_P(dv) != IS_TRUE && Z_TYPE_P(dv) != IS_FALSE)) {
						OPT_ERR("option \"compression_context_takeover\" must be a bool or an array with bool keys \"server\" and \"client\"");
					}
					if (zend_string_equals_literal(dk, "server")) {
						cfg->deflate.server_context_takeover = Z_TYPE_P(dv) == IS_TRUE;
					} else {
						cfg->deflate.client_context_takeover = Z_TYPE_P(dv) == IS_TRUE;
					}
				} ZEND_HASH_FOREACH_END();
			} else {
				OPT_ERR("option \"compression_context_takeover\" must be a bool or an array with bool keys \"server\" and \"client\"");
			}
		} else if (key_is(key, "subprotocols") || key_is(key, "allowed_origins") || key_is(key, "metrics")
			|| key_is(key, "history")
			|| (ZSTR_LEN(key) > 4 && memcmp(ZSTR_VAL(key), "tls_", 4) == 0)) {
			/* lists, metrics and TLS: handled once the core exists (TLS keys are checked there too) */
		} else if (key_is(key, "broker")) {
			if (Z_TYPE_P(v) == IS_NULL) {
				continue;
			}
			char err[256];
			ws_broker_url_t bu;
			if (Z_TYPE_P(v) != IS_STRING) {
				OPT_ERR("option \"broker\" must be a Redis URL or null, %s given", zend_zval_type_name(v));
			}
			if (strlen(Z_STRVAL_P(v)) != Z_STRLEN_P(v) || ws_broker_url_parse(Z_STRVAL_P(v), &bu, err, sizeof(err)) != 0) {
				OPT_ERR("option \"broker\" is not a valid Redis URL: %s", strlen(Z_STRVAL_P(v)) != Z_STRLEN_P(v) ? "it contains NUL" : err);
			}
			if (!ws_broker_available()) {
				zend_throw_exception(websocket_exception_ce,
					"option \"broker\": the websocket extension was built without Redis support (hiredis)", 0);
				return FAILURE;
			}
		} else if (key_is(key, "broker_buffer")) {
			if (opt_size(key, v, 64 * 1024, ZEND_LONG_MAX, &sz) == FAILURE) return FAILURE;
		} else if (key_is(key, "broker_prefix")) {
			char err[128];
			if (Z_TYPE_P(v) != IS_STRING || strlen(Z_STRVAL_P(v)) != Z_STRLEN_P(v)
				|| ws_broker_prefix_check(Z_STRVAL_P(v), err, sizeof(err)) != 0) {
				OPT_ERR("option \"broker_prefix\" must be 1 to %d letters, digits, '_', '.', ':' or '-'", WS_BROKER_PREFIX_MAX);
			}
		} else if (key_is(key, "document_root")) {
			if (Z_TYPE_P(v) != IS_STRING && Z_TYPE_P(v) != IS_NULL) {
				OPT_ERR("option \"document_root\" must be a directory path or null, %s given", zend_zval_type_name(v));
			}
			if (Z_TYPE_P(v) == IS_STRING) {
				zend_stat_t st;
				if (Z_STRLEN_P(v) == 0 || memchr(Z_STRVAL_P(v), 0, Z_STRLEN_P(v))
					|| VCWD_STAT(Z_STRVAL_P(v), &st) != 0 || !S_ISDIR(st.st_mode)) {
					OPT_ERR("option \"document_root\" must be an existing directory, \"%s\" is not", Z_STRVAL_P(v));
				}
			}
		} else {
			zend_argument_value_error(3, "contains unknown option \"%s\"", ZSTR_VAL(key));
			return FAILURE;
		}
	} ZEND_HASH_FOREACH_END();
	if (cfg->low_water_mark > cfg->max_buffered_amount) {
		zend_argument_value_error(3, "option \"low_water_mark\" must not exceed \"max_buffered_amount\"");
		return FAILURE;
	}
	if (cfg->max_frame_size > cfg->max_message_size) {
		zend_argument_value_error(3, "option \"max_frame_size\" must not exceed \"max_message_size\"");
		return FAILURE;
	}
	return SUCCESS;
}

/* ------------------------------------------------------------ TLS options */

static const char *const php_websocket_tls_keys[] = {
	"tls_cert", "tls_key", "tls_key_passphrase", "tls_ca", "tls_min_version", "tls_ciphers", "tls_verify_peer"
};

/* A string option that must be a readable path (no NUL); NULL when absent. */
static zend_result tls_string(HashTable *opts, uint32_t arg, const char *name, bool path, const char **out)
{
	zval *v = zend_hash_str_find_deref(opts, name, strlen(name));
	*out = NULL;
	if (v == NULL || Z_TYPE_P(v) == IS_NULL) {
		return SUCCESS;
	}
	if (Z_TYPE_P(v) != IS_STRING || Z_STRLEN_P(v) == 0 || memchr(Z_STRVAL_P(v), 0, Z_STRLEN_P(v))) {
		zend_argument_value_error(arg, "option \"%s\" must be a non-empty string without NUL bytes", name);
		return FAILURE;
	}
	*out = Z_STRVAL_P(v);
	return SUCCESS;
}

/*
 * Builds the TLS context described by the tls_* options of opts (*out NULL
 * when there are none).  only_tls: every key must be a TLS one (listen()).
 * Throws ValueError for bad values and WebSocket\Exception for files
 * OpenSSL cannot use.
 */
zend_result php_websocket_tls_options(HashTable *opts, uint32_t arg, bool only_tls, ws_tls_ctx_t **out)
{
	*out = NULL;
	if (opts == NULL) {
		return SUCCESS;
	}
	zend_string *key;
	zend_ulong idx;
	bool any = false;
	ZEND_HASH_FOREACH_KEY(opts, idx, key) {
		bool known = false;
		for (size_t i = 0; key && i < sizeof(php_websocket_tls_keys) / sizeof(php_websocket_tls_keys[0]); i++) {
			known |= key_is(key, php_websocket_tls_keys[i]);
		}
		if (key && ZSTR_LEN(key) > 4 && memcmp(ZSTR_VAL(key), "tls_", 4) == 0 && !known) {
			zend_argument_value_error(arg, "contains unknown option \"%s\"", ZSTR_VAL(key));
			return FAILURE;
		}
		if (only_tls && !known) {
			if (key) {
				zend_argument_value_error(arg, "contains unknown option \"%s\" (only tls_* options can be set per listener)", ZSTR_VAL(key));
			} else {
				zend_argument_value_error(arg, "must be an array with string keys, found index " ZEND_ULONG_FMT, idx);
			}
			return FAILURE;
		}
		any |= known;
	} ZEND_HASH_FOREACH_END();
	if (!any) {
		return SUCCESS;
	}
	ws_tls_config_t cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.min_version = 12;
	if (tls_string(opts, arg, "tls_cert", true, &cfg.cert_file) == FAILURE
		|| tls_string(opts, arg, "tls_key", true, &cfg.key_file) == FAILURE
		|| tls_string(opts, arg, "tls_key_passphrase", false, &cfg.passphrase) == FAILURE
		|| tls_string(opts, arg, "tls_ca", true, &cfg.ca_file) == FAILURE
		|| tls_string(opts, arg, "tls_ciphers", false, &cfg.ciphers) == FAILURE) {
		return FAILURE;
	}
	zval *v = zend_hash_str_find_deref(opts, "tls_min_version", sizeof("tls_min_version") - 1);
	if (v && Z_TYPE_P(v) != IS_NULL) {
		if (Z_TYPE_P(v) == IS_STRING && zend_string_equals_literal(Z_STR_P(v), "1.2")) {
			cfg.min_version = 12;
		} else if (Z_TYPE_P(v) == IS_STRING && zend_string_equals_literal(Z_STR_P(v), "1.3")) {
			cfg.min_version = 13;
		} else {
			zend_argument_value_error(arg, "option \"tls_min_version\" must be \"1.2\" or \"1.3\"");
			return FAILURE;
		}
	}
	v = zend_hash_str_find_deref(opts, "tls_verify_peer", sizeof("tls_verify_peer") - 1);
	if (v && Z_TYPE_P(v) != IS_NULL) {
		if (Z_TYPE_P(v) != IS_TRUE && Z_TYPE_P(v) != IS_FALSE) {
			zend_argument_value_error(arg, "option \"tls_verify_peer\" must be of type bool, %s given", zend_zval_type_name(v));
			return FAILURE;
		}
		cfg.verify_peer = Z_TYPE_P(v) == IS_TRUE;
	}
	if (cfg.cert_file == NULL || cfg.key_file == NULL) {
		zend_argument_value_error(arg, "options \"tls_cert\" and \"tls_key\" must be given together");
		return FAILURE;
	}
	if (cfg.verify_peer && cfg.ca_file == NULL) {
		zend_argument_value_error(arg, "option \"tls_verify_peer\" needs \"tls_ca\" to verify client certificates against");
		return FAILURE;
	}
	if (!ws_tls_available()) {
		zend_throw_exception(websocket_exception_ce, "TLS options given, but the extension was built without TLS (OpenSSL)", 0);
		return FAILURE;
	}
	char err[512];
	*out = ws_tls_ctx_new(&cfg, err, sizeof(err));
	if (*out == NULL) {
		zend_throw_exception(websocket_exception_ce, err, 0);
		return FAILURE;
	}
	return SUCCESS;
}

/* The options that need the core server: subprotocols, allowed_origins, document_root, broker, metrics, history. */
zend_result php_websocket_apply_list_options(HashTable *opts, ws_server_t *core)
{
	zval *v;
	zend_string *k;
	if ((v = zend_hash_str_find_deref(opts, "subprotocols", sizeof("subprotocols") - 1))) {
		k = zend_string_init("subprotocols", sizeof("subprotocols") - 1, 0);
		zend_result r = opt_list(k, v, true, core, ws_server_set_subprotocols);
		zend_string_release(k);
		if (r == FAILURE) {
			return FAILURE;
		}
	}
	if ((v = zend_hash_str_find_deref(opts, "allowed_origins", sizeof("allowed_origins") - 1))) {
		k = zend_string_init("allowed_origins", sizeof("allowed_origins") - 1, 0);
		zend_result r = opt_list(k, v, false, core, ws_server_set_allowed_origins);
		zend_string_release(k);
		if (r == FAILURE) {
			return FAILURE;
		}
	}
	if ((v = zend_hash_str_find_deref(opts, "document_root", sizeof("document_root") - 1)) && Z_TYPE_P(v) == IS_STRING) {
		ws_server_set_document_root(core, Z_STRVAL_P(v));
	}
	if ((v = zend_hash_str_find_deref(opts, "broker", sizeof("broker") - 1)) && Z_TYPE_P(v) == IS_STRING) {
		zval *pv = zend_hash_str_find_deref(opts, "broker_prefix", sizeof("broker_prefix") - 1);
		zval *bv = zend_hash_str_find_deref(opts, "broker_buffer", sizeof("broker_buffer") - 1);
		size_t cap = bv && Z_TYPE_P(bv) == IS_LONG ? (size_t)Z_LVAL_P(bv) : 0;
		if (ws_server_set_broker(core, Z_STRVAL_P(v), pv && Z_TYPE_P(pv) == IS_STRING ? Z_STRVAL_P(pv) : NULL, cap) != 0) {
			zend_throw_exception(websocket_exception_ce, "out of memory", 0);
			return FAILURE;
		}
	}
	if ((v = zend_hash_str_find(opts, "metrics", sizeof("metrics") - 1)) && php_websocket_metrics_option(v, core) == FAILURE) {
		return FAILURE;
	}
	if ((v = zend_hash_str_find(opts, "history", sizeof("history") - 1)) && php_websocket_history_option(v, core) == FAILURE) {
		return FAILURE;
	}
	return SUCCESS;
}
