# tests/workers/common.bash - helpers shared by the multi-worker tests
# (sourced, not a test itself).  The server is tests/workers/worker_server.php
# run by tests/lib/server.sh's start_server; SERVER_PID is the supervisor.
set -euo pipefail
WK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$WK_DIR/../.."
# shellcheck source=../lib/server.sh
source tests/lib/server.sh

# workers_of PID: the worker processes of a supervisor, read from /proc (never guessed).
workers_of() {
	pgrep -P "$1" 2>/dev/null || true
}

# The EXIT trap stops the supervisor and, by PID, any worker it left behind.
wk_cleanup() {
	local kids=""
	[ -n "${SERVER_PID:-}" ] && kids=$(workers_of "$SERVER_PID")
	stop_server >/dev/null 2>&1 || true
	for k in $kids ${EXTRA_PIDS:-}; do kill -KILL "$k" 2>/dev/null || true; done
	rm -rf "${SERVER_OUT:-}" "${SERVER_ERR:-}" ${EXTRA_FILES:-}
}
trap wk_cleanup EXIT

# wait_for PATTERN FILE [SECONDS]: until a line matches (state, not sleep).
wait_for() {
	local pat=$1 file=$2 secs=${3:-20} i
	for i in $(seq 1 $((secs * 20))); do
		grep -qE "$pat" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "timed out waiting for /$pat/ in $file: $(tail -5 "$file")"
}

# count_lines PATTERN FILE
count_lines() {
	grep -cE "$1" "$2" 2>/dev/null || true
}
