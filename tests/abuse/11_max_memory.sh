#!/usr/bin/env bash
# max_memory 2 MiB: a client that does not read and has 2.5 MiB queued is shed
# with 1008; three clients holding 1 MiB partial messages each put the server
# over budget, so new handshakes get 503 + Retry-After until they leave.  The
# canary, connected before the attack and echoing small messages, must keep
# getting its echoes throughout: the memory is held by the attackers, not by
# its queue.
source "$(dirname "$0")/common.bash"

serve "$ABUSE/blast_server.php" '{"max_memory": 2097152}'
start_canary
"$PY" "$ABUSE/memory.py" "$PORT" "$SERVER_OUT" 2097152 || fail "memory budget"
canary_alive
finish_canary
stop_server_ok
echo "PASS max memory"
