#!/usr/bin/env bash
# Python websockets, which offers permessage-deflate by default: the exact
# Sec-WebSocket-Extensions answer to its default offer and to explicit
# settings (no context takeover either way, window bits), then text, binary,
# empty, multi-byte UTF-8, large compressible and random messages and
# fragmented ones are echoed.  See pmd_py.py.
source "$(dirname "$0")/common.bash"
need_python

start_server tests/lib/echo_server.php '{}'
run_peer "$PY" tests/compression/pmd_py.py "ws://127.0.0.1:$PORT"
[ "$(closes 1000)" -eq 6 ] || fail "expected 6 clean closes, got $(closes 1000)"
finish_server

# A server that lets clients keep their context answers as before the shared inflater.
start_server tests/lib/echo_server.php '{"compression_context_takeover":{"client":true}}'
run_peer "$PY" tests/compression/pmd_py.py "ws://127.0.0.1:$PORT" client-takeover
[ "$(closes 1000)" -eq 6 ] || fail "client-takeover: expected 6 clean closes, got $(closes 1000)"
finish_server
echo "ok"
