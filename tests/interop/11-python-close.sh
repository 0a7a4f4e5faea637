#!/usr/bin/env bash
# Python `websockets` against the echo server: closing handshakes started by
# either side, codes and reasons as each side sees them, and close frames with
# invalid codes, a 1-byte payload or a reason that is not UTF-8.
source "$(dirname "$0")/common.bash"
need_python

start_server tests/lib/echo_server.php
URL="ws://127.0.0.1:$PORT"

run_peer "$PY" tests/interop/py_client.py close-client "$URL"
expect_close /close-client 4001 bye

run_peer "$PY" tests/interop/py_client.py close-server "$URL"
# The client echoes the server's close frame (code and reason), and the
# server reports the frame it received.
expect_close /close-server 4002 server-bye
expect_close /close-server-long 4999 "$(printf 'é%.0s' $(seq 61))x"

run_peer "$PY" tests/interop/py_client.py close-codes "$URL"
for code in 1000 1001 1003 1011 3000 4999; do
	expect_close "/valid-$code" "$code" "r$code"
done

run_peer "$PY" tests/interop/py_client.py close-invalid "$URL"
for name in code-999 code-1004 code-1005 code-1006 code-1015 code-2999 code-5000; do
	expect_close "/invalid-$name" 1002 "invalid close code"
done
expect_close /invalid-one-byte 1002 "close frame with a 1-byte payload"
expect_close /invalid-bad-utf8 1007 "invalid UTF-8 in text"

finish_server
echo "ok"
