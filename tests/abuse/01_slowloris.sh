#!/usr/bin/env bash
# Slowloris: 200 connections trickle header bytes (and 20 send nothing) against
# handshake_timeout 2.  Every one gets 408 and is closed between 2 s and 6 s
# after it connected; the canary keeps getting its echoes during and after.
source "$(dirname "$0")/common.bash"

serve "$ECHO_SERVER" '{"handshake_timeout": 2}'
start_canary

"$PY" "$ABUSE/slowloris.py" "$PORT" "$SERVER_PID" 2 200 20 || fail "slowloris attack"
canary_alive
# After the attack: a fresh client gets its echo too.
"$PY" - "$PORT" <<'EOF' || fail "new client after the attack"
import sys
from wsabuse import check, echo, open_ws, run_main
def main():
    c = open_ws(int(sys.argv[1]))
    echo(c, b"after slowloris")
    check(c.close_and_wait() == (1000, b""), "closing handshake")
run_main(main)
EOF
finish_canary
# No WebSocket connection was opened by the attack: only the canary and the check above.
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" = 2 ] || fail "unexpected OPEN lines: $(grep -c '^OPEN ' "$SERVER_OUT")"
stop_server_ok
echo "PASS slowloris"
