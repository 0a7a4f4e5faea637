#!/usr/bin/env bash
# wss:// with 2 workers: both workers serve the TLS listener they inherited,
# and SIGHUP to the supervisor reloads the certificate in every worker
# (new connections to both workers get the new certificate).
source "$(dirname "$0")/common.bash"
need_node
command -v openssl >/dev/null || fail "openssl is not installed"

CERTS=$(mktemp -d); EXTRA_FILES="$CERTS"
cert() { # cert CN
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$CERTS/key.pem.new" -out "$CERTS/cert.pem.new" 2>/dev/null
	mv "$CERTS/key.pem.new" "$CERTS/key.pem"
	mv "$CERTS/cert.pem.new" "$CERTS/cert.pem"
}
cert worker-tls-A
start_server tests/workers/worker_server.php "{\"workers\": 2, \"tls_cert\": \"$CERTS/cert.pem\", \"tls_key\": \"$CERTS/key.pem\"}"
wait_for '^START 1 ' "$SERVER_OUT"
run_peer node tests/workers/tls_probe.js "wss://127.0.0.1:$PORT" worker-tls-A 400
cert worker-tls-B
kill -HUP "$SERVER_PID"
# The reload happens in each worker when it gets the forwarded signal: probe until both serve B.
run_peer node tests/workers/tls_probe.js "wss://127.0.0.1:$PORT" worker-tls-B 400
stop_server || fail "supervisor exited with status $?"
[ ! -s "$SERVER_ERR" ] || fail "stderr: $(head -5 "$SERVER_ERR")"
rm -rf "$CERTS"
echo "ok"
