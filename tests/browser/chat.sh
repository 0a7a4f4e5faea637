#!/usr/bin/env bash
# The chat room example (examples/chat) in headless Chromium: join, user list,
# messages, private messages, leave notices, XSS, moderator kick, automatic
# reconnection after a server restart. Saves the screenshot docs/chat.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh

[ -x /usr/bin/chromium ] || { echo "Chromium is missing: apt-get install chromium"; exit 1; }
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
[ -f "$NODE_PATH/playwright-core/package.json" ] || { echo "playwright-core is missing from $NODE_PATH"; exit 1; }

TOKEN=browser-test-token
start_server examples/chat/server.php --host 127.0.0.1 --port 0 --moderator-token "$TOKEN"
mkdir -p docs

rc=0
# The test stops this server itself (to check reconnection) and restarts it on the same port.
timeout 90 node tests/browser/chat.test.js "$PORT" "$TOKEN" "$SERVER_PID" docs/chat.png || rc=$?
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

if [ -s "$SERVER_ERR" ]; then
	echo "server stderr:"; cat "$SERVER_ERR"; rc=1
fi
exit $rc
