# tests/presence/nodes.bash - the two-node setup of the presence tests on
# Redis (sourced, not a test itself): a redis-server the test owns, node A
# (started by the test with start_server) and node B, one process of
# tests/presence/server.php started with start_b.  The EXIT trap stops B
# (continuing it first, should a test have stopped it), Redis and whatever
# common.bash knows of, each by PID.
source "$(dirname "${BASH_SOURCE[0]}")/../workers/common.bash"
need_node
source tests/lib/redis.sh
REDIS_LOG=$(mktemp)
OUT=$(mktemp); B_OUT=$(mktemp); B_ERR=$(mktemp); EXTRA_FILES="$OUT $B_OUT $B_ERR $REDIS_LOG"
B_PID=
B_PORT=
cleanup_nodes() {
	[ -n "$B_PID" ] && { kill -CONT "$B_PID"; kill -KILL "$B_PID"; } 2>/dev/null
	kill_redis
	wk_cleanup
}
trap cleanup_nodes EXIT
start_redis
BROKER="redis://127.0.0.1:$REDIS_PORT"

# start_b JSON [PORT]: node B with the options JSON, on PORT or a free port; sets B_PID and B_PORT.
start_b() {
	: >"$B_OUT"
	WS_TEST_PORT=${2:-0} php -d extension="$SO" tests/presence/server.php "$1" >"$B_OUT" 2>"$B_ERR" &
	B_PID=$!
	wait_for '^PORT=' "$B_OUT"
	B_PORT=$(sed -n 's/^PORT=//p' "$B_OUT")
}

# stop_b: SIGTERM to node B; fails if it does not exit 0.
stop_b() {
	kill -TERM "$B_PID"
	wait "$B_PID" || fail "node B exited with status $?"
	B_PID=
}

# step LINE: waits until the test's client prints LINE (or FAIL: then the test fails with its output).
step() {
	wait_for "^($1|FAIL)" "$OUT" 60
	grep -q '^FAIL' "$OUT" && fail "client: $(cat "$OUT")"
	return 0
}
