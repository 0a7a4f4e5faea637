#!/usr/bin/env bash
# Descriptor exhaustion: the server runs with soft and hard RLIMIT_NOFILE 64
# and 100 clients connect.  max_connections is 0 because with the default
# (10000) run() warns at start that it does not fit under the limit, and that
# warning uses up the one-time flag, so the EMFILE warning checked here would
# never be printed.  The server upgrades what fits, refuses the rest one at a time with its
# spare descriptor, does not busy-loop (CPU time over 3 s of saturation under
# 1 s), warns exactly once on stderr, keeps echoing for the canary, and once
# the clients are gone a new client connects and echoes.
source "$(dirname "$0")/common.bash"

start_server_nofile 64 -d display_errors=0 -d log_errors=1 "$ECHO_SERVER" '{"max_connections": 0}'
start_canary
"$PY" "$ABUSE/emfile.py" "$PORT" "$SERVER_PID" 100 3 1.0 || fail "descriptor exhaustion"
canary_alive
finish_canary
stop_server_ok
warnings=$(grep -c "out of file descriptors" "$SERVER_ERR" || true)
echo "stderr: $(grep "out of file descriptors" "$SERVER_ERR" | head -1)"
[ "$warnings" = 1 ] || fail "expected the descriptor warning once on stderr, found it $warnings times"
[ "$(grep -c . "$SERVER_ERR")" = 1 ] || fail "unexpected output on stderr"
echo "PASS emfile"
