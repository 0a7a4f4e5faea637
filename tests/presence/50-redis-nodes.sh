#!/usr/bin/env bash
# Presence across two nodes on one Redis (node A with 2 workers, node B a
# single process): joins and closes are seen on the other node; when node B
# is SIGKILLed its members expire on A after the heartbeat timeout, and A
# reports the leave once; a node started late gets the full state; changes
# made while Redis is down (a SIGKILLed and restarted redis-server) reach
# the other node once Redis is back.
source "$(dirname "$0")/nodes.bash"
IN=$(mktemp -u); EXTRA_FILES="$EXTRA_FILES $IN"
mkfifo "$IN"
start_server tests/presence/server.php "{\"workers\": 2, \"broker\": \"$BROKER\"}"
wait_for '^START 1 ' "$SERVER_OUT"
start_b "{\"broker\": \"$BROKER\"}"
node tests/presence/client.js nodes "ws://127.0.0.1:$PORT" "ws://127.0.0.1:$B_PORT" <"$IN" >"$OUT" 2>&1 &
EXTRA_PIDS=$!
exec 3>"$IN"
step KILL_B
kill -KILL "$B_PID"; wait "$B_PID" 2>/dev/null || true; B_PID=
echo killed >&3
step RESTART_B
start_b "{\"broker\": \"$BROKER\"}"
echo "restarted ws://127.0.0.1:$B_PORT" >&3
step KILL_REDIS
port=$REDIS_PORT
kill_redis
echo "redis down" >&3
step START_REDIS
start_redis "$port"
echo "redis up" >&3
step DONE
exec 3>&-
wait "$EXTRA_PIDS" || fail "client failed: $(cat "$OUT")"
EXTRA_PIDS=
grep -E '^(JOINS_SEEN|CLOSE_SEEN|EXPIRED|LATE_NODE_SYNCED|RESYNCED)' "$OUT"
# The dead node's member b2 left once, reported on node A.
n=$(grep -cE '^LEAVE room [0-9]+ b2 ' "$SERVER_OUT" || true)
[ "$n" -eq 1 ] || fail "node A reported the leave of the dead node's b2 $n times, want 1: $(grep '^LEAVE' "$SERVER_OUT")"
ms=$(sed -n 's/^EXPIRED \([0-9]*\) ms/\1/p' "$OUT")
[ "$ms" -lt 10000 ] || fail "the dead node's members took $ms ms to expire"
stop_b
stop_server || fail "node A exited with status $?"
echo "ok"
