/*
 * websocket.c - module entry of ext-websocket: MINIT/MINFO, the allocator
 * seam and the exception class.  The classes live in websocket_server.c
 * (Server, event glue) and websocket_conn.c (Connection, Request).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "ext/standard/info.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"
#include "ext/spl/spl_exceptions.h"
#include "php_websocket_private.h"
#include "core/ws_alloc.h"
#include "core/ws_loop.h"
#include "core/ws_deflate.h"
#include "core/ws_tls.h"
#include "core/ws_broker.h"

#include "websocket_arginfo.h"

ZEND_DECLARE_MODULE_GLOBALS(websocket)

zend_class_entry *websocket_exception_ce;

/*
 * The core allocates through these, so its memory counts against
 * memory_limit, shows in memory_get_usage() and is checked for leaks by
 * debug builds (and by ASan when USE_ZEND_ALLOC=0).
 */
static void *php_websocket_malloc(size_t n)
{
	return emalloc(n);
}

static void *php_websocket_realloc(void *p, size_t n)
{
	return erealloc(p, n);
}

static void php_websocket_free(void *p)
{
	if (p) {
		efree(p);
	}
}

static const ws_allocator_t php_websocket_allocator = {
	php_websocket_malloc,
	php_websocket_realloc,
	php_websocket_free
};

static PHP_GINIT_FUNCTION(websocket)
{
#if defined(COMPILE_DL_WEBSOCKET) && defined(ZTS)
	ZEND_TSRMLS_CACHE_UPDATE();
#endif
	websocket_globals->running = false;
}

PHP_MINIT_FUNCTION(websocket)
{
	ws_set_allocator(&php_websocket_allocator);
	websocket_exception_ce = register_class_WebSocket_Exception(spl_ce_RuntimeException);
	websocket_server_ce = register_class_WebSocket_Server(zend_ce_countable);
	websocket_connection_ce = register_class_WebSocket_Connection();
	websocket_request_ce = register_class_WebSocket_Request();
	websocket_publisher_ce = register_class_WebSocket_Publisher();
	php_websocket_publisher_register();
	php_websocket_server_register();
	php_websocket_conn_register();
	return SUCCESS;
}

PHP_MSHUTDOWN_FUNCTION(websocket)
{
	ws_set_allocator(NULL);
	return SUCCESS;
}

PHP_RINIT_FUNCTION(websocket)
{
#if defined(ZTS) && defined(COMPILE_DL_WEBSOCKET)
	ZEND_TSRMLS_CACHE_UPDATE();
#endif
	WEBSOCKET_G(running) = false;
	return SUCCESS;
}

PHP_MINFO_FUNCTION(websocket)
{
	php_info_print_table_start();
	php_info_print_table_header(2, "websocket support", "enabled");
	php_info_print_table_row(2, "Version", PHP_WEBSOCKET_VERSION);
	php_info_print_table_row(2, "Event loop backend", ws_loop_backend());
	if (ws_tls_available()) {
		php_info_print_table_row(2, "TLS (wss://)", ws_tls_library_version());
	} else {
		php_info_print_table_row(2, "TLS (wss://)", "not built in");
	}
	if (ws_deflate_available()) {
		char buf[64];
		snprintf(buf, sizeof(buf), "enabled (zlib %s)", ws_deflate_zlib_version());
		php_info_print_table_row(2, "permessage-deflate", buf);
	} else {
		php_info_print_table_row(2, "permessage-deflate", "not built in");
	}
	if (ws_broker_available()) {
		char buf[64];
		snprintf(buf, sizeof(buf), "enabled (hiredis %s)", ws_broker_library());
		php_info_print_table_row(2, "Redis broker", buf);
	} else {
		php_info_print_table_row(2, "Redis broker", "not built in");
	}
	php_info_print_table_end();
}

zend_module_entry websocket_module_entry = {
	STANDARD_MODULE_HEADER,
	"websocket",
	NULL,
	PHP_MINIT(websocket),
	PHP_MSHUTDOWN(websocket),
	PHP_RINIT(websocket),
	NULL,
	PHP_MINFO(websocket),
	PHP_WEBSOCKET_VERSION,
	PHP_MODULE_GLOBALS(websocket),
	PHP_GINIT(websocket),
	NULL,
	NULL,
	STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_WEBSOCKET
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(websocket)
#endif
