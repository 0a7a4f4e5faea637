#!/usr/bin/env bash
# examples/echo.php with a certificate and key serves wss://: started on
# port 0 it prints PORT=<n>, and Node ws and Python websockets (verifying
# against the test CA) get their messages back, 8 MiB ones included.
source "$(dirname "$0")/common.bash"
need_node
need_python
make_certs

start_server examples/echo.php 0 "$CERTS/server.pem" "$CERTS/server.key"
grep -q "^echo server listening on wss://127.0.0.1:$PORT\$" "$SERVER_ERR" || fail "no wss:// banner on stderr"
run_peer node tests/tls/tls_node.js echo "wss://127.0.0.1:$PORT" "$CERTS/ca.pem"
run_peer "$PY" tests/tls/tls_py.py echo "wss://127.0.0.1:$PORT" "$CERTS/ca.pem"
rc=0
stop_server || rc=$?
[ "$rc" -eq 0 ] || fail "examples/echo.php exited with status $rc on SIGTERM"
rm -f "$SERVER_OUT" "$SERVER_ERR"
echo "ok"
