#!/usr/bin/env bash
# IPv6: Python `websockets` and Node `ws` connect to [::1] of a server bound
# to "::" (which also accepts IPv4), and to one bound to "::1".  The server
# reports IPv6 peers as "[addr]:port" and IPv4 ones (on the dual-stack
# socket) as "a.b.c.d:port".  Skipped when this machine has no ::1.
source "$(dirname "$0")/common.bash"
need_python
need_node

if ! "$PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	echo "SKIP: ::1 is not available on this machine"
	exit 0
fi

# expect_peer PATH REGEX: the OPEN line of PATH shows a remote address matching REGEX.
expect_peer() {
	local id addr
	id=$(conn_id "$1")
	addr=$(awk -v id="$id" '$1 == "OPEN" && $2 == id { print $4 }' "$SERVER_OUT")
	[[ "$addr" =~ $2 ]] || fail "remote address of $1 is '$addr', expected /$2/"
	expect_close "$1" 1000
}

start_server tests/interop/ipv6_server.php "::"
run_peer "$PY" tests/interop/py_client.py simple "ws://[::1]:$PORT/py6"
run_peer node tests/interop/node_client.js simple "ws://[::1]:$PORT/node6"
run_peer "$PY" tests/interop/py_client.py simple "ws://127.0.0.1:$PORT/py4"
run_peer node tests/interop/node_client.js simple "ws://127.0.0.1:$PORT/node4"
expect_peer /py6 '^\[::1\]:[0-9]+$'
expect_peer /node6 '^\[::1\]:[0-9]+$'
expect_peer /py4 '^127\.0\.0\.1:[0-9]+$'
expect_peer /node4 '^127\.0\.0\.1:[0-9]+$'
finish_server

start_server tests/interop/ipv6_server.php "::1"
run_peer "$PY" tests/interop/py_client.py simple "ws://[::1]:$PORT/py6"
run_peer node tests/interop/node_client.js simple "ws://[::1]:$PORT/node6"
expect_peer /py6 '^\[::1\]:[0-9]+$'
expect_peer /node6 '^\[::1\]:[0-9]+$'
finish_server
echo "ok"
