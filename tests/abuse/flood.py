"""Flooders: clients that send as fast as they can and do not read.

    flood.py PORT SERVER_PID SECONDS BOUND_MIB FLOODERS MODE

Against the echo server, FLOODERS connections send 64 KiB binary messages as
fast as the sockets take them for SECONDS without reading anything, so the
echoes pile up on the server.  Meanwhile the server's VmRSS is sampled and
must stay under its pre-attack value + BOUND_MIB.  Then every flooder starts
reading, and MODE says what must hold:
  intact            every message sent comes back, unchanged and in order
                    (backpressure paused reading; nothing was dropped);
  paused-or-closed  either every message comes back (paused) or the
                    connection gets a close frame with 1008 (closed).
"""

import os
import selectors
import sys
import time

from wsabuse import (OP_BINARY, OP_CLOSE, RssSampler, alive, check, close_payload, frame, log,
                     open_ws, run_main)

MSG = 64 * 1024


class Flooder:
    def __init__(self, idx, port):
        self.idx = idx
        self.conn = open_ws(port, "/flood-%d" % idx)
        self.sock = self.conn.sock
        self.sock.setblocking(False)
        self.payload = bytes([idx]) + os.urandom(MSG - 1)
        self.frame = frame(OP_BINARY, self.payload)
        self.pending = b""
        self.sent = 0            # whole messages handed to the kernel
        self.bytes = 0
        self.last_send = time.monotonic()
        self.received = 0
        self.close_code = None

    def push(self):
        """Sends as much as the socket takes now."""
        while True:
            if not self.pending:
                self.pending = self.frame
            try:
                n = self.sock.send(self.pending)
            except BlockingIOError:
                return
            self.bytes += n
            self.last_send = time.monotonic()
            self.pending = self.pending[n:]
            if not self.pending:
                self.sent += 1

    def finish_frame(self):
        """Sends the rest of a partly sent frame; True when none is left."""
        if not self.pending or self.pending is self.frame:
            self.pending = b""
            return True
        try:
            n = self.sock.send(self.pending)
        except BlockingIOError:
            return False
        self.pending = self.pending[n:]
        if not self.pending:
            self.sent += 1
            return True
        return False

    def read_some(self):
        """Reads available bytes and checks the complete frames in them."""
        c = self.conn
        try:
            chunk = self.sock.recv(1 << 20)
        except BlockingIOError:
            return
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            c.eof = True
            return
        c.buf += chunk
        while self.close_code is None:
            f = c._parse_frame()
            if f is None:
                break
            fin, rsv, op, data = f
            if op == OP_CLOSE:
                self.close_code = int.from_bytes(data[:2], "big")
                break
            check(op == OP_BINARY and fin and data == self.payload,
                  "flooder %d: echo %d is wrong (opcode %d, %d bytes)" % (self.idx, self.received, op, len(data)))
            self.received += 1


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    seconds, bound_mib, count, mode = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    check(mode in ("intact", "paused-or-closed"), "unknown mode %s" % mode)
    sampler = RssSampler(pid)
    flooders = [Flooder(i, port) for i in range(count)]
    sel = selectors.DefaultSelector()
    for f in flooders:
        sel.register(f.sock, selectors.EVENT_WRITE, f)
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        sampler.sample()
        for key, _ in sel.select(0.02):
            key.data.push()
    sampler.sample(0)
    check(alive(pid), "the server died during the flood")
    now = time.monotonic()
    grown = (sampler.peak_kb - sampler.baseline_kb) / 1024.0
    for f in flooders:
        log("flood: flooder %d sent %d messages (%.1f MiB) in %.1f s; its writes were blocked for the last %.1f s"
            % (f.idx, f.sent, f.bytes / 1048576.0, seconds, now - f.last_send))
    log("flood: server RSS %d KiB before, peak %d KiB during the flood (+%.1f MiB, bound +%d MiB)"
        % (sampler.baseline_kb, sampler.peak_kb, grown, bound_mib))
    check(grown < bound_mib, "server RSS grew by %.1f MiB, over the %d MiB bound" % (grown, bound_mib))

    # Now read everything back (and finish any half-sent frame).
    for f in flooders:
        sel.modify(f.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, f)
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        busy = False
        for key, ev in sel.select(0.05):
            f = key.data
            if ev & selectors.EVENT_WRITE and f.finish_frame():
                sel.modify(f.sock, selectors.EVENT_READ, f)
            if ev & selectors.EVENT_READ:
                f.read_some()
        sampler.sample()
        for f in flooders:
            if f.close_code is None and not f.conn.eof and f.received < f.sent:
                busy = True
            if f.pending:
                busy = True
        if not busy:
            break
    for f in flooders:
        if f.close_code is not None:
            check(mode == "paused-or-closed", "flooder %d was closed with %d" % (f.idx, f.close_code))
            check(f.close_code == 1008, "flooder %d was closed with %d, expected 1008" % (f.idx, f.close_code))
            log("flood: flooder %d was closed with 1008 after %d of its %d echoes" % (f.idx, f.received, f.sent))
            continue
        check(not f.conn.eof, "flooder %d: connection closed without a close frame" % f.idx)
        check(f.received == f.sent, "flooder %d: %d of %d echoes came back within 60 s"
              % (f.idx, f.received, f.sent))
        log("flood: flooder %d was paused, then got all %d echoes back intact" % (f.idx, f.received))
        f.sock.setblocking(True)
        f.conn.send(frame(OP_CLOSE, close_payload(1000)))
        check(f.conn.expect_close(10.0) == (1000, b""), "flooder %d: closing handshake" % f.idx)
    log("flood: server RSS peak %d KiB overall" % sampler.peak_kb)


if __name__ == "__main__":
    run_main(main)
