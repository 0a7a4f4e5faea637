"""Slowloris: many connections that trickle an HTTP request head, byte by byte.

    slowloris.py PORT SERVER_PID HANDSHAKE_TIMEOUT TRICKLERS SILENT

TRICKLERS connections send "GET / HTTP/1.1" and a Host line, then one more
header byte every 200 ms and never finish the head; SILENT connections send
nothing at all.  Every one must get "HTTP/1.1 408" and then end of stream, no
sooner than HANDSHAKE_TIMEOUT after it connected (the server cannot time it
out earlier) and no later than HANDSHAKE_TIMEOUT + 4 s.
"""

import errno
import selectors
import socket
import sys
import time

from wsabuse import HOST, RssSampler, alive, check, log, run_main

TRICKLE_EVERY = 0.2
SLACK = 4.0


class Loris:
    def __init__(self, idx, silent):
        self.idx = idx
        self.silent = silent
        self.t0 = time.monotonic()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        err = self.sock.connect_ex((HOST, PORT))
        check(err in (0, errno.EINPROGRESS), "connect failed: %s" % errno.errorcode.get(err, err))
        self.connected = False
        self.data = b""
        self.t_eof = None
        self.sent = 0


def main():
    global PORT
    PORT = int(sys.argv[1])
    pid = int(sys.argv[2])
    hs_timeout = float(sys.argv[3])
    ntrickle = int(sys.argv[4])
    nsilent = int(sys.argv[5])
    sampler = RssSampler(pid)
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(ntrickle + nsilent):
        c = Loris(i, i >= ntrickle)
        conns.append(c)
        sel.register(c.sock, selectors.EVENT_WRITE, c)
    head = b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slowloris: "
    next_trickle = time.monotonic()
    deadline = time.monotonic() + hs_timeout + SLACK + 2.0
    open_count = len(conns)
    while open_count and time.monotonic() < deadline:
        sampler.sample()
        for key, ev in sel.select(0.05):
            c = key.data
            if not c.connected:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                check(err == 0, "connection %d failed: %s" % (c.idx, errno.errorcode.get(err, err)))
                c.connected = True
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                chunk = c.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            except BlockingIOError:
                continue
            if chunk:
                c.data += chunk
                continue
            c.t_eof = time.monotonic()
            sel.unregister(c.sock)
            c.sock.close()
            open_count -= 1
        now = time.monotonic()
        if now >= next_trickle:
            next_trickle = now + TRICKLE_EVERY
            for c in conns:
                if c.silent or not c.connected or c.t_eof is not None or c.data:
                    continue
                # The request line and Host first, then one header byte per tick.
                chunk = head[c.sent:] if c.sent < len(head) else b"a"
                try:
                    c.sent += c.sock.send(chunk)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    pass
    check(alive(pid), "the server died")
    late = [c.idx for c in conns if c.t_eof is None]
    check(not late, "%d connections were not cut off within %.1f s (first: %s)"
          % (len(late), hs_timeout + SLACK, late[:5]))
    durations = []
    for c in conns:
        check(c.data.startswith(b"HTTP/1.1 408 "), "connection %d (%s) got %r instead of a 408"
              % (c.idx, "silent" if c.silent else "trickling", c.data[:60]))
        d = c.t_eof - c.t0
        check(d >= hs_timeout - 0.1, "connection %d was cut off after %.2f s, before the %.1f s timeout"
              % (c.idx, d, hs_timeout))
        check(d <= hs_timeout + SLACK, "connection %d was cut off only after %.2f s" % (c.idx, d))
        durations.append(d)
    trickled = [c.sent for c in conns if not c.silent]
    log("slowloris: %d trickling (up to %d header bytes each) + %d silent connections, all got 408 + EOF "
        "after %.2f..%.2f s (handshake_timeout %.1f s); server RSS %d -> peak %d KiB"
        % (ntrickle, max(trickled) if trickled else 0, nsilent, min(durations), max(durations),
           hs_timeout, sampler.baseline_kb, sampler.peak_kb))


if __name__ == "__main__":
    run_main(main)
