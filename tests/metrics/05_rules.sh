#!/usr/bin/env bash
# The documented Prometheus files are valid and do what they say: promtool
# checks the scrape configuration and the alerting rules and runs their unit
# tests (alerts_test.yml); docs/METRICS.md shows both files as they are and
# describes every family the endpoint renders and every key of stats(true).
source "$(dirname "$0")/common.bash"

promtool check config docs/prometheus/prometheus.yml >"$TMP/config.log" 2>&1 || { cat "$TMP/config.log"; fail "promtool check config"; }
promtool check rules docs/prometheus/alerts.yml >"$TMP/rules.log" 2>&1 || { cat "$TMP/rules.log"; fail "promtool check rules"; }
promtool test rules "$METRICS_DIR/alerts_test.yml" >"$TMP/test.log" 2>&1 || { cat "$TMP/test.log"; fail "promtool test rules"; }

"$PY" - <<'PYEOF' || fail "docs/METRICS.md does not show the files as they are"
doc = open("docs/METRICS.md").read()
for f in ("docs/prometheus/prometheus.yml", "docs/prometheus/alerts.yml"):
    if "```yaml\n" + open(f).read() + "```\n" not in doc:
        raise SystemExit(f + " differs from its copy in docs/METRICS.md")
PYEOF

cc -std=c11 -I core -o "$TMP/render_workers" "$METRICS_DIR/render_workers.c" core/ws_metrics.c core/ws_error.c || fail "render_workers.c does not build"
"$TMP/render_workers" text | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' >"$TMP/families"
[ "$(wc -l <"$TMP/families")" -ge 35 ] || fail "too few families rendered"
while read -r f; do
	grep -q "\`$f\`" docs/METRICS.md || fail "docs/METRICS.md does not describe $f"
done <"$TMP/families"

php -d extension="$SO" -r 'echo implode("\n", array_keys((new WebSocket\Server("127.0.0.1", 0))->stats(true))), "\n";' >"$TMP/keys" \
	|| fail "stats(true) failed"
while read -r k; do
	grep -q "\`$k\`" docs/METRICS.md docs/API.md || fail "neither docs/METRICS.md nor docs/API.md describes stats(true)['$k']"
done <"$TMP/keys"
echo ok
