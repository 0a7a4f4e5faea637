#!/usr/bin/env bash
# The engine layout of issue 13 (core/ws_server.c split by concern, commit
# 6140dd4): the engine's hot path built from two or more commits, measured in
# the same sitting, interleaved round by round (the order rotates every round)
# so that drift on a shared machine falls on every build alike.
#
#   bash bench/layout/run.sh BEFORE AFTER [MORE...]
#   bash bench/layout/run.sh 6140dd4~1 6140dd4 HEAD          (what bench/results/layout.json holds)
#
# Each argument is a commit (checked out in a temporary git worktree and built
# there with ./dev build, then the worktree is removed) or a directory of a
# tree already built (its modules/websocket.so). Each build runs with its own
# examples/echo.php and examples/pubsub.php; the load generator is this tree's
# bench/loadgen.c (built into a temporary directory). Server on CPU 0, load
# generator on CPU 1, a fresh server for every run.
#
# Environment: ROUNDS (default 5), QUIET (seconds to wait before each run for
# a quiet machine, default 20), SECS (measured seconds per run, default 5,
# after 1 s of warm-up), SCENARIOS (default "echo pipelined fanout"), NAMES
# (a name per argument, default "before after" and "b3"...; ratios are to the
# first), NOTE (a remark on the machine for the JSON), OUT (the JSON written
# at the end, default bench/results/layout.json; OUT=- for none).
#
# Scenarios: echo (100 connections, 1 message of 32 B in flight each; echoes/s),
# pipelined (100 x 16 in flight, 32 B; echoes/s), fanout (999 receivers + the
# publisher on one topic, 32 B, 64 publications in flight; deliveries/s).
# Prints every run, then per scenario the median of each build, the ratio of
# each build's median to the first's, and the median of the per-round ratios
# (the two runs of a round are closest in time), for throughput and for
# throughput per second of server CPU (which a busy machine disturbs less).
#
# INSTR=N adds N rounds with the server under Valgrind's callgrind, which
# counts the instructions executed in user space inside Server::run() (the
# engine, PHP and the handlers; not the kernel) per message: echoes (calls of
# Connection::send()) or deliveries (calls of Server::publish() x 1,000).
# The count hardly depends on the load on the machine, so it shows a change of
# a few percent in the engine's own code where the throughput cannot.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[ $# -ge 2 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-5}
SCENARIOS=${SCENARIOS:-echo pipelined fanout}
INSTR=${INSTR:-0}
OUT=${OUT:-$ROOT/bench/results/layout.json}
[ "$INSTR" = 0 ] || command -v valgrind >/dev/null || { echo "run.sh: INSTR needs valgrind" >&2; exit 1; }
command -v taskset >/dev/null || { echo "run.sh: taskset is missing (util-linux)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || echo "run.sh: only one CPU: server and load generator share it" >&2

work=$(mktemp -d)
SRV=
WTS=()
cleanup() {
	[ -n "$SRV" ] && { kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; }
	for wt in "${WTS[@]}"; do git -C "$ROOT" worktree remove --force "$wt" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -g -Wall -Wextra -std=gnu11 -o "$work/loadgen" bench/loadgen.c -pthread

# The builds, each in $work/build-NAME: websocket.so, echo.php, pubsub.php.
read -r -a GIVEN <<<"${NAMES:-before after}"
BUILDS=()
ARGS=()
IDS=()
i=0
for arg in "$@"; do
	name=${GIVEN[$i]:-b$((i + 1))}
	i=$((i + 1))
	dir=$work/build-$name
	mkdir "$dir" || { echo "run.sh: the name $name is given twice" >&2; exit 2; }
	if [ -d "$arg" ]; then
		src=$(cd "$arg" && pwd)
		[ -f "$src/modules/websocket.so" ] || { echo "run.sh: $src/modules/websocket.so is missing" >&2; exit 1; }
		id=$(git -C "$src" rev-parse --short=7 HEAD 2>/dev/null || echo "$src")
	else
		id=$(git -C "$ROOT" rev-parse --short=7 "$arg^{commit}")
		src=$work/wt-$name
		git -C "$ROOT" worktree add -q --detach "$src" "$id"
		WTS+=("$src")
		echo "==> building $arg ($id)" >&2
		(cd "$src" && ./dev build >"$work/build-$name.log" 2>&1) || { tail -20 "$work/build-$name.log" >&2; exit 1; }
	fi
	cp "$src/modules/websocket.so" "$dir/websocket.so"
	cp "$src/examples/echo.php" "$src/examples/pubsub.php" "$dir/"
	BUILDS+=("$name")
	ARGS+=("$arg")
	IDS+=("$id")
	echo "$name = $arg ($id), websocket.so $(sha1sum "$dir/websocket.so" | cut -c1-12)" >&2
done
for wt in "${WTS[@]}"; do git -C "$ROOT" worktree remove --force "$wt"; done
WTS=()

# run SCENARIO BUILD: prints throughput, server CPU share, other processes' CPU share.
run() {
	local scen=$1 dir=$work/build-$2 script args field
	case "$scen" in
		echo) script=echo.php; args=(echo -c 100 -P 1 -s 32); field=msgs_per_s ;;
		pipelined) script=echo.php; args=(echo -c 100 -P 16 -s 32); field=msgs_per_s ;;
		fanout) script=pubsub.php; args=(broadcast -n 999 -s 32 -W 64); field=deliveries_per_s ;;
		*) echo "run.sh: unknown scenario $scen" >&2; exit 2 ;;
	esac
	: >"$work/srv.out"
	taskset -c 0 php -d extension="$dir/websocket.so" "$dir/$script" 0 >"$work/srv.out" 2>/dev/null &
	SRV=$!
	local port=
	for _ in $(seq 1 200); do
		port=$(sed -n 's/^PORT=//p' "$work/srv.out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "run.sh: the server did not start" >&2; exit 1; }
	sleep 0.3
	local out
	out=$(taskset -c 1 timeout 120 "$work/loadgen" "${args[@]}" -p "$port" -d "$SECS" -w 1 --pid "$SRV" -q 2>/dev/null || true)
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
	local tput cpu other
	tput=$(printf '%s\n' "$out" | sed -n "s/.*\"$field\":\([0-9.]*\).*/\1/p" | tail -1)
	cpu=$(printf '%s\n' "$out" | sed -n 's/.*"server_cpu":\([0-9.]*\).*/\1/p' | tail -1)
	other=$(printf '%s\n' "$out" | sed -n 's/.*"other_cpu":\(-\{0,1\}[0-9.]*\).*/\1/p' | tail -1)
	echo "${tput:-0} ${cpu:-0} ${other:-0}"
}

