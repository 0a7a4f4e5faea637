#!/usr/bin/env bash
# SIGTERM with 500 open clients (each checked with one echo first): every
# client receives a close frame with 1001, the server logs 500 "CLOSE <id>
# 1001" lines and then STOPPED, and exits 0 long before shutdown_timeout
# (10 s here; all clients answer).  Then: a client that never answers the
# close frame is dropped after shutdown_timeout (1 s) and its close event
# still fires (the well-behaved canary is closed with 1001 too); and a second
# SIGTERM during the wait kills the server at once.
source "$(dirname "$0")/common.bash"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

echo "== 500 clients, SIGTERM"
serve "$ECHO_SERVER" '{"shutdown_timeout": 10}'
CLIENTS_OUT="$TMP/clients.out"
"$PY" "$ABUSE/sigterm_clients.py" "$PORT" 500 >"$CLIENTS_OUT" 2>&1 &
CLIENTS_PID=$!
BG_PIDS+=("$CLIENTS_PID")
wait_log "$CLIENTS_OUT" '^(READY|FAIL)' 60
grep -q '^READY 500' "$CLIENTS_OUT" || { cat "$CLIENTS_OUT"; fail "clients not ready"; }
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" = 500 ] || fail "expected 500 OPEN lines"
t0=$(now_ms)
kill -TERM "$SERVER_PID"
wait_pid_exit "$SERVER_PID" 30
elapsed=$(($(now_ms) - t0))
rc=$WAIT_RC
SERVER_PID=
echo "server exited with status $rc, $elapsed ms after SIGTERM"
[ "$rc" = 0 ] || fail "server exit status $rc"
[ "$elapsed" -lt 8000 ] || fail "the server waited $elapsed ms although every client answered"
wait_pid_exit "$CLIENTS_PID" 30
cat "$CLIENTS_OUT"
[ "$WAIT_RC" = 0 ] || fail "clients failed"
closes=$(grep -c '^CLOSE [0-9]* 1001 server shutting down$' "$SERVER_OUT" || true)
[ "$closes" = 500 ] || fail "expected 500 'CLOSE <id> 1001' lines, got $closes"
[ "$(grep -c '^CLOSE ' "$SERVER_OUT")" = 500 ] || fail "extra CLOSE lines"
[ "$(tail -1 "$SERVER_OUT")" = STOPPED ] || fail "STOPPED is not the last line"

echo "== a client that never answers the close frame, shutdown_timeout 1"
serve "$ECHO_SERVER" '{"shutdown_timeout": 1}'
start_canary
SILENT_OUT="$TMP/silent.out"
"$PY" "$ABUSE/sigterm_clients.py" "$PORT" silent >"$SILENT_OUT" 2>&1 &
SILENT_PID=$!
BG_PIDS+=("$SILENT_PID")
wait_log "$SILENT_OUT" '^(READY|FAIL)' 20
t0=$(now_ms)
kill -TERM "$SERVER_PID"
wait_pid_exit "$SERVER_PID" 20
elapsed=$(($(now_ms) - t0))
rc=$WAIT_RC
SERVER_PID=
echo "server exited with status $rc, $elapsed ms after SIGTERM"
[ "$rc" = 0 ] || fail "server exit status $rc"
[ "$elapsed" -ge 900 ] || fail "the server did not wait for the silent client's reply"
[ "$elapsed" -lt 6000 ] || fail "the server waited $elapsed ms with shutdown_timeout 1"
wait_pid_exit "$SILENT_PID" 20
cat "$SILENT_OUT"
[ "$WAIT_RC" = 0 ] || fail "silent client failed"
grep -q '^CLOSE 1001 ' "$SILENT_OUT" || fail "the silent client did not get close 1001"
wait_pid_exit "$CANARY_PID" 20
CANARY_PID=
grep -q 'CANARY FAIL: connection closed after [0-9]* echoes: code 1001' "$CANARY_OUT" \
	|| { cat "$CANARY_OUT"; fail "the canary was not closed with 1001"; }
[ "$(grep -c '^CLOSE [0-9]* 1001 ' "$SERVER_OUT")" = 2 ] || fail "expected 2 close events with 1001"
[ "$(tail -1 "$SERVER_OUT")" = STOPPED ] || fail "STOPPED is not the last line"

echo "== a second SIGTERM while waiting for replies"
serve "$ECHO_SERVER" '{"shutdown_timeout": 30}'
SILENT_OUT="$TMP/silent2.out"
"$PY" "$ABUSE/sigterm_clients.py" "$PORT" silent >"$SILENT_OUT" 2>&1 &
SILENT_PID=$!
BG_PIDS+=("$SILENT_PID")
wait_log "$SILENT_OUT" '^(READY|FAIL)' 20
kill -TERM "$SERVER_PID"
# The server is now waiting (up to 30 s) for the reply that never comes.
wait_log "$SILENT_OUT" '^(CLOSE|FAIL)' 20
t0=$(now_ms)
kill -TERM "$SERVER_PID"
wait_pid_exit "$SERVER_PID" 10
elapsed=$(($(now_ms) - t0))
rc=$WAIT_RC
SERVER_PID=
echo "server exited with status $rc, $elapsed ms after the second SIGTERM"
[ "$rc" = 143 ] || fail "expected death by SIGTERM (143), got $rc"
[ "$elapsed" -lt 5000 ] || fail "the second SIGTERM took $elapsed ms"
! grep -q STOPPED "$SERVER_OUT" || fail "run() returned after the second signal"
wait_pid_exit "$SILENT_PID" 20
echo "PASS sigterm"
