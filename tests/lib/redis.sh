# tests/lib/redis.sh - a throwaway redis-server for the shell tests (sourced).
#
#   source tests/lib/redis.sh
#   start_redis [PORT]     # on PORT or a free port of 127.0.0.1: sets REDIS_PID, REDIS_PORT
#   kill_redis             # SIGKILL by PID (an outage), waits for it
#
# No persistence; its log goes to $REDIS_LOG (a temporary file unless set).
# The caller's EXIT trap must call kill_redis.  Needs fail (tests/lib/server.sh).

REDIS_PID=
REDIS_PORT=
: "${REDIS_LOG:=$(mktemp)}"

command -v redis-server >/dev/null || fail "redis-server is not installed (apt-get install redis-server)"

redis_free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_redis() {
	REDIS_PORT=${1:-$(redis_free_port)}
	export REDIS_PORT
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >>"$REDIS_LOG" 2>&1 &
	REDIS_PID=$!
	local i
	for i in $(seq 1 100); do
		[ "$(redis-cli -p "$REDIS_PORT" PING 2>/dev/null)" = PONG ] && return 0
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "redis-server did not start on port $REDIS_PORT: $(tail -5 "$REDIS_LOG")"
}

kill_redis() {
	if [ -n "$REDIS_PID" ]; then
		kill -KILL "$REDIS_PID" 2>/dev/null || true
		wait "$REDIS_PID" 2>/dev/null || true
	fi
	REDIS_PID=
}
