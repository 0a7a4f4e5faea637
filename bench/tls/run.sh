#!/usr/bin/env bash
# wss:// echo throughput as a ratio of ws:// in the same sitting (issue 7).
#   bash bench/tls/run.sh [SECONDS]
# Server pinned to CPU 0, client to CPU 1; 32-byte messages pipelined
# (10 connections x 16 in flight) and 64 KiB messages (10 x 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-5}"
: "${SO:=$PWD/modules/websocket.so}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -o "$work/tlsload" bench/tls/tlsload.c -lssl -lcrypto -lpthread
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 -subj "/CN=127.0.0.1" 2>/dev/null

start() { # start TLS(0|1) -> PORT
	local out="$work/server-$1.out"
	if [ "$1" = 1 ]; then
		taskset -c 0 php -d extension="$SO" examples/echo.php 0 "$work/cert.pem" "$work/key.pem" >"$out" 2>/dev/null &
	else
		taskset -c 0 php -d extension="$SO" examples/echo.php 0 >"$out" 2>/dev/null &
	fi
	for _ in $(seq 100); do grep -q '^PORT=' "$out" && break; sleep 0.05; done
	sed -n 's/^PORT=//p' "$out"
}
plain=$(start 0)
tls=$(start 1)
printf '%-34s %12s %12s %7s\n' scenario "ws://" "wss://" ratio
for spec in "32-byte, 10 conns x 16 in flight:10 16 32" "64 KiB, 10 conns x 1 in flight:10 1 65536"; do
	name=${spec%%:*}
	read -r c p s <<<"${spec#*:}"
	a=$(taskset -c 1 "$work/tlsload" "$plain" 0 "$c" "$p" "$s" "$secs" | sed -n 's/.*"msgs_per_s":\([0-9]*\).*/\1/p')
	b=$(taskset -c 1 "$work/tlsload" "$tls" 1 "$c" "$p" "$s" "$secs" | sed -n 's/.*"msgs_per_s":\([0-9]*\).*/\1/p')
	printf '%-34s %12s %12s %6.2fx\n' "$name" "$a msg/s" "$b msg/s" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')"
done
