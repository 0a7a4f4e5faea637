#!/usr/bin/env bash
# An expired certificate and a certificate for another host name both load:
# the server does not judge its own certificate (dates or names) - that is
# the client's job, and a server refusing to start on the day a certificate
# expires would turn a warning into an outage.  A verifying client refuses
# each (the exact verification error is asserted, for Node and Python), and a
# client with verification off talks to the server normally.
source "$(dirname "$0")/common.bash"
need_node
need_python
make_certs

for name in expired wronghost; do
	start_server tests/tls/tls_server.php "{\"tls_cert\":\"$CERTS/$name.pem\",\"tls_key\":\"$CERTS/$name.key\"}"
	URL="wss://127.0.0.1:$PORT"
	if [ "$name" = expired ]; then
		node_code=CERT_HAS_EXPIRED
		py_message="certificate has expired"
	else
		node_code=ERR_TLS_CERT_ALTNAME_INVALID
		py_message="IP address mismatch, certificate is not valid for '127.0.0.1'"
	fi
	run_peer node tests/tls/tls_node.js verify "$URL" "$CERTS/ca.pem" "$node_code"
	run_peer "$PY" tests/tls/tls_py.py verify "$URL" "$CERTS/ca.pem" "$py_message"
	# Only the unverified clients opened a WebSocket; the refused handshakes
	# never reached the HTTP stage.
	[ "$(grep -c '^OPEN ' "$SERVER_OUT")" -eq 2 ] || fail "$name: expected 2 OPEN lines"
	grep -q '^OPEN [0-9]* /node-unverified$' "$SERVER_OUT" || fail "$name: node unverified client missing"
	grep -q '^OPEN [0-9]* /py-unverified$' "$SERVER_OUT" || fail "$name: python unverified client missing"
	finish_server
done
echo "ok"
