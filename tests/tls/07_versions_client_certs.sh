#!/usr/bin/env bash
# tls_min_version: by default ("1.2") a client limited to TLS 1.2 connects
# (and negotiates 1.2); with "1.3" the same client is refused with a
# protocol-version alert, while a TLS 1.3 client works.
# tls_verify_peer with tls_ca: a client without a certificate, and one with
# a certificate from another CA, are refused (over TLS 1.2 and 1.3), and one
# with a certificate signed by tls_ca is accepted.
source "$(dirname "$0")/common.bash"
need_python
make_certs
TLS="\"tls_cert\":\"$CERTS/server.pem\",\"tls_key\":\"$CERTS/server.key\""

start_server tests/tls/tls_server.php "{$TLS}"
run_peer "$PY" tests/tls/tls_py.py version "wss://127.0.0.1:$PORT" "$CERTS/ca.pem" ok
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" -eq 2 ] || fail "default minimum: expected 2 OPEN lines"
finish_server

start_server tests/tls/tls_server.php "{$TLS,\"tls_min_version\":\"1.3\"}"
run_peer "$PY" tests/tls/tls_py.py version "wss://127.0.0.1:$PORT" "$CERTS/ca.pem" refused
grep -q '^OPEN [0-9]* /py-tls12$' "$SERVER_OUT" && fail "the TLS 1.2 client opened a WebSocket"
grep -q '^OPEN [0-9]* /py-tls13$' "$SERVER_OUT" || fail "the TLS 1.3 client did not open"
finish_server

start_server tests/tls/tls_server.php "{$TLS,\"tls_ca\":\"$CERTS/ca.pem\",\"tls_verify_peer\":true}"
run_peer "$PY" tests/tls/tls_py.py clientcert "wss://127.0.0.1:$PORT" "$CERTS/ca.pem" "$CERTS"
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" -eq 2 ] || fail "client certificates: expected only the 2 good clients to open"
[ "$(grep -c '^OPEN [0-9]* /py-client-cert$' "$SERVER_OUT")" -eq 2 ] || fail "the clients with a good certificate did not open"
# Request::$clientSubject carries the verified certificate's subject.
[ "$(grep -c '^TLS [0-9]* secure=true subject=/CN=' "$SERVER_OUT")" -eq 2 ] || { grep '^TLS' "$SERVER_OUT"; fail "Request::\$clientSubject not set for verified clients"; }
finish_server

# Without client certificates the subject is null, and plain ws:// is not secure.
start_server tests/tls/tls_server.php "{$TLS}"
grep -q '^TLS' "$SERVER_OUT" && fail "unexpected TLS line before any client"
run_peer "$PY" tests/tls/tls_py.py echo "wss://127.0.0.1:$PORT" "$CERTS/ca.pem"
grep -q '^TLS [0-9]* secure=true subject=-$' "$SERVER_OUT" || { grep '^TLS' "$SERVER_OUT"; fail "wss without a client certificate: expected secure=true subject=-"; }
finish_server
echo "ok"
