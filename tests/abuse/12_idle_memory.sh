#!/usr/bin/env bash
# Idle connections stay small (issue 19): 5,000 connections opened to
# examples/echo.php (no open handler, so no PHP object) and held; the
# server's RSS growth divided by the connections must stay under 450 B (the
# engine's struct is 312 B since the diet; it was 877 B measured before).
# Then the same through tests/lib/echo_server.php, whose open handler makes a
# WebSocket\Connection object per connection: its figure is printed (the
# cost of the PHP object on top) and must stay under 1 KiB.  The server's
# descriptors are checked to come back after the clients leave.
source "$(dirname "$0")/common.bash"

N=5000
make -s -C bench loadgen >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((N + 100)) ] || fail "the open-files limit $(ulimit -n) is under $((N + 100))"

# per_conn SCRIPT [ARGS]: sets RSS to the server's RSS growth per held connection, in bytes.
# (Not in a subshell: the cleanup trap must see SERVER_PID if a check fails.)
per_conn() {
	start_server "$@" || fail "the server did not start"
	local out rss fds_before fds_after
	fds_before=$(ls "/proc/$SERVER_PID/fd" | wc -l)
	out=$(bench/loadgen connections -p "$PORT" -n "$N" -r 5000 -d 1 --pid "$SERVER_PID" -q) || fail "loadgen: $out"
	grep -q "\"open_after_hold\":$N," <<<"$out" || fail "not every connection was established: $out"
	rss=$(sed -n 's/.*"rss_per_conn_bytes":\([0-9.]*\).*/\1/p' <<<"$out")
	[ -n "$rss" ] || fail "no rss_per_conn_bytes in: $out"
	# The clients are gone: the server closes their sockets within a few iterations.
	for _ in $(seq 1 200); do
		fds_after=$(ls "/proc/$SERVER_PID/fd" | wc -l)
		[ "$fds_after" -le "$fds_before" ] && break
		sleep 0.05
	done
	[ "$fds_after" -le "$fds_before" ] || fail "descriptors: $fds_before before, $fds_after after the clients left"
	stop_server || fail "the server did not exit cleanly after SIGTERM"
	RSS=$(printf '%.0f' "$rss")
}

per_conn examples/echo.php 0
plain=$RSS
echo "idle connection, no PHP object: $plain B"
[ "$plain" -le 450 ] || fail "an idle connection costs $plain B (at most 450 B expected)"

per_conn "$ECHO_SERVER"
with_obj=$RSS
echo "idle connection with its WebSocket\\Connection object: $with_obj B"
[ "$with_obj" -le 1024 ] || fail "an idle connection with its PHP object costs $with_obj B (at most 1 KiB expected)"
echo "PASS idle memory"
