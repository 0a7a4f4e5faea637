#!/usr/bin/env bash
# Access control: a client address outside the allow-list, a missing or wrong
# bearer token, or both conditions half met, get 403 and no metrics; the
# refusals are counted; a refused scrape never reaches the request handler,
# while other paths still do.
source "$(dirname "$0")/common.bash"

# no_metrics FILE: a refusal carries nothing of the exposition.
no_metrics() {
	! grep -q 'websocket_' "$1" || fail "a refused scrape returned metrics: $(head -3 "$1")"
}

# An allow-list without this client (127.0.0.1 is not in 127.0.0.2/32 nor 10.0.0.0/8).
start_server "$METRICS_DIR/server.php" '{"metrics":{"path":"/metrics","allow":["127.0.0.2/32","10.0.0.0/8"]}}' || fail "server did not start"
[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/r1")" = 403 ] || fail "an address outside the allow-list was not refused"
no_metrics "$TMP/r1"
[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/r2" -H 'Authorization: Bearer anything')" = 403 ] || fail "a token must not open an address allow-list without one"
[ "$(scrape "http://127.0.0.1:$PORT/other" "$TMP/app")" = 200 ] && grep -q '^application$' "$TMP/app" || fail "other paths must reach the request handler"
stop_server || fail "server did not stop cleanly"
grep -q '^REQUEST /other$' "$SERVER_OUT" || fail "the request handler did not see /other"
! grep -q '^REQUEST /metrics' "$SERVER_OUT" || fail "a refused scrape reached the request handler"
grep -q '"metrics_refused":2' "$SERVER_OUT" || fail "the refusals were not counted: $(grep STATS "$SERVER_OUT")"

# A token, on the endpoint's own listener.
MPORT=$(free_port)
start_server "$METRICS_DIR/server.php" "{\"metrics\":{\"listen\":\"127.0.0.1:$MPORT\",\"path\":\"/m\",\"token\":\"s3cr3t-t0ken\"}}" || fail "server did not start"
[ "$(scrape "http://127.0.0.1:$MPORT/m" "$TMP/t1")" = 403 ] || fail "no token was not refused"
no_metrics "$TMP/t1"
[ "$(scrape "http://127.0.0.1:$MPORT/m" "$TMP/t2" -H 'Authorization: Bearer s3cr3t-t0keN')" = 403 ] || fail "a wrong token was not refused"
no_metrics "$TMP/t2"
[ "$(scrape "http://127.0.0.1:$MPORT/m" "$TMP/t3" -H 'Authorization: Basic czNjcjN0LXQwa2Vu')" = 403 ] || fail "another scheme was not refused"
[ "$(scrape "http://127.0.0.1:$MPORT/m" "$TMP/t4" -H 'Authorization: Bearer s3cr3t-t0ken')" = 200 ] || fail "the right token was refused"
check_text "$TMP/t4"
expect "$TMP/t4" 'websocket_metrics_scrapes_total{result="refused"}' 3
[ "$(scrape "http://127.0.0.1:$MPORT/metrics" "$TMP/t5" -H 'Authorization: Bearer s3cr3t-t0ken')" = 404 ] || fail "the endpoint's listener must answer 404 elsewhere"
[ "$(scrape "http://127.0.0.1:$PORT/m" "$TMP/t6")" = 200 ] && grep -q '^application$' "$TMP/t6" \
	|| fail "with a listener of its own, the path on the WebSocket port is the application's"
stop_server || fail "server did not stop cleanly"

# Both: the address and the token are required.
start_server "$METRICS_DIR/server.php" '{"metrics":{"allow":"127.0.0.1","token":"abc"}}' || fail "server did not start"
[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/b1")" = 403 ] || fail "the address alone was enough"
[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/b2" -H 'Authorization: bearer abc')" = 200 ] || fail "address and token were refused"
stop_server || fail "server did not stop cleanly"

# Neither: loopback clients only, which this one is.
start_server "$METRICS_DIR/server.php" '{"metrics":true}' || fail "server did not start"
[ "$(scrape "http://127.0.0.1:$PORT/metrics" "$TMP/d1")" = 200 ] || fail "the default did not serve 127.0.0.1"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")" = 405 ] || fail "POST was not refused with 405"
stop_server || fail "server did not stop cleanly"
! grep -q '^REQUEST /metrics' "$SERVER_OUT" || fail "a scrape reached the request handler"
echo ok
