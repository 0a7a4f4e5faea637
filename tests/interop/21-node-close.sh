#!/usr/bin/env bash
# Node `ws` against the echo server: closing handshakes started by either
# side, codes and reasons as each side sees them, and close frames or text
# fragments that break the protocol (written to ws' socket directly, since ws
# itself refuses to send them).
source "$(dirname "$0")/common.bash"
need_node

start_server tests/lib/echo_server.php
URL="ws://127.0.0.1:$PORT"

run_peer node tests/interop/node_client.js close-client "$URL"
expect_close /close-client 4001 bye

run_peer node tests/interop/node_client.js close-server "$URL"
expect_close /close-server 4002 server-bye
expect_close /close-server-long 4999 "$(printf 'é%.0s' $(seq 61))x"

run_peer node tests/interop/node_client.js close-codes "$URL"
for code in 1000 1001 1003 1011 3000 4999; do
	expect_close "/valid-$code" "$code" "r$code"
done

run_peer node tests/interop/node_client.js close-invalid "$URL"
expect_close /invalid-refused 1000
for name in code-999 code-1005 code-1015 code-5000; do
	expect_close "/invalid-$name" 1002 "invalid close code"
done
expect_close /invalid-one-byte 1002 "close frame with a 1-byte payload"
for name in bad-utf8 split-bad-utf8 truncated-utf8; do
	expect_close "/invalid-$name" 1007 "invalid UTF-8 in text"
done

finish_server
echo "ok"
