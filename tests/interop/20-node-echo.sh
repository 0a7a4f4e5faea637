#!/usr/bin/env bash
# Node `ws` against the echo server: every message size around the
# frame-length boundaries up to 8 MiB (text, binary, multi-byte UTF-8), with
# and without permessage-deflate offered; fragmented messages (UTF-8 sequences
# cut between fragments, empty fragments, a ping between two fragments);
# pings both ways; subprotocol negotiation.
source "$(dirname "$0")/common.bash"
need_node

start_server tests/lib/echo_server.php '{"subprotocols":["chat.v2","chat.v1"]}'
URL="ws://127.0.0.1:$PORT"

run_peer node tests/interop/node_client.js echo "$URL"
run_peer node tests/interop/node_client.js echo-plain "$URL"
run_peer node tests/interop/node_client.js fragments "$URL"
run_peer node tests/interop/node_client.js ping "$URL"
run_peer node tests/interop/node_client.js subprotocol "$URL"

for path in /echo /echo-plain /fragments /ping /sp-both /sp-v2 /sp-none; do
	expect_close "$path" 1000
done
expect_open /sp-both chat.v1
expect_open /sp-v2 chat.v2
expect_open /sp-none -
# ws drops the socket when the server agreed on no subprotocol: the server
# had opened the connection and sees it end without a closing handshake.
expect_open /sp-unknown -
expect_close /sp-unknown 1006
finish_server
echo "ok"
