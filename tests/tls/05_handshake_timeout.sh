#!/usr/bin/env bash
# TLS handshakes that never complete are cut off by handshake_timeout (1 s
# here): a TCP connection that sends nothing, and one that sends the first
# half of a real ClientHello, are closed by the server (no earlier than the
# timeout; the client waits up to 20 s).  A TLS handshake that completes but
# is followed by no HTTP request gets "408" over TLS once the same deadline
# (counted from accept) passes.  A wss client is served all along.
source "$(dirname "$0")/common.bash"
need_python
make_certs

start_server tests/tls/tls_server.php "{\"tls_cert\":\"$CERTS/server.pem\",\"tls_key\":\"$CERTS/server.key\",\"handshake_timeout\":1}"
run_peer "$PY" tests/tls/tls_py.py stall "wss://127.0.0.1:$PORT" "$CERTS/ca.pem" 1
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" -eq 1 ] || fail "expected only the wss client to open"
finish_server
echo "ok"
