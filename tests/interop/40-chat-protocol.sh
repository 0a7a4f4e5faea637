#!/usr/bin/env bash
# The chat room example's JSON protocol (examples/chat/PROTOCOL.md) against a
# raw Node "ws" client: malformed and oversize input, nickname and room rules,
# private messages, moderation, session takeover, the rate limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH

TOKEN=test-moderator-token
# Every notice or warning goes to stderr, which must stay empty.
start_server -d display_errors=stderr -d error_reporting=-1 examples/chat/server.php --host 127.0.0.1 --port 0 --moderator-token "$TOKEN"
grep -q "^Chat room: http://127.0.0.1:$PORT\$" "$SERVER_OUT" || { echo "no 'Chat room:' URL line"; cat "$SERVER_OUT"; exit 1; }

rc=0
timeout 60 node tests/interop/chat_protocol.js "$PORT" "$TOKEN" || rc=$?

stop_server || { echo "server exited with an error"; rc=1; }
if [ -s "$SERVER_ERR" ]; then
	echo "server stderr:"; cat "$SERVER_ERR"; rc=1
fi
grep -q "^Chat room stopped.\$" "$SERVER_OUT" || { echo "the server did not stop cleanly"; tail -5 "$SERVER_OUT"; rc=1; }
exit $rc
