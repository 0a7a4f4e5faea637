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

# Always clean up the server we started, even when a test step fails.
trap 'stop_server >/dev/null 2>&1 || true' EXIT
