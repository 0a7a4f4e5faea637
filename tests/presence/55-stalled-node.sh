#!/usr/bin/env bash
# A node whose loop stalls past the heartbeat timeout (SIGSTOP, then
# SIGCONT) has its members expired by the others; when it speaks again the
# others, who no longer know it, ask for its members, and they come back.
source "$(dirname "$0")/nodes.bash"
IN=$(mktemp -u); EXTRA_FILES="$EXTRA_FILES $IN"
mkfifo "$IN"
start_server tests/presence/server.php "{\"broker\": \"$BROKER\"}"
start_b "{\"broker\": \"$BROKER\"}"
node tests/presence/client.js stalled "ws://127.0.0.1:$PORT" "ws://127.0.0.1:$B_PORT" <"$IN" >"$OUT" 2>&1 &
EXTRA_PIDS=$!
exec 3>"$IN"
step STOP_B
kill -STOP "$B_PID"
echo stopped >&3
step CONT_B
kill -CONT "$B_PID"
echo continued >&3
step DONE
exec 3>&-
wait "$EXTRA_PIDS" || fail "client failed: $(cat "$OUT")"
EXTRA_PIDS=
grep -E '^(EXPIRED|BACK)' "$OUT"
stop_b
stop_server || fail "node A exited with status $?"
echo "ok"
