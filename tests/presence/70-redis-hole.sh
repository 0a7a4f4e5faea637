#!/usr/bin/env bash
# Holes: every subscriber connection of Redis is killed (CLIENT KILL TYPE
# pubsub) while a publisher goes on.  Both nodes (A with 2 workers, B one
# process) miss the publications made before their subscriber reconnects;
# each sees the hole at the next publication, holds the live stream, fetches
# the missed ones from Redis's history and delivers them first.  The 100
# subscribers never reconnect, and each ends with every message exactly
# once, in order.
source "$(dirname "$0")/nodes.bash"
OPTS="{\"history\": {\"size\": 2000}, \"broker\": \"$BROKER\""
start_server tests/presence/server.php "$OPTS, \"workers\": 2}"
wait_for '^START 1 ' "$SERVER_OUT"
start_b "$OPTS}"
timeout 150 node tests/presence/client.js resume "ws://127.0.0.1:$PORT,ws://127.0.0.1:$B_PORT" 100 0 800 >"$OUT" 2>&1 &
EXTRA_PIDS=$!
wait_for '^(HALF|FAIL)' "$OUT" 60
killed=$(redis-cli -p "$REDIS_PORT" CLIENT KILL TYPE pubsub)
wait "$EXTRA_PIDS" || fail "client: $(cat "$OUT"); node B: $(cat "$B_ERR")"
EXTRA_PIDS=
grep '^RESULT' "$OUT"
echo "subscriber connections killed: $killed"
[ "$killed" -ge 2 ] || fail "CLIENT KILL found $killed subscriber connections, want both nodes'"
grep -q 'reconnects=0 ' "$OUT" || fail "no client should have had to reconnect"
stop_b
stop_server || fail "node A exited with status $?"
echo "ok"
