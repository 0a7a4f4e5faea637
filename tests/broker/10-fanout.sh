#!/usr/bin/env bash
# Two nodes on one Redis, 500 clients split across them, 10 topics, 20
# publishers of 25 messages: every publication reaches every subscriber of its
# topic exactly once, each publisher's in order; broadcast() and
# sendToWorkers() span the nodes.  First with single-process nodes, then with
# {"workers": 2} on each node (the supervisor holds the node's Redis link).
source "$(dirname "$0")/common.bash"
need_node
ulimit -n "$(ulimit -Hn)"
start_redis

for workers in 1 2; do
	NODE_PIDS=() NODE_PORTS=() NODE_OUTS=() NODE_ERRS=()
	opts="{\"broker\": \"redis://127.0.0.1:$REDIS_PORT\", \"workers\": $workers}"
	start_node "$opts"
	start_node "$opts"
	if [ "$workers" -gt 1 ]; then
		wait_for "^START $((workers - 1)) " "${NODE_OUTS[0]}"
		wait_for "^START $((workers - 1)) " "${NODE_OUTS[1]}"
	fi
	run_peer node tests/broker/broker_client.js fanout "$(node_urls)" 500 10 20 25 $((2 * workers))
	stop_nodes
	for i in 0 1; do
		! grep -q 'Redis broker' "${NODE_OUTS[$i]}" "${NODE_ERRS[$i]}" || fail "node $i warned about Redis: $(grep 'Redis broker' "${NODE_OUTS[$i]}" "${NODE_ERRS[$i]}")"
	done
	# Every node unsubscribed its topics when their last client left.
	chans=$(redis-cli -p "$REDIS_PORT" PUBSUB CHANNELS 'ws:t:*')
	[ -z "$chans" ] || fail "topics still subscribed after the clients left: $chans"
	echo "workers=$workers ok"
done
echo "ok"
