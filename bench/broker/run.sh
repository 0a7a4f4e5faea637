#!/usr/bin/env bash
# bench/broker/run.sh - the Redis broker, in the same sitting (reported, not asserted).
#
#   bench/broker/run.sh [--reps N] [--duration SECS]
#
# 1. Fan-out 1 -> 1,000 (loadgen broadcast -n 999 -W 16: 1,000 subscribers,
#    the publisher included), examples/pubsub.php --redis on one redis-server:
#      one node   all 1,000 subscribers on one server;
#      two nodes  the publisher and 499 receivers on server A, 500 receivers
#                 on server B (loadgen --port2): half the deliveries cross
#                 Redis.
#    Both configurations have the broker option (the one node publishes to
#    Redis too, with no other node listening), alternating over N
#    repetitions: deliveries/s and publish-to-delivery latency p50/p99,
#    medians, and the two-node / one-node ratio.
# 2. Synchronous PUBLISH calls per second from one PHP process:
#    WebSocket\Publisher::publish() against phpredis's publish() (Debian's
#    php8.2-redis, installed with apt-get when missing and possible), the
#    same bytes on the same channel, alternating over N repetitions.
# The machine has 2 cores: Redis, the servers and the load generator share
# them (no pinning), and the figures say so. Writes bench/results/broker.json
# and prints a table.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=3
DUR=5
while [ $# -gt 0 ]; do
	case "$1" in
		--reps) REPS=$2; shift 2 ;;
		--duration) DUR=$2; shift 2 ;;
		*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
SO=$PWD/modules/websocket.so
[ -f "$SO" ] || { echo "build first (./dev build)" >&2; exit 1; }
make -s -C bench loadgen >/dev/null
fail() { echo "bench/broker: $*" >&2; exit 1; }
LOG=$(mktemp -d)
REDIS_LOG="$LOG/redis.log"
# shellcheck source=../../tests/lib/redis.sh
source tests/lib/redis.sh
declare -a SRV_PIDS=()
cleanup() {
	local p
	for p in "${SRV_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	kill_redis
	rm -rf "$LOG"
}
trap cleanup EXIT

# phpredis: Debian's package, as ./dev installs what it needs (root or passwordless sudo).
PHPREDIS=
if php -r 'exit(class_exists("Redis") ? 0 : 1);'; then
	PHPREDIS=yes
else
	SUDO=
	[ "$(id -u)" = 0 ] || { sudo -n true 2>/dev/null && SUDO=sudo; }
	if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
		echo "installing php8.2-redis (phpredis) for the comparison" >&2
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq php8.2-redis >/dev/null 2>&1 || true
	fi
	php -r 'exit(class_exists("Redis") ? 0 : 1);' && PHPREDIS=yes
fi
[ -n "$PHPREDIS" ] || echo "phpredis could not be installed (apt-get install php8.2-redis): its row is left out" >&2

start_redis

# start_node: examples/pubsub.php --redis on a free port; sets PORT, appends to SRV_PIDS.
start_node() {
	local out="$LOG/node${#SRV_PIDS[@]}.out"
	php -d extension="$SO" examples/pubsub.php 0 --redis "redis://127.0.0.1:$REDIS_PORT" >"$out" 2>"$out.err" &
	SRV_PIDS+=("$!")
	PORT=
	for _ in $(seq 1 200); do
		PORT=$(sed -n 's/^PORT=//p' "$out" 2>/dev/null | head -1)
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ] || { cat "$out.err" >&2; exit 1; }
	bench/loadgen wait -p "$PORT" -d 10 >/dev/null
}

stop_nodes() {
	local p
	for p in "${SRV_PIDS[@]}"; do
		kill -TERM "$p"
		wait "$p" || true
	done
	SRV_PIDS=()
}

json() { # json KEY: from the RESULT line in $LOG/run
	sed -n 's/^RESULT //p' "$LOG/run" | php -r '$j = json_decode(stream_get_contents(STDIN), true); $k = explode(".", $argv[1]); foreach ($k as $x) { $j = $j[$x] ?? null; } echo is_bool($j) ? ($j ? "true" : "false") : ($j ?? "");' "$1"
}

