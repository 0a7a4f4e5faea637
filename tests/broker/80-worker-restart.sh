#!/usr/bin/env bash
# A worker of a node with a broker crashes (SIGKILL) and its supervisor forks a
# new one while the node's Redis link is live: the child lets go of the link
# without disturbing it (the supervisor keeps its subscriptions and does not
# reconnect), and cross-node fan-out works with the new worker.
source "$(dirname "$0")/common.bash"
need_node
start_redis
start_node "{\"broker\": \"redis://127.0.0.1:$REDIS_PORT\"}"
start_node "{\"broker\": \"redis://127.0.0.1:$REDIS_PORT\", \"workers\": 2}"
wait_for '^START 1 ' "${NODE_OUTS[1]}"
clients_before=$(redis-cli -p "$REDIS_PORT" INFO clients | sed -n 's/^connected_clients:\([0-9]*\).*/\1/p')

node -e '
const WebSocket = require("ws");
const w = new WebSocket(process.argv[1]);
w.on("message", (d) => { if (/^hello:/.test(d.toString())) w.send("crash"); });
w.on("close", () => process.exit(0));
w.on("error", () => process.exit(0));
setTimeout(() => process.exit(1), 10000);
' "ws://127.0.0.1:${NODE_PORTS[1]}" || fail "could not make a worker crash"
wait_for 'restarting it' "${NODE_ERRS[1]}"
wait_for '^START [01] .*' "${NODE_OUTS[1]}"
for _ in $(seq 1 100); do [ "$(count_lines '^START ' "${NODE_OUTS[1]}")" -ge 3 ] && break; sleep 0.05; done
[ "$(count_lines '^START ' "${NODE_OUTS[1]}")" -ge 3 ] || fail "the crashed worker was not restarted"

run_peer node tests/broker/broker_client.js fanout "$(node_urls)" 100 5 10 10 3
clients_after=$(redis-cli -p "$REDIS_PORT" INFO clients | sed -n 's/^connected_clients:\([0-9]*\).*/\1/p')
[ "$clients_after" = "$clients_before" ] || fail "Redis clients went from $clients_before to $clients_after: the link was disturbed"
! grep -q 'Redis broker' "${NODE_ERRS[1]}" || fail "the supervisor saw an outage: $(grep 'Redis broker' "${NODE_ERRS[1]}")"
stop_nodes
echo "ok"
