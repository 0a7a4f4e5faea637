# tests/interop/common.bash - helpers shared by the interop shell tests
# (sourced, not a test itself: ./dev test runs only *.sh).
#
#   source "$(dirname "$0")/common.bash"
#
# Sources tests/lib/server.sh, moves to the repository root, checks the peer
# programs exist, and offers assertions on the OPEN/CLOSE lines that
# tests/lib/echo_server.php writes to $SERVER_OUT.

set -euo pipefail
INTEROP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$INTEROP_DIR/../.."
# shellcheck source=../lib/server.sh
source tests/lib/server.sh

# PY, NODE_PATH, fail, need_python, need_node and run_peer come from tests/lib/server.sh.

# conn_id PATH: the id of the one connection that opened with this request path.
conn_id() {
	local ids n
	ids=$(awk -v p="$1" '$1 == "OPEN" && $3 == p { print $2 }' "$SERVER_OUT")
	n=$(printf '%s' "$ids" | grep -c . || true)
	[ "$n" -eq 1 ] || fail "expected one OPEN line for path $1, found $n"
	printf '%s' "$ids"
}

# expect_line LINE: the server printed exactly this line, exactly once.
expect_line() {
	local n
	n=$(grep -cFx -- "$1" "$SERVER_OUT" || true)
	[ "$n" -eq 1 ] || fail "expected the server line '$1' once, found it $n times"
}

# expect_open PATH SUBPROTOCOL: the connection to PATH negotiated SUBPROTOCOL ("-" for none).
expect_open() {
	local id
	id=$(conn_id "$1")
	expect_line "OPEN $id $1 $2"
}

# expect_close PATH CODE [REASON]: the server's close event for the connection to PATH.
expect_close() {
	local id line
	id=$(conn_id "$1")
	line="CLOSE $id $2 ${3:-}"
	expect_line "$line"
}

# finish_server: stops the server gracefully and checks that run() returned
# and that every connection that opened closed exactly once.
finish_server() {
	local rc=0 opens closes
	stop_server || rc=$?
	[ "$rc" -eq 0 ] || fail "server exited with status $rc"
	expect_line "STOPPED"
	[ ! -s "$SERVER_ERR" ] || fail "server wrote to stderr: $(head -5 "$SERVER_ERR")"
	opens=$(awk '$1 == "OPEN" { print $2 }' "$SERVER_OUT" | sort)
	closes=$(awk '$1 == "CLOSE" { print $2 }' "$SERVER_OUT" | sort)
	[ -n "$opens" ] || fail "no connection opened"
	[ "$opens" = "$closes" ] || fail "OPEN and CLOSE ids differ (every opened connection must close exactly once)"
	rm -f "$SERVER_OUT" "$SERVER_ERR"
}
