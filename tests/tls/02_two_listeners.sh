#!/usr/bin/env bash
# One server, two listeners: ws:// from the constructor and wss:// from
# listen() (and the other way round: wss:// first, ws:// added).  The same
# handlers serve both, count() covers both, and a broadcast sent from a
# client of either listener reaches the clients of both.
source "$(dirname "$0")/common.bash"
need_node
make_certs
TLS="{\"tls_cert\":\"$CERTS/server.pem\",\"tls_key\":\"$CERTS/server.key\"}"

start_server tests/tls/tls_server.php '{}' "[$TLS]"
PORT1=$(sed -n 's/^PORT1=//p' "$SERVER_OUT")
if [ -z "$PORT1" ] || [ "$PORT1" = "$PORT" ]; then fail "listen() reported port '$PORT1'"; fi
run_peer node tests/tls/tls_node.js mixed "ws://127.0.0.1:$PORT" "wss://127.0.0.1:$PORT1" "$CERTS/ca.pem"
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" -eq 4 ] || fail "expected 4 OPEN lines"
[ "$(grep -c '^CLOSE [0-9]* 1000 ' "$SERVER_OUT")" -eq 4 ] || fail "expected 4 clean closes"
finish_server

start_server tests/tls/tls_server.php "$TLS" '[{}]'
PORT1=$(sed -n 's/^PORT1=//p' "$SERVER_OUT")
run_peer node tests/tls/tls_node.js mixed "ws://127.0.0.1:$PORT1" "wss://127.0.0.1:$PORT" "$CERTS/ca.pem"
finish_server
echo "ok"