declare -A R
fanout() { # fanout KEY [--port2 PORT2]
	local key=$1
	shift
	# Its probes wait until a publication reaches every subscriber, so B's
	# SUBSCRIBE in Redis is in place before the measurement starts.
	bench/loadgen broadcast -p "$PORT_A" -n 999 -W 16 -d "$DUR" -w 1 "$@" >"$LOG/run" 2>&1 || true
	[ "$(json synced)" = true ] || echo "warning: $key: the probe did not reach every subscriber" >&2
	[ "$(json missing)" = 0 ] || echo "warning: $key: $(json missing) deliveries missing" >&2
	R[fan_$key]+="$(json deliveries_per_s) "
	R[p50_$key]+="$(json lat_us.p50) "
	R[p99_$key]+="$(json lat_us.p99) "
}

for rep in $(seq 1 "$REPS"); do
	start_node
	PORT_A=$PORT
	fanout one
	stop_nodes

	start_node
	PORT_A=$PORT
	start_node
	fanout two --port2 "$PORT"
	stop_nodes

	for mode in publisher phpredis; do
		[ "$mode" = phpredis ] && [ -z "$PHPREDIS" ] && continue
		R[pub_$mode]+="$(php -d extension="$SO" bench/broker/publish.php "$mode" "$REDIS_PORT" "$DUR" | sed -n 's/^RESULT //p') "
	done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b != "") printf "%.2f", b / a; else printf "null" }'; }
printf '%-40s %14s %14s %8s\n' "fan-out 1 -> 1,000" "one node" "two nodes" "ratio"
JSON="{\"date\": \"$(date -u +%FT%TZ)\", \"cpus\": $(nproc), \"reps\": $REPS, \"duration\": $DUR,"
JSON="$JSON \"note\": \"Redis, the servers and the load generator share the $(nproc) cores (no pinning); medians of $REPS alternating repetitions\","
JSON="$JSON \"commit\": \"$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)\", \"redis\": \"$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')\","
JSON="$JSON \"fanout\": {"
sep=
for k in "deliveries/s:fan" "latency p50 (us):p50" "latency p99 (us):p99"; do
	label=${k%%:*}
	key=${k##*:}
	a=$(echo "${R[${key}_one]}" | median)
	b=$(echo "${R[${key}_two]}" | median)
	printf '%-40s %14s %14s %8s\n' "$label" "$a" "$b" "$(ratio "$a" "$b")x"
	JSON="$JSON$sep \"$key\": {\"one_node\": ${a:-null}, \"two_nodes\": ${b:-null}, \"ratio\": $(ratio "$a" "$b"), \"runs_one\": [$(echo ${R[${key}_one]} | tr ' ' ',')], \"runs_two\": [$(echo ${R[${key}_two]} | tr ' ' ',')]}"
	sep=,
done
a=$(echo "${R[pub_publisher]}" | median)
b=$(echo "${R[pub_phpredis]:-}" | median)
printf '\n%-40s %14s %14s %8s\n' "PUBLISH calls/s, one PHP process" "Publisher" "phpredis" "ratio"
printf '%-40s %14s %14s %8s\n' "32 B, one round trip each" "$a" "${b:-n/a}" "$( [ -n "$b" ] && echo "$(ratio "$b" "$a")x" || echo -)"
JSON="$JSON}, \"publish_calls_per_s\": {\"publisher\": ${a:-null}, \"phpredis\": ${b:-null}, \"publisher_over_phpredis\": $( [ -n "$b" ] && ratio "$b" "$a" || echo null),"
JSON="$JSON \"phpredis_version\": \"$(php -r 'echo phpversion("redis") ?: "";')\", \"runs_publisher\": [$(echo ${R[pub_publisher]} | tr ' ' ',')], \"runs_phpredis\": [$(echo ${R[pub_phpredis]:-} | tr ' ' ',')]}}"
mkdir -p bench/results
echo "$JSON" | php -r 'echo json_encode(json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";' >bench/results/broker.json
echo "wrote bench/results/broker.json"
