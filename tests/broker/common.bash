# tests/broker/common.bash - helpers shared by the Redis broker tests (sourced,
# not a test itself).  Each test starts its own redis-server on a free port of
# 127.0.0.1 and its own server nodes (tests/workers/worker_server.php with the
# "broker" option); the EXIT trap kills every one of them by PID.
set -euo pipefail
BR_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$BR_DIR/../.."
# shellcheck source=../lib/server.sh
source tests/lib/server.sh

declare -a NODE_PIDS=() NODE_PORTS=() NODE_OUTS=() NODE_ERRS=()
BR_TMP=$(mktemp -d)
REDIS_LOG="$BR_TMP/redis.log"
# shellcheck source=../lib/redis.sh
source tests/lib/redis.sh

free_port() {
	redis_free_port
}

# start_node JSON-OPTIONS: one server node; appends to NODE_PIDS / NODE_PORTS / NODE_OUTS / NODE_ERRS.
start_node() {
	local i=${#NODE_PIDS[@]}
	local out="$BR_TMP/node$i.out" err="$BR_TMP/node$i.err"
	php -d extension="$SO" tests/workers/worker_server.php "$1" >"$out" 2>"$err" &
	NODE_PIDS+=("$!")
	NODE_OUTS+=("$out")
	NODE_ERRS+=("$err")
	local port= k
	for k in $(seq 1 200); do
		port=$(sed -n 's/^PORT=//p' "$out" | head -1)
		[ -n "$port" ] && break
		kill -0 "${NODE_PIDS[$i]}" 2>/dev/null || fail "node $i exited: $(cat "$err")"
		sleep 0.05
	done
	[ -n "$port" ] || fail "node $i did not report its port"
	NODE_PORTS+=("$port")
}

node_urls() {
	local u="" p
	for p in "${NODE_PORTS[@]}"; do u="$u${u:+,}ws://127.0.0.1:$p"; done
	echo "$u"
}

# stop_nodes: SIGTERM to each node, waits; fails if one exits non-zero.
stop_nodes() {
	local i rc
	for i in "${!NODE_PIDS[@]}"; do
		[ -n "${NODE_PIDS[$i]}" ] || continue
		kill -TERM "${NODE_PIDS[$i]}" 2>/dev/null || true
	done
	for i in "${!NODE_PIDS[@]}"; do
		[ -n "${NODE_PIDS[$i]}" ] || continue
		rc=0
		wait "${NODE_PIDS[$i]}" || rc=$?
		NODE_PIDS[$i]=
		[ "$rc" -eq 0 ] || fail "node $i exited with status $rc: $(tail -5 "${NODE_ERRS[$i]}")"
	done
}

br_cleanup() {
	local i k
	for i in "${!NODE_PIDS[@]}"; do
		[ -n "${NODE_PIDS[$i]}" ] || continue
		for k in $(pgrep -P "${NODE_PIDS[$i]}" 2>/dev/null || true); do kill -KILL "$k" 2>/dev/null || true; done
		kill -KILL "${NODE_PIDS[$i]}" 2>/dev/null || true
	done
	for k in ${EXTRA_PIDS:-}; do { kill -KILL "$k"; wait "$k"; } 2>/dev/null || true; done
	kill_redis
	rm -rf "$BR_TMP"
}
trap br_cleanup EXIT

# wait_for PATTERN FILE [SECONDS]: until a line matches (state, not sleep).
wait_for() {
	local pat=$1 file=$2 secs=${3:-20} i
	for i in $(seq 1 $((secs * 20))); do
		grep -qE "$pat" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "timed out waiting for /$pat/ in $file: $(tail -5 "$file")"
}

count_lines() {
	grep -cE "$1" "$2" 2>/dev/null || true
}
