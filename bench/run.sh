#!/usr/bin/env bash
# bench/run.sh - the benchmark suite (./dev bench builds the extension, then runs this).
#
#   bench/run.sh [--quick] [--scenario NAME[,NAME...]] [--reps N] [--duration SECS]
#
#   --quick        one repetition of 2 s per server and scenario (under 3 minutes
#                  without the optional peers)
#   --scenario     only these scenarios: echo, pipelined, latency, large, idle,
#                  fanout, fanout10k
#   --reps N       repetitions (default 3; the median is kept)
#   --duration S   measured seconds per run (default 5, after a 1 s warm-up)
#
# Every scenario runs against our extension (examples/echo.php, examples/pubsub.php)
# and against Node's ws (bench/peers/node-*.js); fan-out also against a PHP loop
# over $conn->send() (bench/peers/php-loop-pubsub.php). The server runs on CPU 0
# and the load generator (bench/loadgen) on CPU 1, each server fresh for each run.
# Results: the table on stdout, bench/results/latest.json, bench/results/chart.svg;
# raw RESULT lines and server logs in bench/.run/.
#
# Environment: SO (the extension, default modules/websocket.so), NODE_PATH
# (where ws is installed, default .work/node/node_modules), PHP (default php),
# NODE (default node).
#
# Optional peers, each left out (saying so) when its variable is not set
# (bench/README.md, "Optional peers"):
#   UWS_PEER=/path/to/uws-peer      bench/peers/uws-peer.cpp built against
#                                   uWebSockets + uSockets (you build it; UWS_VERSION
#                                   overrides the version it reports)
#   SWOOLE_SO=/path/to/swoole.so    runs bench/peers/swoole-peer.php
#   WORKERMAN_DIR=/path/to/workerman  runs bench/peers/workerman-peer.php; with
#   EVENT_SO=/path/to/event.so      (pecl event) Workerman uses libevent, without it
#                                   select() and no 10,000-connection scenarios;
#   WORKERMAN_COROUTINE_DIR=DIR     a checkout of workerman/coroutine, which a bare
#                                   Workerman 5 checkout needs (not with composer)
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
cd "$ROOT"

SO=${SO:-$ROOT/modules/websocket.so}
PHP=${PHP:-php}
NODE=${NODE:-node}
export NODE_PATH=${NODE_PATH:-$ROOT/.work/node/node_modules}

QUICK=0
REPS=3
DUR=5
WARM=1
ONLY=""
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) QUICK=1; REPS=1; DUR=2; WARM=0.5; shift ;;
		--scenario) ONLY="$2"; shift 2 ;;
		--scenario=*) ONLY="${1#*=}"; shift ;;
		--reps) REPS="$2"; shift 2 ;;
		--duration) DUR="$2"; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

[ -f "$SO" ] || die "the extension $SO is missing (./dev build)"
command -v "$PHP" >/dev/null || die "php is missing"
command -v taskset >/dev/null || die "taskset is missing (util-linux)"
[ -f examples/echo.php ] || die "examples/echo.php is missing"
[ -f examples/pubsub.php ] || die "examples/pubsub.php is missing"

HAVE_NODE=1
if ! command -v "$NODE" >/dev/null || [ ! -f "$NODE_PATH/ws/package.json" ]; then
	HAVE_NODE=0
	echo "run.sh: node or its ws package is missing ($NODE_PATH): Node ws is left out, so no ratios" >&2
fi

# ---------------------------------------------------------------- optional peers
#
# Each one is left out, saying why, unless its variable points to something
# usable (an executable, an extension PHP loads, a Workerman checkout).
# PEERS_JSON collects their versions for the report.

HAVE_UWS=0
HAVE_SWOOLE=0
HAVE_WORKERMAN=0
WM_SELECT=0
UWS_VER=""
SWOOLE_VER=""
WM_VER=""
PEER_NOTES=()
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n')"; }

if [ -z "${UWS_PEER:-}" ]; then
	echo "run.sh: UWS_PEER is not set: uWebSockets is left out (build bench/peers/uws-peer.cpp yourself, see bench/README.md)" >&2
elif [ ! -x "$UWS_PEER" ]; then
	echo "run.sh: UWS_PEER=$UWS_PEER is not an executable file: uWebSockets is left out" >&2
else
	HAVE_UWS=1
	UWS_VER=${UWS_VERSION:-$("$UWS_PEER" --version 2>/dev/null || echo unknown)}
fi

