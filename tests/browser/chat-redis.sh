#!/usr/bin/env bash
# Two chat servers on one Redis (examples/chat/server.php --redis) in headless
# Chromium: server A is one process, server B has two workers and starts
# after a user joined A. Users on A and B see each other, talk and exchange
# private messages; the test SIGKILLs Redis and restarts it on the same port,
# and a user who joined during the outage reaches the other server's list
# (chat-redis.test.js says how). Every process started here is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh

[ -x /usr/bin/chromium ] || { echo "Chromium is missing: apt-get install chromium"; exit 1; }
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
[ -f "$NODE_PATH/playwright-core/package.json" ] || { echo "playwright-core is missing from $NODE_PATH"; exit 1; }

T=$(mktemp -d)
REDIS_LOG="$T/redis.log"
source tests/lib/redis.sh
declare -A CHAT_PID=() CHAT_PORT=()
NODE_PID=

# Stops what is still running (a failed test): SIGKILL to the test driver, each
# server's workers and the server, and Redis.
cleanup() {
	local name k
	[ -n "$NODE_PID" ] && { kill -KILL "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; }
	for name in "${!CHAT_PID[@]}"; do
		for k in $(pgrep -P "${CHAT_PID[$name]}" 2>/dev/null || true); do kill -KILL "$k" 2>/dev/null || true; done
		kill -KILL "${CHAT_PID[$name]}" 2>/dev/null || true
		wait "${CHAT_PID[$name]}" 2>/dev/null || true
	done
	kill_redis
	rm -rf "$T"
}
trap cleanup EXIT

# start_chat NAME ARGS...: a chat server on a free port, linked to our Redis.
start_chat() {
	local name=$1 i port=
	shift
	: >"$T/$name.out"    # before the background job opens it: the loop below reads it at once
	php -d extension="$SO" -d display_errors=stderr -d error_reporting=-1 examples/chat/server.php \
		--host 127.0.0.1 --port 0 --moderator-token browser-test-token --redis "redis://127.0.0.1:$REDIS_PORT" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	CHAT_PID[$name]=$!
	for i in $(seq 1 200); do
		port=$(sed -n 's/^PORT=//p' "$T/$name.out" | head -1)
		[ -n "$port" ] && break
		kill -0 "${CHAT_PID[$name]}" 2>/dev/null || { cat "$T/$name.err"; fail "server $name exited"; }
		sleep 0.05
	done
	[ -n "$port" ] || fail "server $name did not report its port"
	CHAT_PORT[$name]=$port
}

# stop_chat NAME: SIGTERM, and a clean exit.
stop_chat() {
	local rc=0
	kill -TERM "${CHAT_PID[$1]}"
	wait "${CHAT_PID[$1]}" || rc=$?
	unset "CHAT_PID[$1]"
	[ "$rc" -eq 0 ] || { echo "server $1 exited with status $rc"; return 1; }
	grep -q "^Chat room stopped.\$" "$T/$1.out" || { echo "server $1 did not stop cleanly"; tail -5 "$T/$1.out"; return 1; }
	# Nothing on stderr but the broker's one warning per outage.
	if grep -v 'Redis broker at .* unavailable' "$T/$1.err" | grep -q .; then
		echo "server $1 stderr:"; cat "$T/$1.err"; return 1
	fi
}

start_redis
redis_port=$REDIS_PORT
start_chat A

# The test driver's requests (chat-redis.test.js, ask()), answered until it exits.
mkdir "$T/ctl"
timeout 300 node tests/browser/chat-redis.test.js "${CHAT_PORT[A]}" "$T/ctl" &
NODE_PID=$!
answer() { echo "$2" >"$T/ctl/$1.tmp" && mv "$T/ctl/$1.tmp" "$T/ctl/$1.done"; }
while kill -0 "$NODE_PID" 2>/dev/null; do
	if [ -e "$T/ctl/start-b" ] && [ ! -e "$T/ctl/start-b.done" ]; then
		start_chat B --workers 2
		answer start-b "${CHAT_PORT[B]}"
	elif [ -e "$T/ctl/kill-redis" ] && [ ! -e "$T/ctl/kill-redis.done" ]; then
		kill_redis 2>/dev/null
		answer kill-redis ok
	elif [ -e "$T/ctl/start-redis" ] && [ ! -e "$T/ctl/start-redis.done" ]; then
		start_redis "$redis_port"
		answer start-redis ok
	fi
	sleep 0.05
done
rc=0
wait "$NODE_PID" || rc=$?
NODE_PID=
for name in A B; do
	[ -n "${CHAT_PID[$name]:-}" ] || continue
	stop_chat "$name" || rc=1
done
exit $rc
