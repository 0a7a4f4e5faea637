#!/usr/bin/env bash
# A node whose loop stalls past the heartbeat timeout (SIGSTOP, then
# SIGCONT) has its members expired by the others; when it speaks again the
# others, who no longer know it, ask for its members, and they come back.
source "$(dirname "$0")/../workers/common.bash"
need_node
source tests/lib/redis.sh
REDIS_LOG=$(mktemp)
OUT=$(mktemp); IN=$(mktemp -u); B_OUT=$(mktemp); B_ERR=$(mktemp); EXTRA_FILES="$OUT $IN $B_OUT $B_ERR $REDIS_LOG"
mkfifo "$IN"
B_PID=
cleanup_nodes() {
	[ -n "$B_PID" ] && { kill -CONT "$B_PID"; kill -KILL "$B_PID"; } 2>/dev/null
	kill_redis
	wk_cleanup
}
trap cleanup_nodes EXIT
start_redis
BROKER="redis://127.0.0.1:$REDIS_PORT"
start_server tests/presence/server.php "{\"broker\": \"$BROKER\"}"
php -d extension="$SO" tests/presence/server.php "{\"broker\": \"$BROKER\"}" >"$B_OUT" 2>"$B_ERR" &
B_PID=$!
wait_for '^PORT=' "$B_OUT"
B_PORT=$(sed -n 's/^PORT=//p' "$B_OUT")
node tests/presence/client.js stalled "ws://127.0.0.1:$PORT" "ws://127.0.0.1:$B_PORT" <"$IN" >"$OUT" 2>&1 &
EXTRA_PIDS=$!
exec 3>"$IN"
step() {
	wait_for "^($1|FAIL)" "$OUT" 60
	grep -q '^FAIL' "$OUT" && fail "client: $(cat "$OUT")"
	return 0
}
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
kill -TERM "$B_PID"; wait "$B_PID" || fail "node B exited with $?"; B_PID=
stop_server || fail "node A exited with status $?"
echo "ok"
