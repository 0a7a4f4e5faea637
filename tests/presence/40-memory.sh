#!/usr/bin/env bash
# Memory: 100,000 publications of 1 KiB on a topic that keeps 1,000 messages
# stay within the bound (the RSS grows by less than 8 MiB, where keeping them
# all would take 100 MiB), the history holds exactly the newest 1,000, and a
# topic with a one-second ttl empties once its messages are older.
source "$(dirname "$0")/../workers/common.bash"
OUT=$(mktemp); EXTRA_FILES="$OUT"
timeout 120 php -d extension="$SO" tests/presence/memory.php >"$OUT" 2>&1 || fail "memory.php: $(cat "$OUT")"
cat "$OUT"
before=$(sed -n 's/^RSS_BEFORE //p' "$OUT"); after=$(sed -n 's/^RSS_AFTER //p' "$OUT")
[ $((after - before)) -lt 8192 ] || fail "RSS grew by $((after - before)) KiB over 100,000 publications"
grep -qx 'KEPT 1000 FIRST m99001 LAST m100000' "$OUT" || fail "the history must hold exactly the newest 1,000"
grep -qx 'AGED_NOW 3000' "$OUT" || fail "the aged topic must keep its fresh messages"
grep -qx 'AGED_LATER 0 after the ttl' "$OUT" || fail "the aged topic must empty after its ttl, not before"
grep -qx 'STATS 1000' "$OUT" || fail "stats(true) must count the history entries"
echo "ok"
