#!/usr/bin/env bash
# permessage-deflate: compression ratio and msgs/s on a chat-like JSON corpus (issue 8).
#   bash bench/compression/run.sh [SECONDS [JSON-OPTIONS]]
# JSON-OPTIONS are the server's (e.g. '{"compression_context_takeover":{"client":true}}').
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${SO:=$PWD/modules/websocket.so}"
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
opts=${2:-"{}"}
out=$(mktemp)
taskset -c 0 php -d extension="$SO" bench/compression/server.php 0 "$opts" >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q '^PORT=' "$out" && break; sleep 0.05; done
taskset -c 1 node bench/compression/bench.js "$(sed -n 's/^PORT=//p' "$out")" "${1:-5}"
