#!/usr/bin/env bash
# Node ws with perMessageDeflate in every parameter combination (true,
# serverNoContextTakeover, clientNoContextTakeover, both, serverMaxWindowBits
# 9/10/15, clientMaxWindowBits 8/9/15/true, all at once), against the default
# server (which answers client_no_context_takeover to every offer), against
# one that keeps its compression context (compression_context_takeover =>
# true) and against one that lets clients keep theirs (["client" => true]).  Each time the exact
# Sec-WebSocket-Extensions answer and ws.extensions are asserted, then text
# and binary messages under and over compression_threshold, large ones, ones
# sharing long repeats across messages, and fragmented compressed messages
# (send(x, {fin: false}) pieces) are echoed intact.  See pmd_node.js.
source "$(dirname "$0")/common.bash"
need_node

start_server tests/lib/echo_server.php '{}'
run_peer node tests/compression/pmd_node.js combos "ws://127.0.0.1:$PORT" default
[ "$(closes 1000)" -eq 13 ] || fail "expected 13 clean closes, got $(closes 1000)"
finish_server

start_server tests/lib/echo_server.php '{"compression_context_takeover":true}'
run_peer node tests/compression/pmd_node.js combos "ws://127.0.0.1:$PORT" server-takeover
[ "$(closes 1000)" -eq 13 ] || fail "expected 13 clean closes, got $(closes 1000)"
finish_server

start_server tests/lib/echo_server.php '{"compression_context_takeover":{"client":true}}'
run_peer node tests/compression/pmd_node.js combos "ws://127.0.0.1:$PORT" client-takeover
[ "$(closes 1000)" -eq 13 ] || fail "expected 13 clean closes, got $(closes 1000)"
finish_server
echo "ok"
