#!/usr/bin/env bash
# Decompression bombs against max_message_size = 64 KiB (see abuse.py bomb):
# the inflated size counts, exactly 64 KiB is accepted and one byte more is
# 1009; a 60 MiB zero-filled message deflated into one ~60 KB frame, the same
# cut into 4 KiB fragments, fragments that only add up past the limit, and 20
# connections sending a bomb at once are all closed with 1009, the server
# keeps serving, and its VmRSS growth stays under 64 MiB (printed; 1.3 GB
# would be inflated without the limit).
source "$(dirname "$0")/common.bash"

start_server tests/lib/echo_server.php '{"max_message_size":65536}'
run_peer "$PY" tests/compression/abuse.py bomb "$PORT" "$SERVER_PID" 65536
[ "$(closes 1009)" -eq 24 ] || fail "expected 24 closes with 1009, got $(closes 1009)"
[ "$(closes 1000)" -eq 2 ] || fail "expected 2 clean closes, got $(closes 1000)"
finish_server
echo "ok"
