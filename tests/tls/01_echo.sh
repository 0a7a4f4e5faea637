#!/usr/bin/env bash
# wss:// echo with Node ws and with Python websockets, both verifying the
# server certificate against the test CA: text (ASCII, multi-byte UTF-8,
# sizes around the 125/126/65535 length boundaries), binary, and 8 MiB
# messages each way.  Both peers offer permessage-deflate, so compression
# runs over TLS too.
source "$(dirname "$0")/common.bash"
need_node
need_python
make_certs

start_server tests/tls/tls_server.php "{\"tls_cert\":\"$CERTS/server.pem\",\"tls_key\":\"$CERTS/server.key\"}"
URL="wss://127.0.0.1:$PORT"

run_peer node tests/tls/tls_node.js echo "$URL" "$CERTS/ca.pem"
run_peer "$PY" tests/tls/tls_py.py echo "$URL" "$CERTS/ca.pem"

grep -q '^OPEN [0-9]* /node-echo$' "$SERVER_OUT" || fail "no OPEN line for the node client"
grep -q '^OPEN [0-9]* /py-echo$' "$SERVER_OUT" || fail "no OPEN line for the python client"
[ "$(grep -c '^CLOSE [0-9]* 1000 ' "$SERVER_OUT")" -eq 2 ] || fail "expected two 1000 closes"
finish_server
echo "ok"
