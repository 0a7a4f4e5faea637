#!/usr/bin/env bash
# A worker SIGKILLed is restarted (stderr says so) and the other worker's
# clients see nothing; then a worker that dies in workerStart every time hits
# the crash-loop limit: the supervisor says so on stderr, stops restarting it,
# and the other worker keeps serving.
source "$(dirname "$0")/common.bash"
need_node

HOLD_OUT=$(mktemp); HOLD_IN=$(mktemp -u); EXTRA_FILES="$HOLD_OUT"
mkfifo "$HOLD_IN"; EXTRA_FILES="$EXTRA_FILES $HOLD_IN"

start_server tests/workers/worker_server.php '{"workers": 2}'
wait_for '^START 1 ' "$SERVER_OUT"
# 40 clients that stay connected; the test keeps the fifo open until it ends.
node tests/workers/workers_client.js hold "ws://127.0.0.1:$PORT" 40 <"$HOLD_IN" >"$HOLD_OUT" 2>&1 &
EXTRA_PIDS=$!
exec 3>"$HOLD_IN"
wait_for '^READY' "$HOLD_OUT"
victim=$(awk '$1 == "START" && $2 == 0 { print $3 }' "$SERVER_OUT" | tail -1)
kill -0 "$victim" || fail "worker 0 pid $victim is not running"
kill -KILL "$victim"
wait_for "worker 0 \\(pid $victim\\) was killed by signal 9.*restarting" "$SERVER_ERR"
# The restart comes after a backoff: wait for the second START of worker 0 (state, bounded).
for _ in $(seq 1 400); do
	[ "$(count_lines '^START 0 ' "$SERVER_OUT")" -ge 2 ] && break
	sleep 0.05
done
[ "$(count_lines '^START 0 ' "$SERVER_OUT")" -eq 2 ] || fail "worker 0 was not restarted"
# The survivors: every client of worker 1 is still connected; worker 0's were cut (1006).
exec 3>&-
wait_for '^CLOSED' "$HOLD_OUT"
wait "$EXTRA_PIDS" || true
EXTRA_PIDS=
grep -E '^CLOSED 1 ' "$HOLD_OUT" | grep -vqE ' 1000$' && fail "a client of the surviving worker saw a close other than its own 1000"
grep -qE '^CLOSED 0 1006$' "$HOLD_OUT" || fail "the killed worker's clients should see 1006"
stop_server || fail "supervisor exited with status $?"
rm -f "$SERVER_OUT" "$SERVER_ERR"

# Crash loop: worker 1 throws in workerStart, every time.
WS_TEST_FAIL_START=1 start_server tests/workers/worker_server.php '{"workers": 2}'
wait_for 'worker 1 .* 5 times in a row: not restarting it' "$SERVER_ERR" 60
[ "$(count_lines '^START 1 ' "$SERVER_OUT")" -eq 5 ] || fail "worker 1 should have been started exactly 5 times"
# Worker 0 still serves.
node -e '
const WebSocket = require("ws");
const ws = new WebSocket(process.argv[1]);
ws.on("message", (d) => { if (/^hello:0:/.test(d)) { ws.close(); process.exit(0); } });
ws.on("error", () => process.exit(1));
setTimeout(() => process.exit(1), 5000);' "ws://127.0.0.1:$PORT" || fail "worker 0 does not serve during worker 1's crash loop"
stop_server || fail "supervisor exited with status $?"
echo "ok"