# shellcheck source=../quiet.bash
source "$ROOT/bench/quiet.bash"
QUIET_DEFAULT=20

echo "==> ${ROUNDS} rounds of ${SECS} s (+1 s warm-up) per build and scenario; server on CPU 0, load generator on CPU 1" >&2
RUNS=$work/runs.txt # scenario round build throughput server_cpu other_cpu
: >"$RUNS"
n=${#BUILDS[@]}
for scen in $SCENARIOS; do
	for r in $(seq 1 "$ROUNDS"); do
		# The order rotates every round: each build runs first, second, ... alike.
		for ((k = 0; k < n; k++)); do
			b=${BUILDS[$(((r - 1 + k) % n))]}
			wait_quiet
			read -r tput cpu other < <(run "$scen" "$b")
			echo "$scen $r $b $tput $cpu $other" >>"$RUNS"
			printf '%-10s round %d %-8s %12.0f/s  server CPU %.2f  others %.2f\n' "$scen" "$r" "$b" "$tput" "$cpu" "$other" >&2
		done
	done
done

# instr SCENARIO BUILD: prints the instructions inside Server::run() and the messages handled.
instr() {
	local scen=$1 dir=$work/build-$2 script args fn mult
	case "$scen" in
		echo) script=echo.php; args=(echo -c 100 -P 1 -s 32); fn=zim_WebSocket_Connection_send; mult=1 ;;
		pipelined) script=echo.php; args=(echo -c 100 -P 16 -s 32); fn=zim_WebSocket_Connection_send; mult=1 ;;
		fanout) script=pubsub.php; args=(broadcast -n 999 -s 32 -W 64); fn=zim_WebSocket_Server_publish; mult=1000 ;;
	esac
	: >"$work/srv.out"
	rm -f "$work/cg.out"
	taskset -c 0 valgrind -q --tool=callgrind --toggle-collect=zim_WebSocket_Server_run --callgrind-out-file="$work/cg.out" \
		php -d extension="$dir/websocket.so" "$dir/$script" 0 >"$work/srv.out" 2>/dev/null &
	SRV=$!
	local port=
	for _ in $(seq 1 600); do
		port=$(sed -n 's/^PORT=//p' "$work/srv.out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "run.sh: the server did not start under valgrind" >&2; exit 1; }
	sleep 0.5
	taskset -c 1 timeout 120 "$work/loadgen" "${args[@]}" -p "$port" -d 3 -w 0.5 -q >/dev/null 2>&1 || true
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
	# totals: the instructions; calls= lines after cfn=(id) the calls of that function.
	awk -v fn="$fn" -v mult="$mult" '
		/^c?fn=\(/ { id = $1; sub(/^c?fn=/, "", id); name = $0; sub(/^[^ ]* ?/, "", name)
			if (name != "") names[id] = name
			if ($0 ~ /^cfn=/) cur = names[id]
			next }
		/^calls=/ { split($0, a, /[= ]/); if (cur == fn) calls += a[2]; next }
		/^(summary|totals):/ { total = $2 }
		END { printf "%d %d\n", total, calls * mult }' "$work/cg.out"
}

if [ "$INSTR" != 0 ]; then
	echo "==> ${INSTR} rounds under callgrind (instructions per message)" >&2
	for scen in $SCENARIOS; do
		for r in $(seq 1 "$INSTR"); do
			for ((k = 0; k < n; k++)); do
				b=${BUILDS[$(((r - 1 + k) % n))]}
				read -r ir msgs < <(instr "$scen" "$b")
				echo "$scen $r $b $ir $msgs" >>"$work/instr.txt"
				printf '%-10s round %d %-8s %8.1f instructions per message (%d messages)\n' "$scen" "$r" "$b" \
					"$(awk -v i="$ir" -v m="$msgs" 'BEGIN { print (m > 0 ? i / m : 0) }')" "$msgs" >&2
			done
		done
	done
fi
touch "$work/instr.txt"

# The summary (stdout) and the JSON, by PHP.
MACHINE="$(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(uname -sr), PHP $(php -r 'echo PHP_VERSION;')"
php -n -r '
	[$runs, $out, $rounds, $secs, $machine, $note, $builds, $args, $ids, $instr, $irounds] = array_slice($argv, 1);
	$builds = explode(" ", $builds); $args = explode("\n", $args); $ids = explode("\n", $ids);
	$first = $builds[0];
	$median = function (array $v) { sort($v); $n = count($v); return $n == 0 ? 0 : ($n % 2 ? $v[intdiv($n, 2)] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2); };
	$what = ["echo" => "echo, 100 connections, 1 message of 32 B in flight each (echoes/s)",
		"pipelined" => "echo, 100 connections, 16 messages of 32 B in flight each (echoes/s)",
		"fanout" => "fan-out to 1,000 subscribers (999 receivers + the publisher), 32 B, 64 publications in flight (deliveries/s)"];
	$t = $c = $o = [];
	$all = [];
	foreach (file($runs, FILE_IGNORE_NEW_LINES) as $line) {
		[$s, $r, $b, $tp, $cpu, $oth] = explode(" ", $line);
		$t[$s][$b][$r] = (float) $tp;
		$c[$s][$b][$r] = (float) $cpu;
		$all[] = ["scenario" => $s, "round" => (int) $r, "build" => $b, "per_s" => round((float) $tp), "server_cpu" => (float) $cpu, "other_cpu" => (float) $oth];
	}
	$sc = [];
	if ($t) printf("\n%-10s %-8s %-8s %12s %12s %12s %7s %7s %14s %7s\n", "scenario", "build", "commit", "median/s", "min", "max", "ratio", "paired", "per CPU s", "ratio");
	foreach ($t as $s => $byb) {
		$e = ["what" => $what[$s] ?? $s, "median" => [], "min" => [], "max" => [], "median_per_server_cpu_second" => [], "ratios" => [],
			"paired_ratios" => [], "ratios_per_server_cpu_second" => []];
		$pcs = [];
		foreach ($byb as $b => $v) {
			$e["median"][$b] = round($median($v));
			$e["min"][$b] = round(min($v));
			$e["max"][$b] = round(max($v));
			$pcs[$b] = $median(array_map(fn ($r) => $c[$s][$b][$r] > 0 ? $v[$r] / $c[$s][$b][$r] : 0, array_keys($v)));
			$e["median_per_server_cpu_second"][$b] = round($pcs[$b]);
		}
		foreach ($builds as $k => $b) {
			$ratio = $e["median"][$first] > 0 ? $e["median"][$b] / $e["median"][$first] : null;
			$pairs = [];
			foreach ($byb[$b] as $r => $x) if (($byb[$first][$r] ?? 0) > 0) $pairs[] = $x / $byb[$first][$r];
			$paired = $median($pairs);
			$rpcs = $pcs[$first] > 0 ? $pcs[$b] / $pcs[$first] : null;
			if ($b !== $first) {
				$e["ratios"]["$b/$first"] = round($ratio, 3);
				$e["paired_ratios"]["$b/$first"] = round($paired, 3);
				$e["ratios_per_server_cpu_second"]["$b/$first"] = round($rpcs, 3);
			}
			printf("%-10s %-8s %-8s %12.0f %12.0f %12.0f %7.3f %7.3f %14.0f %7.3f\n", $s, $b, $ids[$k], $e["median"][$b], $e["min"][$b], $e["max"][$b],
				$ratio, $paired, $pcs[$b], $rpcs);
		}
		$sc[$s] = $e;
	}
	$ipm = [];
	foreach (file($instr, FILE_IGNORE_NEW_LINES) as $line) {
		[$s, $r, $b, $ir, $m] = explode(" ", $line);
		if ((int) $m > 0) $ipm[$s][$b][] = (int) $ir / (int) $m;
	}
	if ($ipm) printf("\n%-10s %-8s %-8s %22s %7s\n", "scenario", "build", "commit", "instructions/message", "ratio");
	foreach ($ipm as $s => $byb) {
		$sc[$s]["instructions_per_message"] = [];
		$sc[$s]["instructions_ratios"] = [];
		foreach ($builds as $k => $b) {
			$m = $median($byb[$b] ?? []);
			$sc[$s]["instructions_per_message"][$b] = round($m, 1);
			$m1 = $median($byb[$first] ?? []);
			if ($b !== $first) $sc[$s]["instructions_ratios"]["$b/$first"] = $m1 > 0 ? round($m / $m1, 3) : null;
			printf("%-10s %-8s %-8s %22.1f %7.3f\n", $s, $b, $ids[$k], $m, $m1 > 0 ? $m / $m1 : 0);
		}
	}
	if ($out === "-") exit(0);
	$bl = [];
	foreach ($builds as $k => $b) $bl[$b] = ["argument" => $args[$k], "commit" => $ids[$k]];
	$doc = ["date" => gmdate("Y-m-d H:i") . " UTC", "machine" => $machine, "note" => $note, "builds" => $bl,
		"reps" => (int) $rounds, "instruction_reps" => (int) $irounds, "seconds_per_run" => (float) $secs, "warmup_seconds" => 1,
		"method" => "bench/layout/run.sh: server on CPU 0, bench/loadgen on CPU 1, a fresh server per run; the builds interleaved, one run each per round, the order rotated every round. median: of the runs; ratios: of the medians, to the first build; paired_ratios: the median of the per-round ratios; per server CPU second: throughput divided by the server process CPU share (less disturbed by other work on the machine); instructions_per_message: user-space instructions inside Server::run() under callgrind per echo or delivery (median of instruction_reps runs of 3 s, interleaved likewise)",
		"scenarios" => $sc, "runs" => $all];
	// one line per run
	$doc["runs"] = "@RUNS@";
	$j = json_encode($doc, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
	$lines = array_map(fn ($r) => json_encode($r, JSON_UNESCAPED_SLASHES), $all);
	$j = str_replace("\"@RUNS@\"", $lines ? "[\n        " . implode(",\n        ", $lines) . "\n    ]" : "[]", $j);
	file_put_contents($out, $j . "\n");
	fprintf(STDERR, "wrote %s\n", $out);
' "$RUNS" "$OUT" "$ROUNDS" "$SECS" "$MACHINE" "${NOTE:-}" "${BUILDS[*]}" "$(printf '%s\n' "${ARGS[@]}")" "$(printf '%s\n' "${IDS[@]}")" "$work/instr.txt" "$INSTR"
