#!/usr/bin/env bash
# One scrape of the metrics endpoint with 2 workers returns the whole
# machine: every worker's series, labelled worker="0" and worker="1", whose
# sum is what the clients did (opens and messages), and promtool accepts it.
source "$(dirname "$0")/common.bash"
need_node

HOLD_OUT=$(mktemp); HOLD_IN=$(mktemp -u); SCRAPE=$(mktemp); EXTRA_FILES="$HOLD_OUT $HOLD_IN $SCRAPE"
mkfifo "$HOLD_IN"
start_server tests/workers/worker_server.php '{"workers": 2, "metrics": "/metrics"}'
wait_for '^START 1 ' "$SERVER_OUT"
node tests/workers/workers_client.js hold "ws://127.0.0.1:$PORT" 40 <"$HOLD_IN" >"$HOLD_OUT" 2>&1 &
EXTRA_PIDS=$!
exec 3>"$HOLD_IN"
wait_for '^READY' "$HOLD_OUT"
# Each worker reports every second and the supervisor relays every second,
# so a worker's view of the other is up to ~2 s old. Scrapes are accepted
# round robin: wait (by reading state, bounded) until ten scrapes in a row,
# which reach both workers, each see the whole machine.
sum() { # sum FAMILY: the sum over workers of a labelled counter in $SCRAPE
	awk -v f="$1" '$1 ~ "^"f"\\{" && $1 ~ /worker="/ { s += $2 } END { print s + 0 }' "$SCRAPE"
}
good=0
for _ in $(seq 1 150); do
	curl -s "http://127.0.0.1:$PORT/metrics" >"$SCRAPE" || true
	if [ "$(sum websocket_connections_opened_total)" -eq 40 ]; then
		good=$((good + 1)); [ "$good" -ge 10 ] && break
	else
		good=0; sleep 0.1
	fi
done
[ "$good" -ge 10 ] || fail "scrapes did not converge on 40 opens across workers: last $(sum websocket_connections_opened_total): $(grep opened_total "$SCRAPE")"
# Once converged, the view stays whole: every further scrape sees the machine.
for _ in $(seq 1 10); do
	curl -s "http://127.0.0.1:$PORT/metrics" >"$SCRAPE"
	[ "$(sum websocket_connections_opened_total)" -eq 40 ] || fail "a scrape saw $(sum websocket_connections_opened_total) opens after convergence, want 40"
done
grep -q 'worker="0"' "$SCRAPE" && grep -q 'worker="1"' "$SCRAPE" || fail "the scrape must label both workers"
if command -v promtool >/dev/null; then
	promtool check metrics <"$SCRAPE" >/dev/null 2>&1 || fail "promtool rejects the two-worker scrape: $(promtool check metrics <"$SCRAPE" 2>&1 | head -5)"
fi
exec 3>&-
wait "$EXTRA_PIDS" || true
EXTRA_PIDS=
stop_server || fail "supervisor exited with status $?"
echo "ok"
