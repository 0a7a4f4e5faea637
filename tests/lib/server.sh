# tests/lib/server.sh - start and stop a PHP WebSocket server for shell-driven tests.
#
#   source "$(dirname "$0")/../lib/server.sh"
#   start_server tests/lib/echo_server.php        # sets SERVER_PID, PORT, SERVER_OUT, SERVER_ERR
#   ... talk to 127.0.0.1:$PORT ...
#   stop_server                                    # SIGTERM, waits, returns the exit status
#
# The server script must print "PORT=<n>" on a line of its stdout once it listens
# (it binds 127.0.0.1:0, so tests never collide on ports).  $SO is the extension.

: "${SO:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/modules/websocket.so}"
export SO

start_server() {
	SERVER_OUT=$(mktemp)
	SERVER_ERR=$(mktemp)
	php -d extension="$SO" "$@" >"$SERVER_OUT" 2>"$SERVER_ERR" &
	SERVER_PID=$!
	PORT=
	for _ in $(seq 1 200); do
		PORT=$(sed -n 's/^PORT=//p' "$SERVER_OUT" | head -1)
		[ -n "$PORT" ] && return 0
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "server exited before listening:" >&2
			cat "$SERVER_ERR" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "server did not report its port" >&2
	return 1
}

stop_server() {
	local rc=0
	if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		wait "$SERVER_PID" || rc=$?
	fi
	SERVER_PID=
	return $rc
}

# Helpers shared by the scripted test groups (interop, compression, tls).
PY=/usr/bin/python3
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${SERVER_OUT:-}" ] && [ -f "$SERVER_OUT" ]; then
		echo "--- server stdout (last 40 lines)" >&2
		tail -40 "$SERVER_OUT" >&2
		echo "--- server stderr" >&2
		tail -40 "$SERVER_ERR" >&2
	fi
	exit 1
}

need_python() {
	"$PY" -c 'import websockets' 2>/dev/null || fail "python3-websockets is not installed for $PY"
}

need_node() {
	command -v node >/dev/null || fail "node is not installed"
	[ -f "$NODE_PATH/ws/package.json" ] || fail "ws is not installed in $NODE_PATH"
}

# run_peer CMD...: runs a client program with a timeout; its failure fails the test.
run_peer() {
	local rc=0
	timeout 120 "$@" || rc=$?
	[ "$rc" -eq 0 ] || fail "client '$*' exited with status $rc"
}

# Always clean up the server we started, even when a test step fails.
trap 'stop_server >/dev/null 2>&1 || true' EXIT
