#!/usr/bin/env bash
# Topic names and edge cases: publishing to a topic without subscribers
# returns 0; names of 0 and 257 bytes throw \ValueError from subscribe(),
# unsubscribe(), publish() and subscribers(); 1 and 256 bytes, multi-byte
# UTF-8 and spaces are fine; names compare as bytes; binary stays binary.
source "$(dirname "$0")/common.bash"
need_node

start_server tests/pubsub/topic_server.php
run_peer node tests/pubsub/pubsub_client.js limits "ws://127.0.0.1:$PORT"
stop_checked
expect_closes 1 1000
cleanup_server_files
echo "ok"
