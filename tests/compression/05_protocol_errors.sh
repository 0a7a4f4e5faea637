#!/usr/bin/env bash
# Broken compressed input (see abuse.py errors and unnegotiated): corrupt
# deflate data => 1002; compressed text inflating to invalid UTF-8 => 1007
# (one frame, a later fragment, a truncated sequence at the end); RSV1 on a
# continuation frame => 1002; RSV1 on a ping => 1002; RSV2/RSV3 => 1002; RSV1
# without negotiated permessage-deflate => 1002.  Valid input is echoed: the
# examples of RFC 7692 7.2.3 byte for byte (a BFINAL block among them), a
# message of one empty stored block, an empty compressed message, a
# compressed message in fragments (some empty) with a ping between them, and
# last a back-reference into the window after a BFINAL block (RFC 7692 7.2.2:
# the next message is inflated with the window of the last one).
source "$(dirname "$0")/common.bash"

# The corner cases keep the client's context (RFC 7692 7.2.3.2 refers back
# into the previous message): a server that lets clients keep it.
start_server tests/lib/echo_server.php '{"compression_context_takeover":{"client":true}}'
run_peer "$PY" tests/compression/abuse.py unnegotiated "$PORT"
run_peer "$PY" tests/compression/abuse.py errors "$PORT"
[ "$(closes 1002)" -eq 9 ] || fail "expected 9 closes with 1002, got $(closes 1002)"
[ "$(closes 1007)" -eq 3 ] || fail "expected 3 closes with 1007, got $(closes 1007)"
[ "$(closes 1000)" -eq 1 ] || fail "expected 1 clean close, got $(closes 1000)"
finish_server
echo "ok"
