#!/usr/bin/env bash
# 2,000 connections sending random bytes, half of them without a handshake
# (each answered with a 4xx and closed) and half after a valid one (read as
# frames: closed with a close frame, or left waiting for more bytes).  The
# server stays up, its RSS stays within 64 MiB of where it started, every
# connection that opened gets exactly one close event, and the canary keeps
# getting its echoes.
source "$(dirname "$0")/common.bash"

serve "$ECHO_SERVER" '{"handshake_timeout": 2}'
start_canary
"$PY" "$ABUSE/junk.py" "$PORT" "$SERVER_PID" 2 2000 64 || fail "random bytes"
canary_alive
finish_canary
# Every opened connection (1000 upgraded + the canary) has its one close event.
end=$(($(date +%s) + 10))
until [ "$(grep -c '^CLOSE ' "$SERVER_OUT")" -ge 1001 ] || [ "$(date +%s)" -gt "$end" ]; do sleep 0.1; done
opened=$(grep -c '^OPEN ' "$SERVER_OUT")
[ "$opened" = 1001 ] || fail "expected 1001 OPEN lines, got $opened"
closed_ids=$(awk '$1 == "CLOSE" { print $2 }' "$SERVER_OUT" | sort -n)
opened_ids=$(awk '$1 == "OPEN" { print $2 }' "$SERVER_OUT" | sort -n)
[ "$closed_ids" = "$opened_ids" ] || fail "close events do not match the opened connections one to one"
echo "close codes seen by the server: $(awk '$1 == "CLOSE" { print $3 }' "$SERVER_OUT" | sort | uniq -c | tr -s ' \n' ' ')"
stop_server_ok
echo "PASS random bytes"
