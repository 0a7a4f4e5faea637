#!/usr/bin/env bash
# Python `websockets` against the echo server: every message size around the
# frame-length boundaries up to 8 MiB (text, binary, multi-byte UTF-8), with
# and without permessage-deflate offered; fragmented messages reassembled by
# the server (with a ping between two fragments); pings both ways; subprotocol
# negotiation.
source "$(dirname "$0")/common.bash"
need_python

start_server tests/lib/echo_server.php '{"subprotocols":["chat.v2","chat.v1"]}'
URL="ws://127.0.0.1:$PORT"

run_peer "$PY" tests/interop/py_client.py echo "$URL"
run_peer "$PY" tests/interop/py_client.py echo-plain "$URL"
run_peer "$PY" tests/interop/py_client.py fragments "$URL"
run_peer "$PY" tests/interop/py_client.py ping "$URL"
run_peer "$PY" tests/interop/py_client.py subprotocol "$URL"

# The server saw every connection close normally: no protocol error, no pong
# it disliked.
for path in /echo /echo-plain /fragments /ping /sp-both /sp-v2 /sp-unknown /sp-none; do
	expect_close "$path" 1000
done
expect_open /sp-both chat.v1
expect_open /sp-v2 chat.v2
expect_open /sp-unknown -
expect_open /sp-none -
finish_server
echo "ok"
