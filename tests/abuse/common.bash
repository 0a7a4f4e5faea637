# tests/abuse/common.bash - shared by the tests/abuse/*.sh attack tests.
#
#   source "$(dirname "$0")/common.bash"
#
# Provides: $PY (Debian python3 with python3-websockets), $ABUSE (this folder),
# fail MSG, serve SCRIPT [ARGS] (start_server), start_canary / finish_canary (the well-behaved client that must keep
# getting echoes), start_server_nofile LIMIT SCRIPT [ARGS] (start_server under
# a lowered descriptor limit), stop_server_ok (SIGTERM, exit 0, STOPPED),
# wait_pid_exit PID SECONDS, wait_log FILE REGEX SECONDS, and a cleanup trap
# that stops everything this test started (by PID).

set -euo pipefail

ABUSE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$ABUSE/../.." && pwd)
cd "$ROOT"
# shellcheck source=../lib/server.sh
source "$ROOT/tests/lib/server.sh"

PY=/usr/bin/python3
export PYTHONPATH="$ABUSE${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
ECHO_SERVER="$ROOT/tests/lib/echo_server.php"

TMP=$(mktemp -d)
CANARY_PID=
BG_PIDS=()
TMP_FILES=()

cleanup() {
	local p
	if [ -n "${CANARY_PID:-}" ]; then kill "$CANARY_PID" 2>/dev/null || true; fi
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
	if [ ${#TMP_FILES[@]} -gt 0 ]; then rm -f "${TMP_FILES[@]}"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${SERVER_OUT:-}" ] && [ -f "$SERVER_OUT" ]; then
		echo "--- server stdout (last 20 lines)" >&2
		tail -20 "$SERVER_OUT" >&2
	fi
	if [ -n "${SERVER_ERR:-}" ] && [ -s "$SERVER_ERR" ]; then
		echo "--- server stderr" >&2
		tail -20 "$SERVER_ERR" >&2
	fi
	exit 1
}

# wait_pid_exit PID SECONDS: waits for a child to exit; sets WAIT_RC. Fails at the deadline.
wait_pid_exit() {
	local pid=$1 limit=$2 end
	end=$(($(date +%s%N) + limit * 1000000000))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s%N)" -gt "$end" ]; then
			fail "process $pid still running after ${limit}s"
		fi
		sleep 0.05
	done
	WAIT_RC=0
	wait "$pid" || WAIT_RC=$?
}

# wait_log FILE REGEX SECONDS: polls until a line of FILE matches REGEX.
wait_log() {
	local file=$1 re=$2 limit=$3 end
	end=$(($(date +%s%N) + limit * 1000000000))
	until grep -Eq -- "$re" "$file" 2>/dev/null; do
		if [ "$(date +%s%N)" -gt "$end" ]; then
			fail "no line matching /$re/ in $file after ${limit}s"
		fi
		sleep 0.05
	done
}

# serve SCRIPT [ARGS]: start_server (tests/lib/server.sh), failing the test if
# it does not come up, and removing its output files at exit.
serve() {
	start_server "$@" || fail "server did not start"
	TMP_FILES+=("$SERVER_OUT" "$SERVER_ERR")
}

# start_canary: connects the canary to $PORT and waits for its first echo.
start_canary() {
	# Fresh files for every canary: a test may run several, one after the other.
	CANARY_OUT=$(mktemp -p "$TMP" canary.XXXXXX)
	CANARY_STOP="$CANARY_OUT.stop"
	"$PY" "$ABUSE/canary.py" "$PORT" "$CANARY_STOP" >"$CANARY_OUT" 2>&1 &
	CANARY_PID=$!
	local end=$(($(date +%s%N) + 15 * 1000000000))
	until grep -q "CANARY READY" "$CANARY_OUT"; do
		if ! kill -0 "$CANARY_PID" 2>/dev/null || [ "$(date +%s%N)" -gt "$end" ]; then
			cat "$CANARY_OUT" >&2
			fail "canary did not get its first echo"
		fi
		sleep 0.05
	done
}

# finish_canary: tells the canary to do its last echo and close; checks it passed.
finish_canary() {
	touch "$CANARY_STOP"
	wait_pid_exit "$CANARY_PID" 30
	CANARY_PID=
	if [ "$WAIT_RC" != 0 ]; then
		cat "$CANARY_OUT" >&2
		fail "the canary failed (status $WAIT_RC)"
	fi
	grep "CANARY OK" "$CANARY_OUT"
}

# canary_alive: fails the test at once if the canary already gave up.
canary_alive() {
	if ! kill -0 "$CANARY_PID" 2>/dev/null; then
		cat "$CANARY_OUT" >&2
		fail "the canary stopped during the attack"
	fi
}

# start_server_nofile LIMIT SCRIPT [ARGS]: like start_server, with the soft and
# hard RLIMIT_NOFILE of the server lowered to LIMIT (in a shell, before exec).
start_server_nofile() {
	local limit=$1
	shift
	SERVER_OUT=$(mktemp -p "$TMP")
	SERVER_ERR=$(mktemp -p "$TMP")
	# A simple command in the background is exec'd in the forked child, so $! is
	# the shell that lowers its limits and then becomes php.
	bash -c 'ulimit -Sn "$0" && ulimit -Hn "$0" && exec "$@"' "$limit" php -d extension="$SO" "$@" \
		>"$SERVER_OUT" 2>"$SERVER_ERR" &
	SERVER_PID=$!
	PORT=
	for _ in $(seq 1 200); do
		PORT=$(sed -n 's/^PORT=//p' "$SERVER_OUT" | head -1)
		if [ -n "$PORT" ]; then
			# The subshell must have become php (exec), or SERVER_PID is the wrong process.
			[ "$(tr '\0' ' ' <"/proc/$SERVER_PID/cmdline" | cut -d' ' -f1)" = php ] \
				|| fail "SERVER_PID $SERVER_PID is not the php process"
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			cat "$SERVER_ERR" >&2
			fail "server exited before listening"
		fi
		sleep 0.05
	done
	fail "server did not report its port"
}

# stop_server_ok: SIGTERM, expect exit 0 within 20 s and STOPPED as the last line.
stop_server_ok() {
	kill -TERM "$SERVER_PID"
	wait_pid_exit "$SERVER_PID" 20
	SERVER_PID=
	[ "$WAIT_RC" = 0 ] || fail "server exited with status $WAIT_RC after SIGTERM"
	[ "$(tail -1 "$SERVER_OUT")" = STOPPED ] || fail "server did not log STOPPED last"
}
