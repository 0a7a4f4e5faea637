#!/usr/bin/env bash
# The cost of metrics (issue 17): pipelined echo and fan-out with the metrics
# endpoint off and on, in the same sitting, rotating the order from round to
# round so that drift on a shared machine falls on every side alike.
#
#   bash bench/metrics/run.sh [ROUNDS] [SECONDS]        (default 5 rounds of 3 s)
#
# "off": examples/echo.php / examples/pubsub.php as they are (counters are
# always kept: stats() reads them); "on": the same with --metrics /metrics,
# which also times handlers, fan-outs, handshakes and loop iterations, while
# a scraper fetches /metrics every second as Prometheus would.  With BASE_SO
# set to an extension built from an earlier commit, "base" runs that too
# (same scripts, no metrics option): what the counters themselves cost.
# Server on CPU 0, bench/loadgen on CPU 1.  Prints each run, then the median
# per variant and the ratios on/off and off/base, of the throughput and of the
# throughput per second of server CPU (which a busy machine disturbs less:
# the server waiting for its CPU costs throughput but no CPU time), and the
# median of the per-round ratios (each round's runs are closest in time).
# SCENARIOS="pipelined fanout" picks scenarios ("echo": one message in flight,
# about one message per loop iteration, the worst case for per-iteration
# timing); QUIET=1 adds "quiet": metrics
# on without the scraper.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
SECS=${2:-3}
: "${SO:=$PWD/modules/websocket.so}"
BASE_SO=${BASE_SO:-}
SCENARIOS=${SCENARIOS:-pipelined fanout}
work=$(mktemp -d)
SRV=
SCRAPER=
cleanup() {
	[ -n "$SCRAPER" ] && kill "$SCRAPER" 2>/dev/null || true
	[ -n "$SRV" ] && { kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
make -s -C bench loadgen >/dev/null
cp "$SO" "$work/on.so"
[ -z "$BASE_SO" ] || cp "$BASE_SO" "$work/base.so"

VARIANTS=(off on)
[ -z "${QUIET:-}" ] || VARIANTS+=(quiet)
[ -z "$BASE_SO" ] || VARIANTS+=(base)

# run SCENARIO VARIANT: prints the throughput (messages or deliveries per second) and the server's CPU share.
run() {
	local scen=$1 var=$2 so=$work/on.so script args field extra=()
	[ "$var" = base ] && so=$work/base.so
	[ "$var" = on ] || [ "$var" = quiet ] && extra=(--metrics /metrics)
	case "$scen" in
		pipelined) script=examples/echo.php; args=(echo -c 100 -P 16 -s 32); field=msgs_per_s ;;
		echo) script=examples/echo.php; args=(echo -c 100 -P 1 -s 32); field=msgs_per_s ;;
		fanout) script=examples/pubsub.php; args=(broadcast -n 999 -s 32 -W 64); field=deliveries_per_s ;;
	esac
	taskset -c 0 php -d extension="$so" "$script" 0 "${extra[@]}" >"$work/srv.out" 2>/dev/null &
	SRV=$!
	local port=
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^PORT=//p' "$work/srv.out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
	if [ "$var" = on ]; then
		# On the load generator's CPU (a remote Prometheus costs the server nothing else); cat reads in
		# bulk, where bash's read would make a system call per byte and slow the load generator down.
		taskset -c 1 bash -c 'while sleep 1; do
			exec 3<>"/dev/tcp/127.0.0.1/$0" || continue
			printf "GET /metrics HTTP/1.0\r\n\r\n" >&3
			cat <&3 >/dev/null
			exec 3<&-
		done' "$port" &
		SCRAPER=$!
	fi
	local out
	out=$(taskset -c 1 bench/loadgen "${args[@]}" -p "$port" -d "$SECS" -w 1 --pid "$SRV" -q 2>/dev/null || true)
	if [ -n "$SCRAPER" ]; then
		kill "$SCRAPER" 2>/dev/null || true
		wait "$SCRAPER" 2>/dev/null || true
		SCRAPER=
		# What measuring cost, counted by the metrics themselves: clock readings
		# (one per loop iteration and handshake, two per timed handler call or
		# fan-out) per message handled or delivered.
		curl -s --max-time 5 "http://127.0.0.1:$port/metrics" | awk -v scen="$scen" '
			/^websocket_loop_iteration_seconds_count / || /^websocket_handshake_duration_seconds_count / { reads += $2 }
			/^websocket_handler_duration_seconds_count/ || /^websocket_fanout_duration_seconds_count / { reads += 2 * $2 }
			/^websocket_messages_received_total/ { received += $2 }
			/^websocket_deliveries_total/ { delivered += $2 }
			END { n = scen == "fanout" ? delivered : received; if (n > 0) printf "%d %d %.4f\n", reads, n, reads / n }
		' >>"$work/$scen.reads" || true
	fi
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
	local tput cpu
	tput=$(printf '%s\n' "$out" | sed -n "s/.*\"$field\":\([0-9.]*\).*/\1/p" | tail -1)
	cpu=$(printf '%s\n' "$out" | sed -n 's/.*"server_cpu":\([0-9.]*\).*/\1/p' | tail -1)
	echo "${tput:-0} ${cpu:-0}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for scen in $SCENARIOS; do
	: >"$work/$scen.txt"
	for r in $(seq 1 "$ROUNDS"); do
		# Rotate the order from round to round, so that each variant runs first, second and last alike.
		order=()
		n=${#VARIANTS[@]}
		for ((i = 0; i < n; i++)); do order+=("${VARIANTS[$(((r - 1 + i) % n))]}"); done
		for var in "${order[@]}"; do
			read -r tput cpu < <(run "$scen" "$var")
			per_cpu=$(awk -v t="$tput" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? t / c : 0) }')
			echo "$scen round $r $var $tput $cpu $per_cpu" | tee -a "$work/$scen.txt"
		done
	done
