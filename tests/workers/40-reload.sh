#!/usr/bin/env bash
# Zero-downtime reload (SIGUSR2) under a steady load of new connections and
# messages: no connection attempt fails, every client of the old generation
# gets 1012 (Service Restart), and the new generation runs the new code (the
# test changes a file the script reads at start-up).
source "$(dirname "$0")/common.bash"
need_node

VERSION=$(mktemp); HOLD_OUT=$(mktemp); CHURN_OUT=$(mktemp); HOLD_IN=$(mktemp -u)
EXTRA_FILES="$VERSION $HOLD_OUT $CHURN_OUT $HOLD_IN"
mkfifo "$HOLD_IN"
echo v1 >"$VERSION"
export WS_TEST_VERSION_FILE=$VERSION
start_server tests/workers/worker_server.php '{"workers": 2, "reload_window": 1}'
wait_for '^START 1 ' "$SERVER_OUT"
node tests/workers/workers_client.js hold "ws://127.0.0.1:$PORT" 40 <"$HOLD_IN" >"$HOLD_OUT" 2>&1 &
hold_pid=$!
exec 3>"$HOLD_IN"
wait_for '^READY' "$HOLD_OUT"
node tests/workers/workers_client.js churn "ws://127.0.0.1:$PORT" 6 >"$CHURN_OUT" 2>&1 &
churn_pid=$!
EXTRA_PIDS="$hold_pid $churn_pid"
sleep 1.5   # let the churn run against generation 1 first (load, not synchronisation)
echo v2 >"$VERSION"
kill -USR2 "$SERVER_PID"
wait_for 'generation 2 serves' "$SERVER_ERR" 30
wait_for '^CLOSED' "$HOLD_OUT" 20
wait "$hold_pid" || true
[ "$(count_lines '^CLOSED [01] 1012$' "$HOLD_OUT")" -eq 40 ] || fail "$(count_lines '^CLOSED [01] 1012$' "$HOLD_OUT") of 40 old clients got 1012: $(sort "$HOLD_OUT" | uniq -c | head)"
wait "$churn_pid" || fail "churn client failed: $(tail -5 "$CHURN_OUT")"
EXTRA_PIDS=
grep -q 'CHURN ok=[1-9][0-9]* fail=0 ' "$CHURN_OUT" || fail "connections failed during the reload: $(tail -5 "$CHURN_OUT")"
grep -q '"version:v1"' "$CHURN_OUT" && grep -q '"version:v2"' "$CHURN_OUT" || fail "both code versions should have served: $(tail -1 "$CHURN_OUT")"
# The old generation has exited; the new one serves until SIGTERM.
[ "$(workers_of "$SERVER_PID" | wc -l)" -eq 2 ] || fail "expected 2 workers after the reload, found: $(workers_of "$SERVER_PID")"
exec 3>&-
stop_server || fail "supervisor exited with status $?"
tail -1 "$CHURN_OUT"
echo "ok"
