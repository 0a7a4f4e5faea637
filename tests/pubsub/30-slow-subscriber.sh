#!/usr/bin/env bash
# A subscriber that stops reading does not hold the others back: a publisher
# sends 20 MiB in 64 KiB messages to a topic with it and 10 normal
# subscribers, which get everything, in order, within 10 s.
#  - default policy ("close"): the slow one is closed with 1008 and leaves
#    the topic at once; reading again, it sees the 1008 close frame;
#  - "drop": the slow one stays open and subscribed, and receives exactly the
#    messages publish() counted it in.
source "$(dirname "$0")/common.bash"
need_node

start_server tests/pubsub/topic_server.php
run_peer node tests/pubsub/pubsub_client.js slow "ws://127.0.0.1:$PORT" close
stop_checked
[ "$(grep -c '^CLOSE [0-9]* 1008 send buffer limit exceeded$' "$SERVER_OUT")" -eq 1 ] || fail "expected one 1008 close"
[ "$(grep -c '^CLOSE [0-9]* 1000 $' "$SERVER_OUT")" -eq 12 ] || fail "expected twelve 1000 closes"
cleanup_server_files

start_server tests/pubsub/topic_server.php '{"backpressure":"drop"}'
run_peer node tests/pubsub/pubsub_client.js slow "ws://127.0.0.1:$PORT" drop
stop_checked
expect_closes 13 1000
cleanup_server_files
echo "ok"
