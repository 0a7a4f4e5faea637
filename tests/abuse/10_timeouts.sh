#!/usr/bin/env bash
# Keepalive and idle timeouts.
#  ping_interval 1 + pong_timeout 1: a raw client that never answers pings is
#  dropped (no close frame, close event 1006); a websockets-library client
#  that sends nothing (the library answers pings) and a raw client answering
#  pings stay connected for 4 s and still echo.
#  idle_timeout 1: a silent client and a client sending only pings are closed
#  with 1001 "idle timeout".
# The canary (a message every ~100 ms) stays connected through both.
source "$(dirname "$0")/common.bash"

echo "== ping_interval 1, pong_timeout 1"
serve "$ECHO_SERVER" '{"ping_interval": 1, "pong_timeout": 1}'
start_canary
"$PY" "$ABUSE/timeouts.py" "$PORT" "$SERVER_OUT" ping || fail "ping timeout"
finish_canary
stop_server_ok

echo "== idle_timeout 1"
serve "$ECHO_SERVER" '{"idle_timeout": 1}'
start_canary
"$PY" "$ABUSE/timeouts.py" "$PORT" "$SERVER_OUT" idle || fail "idle timeout"
finish_canary
stop_server_ok
echo "PASS timeouts"
