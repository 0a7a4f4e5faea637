# tests/pubsub/common.bash - helpers shared by the pub/sub shell tests
# (sourced, not a test itself: ./dev test runs only *.sh).  Builds on
# tests/interop/common.bash (server start/stop, fail, run_peer, need_node).

# shellcheck source=../interop/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/../interop/common.bash"

# stop_checked: stops the server gracefully; it must exit 0, print STOPPED
# and nothing on stderr.
stop_checked() {
	local rc=0
	stop_server || rc=$?
	[ "$rc" -eq 0 ] || fail "server exited with status $rc"
	expect_line "STOPPED"
	[ ! -s "$SERVER_ERR" ] || fail "server wrote to stderr: $(head -5 "$SERVER_ERR")"
}

# expect_closes N CODE: the server logged N close events, all with CODE.
expect_closes() {
	local total with_code
	total=$(grep -c '^CLOSE ' "$SERVER_OUT" || true)
	with_code=$(grep -c "^CLOSE [0-9]* $2 " "$SERVER_OUT" || true)
	[ "$total" -eq "$1" ] || fail "expected $1 close events, found $total"
	[ "$with_code" -eq "$1" ] || fail "expected $1 close events with code $2, found $with_code"
}

cleanup_server_files() {
	rm -f "$SERVER_OUT" "$SERVER_ERR"
}
