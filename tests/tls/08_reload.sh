#!/usr/bin/env bash
# Certificate reloads.  Listener 0 (constructor) starts with certificate A,
# listener 1 (listen()) with B; the test swaps the files (atomically, as a
# renewal would) and:
#  - SIGHUP: new connections to each listener get the new certificate, the
#    open ones keep theirs and go on echoing;
#  - reloadTls() from a message handler: the same;
#  - reloadTls() with a garbage certificate, a key that does not match, or
#    the certificate missing: throws WebSocket\Exception naming the file and
#    the reason, the old certificate stays in use;
#  - SIGHUP with a garbage certificate: a warning on stderr, the old
#    certificate stays, the server keeps running.
# The round trip of a message after "kill -HUP" orders the test after the
# reload: the signal is on the server's self-pipe before the message is sent.
source "$(dirname "$0")/common.bash"
need_python
make_certs
cp "$CERTS/server.pem" "$CERTS/live.pem"
cp "$CERTS/server.key" "$CERTS/live.key"
cp "$CERTS/serverB.pem" "$CERTS/live1.pem"
cp "$CERTS/serverB.key" "$CERTS/live1.key"

start_server tests/tls/tls_server.php \
	"{\"tls_cert\":\"$CERTS/live.pem\",\"tls_key\":\"$CERTS/live.key\"}" \
	"[{\"tls_cert\":\"$CERTS/live1.pem\",\"tls_key\":\"$CERTS/live1.key\"}]"
PORT1=$(sed -n 's/^PORT1=//p' "$SERVER_OUT")
run_peer "$PY" tests/tls/tls_py.py reload "wss://127.0.0.1:$PORT" "wss://127.0.0.1:$PORT1" "$CERTS/ca.pem" "$CERTS" "$SERVER_PID"
server_alive || fail "the server died"

# The one failed SIGHUP reload left exactly one warning, naming the file.
warn=$(grep -c 'SIGHUP: TLS reload failed, keeping the old certificate: cannot load certificate' "$SERVER_ERR" || true)
[ "$warn" -eq 1 ] || fail "expected one SIGHUP warning on stderr, found $warn"
grep -F "keeping the old certificate: cannot load certificate $CERTS/live.pem: " "$SERVER_ERR" >/dev/null ||
	fail "the SIGHUP warning lacks the file name"
[ "$(grep -vc 'SIGHUP: TLS reload failed' "$SERVER_ERR" || true)" -eq 0 ] || fail "unexpected stderr: $(cat "$SERVER_ERR")"
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" -eq 9 ] || fail "expected 9 connections"
[ "$(grep -c '^CLOSE [0-9]* 1000 ' "$SERVER_OUT")" -eq 9 ] || fail "expected 9 clean closes"
ALLOW_STDERR=1 finish_server
echo "ok"
