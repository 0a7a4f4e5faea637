#!/usr/bin/env bash
# Presence with 2 workers: joins are seen on both workers, a closing
# connection leaves at once everywhere, and when a worker is SIGKILLed its
# members expire on the other at once (the supervisor sees the bus close).
# Each join and leave event fires exactly once on the node: in the owner's
# worker, and for the dead worker's member in the surviving worker.
source "$(dirname "$0")/../workers/common.bash"
need_node

OUT=$(mktemp); IN=$(mktemp -u); EXTRA_FILES="$OUT $IN"
mkfifo "$IN"
start_server tests/presence/server.php '{"workers": 2}'
wait_for '^START 1 ' "$SERVER_OUT"
node tests/presence/client.js presence "ws://127.0.0.1:$PORT" <"$IN" >"$OUT" 2>&1 &
EXTRA_PIDS=$!
exec 3>"$IN"
wait_for '^(KILL 1|FAIL)' "$OUT" 60
grep -q '^FAIL' "$OUT" && fail "client: $(cat "$OUT")"
victim=$(sed -n 's/^START 1 //p' "$SERVER_OUT" | tail -1)
[ -n "$victim" ] || fail "no pid for worker 1"
kill -KILL "$victim"
echo killed >&3
wait_for '^(DONE|FAIL)' "$OUT" 60
grep -q '^FAIL' "$OUT" && fail "client: $(cat "$OUT")"
exec 3>&-
wait "$EXTRA_PIDS" || fail "client failed: $(cat "$OUT")"
EXTRA_PIDS=
# Events: 4 joins and 1 rejoin; leaves: the close (u3, fired by worker 1),
# the explicit leave (u1, worker 0), the dead worker's member (u2, fired by
# worker 0), then u0 and u1 closing at the end (worker 0).
wait_for '^LEAVE room [0-9]+ u0 ' "$SERVER_OUT"
wait_for '^LEAVE room [0-9]+ u1 .*' "$SERVER_OUT"
stop_server || fail "supervisor exited with status $?"
joins=$(grep -c '^JOIN room ' "$SERVER_OUT" || true)
[ "$joins" -eq 5 ] || fail "$joins join events, want 5: $(grep '^JOIN' "$SERVER_OUT")"
for info in u0 u1 u2 u3; do
	n=$(grep -c "^JOIN room [0-9]* $info " "$SERVER_OUT" || true)
	want=1; [ "$info" = u1 ] && want=2
	[ "$n" -eq "$want" ] || fail "$n join events for $info, want $want"
done
grep -qE '^LEAVE room [0-9]+ u3 1 1$' "$SERVER_OUT" || fail "the close of u3 must fire in its own worker 1: $(grep '^LEAVE' "$SERVER_OUT")"
grep -qE '^LEAVE room [0-9]+ u2 1 0$' "$SERVER_OUT" || fail "the dead worker's u2 must leave, reported by worker 0: $(grep '^LEAVE' "$SERVER_OUT")"
[ "$(grep -c '^LEAVE room [0-9]* u2 ' "$SERVER_OUT")" -eq 1 ] || fail "u2 left more than once"
[ "$(grep -c '^LEAVE room [0-9]* u1 ' "$SERVER_OUT")" -eq 2 ] || fail "u1 must leave twice (leave(), then its close)"
grep -E '^(CLOSED|EXPIRED)' "$OUT"
echo "ok"