if [ -z "${SWOOLE_SO:-}" ]; then
	echo "run.sh: SWOOLE_SO is not set: Swoole is left out (see bench/README.md)" >&2
elif ! SWOOLE_VER=$("$PHP" -d extension="$SWOOLE_SO" -r 'echo phpversion("swoole") ?: exit(1);' 2>/dev/null); then
	echo "run.sh: SWOOLE_SO=$SWOOLE_SO does not load into $PHP: Swoole is left out" >&2
	SWOOLE_VER=""
else
	HAVE_SWOOLE=1
fi

if [ -z "${WORKERMAN_DIR:-}" ]; then
	echo "run.sh: WORKERMAN_DIR is not set: Workerman is left out (see bench/README.md)" >&2
else
	WM_FILE=""
	for f in "$WORKERMAN_DIR/src/Worker.php" "$WORKERMAN_DIR/vendor/workerman/workerman/src/Worker.php"; do
		[ -f "$f" ] && { WM_FILE=$f; break; }
	done
	if [ -z "$WM_FILE" ]; then
		echo "run.sh: WORKERMAN_DIR=$WORKERMAN_DIR holds no Workerman (src/Worker.php): Workerman is left out" >&2
	else
		HAVE_WORKERMAN=1
		WM_VER=$(sed -n "s/.*const VERSION = '\\([^']*\\)'.*/\\1/p" "$WM_FILE" | head -1)
		WM_PHP=("$PHP")
		if [ -z "${EVENT_SO:-}" ]; then
			WM_SELECT=1
		elif ! EVENT_VER=$("$PHP" -d extension="$EVENT_SO" -r 'echo phpversion("event") ?: exit(1);' 2>/dev/null); then
			echo "run.sh: EVENT_SO=$EVENT_SO does not load into $PHP" >&2
			WM_SELECT=1
		else
			WM_PHP=("$PHP" -d extension="$EVENT_SO")
			WM_VER="$WM_VER, pecl event $EVENT_VER"
		fi
		if [ "$WM_SELECT" = 1 ]; then
			WM_VER="$WM_VER, select()"
			msg="Workerman runs without the event extension (EVENT_SO): it falls back to select(), which watches at most 1,024 descriptors, so it is left out of idle and fanout10k"
			echo "run.sh: $msg" >&2
			PEER_NOTES+=("$msg")
		fi
	fi
fi

# peer_runs KIND SCENARIO: whether KIND takes part in SCENARIO.
peer_runs() {
	case "$1" in
		node) [ "$HAVE_NODE" = 1 ] ;;
		uws) [ "$HAVE_UWS" = 1 ] ;;
		swoole) [ "$HAVE_SWOOLE" = 1 ] ;;
		workerman)
			[ "$HAVE_WORKERMAN" = 1 ] || return 1
			[ "$WM_SELECT" = 1 ] && case "$2" in idle|fanout10k) return 1 ;; esac
			return 0 ;;
		*) return 0 ;;
	esac
}

say "building bench/loadgen"
make -s -C bench loadgen >/dev/null

NCPU=$(nproc)
SRV_CPU=0
GEN_CPU=1
if [ "$NCPU" -lt 2 ]; then
	echo "run.sh: only $NCPU CPU: server and load generator share it, figures are not comparable" >&2
	GEN_CPU=0
fi

# The open-files limit: 10,000 connections on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt 10200 ]; then
	echo "run.sh: the open-files limit is $NOFILE; the 10,000-connection scenarios need 10,200 (raise the hard limit)" >&2
fi

RUN="$BENCH/.run"
mkdir -p "$RUN" "$BENCH/results"
# A private copy outside the tree, so that a rebuild during the run (whose
# "make clean" deletes every *.so below the source tree) does not pull the
# extension from under a starting server.
SNAP=$(mktemp -d)
cp "$SO" "$SNAP/websocket.so"
SO_ID="websocket.so $(sha1sum "$SNAP/websocket.so" | cut -c1-12) built $(date -u -r "$SO" '+%Y-%m-%d %H:%M UTC')"
SO="$SNAP/websocket.so"
trap 'rm -rf "$SNAP"' EXIT
RAW="$RUN/raw.jsonl"
: > "$RAW"
rm -f "$RUN"/server-*.log

