#!/usr/bin/env bash
# Final DEFLATE blocks (BFINAL, RFC 7692 7.2.3.4) from a raw Python client
# (see bfinal.py): a message ending exactly on a final block, then an
# independent message (both echoed; the second used to be refused with
# 1002); the RFC's BFINAL example twice; a BFINAL message in fragments and
# the message after it; two streams in one message; a back-reference across
# a final block, accepted under client context takeover (RFC 7692 7.2.2) and
# refused with 1002 once client_no_context_takeover is agreed.  Last, a
# server that keeps its context and compresses everything sends empty
# messages as one byte (00), which our inflater with context takes.
source "$(dirname "$0")/common.bash"

start_server tests/lib/echo_server.php '{"compression_context_takeover":{"client":true}}'
run_peer "$PY" tests/compression/bfinal.py takeover "$PORT"
[ "$(closes 1000)" -eq 1 ] || fail "expected 1 clean close, got $(closes 1000)"
finish_server

# The default server (shared inflater): client_no_context_takeover, offered here.
start_server tests/lib/echo_server.php '{}'
run_peer "$PY" tests/compression/bfinal.py no-takeover "$PORT"
[ "$(closes 1002)" -eq 1 ] || fail "expected 1 close with 1002, got $(closes 1002)"
finish_server

start_server tests/lib/echo_server.php '{"compression_threshold":0,"compression_context_takeover":true}'
run_peer "$PY" tests/compression/bfinal.py empty "$PORT"
[ "$(closes 1000)" -eq 1 ] || fail "expected 1 clean close, got $(closes 1000)"
finish_server
echo "ok"
