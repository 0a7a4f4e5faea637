#!/usr/bin/env bash
# max_connections 50: with 50 open (the canary and 49 more), the 51st and
# 52nd handshakes get 503 + Retry-After and are closed; once one leaves, a
# new one succeeds and echoes, and the 51st is refused again.  The same with
# max_connections_per_ip 5 (all clients come from 127.0.0.1).  The canary
# keeps getting its echoes.
source "$(dirname "$0")/common.bash"

for opt in max_connections:50 max_connections_per_ip:5; do
	name=${opt%%:*}
	limit=${opt##*:}
	echo "== $name $limit"
	serve "$ECHO_SERVER" "{\"$name\": $limit}"
	start_canary
	"$PY" "$ABUSE/maxconn.py" "$PORT" "$limit" 1 || fail "$name"
	finish_canary
	stop_server_ok
	# Refused handshakes never opened: OPEN lines are the canary + limit-1 + the newcomer.
	[ "$(grep -c '^OPEN ' "$SERVER_OUT")" = $((limit + 1)) ] || fail "$name: unexpected OPEN count"
done
echo "PASS max connections"
