#!/usr/bin/env bash
# Known traffic, read back exactly: 5 opens, 10 text and 3 binary messages
# each way, a ping, a close by the peer (1000) and one by the server (1008),
# a handshake refused with 403, 8 messages dropped by backpressure, 1000 bytes
# through permessage-deflate each way.  The endpoint has a listener of its
# own here, so scrapes are not counted among the WebSocket connections.
# Then stats(true), printed when the server stops, agrees with the last scrape.
source "$(dirname "$0")/common.bash"

MPORT=$(free_port)
start_server "$METRICS_DIR/server.php" "{\"metrics\":{\"listen\":\"127.0.0.1:$MPORT\"},\"backpressure\":\"drop\",
	\"max_buffered_amount\":1024,\"low_water_mark\":512,\"allowed_origins\":[\"https://ok.example\"]}" \
	|| fail "server did not start"
"$PY" "$METRICS_DIR/traffic.py" counts "$PORT" "$MPORT" "$TMP/last" || fail "the counts do not match"
grep -q '^FLOOD sent=2 dropped=8$' "$SERVER_OUT" || fail "the flood was not 2 sent, 8 dropped"
check_text "$TMP/last"
stop_server || fail "server did not stop cleanly"
sed -n 's/^STATS //p' "$SERVER_OUT" >"$TMP/stats.json"
"$PY" "$METRICS_DIR/traffic.py" compare "$TMP/last" "$TMP/stats.json" || fail "stats(true) and the scrape disagree"
echo ok
