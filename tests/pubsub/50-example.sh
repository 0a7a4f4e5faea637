#!/usr/bin/env bash
# examples/pubsub.php: with port 0 it prints PORT=<n> (and a human line on
# stderr); three clients, and a message from any of them (text, binary, empty,
# multi-byte) reaches all three, sender included, in order; SIGTERM stops it
# with status 0.
source "$(dirname "$0")/common.bash"
need_node

start_server examples/pubsub.php 0
run_peer node tests/pubsub/pubsub_client.js example "ws://127.0.0.1:$PORT"
rc=0
stop_server || rc=$?
[ "$rc" -eq 0 ] || fail "the example exited with status $rc"
[ "$(cat "$SERVER_ERR")" = "pub/sub server listening on ws://127.0.0.1:$PORT" ] \
	|| fail "unexpected stderr: $(head -5 "$SERVER_ERR")"
[ "$(cat "$SERVER_OUT")" = "PORT=$PORT" ] || fail "unexpected stdout: $(head -5 "$SERVER_OUT")"
cleanup_server_files
echo "ok"
