#!/usr/bin/env bash
# The shared inflater holds: with the default server (client_no_context_takeover,
# checked in the answer), 1,000 Node ws clients each send one 100-byte and
# then one 48 KB compressed message, and the server's VmRSS may grow by at
# most 2 KiB per connection over its idle figure.  A private inflater per
# connection (about 7 KiB of zlib state plus up to 32 KiB of window) would
# cost several times that.  The clients run under run_peer's timeout; the
# server is stopped by its PID.
source "$(dirname "$0")/common.bash"
need_node
N=1000
BOUND_KIB=2
[ "$(ulimit -n)" -ge $((N + 100)) ] || ulimit -n $((N + 100)) 2>/dev/null ||
	fail "the open-files limit $(ulimit -n) is too low for $N connections"

start_server tests/lib/echo_server.php '{"max_connections":0}'
log=$(mktemp)
trap 'stop_server >/dev/null 2>&1 || true; rm -f "${SERVER_OUT:-}" "${SERVER_ERR:-}" "$log"' EXIT
run_peer node tests/compression/pmd_node.js memory "ws://127.0.0.1:$PORT" "$SERVER_PID" "$N" compress >"$log"
cat "$log"
grep -q '^ANSWER .*client_no_context_takeover' "$log" || fail "the answer lacks client_no_context_takeover"
read -r _ before idle after full < <(grep '^MEMORY_KIB ' "$log")
[ "$(closes 1000)" -eq "$N" ] || fail "expected $N clean closes, got $(closes 1000)"
finish_server
for step in "$after:one 100-byte message" "$full:a 48 KB message"; do
	kib=${step%%:*}
	per=$(( (kib - idle) * 1024 / N ))
	echo "after ${step#*:}: $per bytes per connection over idle"
	[ "$per" -le $((BOUND_KIB * 1024)) ] || fail "${step#*:}: $per bytes per connection over idle, bound $((BOUND_KIB * 1024))"
done
echo "ok"
