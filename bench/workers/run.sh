#!/usr/bin/env bash
# bench/workers/run.sh - one worker against two, in the same sitting.
#
#   bench/workers/run.sh [--reps N] [--duration SECS]
#
# Scenarios, each against examples/echo.php or examples/pubsub.php started
# with --workers 1 and then --workers 2 (alternating, N repetitions, median):
#   pipelined echo    loadgen echo -c 100 -P 16 -s 32
#   fan-out 1 -> 1000 loadgen broadcast -n 1000 -W 16: deliveries/s, and
#                     publish-to-delivery latency p50/p99.  With one worker
#                     every delivery is same-worker; with two, the publication
#                     goes through the supervisor to both workers.
#   CPU per million deliveries: user+system time of the server's processes
#                     (supervisor and workers) over the fan-out run.
# The machine has 2 cores and the load generator needs one: with 2 workers
# the server shares the cores with the load generator (no pinning), and the
# figures say so.  Writes bench/results/workers.json and prints a table.
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
LOG=$(mktemp -d)
SRV_PID=
cleanup() {
	if [ -n "$SRV_PID" ]; then
		local kids
		kids=$(pgrep -P "$SRV_PID" 2>/dev/null || true)
		kill -TERM "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
	fi
	rm -rf "$LOG"
}
trap cleanup EXIT

# cpu_ticks PID: user+system clock ticks of PID and its live children.
cpu_ticks() {
	local t=0 p
	for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
		[ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
	done
	echo "$t"
}

start() { # start SCRIPT WORKERS
	php -d extension="$SO" "$1" 0 --workers "$2" >"$LOG/out" 2>"$LOG/err" &
	SRV_PID=$!
	for _ in $(seq 1 200); do
		PORT=$(sed -n 's/^PORT=//p' "$LOG/out" | head -1)
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ] || { cat "$LOG/err" >&2; exit 1; }
	bench/loadgen wait -p "$PORT" -d 10 >/dev/null
}

stop() {
	kill -TERM "$SRV_PID"
	wait "$SRV_PID" || true
	SRV_PID=
}

json() { # json KEY: from the RESULT line in $LOG/run
	sed -n 's/^RESULT //p' "$LOG/run" | php -r '$j = json_decode(stream_get_contents(STDIN), true); $k = explode(".", $argv[1]); foreach ($k as $x) { $j = $j[$x] ?? null; } echo $j ?? "";' "$1"
}

declare -A R
for rep in $(seq 1 "$REPS"); do
	for w in 1 2; do
		start examples/echo.php "$w"
		bench/loadgen echo -p "$PORT" -c 100 -P 16 -s 32 -d "$DUR" -w 1 >"$LOG/run" 2>&1
		R[echo_$w]+="$(json msgs_per_s) "
		stop
		start examples/pubsub.php "$w"
		t0=$(cpu_ticks "$SRV_PID")
		bench/loadgen broadcast -p "$PORT" -n 1000 -W 16 -d "$DUR" -w 1 >"$LOG/run" 2>&1
		t1=$(cpu_ticks "$SRV_PID")
		d=$(json deliveries)
		R[fan_$w]+="$(json deliveries_per_s) "
		R[p50_$w]+="$(json lat_us.p50) "
		R[p99_$w]+="$(json lat_us.p99) "
		R[cpu_$w]+="$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v d="$d" 'BEGIN { printf "%.3f", (d > 0 ? t / hz / d * 1e6 : 0) }') "
		stop
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-36s %14s %14s %8s\n' scenario "1 worker" "2 workers" ratio
JSON="{\"date\": \"$(date -u +%FT%TZ)\", \"cpus\": $(nproc), \"reps\": $REPS, \"duration\": $DUR, \"note\": \"server and load generator share the 2 cores (no pinning)\""
for k in "pipelined echo 100x16, msgs/s:echo" "fan-out 1->1000, deliveries/s:fan" "fan-out latency p50 (us):p50" \
	"fan-out latency p99 (us):p99" "CPU s per million deliveries:cpu"; do
	label=${k%%:*}
	key=${k##*:}
	a=$(echo "${R[${key}_1]}" | median)
	b=$(echo "${R[${key}_2]}" | median)
	printf '%-36s %14s %14s %8s\n' "$label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", (a > 0 ? b / a : 0) }')"
	JSON="$JSON, \"$key\": {\"workers_1\": ${a:-null}, \"workers_2\": ${b:-null}}"
done
mkdir -p bench/results
echo "$JSON}" >bench/results/workers.json
echo "wrote bench/results/workers.json"
