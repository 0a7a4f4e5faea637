#!/usr/bin/env bash
# Clients that send as fast as they can and never read, against the echo
# server: the echoes pile up, reading from them pauses, and the server's RSS
# stays within 64 MiB of where it started (peak printed).
#  A. defaults (max_buffered_amount 4 MiB, policy close): 3 flooders for 5 s;
#     reading pauses before the limit, so once they read, every echo comes back.
#  B. policy close, max_buffered_amount 64 KiB, low_water_mark 16 KiB: 3
#     flooders for 3 s; each is either paused (all echoes come back) or closed
#     with 1008.
#  C. a handler that sends 8 x 16 KiB at once to a client that does not read,
#     max_buffered_amount 64 KiB: sends 1-4 are admitted (SENT or QUEUED), the
#     5th is over the limit: policy close -> DROPPED, close 1008, the unsent backlog discarded
#     (the client gets the close frame and no message); policy drop -> DROPPED
#     and the connection stays open with the 4 admitted messages.
# The canary keeps getting its echoes in each part.
source "$(dirname "$0")/common.bash"

echo "== A: defaults, 3 flooders, 5 s"
serve "$ECHO_SERVER"
start_canary
"$PY" "$ABUSE/flood.py" "$PORT" "$SERVER_PID" 5 64 3 intact || fail "flood with default limits"
finish_canary
stop_server_ok
! grep -q '^CLOSE [0-9]* 1008 ' "$SERVER_OUT" || fail "a flooder was closed with 1008 under the default limits"

echo "== B: policy close, max_buffered_amount 64 KiB, 3 flooders, 3 s"
serve "$ECHO_SERVER" '{"backpressure": "close", "max_buffered_amount": 65536, "low_water_mark": 16384}'
start_canary
"$PY" "$ABUSE/flood.py" "$PORT" "$SERVER_PID" 3 64 3 paused-or-closed || fail "flood with a 64 KiB limit"
finish_canary
stop_server_ok

for policy in close drop; do
	echo "== C: a handler sending over max_buffered_amount 64 KiB, policy $policy"
	serve "$ABUSE/blast_server.php" "{\"backpressure\": \"$policy\", \"max_buffered_amount\": 65536}"
	start_canary
	"$PY" - "$PORT" "$SERVER_OUT" "$policy" <<'PYEOF' || fail "blast with policy $policy"
import re, sys, time
from wsabuse import OP_BINARY, OP_TEXT, check, echo, frame, log, open_ws, run_main, server_log_lines

def main():
    port, out, policy = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    c = open_ws(port, "/blast")
    c.send(frame(OP_TEXT, b"blast:8:16384"))
    deadline = time.monotonic() + 10
    while not server_log_lines(out, "BLAST "):
        check(time.monotonic() < deadline, "no BLAST line")
        time.sleep(0.02)
    line = server_log_lines(out, "BLAST ")[0]
    # Admitted (SENT or QUEUED) while the backlog is under 64 KiB: 4 x (16384 + 4) bytes, then DROPPED.
    check(re.fullmatch(r"[SQ]{4}D{4}", line.split()[2]) is not None,
          "send() results %r, expected 4 admitted (S or Q) then 4 DROPPED" % line)
    if policy == "close":
        code, reason = c.expect_close(10, skip_data=False)
        check(code == 1008, "closed with %d %r, expected 1008" % (code, reason))
        check(c.read_until_eof(10) == b"", "bytes after the close frame")
        log("blast/close: send() results %s, then close 1008 %r with no message delivered" % (line.split()[2], reason.decode()))
    else:
        for i in range(4):
            f = c.read_frame(10)
            check(f is not None and f[2] == OP_BINARY and f[3] == b"b" * 16384, "admitted message %d missing" % i)
        echo(c, b"still open after the drops")
        check(c.close_and_wait() == (1000, b""), "closing handshake")
        log("blast/drop: send() results %s, the 4 admitted messages arrived, the connection stayed open" % line.split()[2])

run_main(main)
PYEOF
	finish_canary
	stop_server_ok
	want=1000
	[ "$policy" = close ] && want=1008
	id=$(awk '$1 == "OPEN" && $3 == "/blast" { print $2 }' "$SERVER_OUT")
	grep -q "^CLOSE $id $want " "$SERVER_OUT" || fail "the close event of the blasted connection is not $want"
done
echo "PASS flood"
