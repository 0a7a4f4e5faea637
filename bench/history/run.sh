#!/usr/bin/env bash
# bench/history/run.sh - history and resume, in the same sitting (reported, not asserted).
#
#   bench/history/run.sh [--reps N] [--messages N]
#
# 1. publish() throughput to one subscriber, 1,000 publications per handler
#    call, N messages (default 100,000), four servers alternating over the
#    repetitions: one process without history and with a history of 1,000
#    per topic; the same with the Redis broker (a redis-server started here;
#    with history every publication goes through Redis's script before it
#    is delivered, also on its own node).  Messages/s, medians, and the
#    history-on / history-off ratio for each.
# 2. Resume: 1,000 clients connect at once and each resumes 100 messages
#    behind; total time and per-client p50/p99 (connect to last replayed
#    message), one process and with the broker.
# The machine has 2 cores shared by the server, Redis and the client (no
# pinning), and the results say so. Writes bench/results/history.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=3
MESSAGES=100000
while [ $# -gt 0 ]; do
	case "$1" in
		--reps) REPS=$2; shift 2 ;;
		--messages) MESSAGES=$2; shift 2 ;;
		*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
SO=$PWD/modules/websocket.so
[ -f "$SO" ] || { echo "build first (./dev build)" >&2; exit 1; }
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH
fail() { echo "bench/history: $*" >&2; exit 1; }
LOG=$(mktemp -d)
REDIS_LOG="$LOG/redis.log"
# shellcheck source=../../tests/lib/redis.sh
source tests/lib/redis.sh
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null
	kill_redis
	rm -rf "$LOG"
}
trap cleanup EXIT
start_redis
BROKER="\"broker\": \"redis://127.0.0.1:$REDIS_PORT\", \"broker_prefix\": \"bench\""

# run_one OPTIONS MODE ARGS...: a fresh server, one client run; prints the client's line.
run_one() {
	local opts=$1; shift
	redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
	php -d extension="$SO" bench/history/server.php "$opts" >"$LOG/out" 2>"$LOG/err" &
	SERVER_PID=$!
	local port= i
	for i in $(seq 1 200); do
		port=$(sed -n 's/^PORT=//p' "$LOG/out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || fail "the server did not start: $(cat "$LOG/err")"
	node bench/history/client.js "$1" "ws://127.0.0.1:$port" "${@:2}" || fail "client failed: $(cat "$LOG/err")"
	kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
}

declare -A CONF=(
	[local_off]="{}"
	[local_on]="{\"history\": 1000}"
	[redis_off]="{$BROKER}"
	[redis_on]="{$BROKER, \"history\": 1000}"
)
ORDER="local_off local_on redis_off redis_on"
declare -A PUB
for rep in $(seq 1 "$REPS"); do
	for c in $ORDER; do
		v=$(run_one "${CONF[$c]}" publish "$MESSAGES" | sed -n 's/^PUBLISH //p')
		PUB[$c]="${PUB[$c]:-} $v"
		echo "rep $rep $c: $v messages/s" >&2
	done
done
declare -A RES
for rep in $(seq 1 "$REPS"); do
	for c in local_res redis_res; do
		opts='{"history": 2000}'
		[ "$c" = redis_res ] && opts="{$BROKER, \"history\": 2000}"
		v=$(run_one "$opts" resume 1000 100 | sed -n 's/^RESUME //p')
		RES[$c]="${RES[$c]:-};$v"
		echo "rep $rep $c: total/p50/p99 ms $v" >&2
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
col() { # col N: the median of field N over the ';'-separated resume results
	tr ';' '\n' | grep -v '^$' | awk -v n="$1" '{ print $n }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
lo=$(echo "${PUB[local_off]}" | median); ln=$(echo "${PUB[local_on]}" | median)
ro=$(echo "${PUB[redis_off]}" | median); rn=$(echo "${PUB[redis_on]}" | median)
/usr/bin/python3 - "$lo" "$ln" "$ro" "$rn" "$(echo "${RES[local_res]}" | col 1)" "$(echo "${RES[local_res]}" | col 2)" \
	"$(echo "${RES[local_res]}" | col 3)" "$(echo "${RES[redis_res]}" | col 1)" "$(echo "${RES[redis_res]}" | col 2)" \
	"$(echo "${RES[redis_res]}" | col 3)" "$REPS" "$MESSAGES" <<'PY'
import json, sys, datetime
a = sys.argv[1:]
lo, ln, ro, rn = (int(x) for x in a[0:4])
res = [float(x) for x in a[4:10]]
out = {
    "date": datetime.date.today().isoformat(),
    "machine": "2 cores shared by the server, redis-server and the Node client (no pinning); other work was running",
    "repetitions": int(a[10]),
    "publish": {
        "messages": int(a[11]),
        "note": "messages/s to one subscriber, bursts of 1,000 publish() calls; medians",
        "one_process": {"history_off": lo, "history_on": ln, "on_over_off": round(ln / lo, 2)},
        "redis_broker": {"history_off": ro, "history_on": rn, "on_over_off": round(rn / ro, 2)},
    },
    "resume": {
        "note": "1,000 clients connect at once, each resumes 100 messages behind; ms, medians",
        "one_process": {"total_ms": res[0], "p50_ms": res[1], "p99_ms": res[2]},
        "redis_broker": {"total_ms": res[3], "p50_ms": res[4], "p99_ms": res[5]},
    },
}
json.dump(out, open("bench/results/history.json", "w"), indent=2)
open("bench/results/history.json", "a").write("\n")
print(json.dumps(out, indent=2))
PY
