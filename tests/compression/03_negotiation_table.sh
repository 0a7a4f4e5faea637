#!/usr/bin/env bash
# The negotiation table (negotiation.py): offers written by a raw client and
# the exact Sec-WebSocket-Extensions answers, for the default server,
# compression => false (never an extension), compression_context_takeover
# => true, compression_window_bits => 10, compression_context_takeover =>
# ["client" => false], ["client" => true] and compression_threshold => 0.  Every handshake gets
# 101, declined offers included; every accepted case then exchanges
# messages checking the server keeps what it answered (window size enforced
# strictly, context resets, RSV1 only from the threshold on).
source "$(dirname "$0")/common.bash"

rc=0
for spec in \
	'default|{}' \
	'disabled|{"compression":false}' \
	'server-takeover|{"compression_context_takeover":true}' \
	'window-10|{"compression_window_bits":10}' \
	'client-no-takeover|{"compression_context_takeover":{"client":false}}' \
	'client-takeover|{"compression_context_takeover":{"client":true}}' \
	'threshold-0|{"compression_threshold":0}'; do
	group=${spec%%|*}
	start_server tests/lib/echo_server.php "${spec#*|}"
	timeout 120 "$PY" tests/compression/negotiation.py "$group" "$PORT" || rc=1
	[ "$(closes 1006)" -eq 0 ] || fail "$group: connections ended without a closing handshake"
	finish_server
done
[ "$rc" -eq 0 ] || fail "some negotiation cases failed (see above)"
echo "ok"
