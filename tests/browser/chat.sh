#!/usr/bin/env bash
# The chat room example (examples/chat) in headless Chromium: join, user list,
# messages, private messages, leave notices, XSS, moderator kick, automatic
# reconnection after a server restart. Takes the screenshot that the README shows.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh

[ -x /usr/bin/chromium ] || { echo "Chromium is missing: apt-get install chromium"; exit 1; }
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
[ -f "$NODE_PATH/playwright-core/package.json" ] || { echo "playwright-core is missing from $NODE_PATH"; exit 1; }

TOKEN=browser-test-token
# Every notice or warning goes to stderr, which must stay empty.
start_server -d display_errors=stderr -d error_reporting=-1 examples/chat/server.php --host 127.0.0.1 --port 0 --moderator-token "$TOKEN"
# The README's screenshot is refreshed only on request (UPDATE_SCREENSHOT=1),
# so that running the tests leaves the tree clean.
shot="$PWD/.work/chat.png"
[ "${UPDATE_SCREENSHOT:-0}" = 1 ] && shot="$PWD/docs/chat.png"
mkdir -p "$(dirname "$shot")"

rc=0
# The test stops this server itself (to check reconnection) and restarts it on the same port.
timeout 90 node tests/browser/chat.test.js "$PORT" "$TOKEN" "$SERVER_PID" "$shot" || rc=$?
# Normally gone by now (stopped by the test); if the test failed early, stop it here.
stop_server || { echo "the server exited with an error"; rc=1; }
grep -q "^Chat room stopped.\$" "$SERVER_OUT" || { echo "the server did not stop cleanly"; tail -5 "$SERVER_OUT"; rc=1; }

if [ -s "$SERVER_ERR" ]; then
	echo "server stderr:"; cat "$SERVER_ERR"; rc=1
fi
exit $rc
