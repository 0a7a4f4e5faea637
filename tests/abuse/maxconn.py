"""Connection limits: the (LIMIT+1)th handshake gets 503 with Retry-After.

    maxconn.py PORT LIMIT ALREADY_OPEN

ALREADY_OPEN connections (the canary) count against LIMIT.  Opens the rest up
to LIMIT (each echoes), checks that two more handshakes are refused with 503,
a Retry-After header of whole seconds and end of stream, never a 101; then
closes one connection and polls (each refusal must still be a 503) until a
new handshake succeeds, checks it echoes, and that the limit holds again.
"""

import sys
import time

from wsabuse import Conn, accept_for, check, echo, log, make_key, run_main, tcp_connect, upgrade_request


def attempt(port):
    """One handshake: returns (status, headers, Conn)."""
    key = make_key()
    c = Conn(tcp_connect(port))
    c.send(upgrade_request(key, "/late"))
    status, headers, head = c.read_http_head(5.0)
    if status == 101:
        check(headers.get("sec-websocket-accept", "").encode() == accept_for(key), "bad accept")
    return status, headers, c


def expect_refusal(port, what):
    status, headers, c = attempt(port)
    check(status == 503, "%s: expected 503, got %d" % (what, status))
    retry = headers.get("retry-after", "")
    check(retry.isdigit() and int(retry) >= 1, "%s: Retry-After is %r" % (what, retry))
    body = c.read_until_eof(5.0)
    c.close()
    return retry, body


def main():
    port, limit, already = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    conns = []
    for i in range(limit - already):
        status, headers, c = attempt(port)
        check(status == 101, "connection %d of %d refused with %d" % (i + already + 1, limit, status))
        echo(c, b"member %d" % i)
        conns.append(c)
    retry, body = expect_refusal(port, "connection %d" % (limit + 1))
    expect_refusal(port, "connection %d" % (limit + 2))
    log("limit %d reached: next handshake refused with 503, Retry-After: %s, body %r" % (limit, retry, body))
    check(conns[0].close_and_wait() == (1000, b""), "closing one member")
    conns[0].close()
    deadline = time.monotonic() + 5.0
    refused = 0
    while True:
        status, headers, c = attempt(port)
        if status == 101:
            break
        check(status == 503, "expected 101 or 503 after a member left, got %d" % status)
        c.close()
        refused += 1
        check(time.monotonic() < deadline, "no handshake succeeded within 5 s after a member left")
        time.sleep(0.05)
    echo(c, b"newcomer")
    conns[0] = c
    expect_refusal(port, "connection %d after the newcomer" % (limit + 1))
    log("after one member left, a new handshake succeeded (%d refusals while the server caught up) "
        "and echoes; the limit holds again" % refused)
    for c in conns:
        check(c.close_and_wait() == (1000, b""), "closing")


if __name__ == "__main__":
    run_main(main)