# ---------------------------------------------------------------- scenarios
#
# name|title|loadgen arguments|servers
# (durations are added below; servers: ours, node, loop, and the optional
# uws, swoole, workerman)
SCENARIOS=(
	"echo|echo, 100 conns, 1 in flight, 32 B|echo -c 100 -P 1 -s 32|ours node uws swoole workerman"
	"pipelined|echo, 100 conns, 16 in flight, 32 B|echo -c 100 -P 16 -s 32|ours node uws swoole workerman"
	"latency|echo, 1 conn, 1 in flight, p50 round trip|echo -c 1 -P 1 -s 32|ours node uws swoole workerman"
	"large|echo, 10 conns, 64 KiB messages|echo -c 10 -P 1 -s 65536|ours node uws swoole workerman"
	"idle|10,000 idle connections, RSS per connection|connections -n 10000 -r 5000 -S 1|ours node uws swoole workerman"
	"fanout|fan-out to 1,000 subscribers|broadcast -n 999 -s 32 -W 64|ours loop node uws swoole workerman"
	"fanout10k|fan-out to 10,000 subscribers|broadcast -n 9999 -s 32 -W 64|ours loop node uws swoole workerman"
)

selected() {
	[ -z "$ONLY" ] && return 0
	local s
	for s in ${ONLY//,/ }; do [ "$s" = "$1" ] && return 0; done
	return 1
}

if [ -n "$ONLY" ]; then
	for s in ${ONLY//,/ }; do
		printf '%s\n' "${SCENARIOS[@]}" | cut -d'|' -f1 | grep -qx "$s" || die "unknown scenario $s"
	done
fi

# ---------------------------------------------------------------- servers

PORT=$((21000 + RANDOM % 4000))
SRV_PID=""
MEAS_PID=""

# start_server KIND SCENARIO: starts it on the next free port, sets SRV_PID and PORT.
start_server() {
	local kind="$1" scen="$2" script
	case "$kind:$scen" in
		ours:fanout*) script=(examples/pubsub.php) ;;
		ours:*) script=(examples/echo.php) ;;
		loop:*) script=(bench/peers/php-loop-pubsub.php) ;;
		node:fanout*) script=(bench/peers/node-pubsub.js) ;;
		node:*) script=(bench/peers/node-echo.js) ;;
		*:fanout*) script=(pubsub) ;;
		*) script=(echo) ;;
	esac
	local tries=0
	while :; do
		PORT=$((PORT + 1))
		[ "$PORT" -gt 29000 ] && PORT=21000
		# skip ports something already listens on
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
		tries=$((tries + 1))
		[ "$tries" -gt 50 ] && die "no free port found"
	done
	local log="$RUN/server-$scen-$kind.log"
	echo "--- port $PORT" >>"$log"
	case "$kind" in
		ours|loop) taskset -c "$SRV_CPU" "$PHP" -d extension="$SO" "${script[@]}" "$PORT" >>"$log" 2>&1 & ;;
		node) taskset -c "$SRV_CPU" "$NODE" "${script[@]}" "$PORT" >>"$log" 2>&1 & ;;
		uws) taskset -c "$SRV_CPU" "$UWS_PEER" "${script[@]}" "$PORT" >>"$log" 2>&1 & ;;
		swoole) taskset -c "$SRV_CPU" "$PHP" -d extension="$SWOOLE_SO" bench/peers/swoole-peer.php "${script[@]}" "$PORT" >>"$log" 2>&1 & ;;
		# Workerman's pid, status and log files go to TMPDIR (bench/.run/).
		workerman) TMPDIR="$RUN" taskset -c "$SRV_CPU" "${WM_PHP[@]}" bench/peers/workerman-peer.php "${script[@]}" "$PORT" \
			"$WORKERMAN_DIR" "${WORKERMAN_COROUTINE_DIR:-}" >>"$log" 2>&1 & ;;
	esac
	SRV_PID=$!
	MEAS_PID=$SRV_PID
	local waited=0
	until taskset -c "$GEN_CPU" bench/loadgen wait -p "$PORT" -d 1 -q >/dev/null; do
		waited=$((waited + 1))
		if ! kill -0 "$SRV_PID" 2>/dev/null || [ "$waited" -ge 15 ]; then
			stop_server
			return 1
		fi
	done
	# let the server settle after the probe connection
	sleep 0.3
	# A server that forked (Workerman's master keeps one worker process) is
	# measured in its one child, which holds the connections.
	if [ "$kind" = workerman ] || [ "$kind" = swoole ]; then
		local kids
		kids=$(ps --ppid "$SRV_PID" -o pid= 2>/dev/null | tr -d ' ')
		if [ "$(printf '%s\n' "$kids" | grep -c .)" = 1 ]; then
			MEAS_PID=$kids
		elif [ -n "$kids" ]; then
			echo "run.sh: $kind has several processes ($kids): measuring the first one" >&2
			MEAS_PID=$(printf '%s\n' "$kids" | head -1)
		fi
	fi
}

stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null || true
	local i
	for i in $(seq 1 60); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SRV_PID" 2>/dev/null; then
		echo "run.sh: server $SRV_PID did not stop within 6 s of SIGTERM; killing it" >&2
		kill -KILL "$SRV_PID" 2>/dev/null || true
	fi
	wait "$SRV_PID" 2>/dev/null || true
	# a forked peer's worker should have gone with its master
	if [ -n "$MEAS_PID" ] && [ "$MEAS_PID" != "$SRV_PID" ] && kill -0 "$MEAS_PID" 2>/dev/null; then
		sleep 1
		kill -KILL "$MEAS_PID" 2>/dev/null || true
	fi
	SRV_PID=""
	MEAS_PID=""
}
trap 'stop_server; rm -rf "$SNAP"' EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- machine

# busy_pct: how busy the machine was over half a second, in percent of all CPUs.
busy_pct() {
	local a b
	a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
	sleep 0.5
	b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN{split(a,x," ");split(b,y," "); d=y[2]-x[2]; if(d<=0){print 0}else{printf "%d", 100*(y[1]-x[1])/d}}'
}

BUSY=$(busy_pct)
if [ "$BUSY" -gt 10 ]; then
	echo "run.sh: warning: the machine is already ${BUSY}% busy before the benchmark: figures will be noisy" >&2
fi

# wait_quiet: before each run, waits (up to 20 s, and 180 s in all; 60 s with
# --quick) for other processes to leave the CPUs alone. Runs that still had
# company are flagged "noisy" in the report.
QUIET_BUDGET=180
[ "$QUICK" = 1 ] && QUIET_BUDGET=60
wait_quiet() {
	local waited=0 b
	while [ "$QUIET_BUDGET" -gt 0 ] && [ "$waited" -lt 20 ]; do
		b=$(busy_pct)
		[ "$b" -le 8 ] && return 0
		[ "$waited" -eq 0 ] && echo "  (the machine is ${b}% busy with other work: waiting for it to calm down)" >&2
		sleep 0.5
		waited=$((waited + 1))
		QUIET_BUDGET=$((QUIET_BUDGET - 1))
	done
}

# ---------------------------------------------------------------- runs

total_runs=0
for line in "${SCENARIOS[@]}"; do
	IFS='|' read -r name _ _ servers <<<"$line"
	selected "$name" || continue
	for kind in $servers; do
		peer_runs "$kind" "$name" || continue
		total_runs=$((total_runs + REPS))
	done
done
say "$total_runs runs: $REPS repetition(s) of ${DUR} s (+${WARM} s warm-up); server on CPU $SRV_CPU, load generator on CPU $GEN_CPU"

# one_run KIND SCENARIO REP ATTEMPT: one server, one load generator run; sets
# RECORD (the JSON line for raw.jsonl) and OTHER (CPU share of other processes).
one_run() {
	local kind="$1" name="$2" rep="$3" attempt="$4" out alive rss_end result summary err
	RECORD=""
	OTHER=0
	if ! start_server "$kind" "$name"; then
		echo "  [$run_no/$total_runs] $kind: the server did not start (see bench/.run/server-$name-$kind.log)" >&2
		RECORD=$(printf '{"scenario":"%s","server":"%s","rep":%d,"result":null,"error":"server did not start"}' "$name" "$kind" "$rep")
		return 1
	fi
	# shellcheck disable=SC2086
	out=$(taskset -c "$GEN_CPU" timeout 120 bench/loadgen $args -p "$PORT" --pid "$MEAS_PID" "${extra[@]}" 2>&1) || true
	alive=true
	kill -0 "$MEAS_PID" 2>/dev/null || alive=false
	rss_end=$(awk '/^VmRSS:/{print $2}' "/proc/$MEAS_PID/status" 2>/dev/null || echo 0)
	stop_server
	result=$(printf '%s\n' "$out" | sed -n 's/^RESULT //p' | tail -1)
	summary=$(printf '%s\n' "$out" | grep -v '^RESULT ' | sed -n '2p' | sed 's/^ *//')
	printf '  [%d/%d] %-9s rep %d: %s\n' "$run_no" "$total_runs" "$kind" "$rep" "${summary:-$(printf '%s' "$out" | tail -1)}" >&2
	if [ -z "$result" ]; then
		err=$(printf '%s' "$out" | tail -3 | tr '\n"\\' '   ')
		RECORD=$(printf '{"scenario":"%s","server":"%s","rep":%d,"attempt":%d,"result":null,"error":"%s","server_alive":%s}' \
			"$name" "$kind" "$rep" "$attempt" "$err" "$alive")
	else
		OTHER=$(printf '%s' "$result" | sed -n 's/.*"other_cpu":\(-\{0,1\}[0-9.]*\).*/\1/p')
		OTHER=${OTHER:-0}
		RECORD=$(printf '{"scenario":"%s","server":"%s","rep":%d,"attempt":%d,"server_alive":%s,"server_rss_end_kb":%s,"result":%s}' \
			"$name" "$kind" "$rep" "$attempt" "$alive" "${rss_end:-0}" "$result")
	fi
}

RETRY_BUDGET=24
[ "$QUICK" = 1 ] && RETRY_BUDGET=8
run_no=0
for line in "${SCENARIOS[@]}"; do
	IFS='|' read -r name title args servers <<<"$line"
	selected "$name" || continue
	case "$name" in
		idle) extra=(-d 2) ;;
		*) extra=(-d "$DUR" -w "$WARM") ;;
	esac
	say "$title"
	for rep in $(seq 1 "$REPS"); do
		for kind in $servers; do
			peer_runs "$kind" "$name" || continue
			run_no=$((run_no + 1))
			attempt=1
			while :; do
				wait_quiet
				one_run "$kind" "$name" "$rep" "$attempt" || break
				# a run that shared the CPUs with other work is done again (twice at most)
				if awk -v o="$OTHER" 'BEGIN{exit !(o > 0.15)}' && [ "$attempt" -lt 3 ] && [ "$RETRY_BUDGET" -gt 0 ]; then
					echo "    (other processes took $(awk -v o="$OTHER" 'BEGIN{printf "%.0f", 100*o}')% of a CPU: running it again)" >&2
					attempt=$((attempt + 1))
					RETRY_BUDGET=$((RETRY_BUDGET - 1))
					continue
				fi
				break
			done
			printf '%s\n' "$RECORD" >>"$RAW"
		done
	done
done

# ---------------------------------------------------------------- report

MACHINE="$(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
VERSIONS="$SO_ID, PHP $("$PHP" -r 'echo PHP_VERSION;'), $([ "$HAVE_NODE" = 1 ] && echo "Node $("$NODE" --version), ws $("$NODE" -p 'require("ws/package.json").version')" || echo "no Node")"
[ "$HAVE_UWS" = 1 ] && VERSIONS="$VERSIONS, uWebSockets $UWS_VER"
[ "$HAVE_SWOOLE" = 1 ] && VERSIONS="$VERSIONS, Swoole $SWOOLE_VER"
[ "$HAVE_WORKERMAN" = 1 ] && VERSIONS="$VERSIONS, Workerman $WM_VER"
PEERS_JSON="{"
sep=""
for kind in uws swoole workerman; do
	case "$kind" in
		uws) have=$HAVE_UWS ver=$UWS_VER where=${UWS_PEER:-} ;;
		swoole) have=$HAVE_SWOOLE ver=$SWOOLE_VER where=${SWOOLE_SO:-} ;;
		workerman) have=$HAVE_WORKERMAN ver=$WM_VER where=${WORKERMAN_DIR:-} ;;
	esac
	if [ "$have" = 1 ]; then
		PEERS_JSON="$PEERS_JSON$sep\"$kind\":{\"present\":true,\"version\":$(json_str "$ver"),\"path\":$(json_str "$where")}"
	else
		PEERS_JSON="$PEERS_JSON$sep\"$kind\":{\"present\":false}"
	fi
	sep=","
done
PEERS_JSON="$PEERS_JSON,\"notes\":["
sep=""
for n in "${PEER_NOTES[@]+"${PEER_NOTES[@]}"}"; do
	PEERS_JSON="$PEERS_JSON$sep$(json_str "$n")"
	sep=","
done
PEERS_JSON="$PEERS_JSON]}"
"$PHP" -n "$BENCH/report.php" "$RAW" "$BENCH/results/latest.json" "$BENCH/results/chart.svg" \
	"$MACHINE" "$VERSIONS" "$BUSY" "$REPS" "$DUR" "$QUICK" "$RUN" "$PEERS_JSON"
