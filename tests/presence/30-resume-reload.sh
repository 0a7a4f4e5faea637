#!/usr/bin/env bash
# Resume across a reload of 2 workers: the same run as 20-resume.sh (100
# subscribers, 20 random drops), and halfway through the supervisor gets
# SIGUSR2: the old workers close every client with 1012 and the clients
# resume on the new generation, whose replicas came from the supervisor.
# Every subscriber ends with every message exactly once, in order.
source "$(dirname "$0")/../workers/common.bash"
need_node

OUT=$(mktemp); EXTRA_FILES="$OUT"
start_server tests/presence/server.php '{"workers": 2, "history": {"size": 2000}, "reload_window": 1}'
wait_for '^START 1 ' "$SERVER_OUT"
WAIT_RECONNECTS=100 timeout 120 node tests/presence/client.js resume "ws://127.0.0.1:$PORT" 100 20 600 >"$OUT" 2>&1 &
EXTRA_PIDS=$!
wait_for '^(HALF|FAIL)' "$OUT" 60
kill -USR2 "$SERVER_PID"
wait "$EXTRA_PIDS" || fail "client: $(cat "$OUT")"
EXTRA_PIDS=
grep '^RESULT' "$OUT"
[ "$(grep -c '^START ' "$SERVER_OUT")" -ge 4 ] || fail "the reload did not start a new generation"
# 20 random drops plus 100 subscribers closed by the reload (some dropped ones twice).
grep -qE "reconnects=(1[0-9][0-9]) " "$OUT" || fail "the reload should have reconnected every subscriber: $(grep RESULT "$OUT")"
stop_server || fail "supervisor exited with status $?"
echo "ok"
