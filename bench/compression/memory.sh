#!/usr/bin/env bash
# Memory per compressed connection (issue 19): server VmRSS growth divided by
# the connections, 2,000 Node ws clients (perMessageDeflate, threshold 0),
# idle, then after one 100-byte message each, then after one 48 KB message
# each (tests/compression/pmd_node.js memory).  Servers, one after the other
# in the same sitting:
#   ours, default (client_no_context_takeover: the shared inflater);
#   ours, compression_context_takeover => ["client" => true];
#   ours, BEFORE_SO (an older build, optional) with its defaults;
#   Node's ws (bench/peers/node-echo.js with permessage-deflate).
#   bash bench/compression/memory.sh [COUNT]
# Prints one "MEMORY ..." line per server, prefixed with its name.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${SO:=$PWD/modules/websocket.so}"
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
N=${1:-2000}
ulimit -n $((N + 200)) 2>/dev/null || true
pid=
out=$(mktemp)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$out"' EXIT

# measure NAME: runs the clients against the server $pid listening on $port.
measure() {
	node tests/compression/pmd_node.js memory "ws://127.0.0.1:$port" "$pid" "$N" compress | sed -n "s/^\(ANSWER\|MEMORY\)/$1: \1/p"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

# ours NAME SO JSON-OPTIONS
ours() {
	taskset -c 0 php -d extension="$2" tests/lib/echo_server.php "$3" >"$out" &
	pid=$!
	port=
	for _ in $(seq 200); do port=$(sed -n 's/^PORT=//p' "$out"); [ -n "$port" ] && break; sleep 0.05; done
	measure "$1"
}

ours "ours (default)" "$SO" '{"max_connections":0}'
ours "ours (client takeover)" "$SO" '{"max_connections":0,"compression_context_takeover":{"client":true}}'
if [ -n "${BEFORE_SO:-}" ]; then
	ours "ours before (default)" "$BEFORE_SO" '{"max_connections":0}'
fi
port=$((20000 + RANDOM % 20000))
taskset -c 0 node bench/peers/node-echo.js "$port" pmd 2>"$out" &
pid=$!
for _ in $(seq 200); do grep -q listening "$out" && break; sleep 0.05; done
measure "node ws"
