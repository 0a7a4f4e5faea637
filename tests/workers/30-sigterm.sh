#!/usr/bin/env bash
# SIGTERM to the supervisor with 500 clients over 2 workers: every client
# gets 1001, every close event fires, every worker fires workerStop, and the
# supervisor exits 0.
source "$(dirname "$0")/common.bash"
need_node
ulimit -n "$(ulimit -Hn)"

# The client holds its connections while its stdin (a fifo we keep open) is open.
HOLD_OUT=$(mktemp); HOLD_IN=$(mktemp -u); EXTRA_FILES="$HOLD_OUT $HOLD_IN"
mkfifo "$HOLD_IN"
start_server tests/workers/worker_server.php '{"workers": 2}'
wait_for '^START 1 ' "$SERVER_OUT"
node tests/workers/workers_client.js hold "ws://127.0.0.1:$PORT" 500 <"$HOLD_IN" >"$HOLD_OUT" 2>&1 &
EXTRA_PIDS=$!
exec 3>"$HOLD_IN"
wait_for '^READY' "$HOLD_OUT" 60
grep -q '"0":' "$HOLD_OUT" && grep -q '"1":' "$HOLD_OUT" || fail "both workers should hold clients: $(cat "$HOLD_OUT")"
kids=$(workers_of "$SERVER_PID")
stop_server || fail "supervisor exited with status $?"
for k in $kids; do kill -0 "$k" 2>/dev/null && fail "worker $k outlived its supervisor"; done
wait_for '^CLOSED' "$HOLD_OUT"
[ "$(count_lines '^CLOSED [01] 1001$' "$HOLD_OUT")" -eq 500 ] || fail "$(count_lines '^CLOSED [01] 1001$' "$HOLD_OUT") of 500 clients got 1001"
[ "$(count_lines '^CLOSE .* 1001 ' "$SERVER_OUT")" -eq 500 ] || fail "not every close event fired with 1001"
[ "$(count_lines '^STOP ' "$SERVER_OUT")" -eq 2 ] || fail "workerStop did not fire in both workers"
grep -qx STOPPED "$SERVER_OUT" || fail "run() did not return in the supervisor"
exec 3>&-
wait "$EXTRA_PIDS" || true
EXTRA_PIDS=
echo "ok"
