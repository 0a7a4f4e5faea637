#!/usr/bin/env bash
# Redis is not running when the nodes start: they start anyway, serve their
# local clients (commands answered, local publications delivered), warn once
# each, and once Redis comes up on that port they connect, subscribe, and
# cross-node delivery begins (measured, bound 10 s).
source "$(dirname "$0")/common.bash"
need_node
port=$(free_port)
start_node "{\"broker\": \"redis://127.0.0.1:$port\"}"
start_node "{\"broker\": \"redis://127.0.0.1:$port\", \"workers\": 2}"
wait_for '^START 1 ' "${NODE_OUTS[1]}"

out="$BR_TMP/client.out"
fifo="$BR_TMP/ctl"
mkfifo "$fifo"
REDIS_PORT=$port node tests/broker/broker_client.js stream "ws://127.0.0.1:${NODE_PORTS[0]}" "ws://127.0.0.1:${NODE_PORTS[1]}" down <"$fifo" >"$out" 2>&1 &
CLIENT=$!
EXTRA_PIDS="$CLIENT"
exec 7>"$fifo"
wait_for '^STREAMING' "$out"
sleep 2        # local-only for a while (the client checks local delivery never stalls)
start_redis "$port"
echo BACK >&7
wait "$CLIENT" || fail "client: $(cat "$out")"
EXTRA_PIDS=
exec 7>&-
cat "$out"
ms=$(sed -n 's/^RESUME \([0-9]*\).*/\1/p' "$out")
[ -n "$ms" ] && [ "$ms" -lt 10000 ] || fail "cross-node delivery did not begin within 10 s of Redis starting ($ms ms)"
[ "$(cat "${NODE_OUTS[0]}" "${NODE_ERRS[0]}" | grep -c 'Redis broker at .* unavailable')" -eq 1 ] || fail "node A: expected one warning: $(cat "${NODE_ERRS[0]}")"
[ "$(count_lines 'Redis broker at .* unavailable' "${NODE_ERRS[1]}")" -eq 1 ] || fail "node B: expected one warning: $(cat "${NODE_ERRS[1]}")"
stop_nodes
echo "ok"
