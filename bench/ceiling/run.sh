#!/usr/bin/env bash
# bench/ceiling/run.sh - issue 19: builds of ours against uWebSockets (the
# usual C++ ceiling) on the scenarios where we trailed it, measured in one
# sitting, interleaved round by round (the order rotates every round) so that
# drift on a shared machine falls on every server alike.
#
#   bash bench/ceiling/run.sh NAME=DIR[,VAR=VALUE...] [NAME=DIR...]
#   UWS_PEER=/path/to/uws-peer bash bench/ceiling/run.sh before=/tmp/old after=.
#
# DIR is a tree with a built modules/websocket.so (its examples/echo.php and
# examples/pubsub.php are the servers); VAR=VALUE pairs after it go to that
# server's environment. UWS_PEER (bench/peers/uws-peer.cpp, built by you:
# bench/README.md, "Optional peers") adds the server "uws". Server on CPU 0,
# load generator (this tree's bench/loadgen.c) on CPU 1, a fresh server for
# every run.
#
# Environment: ROUNDS (default 5), SECS (measured seconds per run, default 4,
# after 1 s of warm-up), SCENARIOS (default "pipelined large fanout16 idle
# echo"), QUIET (seconds to wait before each run for a quiet machine, default
# 10), OUT (the JSON written at the end, default bench/results/ceiling.json;
# OUT=- for none), NOTE (a remark on the machine for the JSON).
#
# Scenarios (payloads 32 B unless said):
#   echo       100 connections, 1 message in flight each: echoes/s
#   pipelined  100 connections, 16 in flight each: echoes/s
#   large      10 connections, 1 message of 64 KiB in flight each: bytes/s
#   fanout16   999 receivers + the publisher on one topic, 16 publications in
#              flight: deliveries/s and delivery latency p50/p99
#   fanout64   the same with 64 in flight
#   idle       10,000 connections opened at 5,000/s, then idle: server RSS
#              growth per connection (no PHP object is made: the examples
#              have no open handler)
# Prints every run, then per scenario each server's median and its ratio to
# uws (when present) and to the first server.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[ $# -ge 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-4}
SCENARIOS=${SCENARIOS:-pipelined large fanout16 idle echo}
OUT=${OUT:-$ROOT/bench/results/ceiling.json}
command -v taskset >/dev/null || { echo "run.sh: taskset is missing (util-linux)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || echo "run.sh: only one CPU: server and load generator share it" >&2
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d)
SRV=
cleanup() {
	[ -n "$SRV" ] && { kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -g -Wall -Wextra -std=gnu11 -o "$work/loadgen" bench/loadgen.c -pthread

NAMES=()
declare -A DIRS ENVS IDS
for arg in "$@"; do
	name=${arg%%=*}
	spec=${arg#*=}
	[ "$name" != "$arg" ] && [ -n "$name" ] || { echo "run.sh: $arg is not NAME=DIR" >&2; exit 2; }
	[ -z "${DIRS[$name]:-}" ] && [ "$name" != uws ] || { echo "run.sh: the name $name is taken" >&2; exit 2; }
	IFS=, read -r -a parts <<<"$spec"
	src=$(cd "${parts[0]}" && pwd)
	[ -f "$src/modules/websocket.so" ] || { echo "run.sh: $src/modules/websocket.so is missing" >&2; exit 1; }
	mkdir "$work/$name"
	cp "$src/modules/websocket.so" "$src/examples/echo.php" "$src/examples/pubsub.php" "$work/$name/"
	DIRS[$name]=$work/$name
	ENVS[$name]="${parts[*]:1}"
	IDS[$name]="$(git -C "$src" rev-parse --short=7 HEAD 2>/dev/null || echo "$src")${ENVS[$name]:+ ${ENVS[$name]}}"
	NAMES+=("$name")
	echo "$name = ${IDS[$name]}, websocket.so $(sha1sum "$src/modules/websocket.so" | cut -c1-12)" >&2
done
UWS_VER=
if [ -n "${UWS_PEER:-}" ]; then
	[ -x "$UWS_PEER" ] || { echo "run.sh: UWS_PEER=$UWS_PEER is not executable" >&2; exit 1; }
	UWS_VER=$("$UWS_PEER" --version 2>/dev/null || echo unknown)
	NAMES+=(uws)
	IDS[uws]="uWebSockets $UWS_VER"
	echo "uws = $UWS_VER" >&2
else
	echo "run.sh: UWS_PEER is not set: uWebSockets is left out, so no ratios to it" >&2
fi

PORT=$((22000 + RANDOM % 5000))
free_port() {
	local tries=0
	while :; do
		PORT=$((PORT + 1))
		[ "$PORT" -gt 29000 ] && PORT=22000
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
		tries=$((tries + 1))
		[ "$tries" -gt 50 ] && { echo "run.sh: no free port" >&2; exit 1; }
	done
}

# run SCENARIO SERVER: prints "value p50_us p99_us other_cpu" (value: the scenario's figure).
run() {
	local scen=$1 name=$2 kind args field
	case "$scen" in
		echo) kind=echo; args=(echo -c 100 -P 1 -s 32); field=msgs_per_s ;;
		pipelined) kind=echo; args=(echo -c 100 -P 16 -s 32); field=msgs_per_s ;;
		large) kind=echo; args=(echo -c 10 -P 1 -s 65536); field=bytes_per_s ;;
		fanout16) kind=pubsub; args=(broadcast -n 999 -s 32 -W 16); field=deliveries_per_s ;;
		fanout64) kind=pubsub; args=(broadcast -n 999 -s 32 -W 64); field=deliveries_per_s ;;
		idle) kind=echo; args=(connections -n 10000 -r 5000); field=rss_per_conn_bytes ;;
		*) echo "run.sh: unknown scenario $scen" >&2; exit 2 ;;
	esac
	free_port
	if [ "$name" = uws ]; then
		taskset -c 0 "$UWS_PEER" "$kind" "$PORT" >"$work/srv.out" 2>&1 &
	else
		# shellcheck disable=SC2086 # VAR=VALUE words
		env ${ENVS[$name]} taskset -c 0 php -d extension="${DIRS[$name]}/websocket.so" "${DIRS[$name]}/$kind.php" "$PORT" \
			>"$work/srv.out" 2>&1 &
	fi
	SRV=$!
	local waited=0
	until taskset -c 1 "$work/loadgen" wait -p "$PORT" -d 1 -q >/dev/null 2>&1; do
		waited=$((waited + 1))
		if ! kill -0 "$SRV" 2>/dev/null || [ "$waited" -ge 15 ]; then
			echo "run.sh: $name did not start for $scen" >&2
			kill "$SRV" 2>/dev/null || true
			wait "$SRV" 2>/dev/null || true
			SRV=
			echo "0 0 0 0"
			return
		fi
	done
	sleep 0.3
	local out
	if [ "$scen" = idle ]; then
		out=$(taskset -c 1 timeout 120 "$work/loadgen" "${args[@]}" -p "$PORT" --pid "$SRV" -q 2>/dev/null || true)
	else
		out=$(taskset -c 1 timeout 120 "$work/loadgen" "${args[@]}" -p "$PORT" -d "$SECS" -w 1 --pid "$SRV" -q 2>/dev/null || true)
	fi
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
	printf '%s\n' "$out" | grep '^RESULT ' | tail -1 | php -r '
		$j = json_decode(substr(stream_get_contents(STDIN), 7), true) ?: [];
		printf("%s %s %s %s\n", $j[$argv[1]] ?? 0, $j["lat_us"]["p50"] ?? 0, $j["lat_us"]["p99"] ?? 0, $j["other_cpu"] ?? 0);' "$field"
}

