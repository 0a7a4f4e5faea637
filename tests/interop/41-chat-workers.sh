#!/usr/bin/env bash
# The chat room example with two workers (examples/chat/server.php --workers 2)
# against raw Node "ws" clients: the shared user list, room and private
# messages across workers, nickname races, session takeover, kick, and a
# killed worker (tests/interop/chat_workers.js).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH

TOKEN=test-moderator-token
# Every notice or warning goes to stderr, which must hold nothing but the
# supervisor's report of the worker the test kills.
start_server -d display_errors=stderr -d error_reporting=-1 examples/chat/server.php --host 127.0.0.1 --port 0 \
	--moderator-token "$TOKEN" --workers 2
grep -q "^Chat room: http://127.0.0.1:$PORT\$" "$SERVER_OUT" || { echo "no 'Chat room:' URL line"; cat "$SERVER_OUT"; exit 1; }

rc=0
timeout 120 node tests/interop/chat_workers.js "$PORT" "$TOKEN" || rc=$?

stop_server || { echo "server exited with an error"; rc=1; }
grep -q "^Chat room stopped.\$" "$SERVER_OUT" || { echo "the server did not stop cleanly"; tail -5 "$SERVER_OUT"; rc=1; }
if grep -v -E '^websocket supervisor \[[0-9]+\]: worker [0-9]+ \(pid [0-9]+\) was killed by signal 9' "$SERVER_ERR" | grep -q .; then
	echo "server stderr:"; cat "$SERVER_ERR"; rc=1
fi
[ "$rc" = 0 ] || { echo "--- server stdout (last 30 lines)"; tail -30 "$SERVER_OUT"; echo "--- stderr"; cat "$SERVER_ERR"; }
exit $rc
