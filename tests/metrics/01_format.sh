#!/usr/bin/env bash
# The exposition validates: the Prometheus text format with promtool, and
# OpenMetrics (sent when the scraper's Accept asks for it) with the strict
# parser of prometheus_client; both name the same families.  Served by
# examples/echo.php --metrics on ws:// and on wss:// (the existing
# "PORT CERT KEY" form), and rendered with worker labels for several processes.
source "$(dirname "$0")/common.bash"

start_server examples/echo.php 0 --metrics /metrics || fail "echo.php did not start"
"$PY" "$METRICS_DIR/traffic.py" echo "$PORT" || fail "the echo traffic failed"

[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/text")" = 200 ] || fail "no 200 for the text format"
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$TMP/text.headers" || fail "wrong Content-Type: $(cat "$TMP/text.headers")"
check_text "$TMP/text"
expect "$TMP/text" 'websocket_messages_received_total{type="text"}' 3
expect "$TMP/text" 'websocket_messages_received_total{type="binary"}' 2
expect "$TMP/text" 'websocket_connections_opened_total' 1

[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/om" -H 'Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')" = 200 ] \
	|| fail "no 200 for OpenMetrics"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$TMP/om.headers" || fail "wrong Content-Type: $(cat "$TMP/om.headers")"
check_openmetrics "$TMP/om"

# The same families in both formats (the text format names a counter by its _total sample).
sed -n 's/^# TYPE \([a-z_]*\) counter$/\1/p; s/^# TYPE \([a-z_]*\) \(gauge\|histogram\)$/\1/p' "$TMP/om" | sort >"$TMP/om.names"
sed -n 's/^# TYPE \([a-z_]*\)_total counter$/\1/p; s/^# TYPE \([a-z_]*\) \(gauge\|histogram\)$/\1/p' "$TMP/text" | sort >"$TMP/text.names"
cmp -s "$TMP/om.names" "$TMP/text.names" || fail "the two formats name different families: $(diff "$TMP/om.names" "$TMP/text.names")"
[ "$(wc -l <"$TMP/om.names")" -ge 35 ] || fail "only $(wc -l <"$TMP/om.names") families"
stop_server || fail "echo.php did not stop cleanly"

# wss://: the metrics path is served over TLS on the same port.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 \
	|| fail "openssl could not make a certificate"
start_server examples/echo.php 0 "$TMP/cert.pem" "$TMP/key.pem" --metrics /m || fail "echo.php with TLS did not start"
[ "$(scrape "https://127.0.0.1:$PORT/m" "$TMP/tls")" = 200 ] || fail "no 200 over TLS"
check_text "$TMP/tls"
expect "$TMP/tls" 'websocket_tls_handshakes_total' 1
[ "$(scrape "https://127.0.0.1:$PORT/metrics" "$TMP/tls404")" = 426 ] || fail "another path must stay the application's (426 here)"
stop_server || fail "echo.php with TLS did not stop cleanly"

# Several workers: every series labelled worker="N", still valid in both formats.
cc -std=c11 -Wall -Werror -I core -o "$TMP/render_workers" "$METRICS_DIR/render_workers.c" core/ws_metrics.c core/ws_error.c \
	|| fail "render_workers.c does not build"
"$TMP/render_workers" text >"$TMP/workers.txt"
"$TMP/render_workers" om >"$TMP/workers.om"
check_text "$TMP/workers.txt"
check_openmetrics "$TMP/workers.om"
# The node's broker families are the exception: one series each, without a worker label.
unlabelled=$(grep -v '^#' "$TMP/workers.txt" | grep -v '^websocket_broker_' | grep -vc '{worker="[0-2]"' || true)
[ "$unlabelled" -eq 0 ] || fail "$unlabelled samples without a worker label"
broker=$(grep -c '^websocket_broker_[a-z_]* ' "$TMP/workers.txt" || true)
[ "$broker" -eq 4 ] || fail "$broker unlabelled broker samples, expected 4 (once per node)"
expect "$TMP/workers.txt" 'websocket_broker_connected' 1
expect "$TMP/workers.txt" 'websocket_connections_accepted_total{worker="2"}' 30
expect "$TMP/workers.om" 'websocket_closes_total{worker="1",side="server",code="1008"}' 1
echo ok
