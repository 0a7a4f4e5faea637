#!/usr/bin/env bash
# 1,000 clients over 10 topics, 50 of them publishing 20 messages each with
# publish() and with publish(except: sender): every client receives exactly
# the messages of its topics, once each, in every publisher's order, never its
# own "except" message; publish() returns the exact recipient counts and
# subscribers()/topics() the exact subscriptions.
source "$(dirname "$0")/common.bash"
need_node
ulimit -n "$(ulimit -Hn)"

start_server tests/pubsub/topic_server.php
run_peer node tests/pubsub/pubsub_client.js fanout "ws://127.0.0.1:$PORT"
stop_checked
expect_closes 1000 1000
cleanup_server_files
echo "ok"
