#!/usr/bin/env bash
# 2 and then 4 workers, 1,000 clients over 10 topics, 20 publishers of 25
# messages each: every publication reaches every subscriber of its topic
# exactly once, in one order per topic on every worker; broadcast() and
# sendToWorkers() reach every worker; every worker holds connections.  The
# supervisor exits 0 on SIGTERM after every worker's workerStop.
source "$(dirname "$0")/common.bash"
need_node
ulimit -n "$(ulimit -Hn)"

for n in 2 4; do
	start_server tests/workers/worker_server.php "{\"workers\": $n}"
	wait_for "^START $((n - 1)) " "$SERVER_OUT"
	run_peer node tests/workers/workers_client.js fanout "ws://127.0.0.1:$PORT" 1000 10 20 25 "$n"
	stop_server || fail "supervisor exited with status $? ($n workers)"
	[ "$(count_lines '^STOP ' "$SERVER_OUT")" -eq "$n" ] || fail "not every worker fired workerStop"
	[ "$(count_lines '^STOPPED$' "$SERVER_OUT")" -eq 1 ] || fail "run() must return once, in the supervisor"
	[ "$(count_lines '^OPEN ' "$SERVER_OUT")" -eq "$(count_lines '^CLOSE ' "$SERVER_OUT")" ] || fail "OPEN and CLOSE counts differ"
	[ ! -s "$SERVER_ERR" ] || fail "stderr: $(head -5 "$SERVER_ERR")"
	rm -f "$SERVER_OUT" "$SERVER_ERR"
done
echo "ok"
