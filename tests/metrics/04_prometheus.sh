#!/usr/bin/env bash
# A real Prometheus scrapes examples/echo.php --metrics every second: the
# target is up with no scrape error, it negotiated OpenMetrics, and its HTTP
# API returns our series with the values the traffic produced.
# Prometheus listens on a free port of 127.0.0.1, keeps its data in a
# temporary directory and is stopped by PID when the test ends.
source "$(dirname "$0")/common.bash"
command -v prometheus >/dev/null || fail "prometheus is missing (Debian package prometheus)"

start_server examples/echo.php 0 --metrics /metrics || fail "echo.php did not start"
"$PY" "$METRICS_DIR/traffic.py" echo "$PORT" || fail "the echo traffic failed"

PPORT=$(free_port)
cat >"$TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: websocket
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YAML
promtool check config "$TMP/prometheus.yml" >/dev/null || fail "promtool rejects the test's own configuration"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
BG_PIDS+=("$PROM_PID")

API="http://127.0.0.1:$PPORT/api/v1"
# query EXPR: the first result's value, or nothing.
query() {
	local json
	json=$(curl -s --max-time 5 --get --data-urlencode "query=$1" "$API/query" || true)
	printf '%s' "$json" | "$PY" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}

got=
# Prometheus needs a few seconds to start on a busy machine, then scrapes every second.
for _ in $(seq 1 240); do
	kill -0 "$PROM_PID" 2>/dev/null || { cat "$TMP/prometheus.log" >&2; fail "prometheus exited"; }
	got=$(query 'websocket_messages_received_total{job="websocket",type="text"}')
	[ -n "$got" ] && break
	sleep 0.25
done
[ "$got" = 3 ] || { cat "$TMP/prometheus.log" >&2; fail "Prometheus has websocket_messages_received_total{type=\"text\"} = '$got', expected 3"; }
[ "$(query 'up{job="websocket"}')" = 1 ] || fail "the target is not up"
[ "$(query 'websocket_connections_opened_total')" = 1 ] || fail "websocket_connections_opened_total is not 1"
[ -n "$(query 'websocket_loop_iteration_seconds_bucket{le="+Inf"} > 0')" ] || fail "no loop iterations in Prometheus"

# No scrape error, and the format was OpenMetrics (what Prometheus asks for first).
curl -s --max-time 5 "$API/targets" | "$PY" -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
assert len(t) == 1, t
assert t[0]["health"] == "up" and t[0]["lastError"] == "", t[0]' || fail "the target reports a scrape error"
for _ in $(seq 1 20); do
	om=$(query 'websocket_metrics_scrapes_total{result="openmetrics"}')
	[ -n "$om" ] && [ "$om" -ge 1 ] && break
	sleep 0.25
done
[ -n "$om" ] && [ "$om" -ge 1 ] || fail "Prometheus did not negotiate OpenMetrics"
[ "$(query 'websocket_metrics_scrapes_total{result="text"}')" = 0 ] || fail "Prometheus scraped the text format"

# A rate over a few scrapes works (the counters are counters).
for _ in $(seq 1 40); do
	r=$(query 'rate(websocket_metrics_scrapes_total{result="openmetrics"}[10s])')
	[ -n "$r" ] && break
	sleep 0.25
done
[ -n "$r" ] || fail "no rate() of the scrapes counter"
kill "$PROM_PID"
wait "$PROM_PID" 2>/dev/null || true
stop_server || fail "echo.php did not stop cleanly"
echo ok
