#!/usr/bin/env bash
# A measurement for the documentation, not an assertion: the server's VmRSS
# per connection with permessage-deflate negotiated (Node ws,
# perMessageDeflate with threshold 0, so its one message is compressed) and
# without, for 2,000 idle connections, then after one 100-byte message on
# each, then after one 48 KB message on each (a full 32 KiB inflate window).
# Printed as "MEMORY ..." lines.  Only the clients' success is checked.
source "$(dirname "$0")/common.bash"
need_node
N=2000
[ "$(ulimit -n)" -ge $((N + 100)) ] || ulimit -n $((N + 100)) 2>/dev/null ||
	fail "the open-files limit $(ulimit -n) is too low for $N connections"

for kind in compress plain; do
	start_server tests/lib/echo_server.php '{"max_connections":0}'
	run_peer node tests/compression/pmd_node.js memory "ws://127.0.0.1:$PORT" "$SERVER_PID" "$N" "$kind"
	[ "$(closes 1000)" -eq "$N" ] || fail "$kind: expected $N clean closes, got $(closes 1000)"
	finish_server
done
echo "ok"
