# tests/compression/common.bash - helpers shared by the permessage-deflate
# shell tests (sourced, not a test itself: ./dev test runs only *.sh).
#
#   source "$(dirname "$0")/common.bash"
#
# Moves to the repository root, sources tests/lib/server.sh (servers are
# tests/lib/echo_server.php with JSON options), and offers fail/run_peer and
# finish_server.

set -euo pipefail
PMD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$PMD_DIR/../.."
# shellcheck source=../lib/server.sh
source tests/lib/server.sh

# server.sh's EXIT trap stops the server; also remove the output files of
# the last one (finish_server removes them after a successful run).
trap 'stop_server >/dev/null 2>&1 || true; rm -f "${SERVER_OUT:-}" "${SERVER_ERR:-}"' EXIT

# PY, NODE_PATH, fail, need_python, need_node and run_peer come from tests/lib/server.sh.

# closes CODE: how many CLOSE lines with this code the server logged.
closes() {
	grep -c "^CLOSE [0-9]* $1 " "$SERVER_OUT" || true
}

# finish_server: stops the server gracefully; it must exit 0, print STOPPED,
# write nothing to stderr, and every connection that opened must have closed
# exactly once.  Its output files are removed then.
finish_server() {
	local rc=0 opens closed
	stop_server || rc=$?
	[ "$rc" -eq 0 ] || fail "server exited with status $rc"
	grep -qx STOPPED "$SERVER_OUT" || fail "the server did not print STOPPED"
	[ ! -s "$SERVER_ERR" ] || fail "server wrote to stderr: $(head -5 "$SERVER_ERR")"
	opens=$(awk '$1 == "OPEN" { print $2 }' "$SERVER_OUT" | sort)
	closed=$(awk '$1 == "CLOSE" { print $2 }' "$SERVER_OUT" | sort)
	[ "$opens" = "$closed" ] || fail "OPEN and CLOSE ids differ (every opened connection must close exactly once)"
	rm -f "$SERVER_OUT" "$SERVER_ERR"
}
