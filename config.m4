dnl config.m4 for ext-websocket

PHP_ARG_ENABLE([websocket],
  [whether to enable the WebSocket server],
  [AS_HELP_STRING([--enable-websocket], [Enable the native WebSocket server])],
  [no])

PHP_ARG_WITH([websocket-tls],
  [whether to build wss:// support (OpenSSL)],
  [AS_HELP_STRING([--without-websocket-tls], [websocket: build without TLS (wss://)])],
  [yes], [no])

PHP_ARG_WITH([websocket-compression],
  [whether to build permessage-deflate support (zlib)],
  [AS_HELP_STRING([--without-websocket-compression], [websocket: build without permessage-deflate compression])],
  [yes], [no])

PHP_ARG_WITH([websocket-redis],
  [whether to build the Redis broker (hiredis)],
  [AS_HELP_STRING([--without-websocket-redis], [websocket: build without the Redis broker (hiredis, found with pkg-config)])],
  [yes], [no])

PHP_ARG_ENABLE([websocket-poll],
  [whether to force the poll() event loop backend],
  [AS_HELP_STRING([--enable-websocket-poll], [websocket: use poll() even where epoll/kqueue exist (keeps the fallback tested)])],
  [no], [no])

PHP_ARG_ENABLE([websocket-dev],
  [whether to build websocket with developer warnings],
  [AS_HELP_STRING([--enable-websocket-dev], [websocket: -Wall -Wextra -Werror])],
  [no], [no])

PHP_ARG_ENABLE([websocket-asan],
  [whether to build websocket with AddressSanitizer and UBSan],
  [AS_HELP_STRING([--enable-websocket-asan], [websocket: -fsanitize=address,undefined (run PHP with USE_ZEND_ALLOC=0 and the ASan runtime preloaded)])],
  [no], [no])

if test "$PHP_WEBSOCKET" != "no"; then
  WS_CFLAGS="-DZEND_ENABLE_STATIC_TSRMLS_CACHE=1 -D_GNU_SOURCE"

  if test "$PHP_WEBSOCKET_POLL" != "no"; then
    WS_CFLAGS="$WS_CFLAGS -DWS_LOOP_FORCE_POLL=1"
    AC_MSG_NOTICE([websocket: event loop backend forced to poll()])
  fi
  if test "$PHP_WEBSOCKET_DEV" != "no"; then
    WS_CFLAGS="$WS_CFLAGS -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare"
  fi
  if test "$PHP_WEBSOCKET_ASAN" != "no"; then
    WS_CFLAGS="$WS_CFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer"
    LDFLAGS="$LDFLAGS -fsanitize=address,undefined"
  fi

  if test "$PHP_WEBSOCKET_COMPRESSION" != "no"; then
    AC_CHECK_HEADER([zlib.h], [
      PHP_CHECK_LIBRARY([z], [deflateInit2_], [
        PHP_ADD_LIBRARY([z], 1, WEBSOCKET_SHARED_LIBADD)
        WS_CFLAGS="$WS_CFLAGS -DWS_HAVE_ZLIB=1"
        AC_MSG_NOTICE([websocket: permessage-deflate enabled (zlib)])
      ], [
        AC_MSG_WARN([websocket: libz not found: building without permessage-deflate])
      ])
    ], [
      AC_MSG_WARN([websocket: zlib.h not found (install zlib1g-dev): building without permessage-deflate])
    ])
  else
    AC_MSG_NOTICE([websocket: permessage-deflate disabled (--without-websocket-compression)])
  fi

  if test "$PHP_WEBSOCKET_TLS" != "no"; then
    AC_CHECK_HEADER([openssl/ssl.h], [
      PHP_CHECK_LIBRARY([ssl], [OPENSSL_init_ssl], [
        PHP_ADD_LIBRARY([ssl], 1, WEBSOCKET_SHARED_LIBADD)
        PHP_ADD_LIBRARY([crypto], 1, WEBSOCKET_SHARED_LIBADD)
        WS_CFLAGS="$WS_CFLAGS -DWS_HAVE_OPENSSL=1"
        AC_MSG_NOTICE([websocket: TLS (wss://) enabled (OpenSSL)])
      ], [
        AC_MSG_WARN([websocket: libssl 1.1+ not found: building without TLS])
      ], [-lcrypto])
    ], [
      AC_MSG_WARN([websocket: openssl/ssl.h not found (install libssl-dev): building without TLS])
    ])
  else
    AC_MSG_NOTICE([websocket: TLS disabled (--without-websocket-tls)])
  fi

  if test "$PHP_WEBSOCKET_REDIS" != "no"; then
    AC_PATH_PROG([WS_PKG_CONFIG], [pkg-config], [no])
    if test "$WS_PKG_CONFIG" != "no" && $WS_PKG_CONFIG --exists hiredis; then
      WS_HIREDIS_VERSION=`$WS_PKG_CONFIG --modversion hiredis`
      WS_HIREDIS_CFLAGS=`$WS_PKG_CONFIG --cflags-only-other hiredis`
      dnl The sources include <hiredis/hiredis.h>: the directory above the one
      dnl pkg-config names (a hiredis 1.x installed under another prefix must not
      dnl mix its library with the system's 0.14 headers).
      WS_HIREDIS_INCDIR=`$WS_PKG_CONFIG --variable=includedir hiredis`
      if test -n "$WS_HIREDIS_INCDIR" && test "$WS_HIREDIS_INCDIR" != "/usr/include"; then
        WS_HIREDIS_CFLAGS="-I$WS_HIREDIS_INCDIR $WS_HIREDIS_CFLAGS"
      fi
      WS_HIREDIS_LIBS=`$WS_PKG_CONFIG --libs hiredis`
      PHP_EVAL_LIBLINE([$WS_HIREDIS_LIBS], WEBSOCKET_SHARED_LIBADD)
      WS_CFLAGS="$WS_CFLAGS $WS_HIREDIS_CFLAGS -DWS_HAVE_HIREDIS=1"
      AC_MSG_NOTICE([websocket: Redis broker enabled (hiredis $WS_HIREDIS_VERSION)])
    else
      AC_MSG_WARN([websocket: hiredis not found by pkg-config (install libhiredis-dev): building without the Redis broker])
    fi
  else
    AC_MSG_NOTICE([websocket: Redis broker disabled (--without-websocket-redis)])
  fi

  WS_CORE_SOURCES="frame.c core/ws_error.c core/ws_utf8.c core/ws_handshake.c core/ws_sha1.c core/ws_base64.c core/ws_loop.c core/ws_map.c core/ws_server.c core/ws_listen.c core/ws_conn.c core/ws_http.c core/ws_in.c core/ws_out.c core/ws_topics.c core/ws_timers.c core/ws_budget.c core/ws_route.c core/ws_bus.c core/ws_master.c core/ws_hub.c core/ws_metrics.c core/ws_metrics_http.c core/ws_static.c core/ws_http_util.c core/ws_deflate.c core/ws_tls.c core/ws_broker.c core/ws_broker_link.c core/ws_broker_state.c core/ws_redis.c core/ws_cluster.c core/ws_state.c core/ws_replica.c core/ws_fill.c"

  PHP_NEW_EXTENSION(websocket, websocket.c websocket_server.c websocket_options.c websocket_metrics.c websocket_workers.c websocket_publisher.c websocket_presence.c websocket_conn.c $WS_CORE_SOURCES, $ext_shared,, $WS_CFLAGS)
  PHP_ADD_BUILD_DIR($ext_builddir/core)
  PHP_ADD_INCLUDE($ext_srcdir/core)
  PHP_SUBST(WEBSOCKET_SHARED_LIBADD)
fi
