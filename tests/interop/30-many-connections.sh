#!/usr/bin/env bash
# One server holds 5,000 concurrent connections from Node `ws`, exchanges a
# unique message on each, counts 5,000 opens and closes (plus two stats
# connections), and still answers afterwards.  The server raises its own
# descriptor limit; this shell raises the clients' to the hard limit.
source "$(dirname "$0")/common.bash"
need_node

N=5000
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((N + 200)) ]; then
	fail "the hard open-files limit ($hard) is below the $((N + 200)) descriptors this test needs"
fi
ulimit -n "$hard"

start_server tests/interop/many_server.php
run_peer node tests/interop/many_clients.js "ws://127.0.0.1:$PORT" "$N" 500

# Still answering after all that.
run_peer "$PY" tests/interop/py_client.py simple "ws://127.0.0.1:$PORT/after"

rc=0
stop_server || rc=$?
[ "$rc" -eq 0 ] || fail "server exited with status $rc"
[ ! -s "$SERVER_ERR" ] || fail "server wrote to stderr: $(head -5 "$SERVER_ERR")"
expect_line "STOPPED opens=$((N + 3)) closes=$((N + 3)) peak=$((N + 1))"
rm -f "$SERVER_OUT" "$SERVER_ERR"
echo "ok"
