#!/usr/bin/env bash
# Leaving a topic: unsubscribe() (and its return values), a closing handshake
# and a dropped TCP connection each lower subscribers() and stop deliveries;
# topics() of the connection and of the server follow; a topic without
# subscribers disappears and publishing to it reaches nobody.
source "$(dirname "$0")/common.bash"
need_node

start_server tests/pubsub/topic_server.php
run_peer node tests/pubsub/pubsub_client.js unsubscribe "ws://127.0.0.1:$PORT"
stop_checked
# a, b, c and mon closed with a handshake, d dropped its TCP connection.
[ "$(grep -c '^CLOSE [0-9]* 1000 $' "$SERVER_OUT")" -eq 4 ] || fail "expected four 1000 closes"
[ "$(grep -c '^CLOSE [0-9]* 1006 $' "$SERVER_OUT")" -eq 1 ] || fail "expected one 1006 close"
[ "$(grep -c '^CLOSE ' "$SERVER_OUT")" -eq 5 ] || fail "expected five close events"
cleanup_server_files
echo "ok"
