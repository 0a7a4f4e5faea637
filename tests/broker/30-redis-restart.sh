#!/usr/bin/env bash
# Redis is SIGKILLed mid-stream and restarted on the same port.  Node A is a
# single process, node B has two workers (its supervisor holds the link).
# While Redis is down both nodes keep delivering their own publications to
# their local clients; each node warns once; after the restart both resubscribe
# and cross-node delivery resumes: the time from the restart to the first
# cross-node message on both sides is measured and must stay under 10 s.
source "$(dirname "$0")/common.bash"
need_node
start_redis
port=$REDIS_PORT
start_node "{\"broker\": \"redis://127.0.0.1:$port\"}"
start_node "{\"broker\": \"redis://127.0.0.1:$port\", \"workers\": 2}"
wait_for '^START 1 ' "${NODE_OUTS[1]}"

out="$BR_TMP/client.out"
fifo="$BR_TMP/ctl"
mkfifo "$fifo"
node tests/broker/broker_client.js stream "ws://127.0.0.1:${NODE_PORTS[0]}" "ws://127.0.0.1:${NODE_PORTS[1]}" <"$fifo" >"$out" 2>&1 &
CLIENT=$!
EXTRA_PIDS="$CLIENT"
exec 7>"$fifo"
wait_for '^STREAMING' "$out"
sleep 0.5

kill_redis
sleep 2        # an outage: publications keep flowing locally, the remote part is dropped
start_redis "$port"
echo BACK >&7
wait "$CLIENT" || fail "client: $(cat "$out")"
EXTRA_PIDS=
exec 7>&-
cat "$out"
ms=$(sed -n 's/^RESUME \([0-9]*\).*/\1/p' "$out")
[ -n "$ms" ] || fail "no resume time measured"
[ "$ms" -lt 10000 ] || fail "cross-node delivery took $ms ms to resume (bound: 10 s)"
echo "resume time: $ms ms"

[ "$(cat "${NODE_OUTS[0]}" "${NODE_ERRS[0]}" | grep -c 'Redis broker at .* unavailable')" -eq 1 ] || fail "node A: expected one warning for the outage: $(cat "${NODE_ERRS[0]}")"
[ "$(count_lines 'Redis broker at .* unavailable' "${NODE_ERRS[1]}")" -eq 1 ] || fail "node B: expected one warning for the outage on stderr: $(cat "${NODE_ERRS[1]}")"
stop_nodes
echo "ok"