done

echo
for scen in $SCENARIOS; do
	[ -s "$work/$scen.reads" ] || continue
	awk -v scen="$scen" '{ r += $1; n += $2 } END { printf "%s with metrics on: %d clock readings for %d %s, %.5f per %s\n", scen, r, n,
		scen == "fanout" ? "deliveries" : "messages", r / n, scen == "fanout" ? "delivery" : "message" }' "$work/$scen.reads"
done
echo
# Paired: the ratio of each round's two runs, whose conditions were closest; the median of those.
for scen in $SCENARIOS; do
	for pair in on/off ${BASE_SO:+off/base}; do
		a=${pair%/*} b=${pair#*/}
		awk -v a="$a" -v b="$b" '
			{ v[$3 " " $4] = $5; c[$3 " " $4] = $7; r[$3] = 1 }
			END { for (k in r) if (v[k " " b] > 0 && c[k " " b] > 0) { print v[k " " a] / v[k " " b], c[k " " a] / c[k " " b] } }
		' "$work/$scen.txt" >"$work/pairs"
		printf '%-10s %-9s paired median ratio: throughput %.3f, per CPU second %.3f (%d rounds)\n' "$scen" "$pair" \
			"$(cut -d' ' -f1 "$work/pairs" | median)" "$(cut -d' ' -f2 "$work/pairs" | median)" "$(wc -l <"$work/pairs")"
	done
done
echo
for metric in throughput per-cpu-second; do
	col=5
	[ "$metric" = per-cpu-second ] && col=7
	printf '%-24s' "$metric (median)"
	for var in "${VARIANTS[@]}"; do printf '%14s' "$var"; done
	printf '%10s' on/off
	[ -z "$BASE_SO" ] || printf '%10s' off/base
	echo
	for scen in $SCENARIOS; do
		declare -A med=()
		for var in "${VARIANTS[@]}"; do
			med[$var]=$(awk -v v="$var" -v c="$col" '$4 == v { print $c }' "$work/$scen.txt" | median)
		done
		printf '%-24s' "$scen"
		for var in "${VARIANTS[@]}"; do printf '%14.0f' "${med[$var]}"; done
		printf '%10.3f' "$(awk -v a="${med[on]}" -v b="${med[off]}" 'BEGIN { print (b > 0 ? a / b : 0) }')"
		[ -z "$BASE_SO" ] || printf '%10.3f' "$(awk -v a="${med[off]}" -v b="${med[base]}" 'BEGIN { print (b > 0 ? a / b : 0) }')"
		echo
		unset med
	done
done
