#!/usr/bin/env bash
# Oversize messages against max_message_size 65536: a single frame, fragments
# adding up, and headers announcing too much (refused before any payload) are
# closed with 1009, and the server's close event shows 1009.  Messages of
# exactly the limit are echoed.  The canary keeps getting its echoes.
source "$(dirname "$0")/common.bash"

serve "$ECHO_SERVER" '{"max_message_size": 65536}'
start_canary
"$PY" "$ABUSE/protocol.py" "$PORT" "$SERVER_OUT" oversize || fail "oversize messages"
[ "$(grep -c '^CLOSE [0-9]* 1009 ' "$SERVER_OUT")" = 6 ] || fail "expected 6 CLOSE lines with 1009"
finish_canary
stop_server_ok
echo "PASS oversize"
