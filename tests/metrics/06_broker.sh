#!/usr/bin/env bash
# The broker families follow the real Redis link: websocket_broker_connected
# is 1 with Redis up and 0 once this test SIGKILLs its redis-server (by PID),
# a publication made during the outage counts in
# websocket_broker_messages_lost_total, and websocket_broker_reconnects_total
# grows when Redis comes back on the same port.  First a single process (it
# owns the link), then two workers (the supervisor owns it): any worker's
# scrape shows the node's four broker series once, without a worker label.
# Every scrape passes promtool; one per part the OpenMetrics parser too.
source "$(dirname "$0")/common.bash"
REDIS_LOG="$TMP/redis.log"
# shellcheck source=../lib/redis.sh
source "$ROOT/tests/lib/redis.sh"
trap 'kill_redis; cleanup' EXIT

# publish PORT: one client publishes to topic "t" (tests/workers/worker_server.php's "pub:" command).
publish() {
	"$PY" - "$1" <<'PYEOF' || fail "the publishing client failed"
import asyncio, sys, websockets
async def main():
    async with websockets.connect("ws://127.0.0.1:%s/" % sys.argv[1], ping_interval=None) as ws:
        await ws.recv()            # hello:<worker>:<id>
        await ws.send("pub:t:during the outage")
        await ws.send("sub:t")     # a reply proves the publication was handled before it
        while not (await ws.recv()).startswith("subscribed:"):
            pass
asyncio.run(main())
PYEOF
}

# wait_metric SERIES OP VALUE [SECONDS]: scrapes until the series compares (-eq, -ge) with VALUE.
wait_metric() {
	local series=$1 op=$2 want=$3 secs=${4:-15} i got=missing
	for i in $(seq 1 $((secs * 10))); do
		if [ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/m")" = 200 ]; then
			got=$(value "$TMP/m" "$series")
			[ "$got" != missing ] && [ "$got" "$op" "$want" ] && return 0
		fi
		sleep 0.1
	done
	fail "$series is $got, expected $op $want after ${secs}s"
}

# one_node_each: the four broker series are there once each, unlabelled.
one_node_each() {
	local f
	for f in websocket_broker_configured websocket_broker_connected websocket_broker_reconnects_total websocket_broker_messages_lost_total; do
		[ "$(grep -c "^$f[ {]" "$1")" -eq 1 ] || fail "$f: expected one series in $1, got: $(grep "^$f" "$1")"
		grep -q "^$f " "$1" || fail "$f carries labels: $(grep "^$f" "$1")"
	done
}

# outage LABEL: Redis up, down (a publication lost), up again on the same port.
outage() {
	wait_metric websocket_broker_connected -eq 1
	expect "$TMP/m" websocket_broker_configured 1
	expect "$TMP/m" websocket_broker_reconnects_total 0
	expect "$TMP/m" websocket_broker_messages_lost_total 0
	check_text "$TMP/m"
	one_node_each "$TMP/m"

	local port=$REDIS_PORT
	kill_redis
	wait_metric websocket_broker_connected -eq 0
	publish "$PORT"
	wait_metric websocket_broker_messages_lost_total -ge 1
	check_text "$TMP/m"

	start_redis "$port"
	wait_metric websocket_broker_reconnects_total -ge 1
	wait_metric websocket_broker_connected -eq 1
	check_text "$TMP/m"
	one_node_each "$TMP/m"
	[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/om" -H 'Accept: application/openmetrics-text; version=1.0.0')" = 200 ] \
		|| fail "no OpenMetrics scrape"
	check_openmetrics "$TMP/om"
	grep -q '^websocket_broker_reconnects_total [1-9]' "$TMP/om" || fail "OpenMetrics: $(grep '^websocket_broker_' "$TMP/om")"
	echo "$1: $(grep '^websocket_broker_' "$TMP/m" | tr '\n' ' ')"
}

# Without a broker the families are all zero.
start_server tests/workers/worker_server.php '{"metrics": "/metrics"}' || fail "server did not start"
[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/m")" = 200 ] || fail "no scrape"
expect "$TMP/m" websocket_broker_configured 0
expect "$TMP/m" websocket_broker_connected 0
stop_server || fail "server did not stop cleanly"

start_redis
start_server tests/workers/worker_server.php "{\"metrics\": \"/metrics\", \"broker\": \"redis://127.0.0.1:$REDIS_PORT\"}" \
	|| fail "single process did not start"
outage "single process"
stop_server || fail "single process did not stop cleanly"

start_server tests/workers/worker_server.php "{\"metrics\": \"/metrics\", \"broker\": \"redis://127.0.0.1:$REDIS_PORT\", \"workers\": 2}" \
	|| fail "two workers did not start"
for i in $(seq 1 200); do
	grep -q '^START 1 ' "$SERVER_OUT" && grep -q '^START 0 ' "$SERVER_OUT" && break
	sleep 0.05
done
outage "two workers"
# Both workers' series are labelled; the broker's are not.
grep -q '^websocket_connections_accepted_total{worker="0"}' "$TMP/m" || fail "no worker 0 series"
grep -q '^websocket_connections_accepted_total{worker="1"}' "$TMP/m" || fail "no worker 1 series"
stop_server || fail "two workers did not stop cleanly"
echo ok
