#!/usr/bin/env bash
# Resume on one process: 100 subscribers of a topic with history under a
# steady publisher; 20 of them drop their socket at random moments and
# reconnect with resume(since = the last id they saw).  At the end every
# subscriber has every message exactly once, in order, and no resume
# reported a gap.
source "$(dirname "$0")/../workers/common.bash"
need_node

OUT=$(mktemp); EXTRA_FILES="$OUT"
start_server tests/presence/server.php '{"history": {"size": 1000}}'
run_peer node tests/presence/client.js resume "ws://127.0.0.1:$PORT" 100 20 400 >"$OUT" 2>&1 || fail "client: $(cat "$OUT")"
grep '^RESULT' "$OUT"
grep -q 'reconnects=20 ' "$OUT" || fail "20 subscribers should have reconnected: $(grep RESULT "$OUT")"
stop_server || fail "server exited with status $?"
echo "ok"
