#!/usr/bin/env bash
# Peers that do not speak TLS on the wss:// port: a plain WebSocket upgrade
# request, a plain HTTP GET, plain WebSocket frame bytes, random bytes, a TLS
# record header announcing 16 MiB, a lone TLS alert and a run of zero bytes.
# Each is dropped by the server (only a TLS alert may come back, never
# plaintext), while a wss client keeps echoing between and after them, with
# the junk sockets still open.  No WebSocket opens for any of them.
# handshake_timeout is 2 s: some junk (the plain frame bytes start like an
# SSLv2 record header) makes OpenSSL wait for more bytes, and only the
# handshake deadline ends those.
source "$(dirname "$0")/common.bash"
need_python
make_certs

start_server tests/tls/tls_server.php "{\"tls_cert\":\"$CERTS/server.pem\",\"tls_key\":\"$CERTS/server.key\",\"handshake_timeout\":2}"
run_peer "$PY" tests/tls/tls_py.py junk "wss://127.0.0.1:$PORT" "$CERTS/ca.pem"
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" -eq 2 ] || fail "expected only the 2 wss clients to open"
[ "$(grep -c '^CLOSE [0-9]* 1000 ' "$SERVER_OUT")" -eq 2 ] || fail "expected 2 clean closes"
finish_server
echo "ok"
