/*
 * php_websocket.h - module entry, version and globals of ext-websocket.
 */
#ifndef PHP_WEBSOCKET_H
#define PHP_WEBSOCKET_H

extern zend_module_entry websocket_module_entry;
#define phpext_websocket_ptr &websocket_module_entry

/* The one place the version is defined (package.xml and composer.json are checked against it). */
#define PHP_WEBSOCKET_VERSION "0.1.0"

ZEND_BEGIN_MODULE_GLOBALS(websocket)
	/* A Server::run() is active: handlers must not start another one. */
	bool running;
ZEND_END_MODULE_GLOBALS(websocket)

ZEND_EXTERN_MODULE_GLOBALS(websocket)
#define WEBSOCKET_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(websocket, v)

#if defined(ZTS) && defined(COMPILE_DL_WEBSOCKET)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif
