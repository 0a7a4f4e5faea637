# tests/metrics/common.bash - shared by the tests/metrics/*.sh tests (sourced;
# ./dev test runs only *.sh).  Builds on tests/lib/server.sh (start_server,
# stop_server, fail).
#
# Provides: $ROOT, $TMP (removed at exit), $PY (Debian's python3, which has
# python3-prometheus-client and python3-websockets), free_port, scrape URL
# FILE [curl args] (body to FILE, prints the HTTP status), check_text FILE
# (promtool check metrics), check_openmetrics FILE (the strict OpenMetrics
# parser of prometheus_client), value FILE SERIES (the value of one sample
# line), expect FILE SERIES VALUE, and a trap that stops what the test
# started, by PID.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../lib/server.sh
source "$ROOT/tests/lib/server.sh"
METRICS_DIR="$ROOT/tests/metrics"
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1

TMP=$(mktemp -d)
BG_PIDS=()
cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	stop_server >/dev/null 2>&1 || true
	rm -rf "$TMP"
	rm -f "${SERVER_OUT:-}" "${SERVER_ERR:-}"
}
trap cleanup EXIT

command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus)"
command -v curl >/dev/null || fail "curl is missing"

# free_port: a port nothing listens on right now, on 127.0.0.1.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# scrape URL FILE [curl args...]: GETs URL, body into FILE, headers into FILE.headers; prints the status.
scrape() {
	local url=$1 file=$2
	shift 2
	curl -s -k -o "$file" -D "$file.headers" -w '%{http_code}' --max-time 10 "$@" "$url" || echo 000
}

# check_text FILE: the Prometheus text format, as promtool lints it (it prints problems; silence is a pass).
check_text() {
	local out
	out=$(promtool check metrics <"$1" 2>&1) || fail "promtool check metrics failed on $1: $out"
	[ -z "$out" ] || fail "promtool check metrics complained about $1: $out"
}

# check_openmetrics FILE: parses FILE with prometheus_client's strict OpenMetrics parser.
check_openmetrics() {
	"$PY" - "$1" <<'PYEOF' || fail "$1 is not valid OpenMetrics"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding="utf-8").read()
families = list(text_string_to_metric_families(text))
assert text.endswith("# EOF\n"), "no # EOF at the end"
assert len(families) > 30, len(families)
for f in families:
    assert f.documentation, f.name + " has no HELP"
    assert f.type in ("counter", "gauge", "histogram"), (f.name, f.type)
PYEOF
}

# value FILE SERIES: the value of the sample line "SERIES VALUE" (SERIES with its labels, as rendered).
value() {
	awk -v k="$2" '$1 == k { print $2; found = 1; exit } END { if (!found) print "missing" }' "$1"
}

# expect FILE SERIES VALUE
expect() {
	local got
	got=$(value "$1" "$2")
	[ "$got" = "$3" ] || fail "$2 is $got, expected $3 (in $1)"
}
