#!/usr/bin/env bash
# The chat room example with two workers (--workers 2) in headless Chromium:
# two users on different workers see each other, talk, exchange private
# messages, and a moderator kicks a user held by the other worker.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh

[ -x /usr/bin/chromium ] || { echo "Chromium is missing: apt-get install chromium"; exit 1; }
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
[ -f "$NODE_PATH/playwright-core/package.json" ] || { echo "playwright-core is missing from $NODE_PATH"; exit 1; }

TOKEN=browser-test-token
# Every notice or warning goes to stderr, which must stay empty.
start_server -d display_errors=stderr -d error_reporting=-1 examples/chat/server.php --host 127.0.0.1 --port 0 \
	--moderator-token "$TOKEN" --workers 2

rc=0
timeout 300 node tests/browser/chat-workers.test.js "$PORT" "$TOKEN" || rc=$?
stop_server || { echo "the server exited with an error"; rc=1; }
grep -q "^Chat room stopped.\$" "$SERVER_OUT" || { echo "the server did not stop cleanly"; tail -5 "$SERVER_OUT"; rc=1; }

if [ -s "$SERVER_ERR" ]; then
	echo "server stderr:"; cat "$SERVER_ERR"; rc=1
fi
exit $rc
