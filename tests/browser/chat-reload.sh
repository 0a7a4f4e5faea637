#!/usr/bin/env bash
# The chat room with two workers (--workers 2) through a zero-downtime reload,
# in headless Chromium: two users type steadily while the supervisor gets
# SIGUSR2; the old workers close them with 1012, their pages reconnect to the
# new workers and resume the room's history after the last message they
# showed. At the end both pages show every message exactly once, in one order
# (chat-reload.test.js says how it checks).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh

[ -x /usr/bin/chromium ] || { echo "Chromium is missing: apt-get install chromium"; exit 1; }
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
[ -f "$NODE_PATH/playwright-core/package.json" ] || { echo "playwright-core is missing from $NODE_PATH"; exit 1; }

# Every notice or warning goes to stderr, which must hold nothing but the supervisor's reload report.
start_server -d display_errors=stderr -d error_reporting=-1 examples/chat/server.php --host 127.0.0.1 --port 0 \
	--moderator-token browser-test-token --workers 2

rc=0
# The test sends SIGUSR2 to the supervisor ($SERVER_PID) and reads its output.
timeout 300 node tests/browser/chat-reload.test.js "$PORT" "$SERVER_PID" "$SERVER_OUT" || rc=$?
stop_server || { echo "the server exited with an error"; rc=1; }
grep -q "^Chat room stopped.\$" "$SERVER_OUT" || { echo "the server did not stop cleanly"; tail -5 "$SERVER_OUT"; rc=1; }
if grep -q 'history reloaded (gap)' "$SERVER_OUT"; then
	echo "a page could not resume after the reload:"; grep 'rejoined' "$SERVER_OUT"; rc=1
fi
grep -q 'generation 2 serves' "$SERVER_ERR" || { echo "the supervisor did not report the reload"; rc=1; }
if grep -v -E '^websocket supervisor \[[0-9]+\]: reload: ' "$SERVER_ERR" | grep -q .; then
	echo "server stderr:"; cat "$SERVER_ERR"; rc=1
fi
[ "$rc" = 0 ] || { echo "--- server stdout (last 30 lines)"; tail -30 "$SERVER_OUT"; }
exit $rc
