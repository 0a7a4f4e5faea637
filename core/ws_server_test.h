/*
 * ws_server_test.h - seams of the engine for its own tests and fuzzers
 * (core/tests, core/fuzz).  They are compiled into every build, because the
 * core builds with plain cc and has no test-only configuration, but nothing
 * else includes this header: the PHP binding runs the server with
 * ws_server_run() on real listeners and the real clock.
 *
 * With these a test runs a server in its own thread without a listener or a
 * second thread: it hands the server one end of a socketpair(), steps the
 * loop without blocking, and moves time forward itself so that timeouts fire
 * at once.
 */
#ifndef WS_SERVER_TEST_H
#define WS_SERVER_TEST_H

#include <stdint.h>
#include <sys/socket.h>
#include "ws_server.h"

/*
 * Hands the server an already-connected stream socket, as if a listener had
 * accepted it: the connection starts in the HTTP phase, under the handshake
 * timeout.  The server owns fd from now on (made non-blocking and
 * close-on-exec here; closed on failure too).  peer (peer_len bytes,
 * AF_INET or AF_INET6) is the address reported and counted per IP; NULL
 * means 127.0.0.1 port 0, which suits a socketpair().  Returns the
 * connection, or NULL with errno set.
 */
ws_conn_t *ws_server_adopt_fd(ws_server_t *s, int fd, const struct sockaddr *peer, socklen_t peer_len);

/*
 * One iteration of the loop ws_server_run() runs: waits up to max_wait_ms (0:
 * not at all; -1: until an event or a timer), dispatches, then writes what
 * the iteration queued.  The first call starts the server as run() does,
 * without touching signals or the open-files limit (the caller owns the
 * process).  Returns 1 while the server runs, 0 once it has stopped
 * (ws_server_stop() completed, or ws_server_break()), -1 with errno set if
 * the loop failed.  Never from inside a handler.
 */
int ws_server_run_once(ws_server_t *s, int max_wait_ms);

/*
 * Replaces the server's clock (see ws_loop_set_clock()): now_ms(arg) in
 * milliseconds, never going backwards.  Set it before adopting connections,
 * whose timeouts count from their creation on that clock.
 */
void ws_server_set_clock(ws_server_t *s, uint64_t (*now_ms)(void *arg), void *arg);

#endif
