"""The server-wide memory budget (max_memory) under attack.

    memory.py PORT SERVER_OUT BUDGET

1. Shedding: a client that does not read asks the blast server for 40 x 64 KiB
   (2.5 MiB, more than BUDGET) in one handler call.  Its queue is the largest:
   it is closed with 1008 "server memory budget exceeded" and gets no message.
2. Holding: three clients each send 1 MiB of a 4 MiB binary message and stop
   (the server must keep the partial message), so together they hold more than
   BUDGET.  Either new handshakes get 503 with Retry-After while they do, or
   the server sheds holders (1008) until it is back under budget (polled until
   one of the two is seen).  The
   attack is held for 2 s, during which the canary (a separate process) keeps
   echoing.  Then the three leave and a new handshake must succeed (polled
   for up to 10 s) and echo.
"""

import struct
import sys
import time

from maxconn import attempt
from wsabuse import OP_TEXT, check, echo, frame, log, open_ws, run_main, server_log_lines


def closed_event(server_out, path):
    """The CLOSE line of the connection opened on path, or None."""
    ids = [l.split()[1] for l in server_log_lines(server_out, "OPEN ") if l.split()[2] == path]
    lines = [l for l in server_log_lines(server_out, "CLOSE ") if ids and l.split()[1] == ids[0]]
    return lines[0] if lines else None


def main():
    port, server_out, budget = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

    a = open_ws(port, "/hog")
    a.send(frame(OP_TEXT, b"blast:40:65536"))
    code, reason = a.expect_close(10.0, skip_data=False)
    check((code, reason) == (1008, b"server memory budget exceeded"), "hog closed with %d %r" % (code, reason))
    a.read_until_eof(10.0)
    log("memory: a client with 2.5 MiB queued (budget %d KiB) was shed: 1008 %r, no message delivered"
        % (budget // 1024, reason.decode()))

    holders = [open_ws(port, "/holder-%d" % i) for i in range(3)]
    for h in holders:
        # FIN + binary, masked, 64-bit length 4 MiB; then 1 MiB of the payload.
        h.send(struct.pack("!BBQ", 0x82, 0xFF, 4 << 20) + b"\x00\x00\x00\x00" + b"x" * (1 << 20))
    deadline = time.monotonic() + 10.0
    while True:
        shed = [closed_event(server_out, "/holder-%d" % i) for i in range(3)]
        if any(shed):
            # Shedding stops once the server is back under budget, so not every holder need go.
            for line in shed:
                check(line is None or line.split()[2] == "1008", "holder closed with %r" % line)
            log("memory: the server shed clients holding 1 MiB partial messages until under budget: %r" % shed)
            break
        status, headers, c = attempt(port)
        if status == 503:
            retry = headers.get("retry-after", "")
            check(retry.isdigit() and int(retry) >= 1, "503 with Retry-After %r" % retry)
            body = c.read_until_eof(5.0)
            log("memory: 3 clients holding 1 MiB partial messages; a new handshake got 503, Retry-After: %s, %r"
                % (retry, body))
            break
        check(status == 101, "new handshake got %d" % status)
        c.close()
        check(time.monotonic() < deadline, "3 MiB of partial messages held for 10 s: no 503 and not shed")
        time.sleep(0.05)
    # Hold the attack while the canary goes on.
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        time.sleep(0.1)
    canary = closed_event(server_out, "/canary")
    check(canary is None, "the canary, which holds almost nothing, was closed during the attack: %r" % canary)
    for h in holders:
        h.close()
    deadline = time.monotonic() + 10.0
    while True:
        status, headers, c = attempt(port)
        if status == 101:
            break
        check(status == 503, "new handshake got %d" % status)
        c.close()
        check(time.monotonic() < deadline, "handshakes still refused 10 s after the holders left")
        time.sleep(0.05)
    echo(c, b"after the memory attack")
    check(c.close_and_wait() == (1000, b""), "closing handshake")
    log("memory: once the holders left, a new handshake succeeded and echoes")


if __name__ == "__main__":
    run_main(main)