# shellcheck source=../quiet.bash
source "$ROOT/bench/quiet.bash"
QUIET_DEFAULT=10

echo "==> ${ROUNDS} rounds of ${SECS} s (+1 s warm-up) per server and scenario; server on CPU 0, load generator on CPU 1" >&2
RUNS=$work/runs.txt # scenario round server value p50 p99 other_cpu
: >"$RUNS"
n=${#NAMES[@]}
for scen in $SCENARIOS; do
	for r in $(seq 1 "$ROUNDS"); do
		for ((k = 0; k < n; k++)); do
			name=${NAMES[$(((r - 1 + k) % n))]}
			wait_quiet
			read -r v p50 p99 other < <(run "$scen" "$name")
			echo "$scen $r $name $v $p50 $p99 $other" >>"$RUNS"
			printf '%-10s round %d %-12s %14.1f  p50 %8.0f us  p99 %8.0f us  others %.2f\n' \
				"$scen" "$r" "$name" "$v" "$p50" "$p99" "$other" >&2
		done
	done
done

NAMES_CSV=$(IFS=,; echo "${NAMES[*]}")
IDS_JSON=$(for k in "${NAMES[@]}"; do printf '%s\t%s\n' "$k" "${IDS[$k]}"; done | php -r '
	$m = []; foreach (file("php://stdin", FILE_IGNORE_NEW_LINES) as $l) { [$k, $v] = explode("\t", $l, 2); $m[$k] = $v; }
	echo json_encode($m, JSON_UNESCAPED_SLASHES);')
php -r '
	[$_, $runs, $names, $ids, $out, $secs, $rounds, $note] = $argv;
	$names = explode(",", $names);
	$by = [];
	$all = [];
	foreach (file($runs, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $l) {
		[$sc, $r, $nm, $v, $p50, $p99, $oth] = explode(" ", $l);
		$by[$sc][$nm][] = [(float) $v, (float) $p50, (float) $p99];
		$all[] = ["scenario" => $sc, "round" => (int) $r, "server" => $nm, "value" => (float) $v,
			"p50_us" => (float) $p50, "p99_us" => (float) $p99, "other_cpu" => (float) $oth];
	}
	$med = function (array $a) { sort($a); $n = count($a); return $n ? ($n % 2 ? $a[intdiv($n, 2)] : ($a[$n / 2 - 1] + $a[$n / 2]) / 2) : 0; };
	$lower = ["idle" => true];
	$sc = [];
	foreach ($by as $s => $srv) {
		$row = [];
		foreach ($names as $nm) {
			if (!isset($srv[$nm])) { continue; }
			$row[$nm] = ["median" => $med(array_column($srv[$nm], 0)), "p50_us" => $med(array_column($srv[$nm], 1)),
				"p99_us" => $med(array_column($srv[$nm], 2)), "runs" => count($srv[$nm])];
		}
		$first = $names[0];
		foreach ($row as $nm => &$x) {
			foreach (["uws" => "vs_uws", $first => "vs_" . $first] as $ref => $key) {
				if ($nm === $ref || !isset($row[$ref]) || !$row[$ref]["median"] || !$x["median"]) { continue; }
				/* above 1: better (more per second, or fewer bytes) */
				$x[$key] = round(isset($lower[$s]) ? $row[$ref]["median"] / $x["median"] : $x["median"] / $row[$ref]["median"], 3);
			}
			if (str_starts_with($s, "fanout") && isset($row["uws"]) && $nm !== "uws" && $row["uws"]["p50_us"] > 0) {
				$x["p50_vs_uws"] = round($x["p50_us"] / $row["uws"]["p50_us"], 3);
				$x["p99_vs_uws"] = round($x["p99_us"] / $row["uws"]["p99_us"], 3);
			}
		}
		unset($x);
		$sc[$s] = $row;
		printf("\n%s (median of %d; %s)\n", $s, $rounds, isset($lower[$s]) ? "bytes per connection, ratios: fewer is better, above 1" : "ratios: above 1 is better");
		foreach ($row as $nm => $x) {
			printf("  %-12s %14.1f", $nm, $x["median"]);
			if (str_starts_with($s, "fanout")) { printf("  p50 %7.2f ms  p99 %7.2f ms", $x["p50_us"] / 1000, $x["p99_us"] / 1000); }
			foreach (["vs_uws", "vs_" . $first, "p50_vs_uws", "p99_vs_uws"] as $k) { if (isset($x[$k])) { printf("  %s %.2f", $k, $x[$k]); } }
			echo "\n";
		}
	}
	if ($out !== "-") {
		$doc = ["what" => "issue 19: ours against uWebSockets, interleaved rounds", "date" => gmdate("Y-m-d H:i") . " UTC",
			"machine" => trim((string) shell_exec("nproc")) . " CPUs, " . php_uname("r"), "note" => $note,
			"servers" => json_decode($ids, true), "seconds_per_run" => (float) $secs, "rounds" => (int) $rounds,
			"method" => "bench/ceiling/run.sh: server on CPU 0, loadgen on CPU 1, a fresh server per run, the order rotated every round; median of the rounds; ratios above 1 favour the server in the row",
			"scenarios" => $sc, "runs" => $all];
		file_put_contents($out, json_encode($doc, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n");
		fprintf(STDERR, "wrote %s\n", $out);
	}' "$RUNS" "$NAMES_CSV" "$IDS_JSON" "$OUT" "$SECS" "$ROUNDS" "${NOTE:-}"
