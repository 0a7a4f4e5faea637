#!/usr/bin/env bash
# Resume across nodes and a node restart, with the histories in Redis: node
# A (2 workers) and node B (one process) share one redis-server; 100
# subscribers start on both, the publisher publishes on A, 20 subscribers
# drop at random moments and resume on a random node, and halfway through
# node B is SIGKILLed and restarted on its port: its clients resume on
# either node (B loads the histories from Redis before it accepts).  Every
# subscriber ends with every message exactly once, in order, and no resume
# reported a gap.
source "$(dirname "$0")/nodes.bash"
OPTS="{\"history\": {\"size\": 2000}, \"broker\": \"$BROKER\""
start_server tests/presence/server.php "$OPTS, \"workers\": 2}"
wait_for '^START 1 ' "$SERVER_OUT"
start_b "$OPTS}"
WAIT_RECONNECTS=40 timeout 150 node tests/presence/client.js resume "ws://127.0.0.1:$PORT,ws://127.0.0.1:$B_PORT" 100 20 600 >"$OUT" 2>&1 &
EXTRA_PIDS=$!
wait_for '^(HALF|FAIL)' "$OUT" 60
kill -KILL "$B_PID"; wait "$B_PID" 2>/dev/null || true; B_PID=
start_b "$OPTS}" "$B_PORT" # on the same port, so that its clients come back to it
wait "$EXTRA_PIDS" || fail "client: $(cat "$OUT"); node B: $(cat "$B_ERR")"
EXTRA_PIDS=
grep '^RESULT' "$OUT"
[ "$(redis-cli -p "$REDIS_PORT" XLEN ws:s:feed)" -eq 600 ] || fail "Redis's stream holds $(redis-cli -p "$REDIS_PORT" XLEN ws:s:feed) entries, want 600"
stop_b
stop_server || fail "node A exited with status $?"
echo "ok"
