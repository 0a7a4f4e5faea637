"""Random bytes from many connections, with and without a handshake first.

    junk.py PORT SERVER_PID HANDSHAKE_TIMEOUT COUNT RSS_BOUND_MIB

COUNT connections, half of them sending 1..16 KiB of random bytes right after
connecting (no handshake) and half after a valid handshake (the bytes are
then read as frames).  At most 200 connects are in flight at a time; all
connections stay open together.  Asserts:
  - every connection without a handshake gets an "HTTP/1.1 4xx" answer and
    end of stream within HANDSHAKE_TIMEOUT + 5 s, and never a 101;
  - every upgraded connection the server ends gets well-formed server frames
    (unmasked) ending with a close frame before end of stream;
  - the server stays up, and its VmRSS never goes RSS_BOUND_MIB over the
    value before the attack.
The random bytes come from a fixed seed, so every run sends the same traffic.
"""

import collections
import errno
import random
import selectors
import socket
import struct
import sys
import time

from wsabuse import HOST, RssSampler, accept_for, alive, check, log, make_key, run_main, upgrade_request

MAX_CONNECTING = 200
WS_SETTLE = 1.5


def masked(op, payload, rnd, length=None):
    n = len(payload) if length is None else length
    if n < 126:
        head = struct.pack("!BB", 0x80 | op, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | op, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | op, 0x80 | 127, n)
    key = rnd.randbytes(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def make_junk(kind, rnd):
    """The bytes a connection sends (after the handshake for upgraded kinds)."""
    size = rnd.randrange(1, 16385)
    if kind == "random" or kind == "ws-random":
        return rnd.randbytes(size)
    if kind == "request-line":
        # A plausible request line, then random header bytes.
        return b"GET / HTTP/1.1\r\n" + rnd.randbytes(size)
    if kind == "no-newline":
        # Printable bytes without any line end: 431 past 8 KiB, else 408 at the timeout.
        return bytes(rnd.randrange(0x21, 0x7F) for _ in range(size))
    if kind == "ws-frames":
        # Well-formed masked frames with random payloads: text (mostly not UTF-8), binary, pings.
        out = b""
        while len(out) < size:
            op = rnd.choice((1, 2, 9))
            n = rnd.randrange(0, 126 if op == 9 else 2000)
            out += masked(op, rnd.randbytes(n), rnd)
        return out
    if kind == "ws-partial":
        # A binary frame announcing up to 1 MiB, of which only a part ever comes.
        total = rnd.randrange(size + 1, 1 << 20)
        return masked(2, rnd.randbytes(size), rnd, length=total)
    raise ValueError(kind)


RAW_KINDS = ("random", "request-line", "no-newline")
WS_KINDS = ("ws-random", "ws-frames", "ws-partial")


class JunkConn:
    def __init__(self, idx, rnd):
        self.idx = idx
        self.upgrade = idx % 2 == 1
        self.kind = (WS_KINDS if self.upgrade else RAW_KINDS)[(idx // 2) % 3]
        self.junk = make_junk(self.kind, rnd)
        self.key = make_key()
        self.sock = None
        self.state = "new"
        self.out = b""
        self.inbuf = b""
        self.t0 = None
        self.t_end = None
        self.t_sent = None
        self.close_code = None
        self.frames = 0

    def start(self, sel, port):
        self.t0 = time.monotonic()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        err = self.sock.connect_ex((HOST, port))
        check(err in (0, errno.EINPROGRESS), "connect failed: %s" % errno.errorcode.get(err, err))
        self.state = "connecting"
        self.out = upgrade_request(self.key) if self.upgrade else self.junk
        sel.register(self.sock, selectors.EVENT_WRITE, self)


def parse_frames(c):
    """Consumes complete server frames from c.inbuf; checks their form."""
    while True:
        b = c.inbuf
        if len(b) < 2:
            return
        check(not (b[1] & 0x80), "connection %d: server frame with the MASK bit" % c.idx)
        check(not (b[0] & 0x70), "connection %d: server frame with RSV bits" % c.idx)
        n, pos = b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return
            n, pos = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return
            n, pos = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < pos + n:
            return
        op = b[0] & 0xF
        check(op in (0, 1, 2, 8, 9, 10), "connection %d: server frame with opcode %d" % (c.idx, op))
        check(c.close_code is None, "connection %d: a frame after the server's close frame" % c.idx)
        if op == 8:
            c.close_code = struct.unpack("!H", b[pos:pos + 2])[0] if n >= 2 else 1005
        c.frames += 1
        c.inbuf = b[pos + n:]


def on_event(c, sel, ev):
    now = time.monotonic()
    if c.state == "connecting":
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        check(err == 0, "connection %d failed: %s" % (c.idx, errno.errorcode.get(err, err)))
        c.state = "handshake" if c.upgrade else "junk"
    if ev & selectors.EVENT_WRITE and c.out:
        try:
            n = c.sock.send(c.out)
            c.out = c.out[n:]
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            c.out = b""
        if not c.out:
            if c.state == "junk" and c.t_sent is None:
                c.t_sent = now
            sel.modify(c.sock, selectors.EVENT_READ, c)
    if ev & selectors.EVENT_READ:
        try:
            chunk = c.sock.recv(65536)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            chunk = b""
        if chunk:
            c.inbuf += chunk
            if c.state == "handshake" and b"\r\n\r\n" in c.inbuf:
                head, c.inbuf = c.inbuf.split(b"\r\n\r\n", 1)
                check(head.startswith(b"HTTP/1.1 101 "), "connection %d: handshake refused: %r" % (c.idx, head[:80]))
                check(b"\r\nSec-WebSocket-Accept: " + accept_for(c.key) in head, "connection %d: bad accept" % c.idx)
                c.state = "junk"
                c.out = c.junk
                sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
            if c.state == "junk" and c.upgrade:
                parse_frames(c)
            return False
        c.t_end = now
        sel.unregister(c.sock)
        c.sock.close()
        return True
    return False


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    hs_timeout, count, bound_mib = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(20240611)
    conns = [JunkConn(i, rnd) for i in range(count)]
    sampler = RssSampler(pid)
    sel = selectors.DefaultSelector()
    waiting = collections.deque(conns)
    connecting = 0
    deadline = time.monotonic() + hs_timeout + 5.0 + count / 100.0
    while time.monotonic() < deadline:
        while waiting and connecting < MAX_CONNECTING:
            waiting.popleft().start(sel, port)
            connecting += 1
        sampler.sample()
        for key, ev in sel.select(0.05):
            c = key.data
            was = c.state
            on_event(c, sel, ev)
            if was == "connecting" and c.state != "connecting":
                connecting -= 1
        now = time.monotonic()
        raw_done = all(c.t_end is not None for c in conns if not c.upgrade)
        ws_done = all(c.t_end is not None or (c.t_sent is not None and now - c.t_sent > WS_SETTLE)
                      for c in conns if c.upgrade)
        if not waiting and raw_done and ws_done:
            break
    check(alive(pid), "the server died")
    sampler.sample(0)
    for c in conns:
        check(c.state != "new" and c.state != "connecting", "connection %d never connected" % c.idx)
        check(not c.upgrade or c.state == "junk", "connection %d never got its 101" % c.idx)
    statuses = collections.defaultdict(collections.Counter)
    worst = 0.0
    for c in (c for c in conns if not c.upgrade):
        check(c.t_end is not None, "connection %d without handshake was not closed within %.1f s"
              % (c.idx, hs_timeout + 5.0))
        check(c.inbuf.startswith(b"HTTP/1.1 4") and c.inbuf[9:12].isdigit(),
              "connection %d without handshake got %r instead of a 4xx" % (c.idx, c.inbuf[:40]))
        statuses[c.kind][int(c.inbuf[9:12])] += 1
        worst = max(worst, c.t_end - c.t0)
        check(c.t_end - c.t0 <= hs_timeout + 5.0, "connection %d answered after %.1f s" % (c.idx, c.t_end - c.t0))
    codes = collections.defaultdict(collections.Counter)
    for c in (c for c in conns if c.upgrade):
        if c.t_end is None:
            codes[c.kind]["still open"] += 1
            continue
        check(c.close_code is not None, "upgraded connection %d ended without a close frame (%d frames, %d bytes left)"
              % (c.idx, c.frames, len(c.inbuf)))
        codes[c.kind][c.close_code] += 1
    # Let the server see the rest go (their close events are checked by the shell).
    for c in conns:
        if c.t_end is None:
            sel.unregister(c.sock)
            c.sock.close()
    grown = (sampler.peak_kb - sampler.baseline_kb) / 1024.0
    log("junk: %d connections without a handshake, HTTP status by kind (slowest answer %.2f s):"
        % (count - count // 2, worst))
    for kind in RAW_KINDS:
        log("  %-12s %s" % (kind, dict(sorted(statuses[kind].items()))))
    log("junk: %d upgraded connections, close code from the server by kind:" % (count // 2))
    for kind in WS_KINDS:
        log("  %-12s %s" % (kind, dict(sorted(codes[kind].items(), key=str))))
    log("junk: server RSS %d KiB before, peak %d KiB (+%.1f MiB, bound +%d MiB)"
        % (sampler.baseline_kb, sampler.peak_kb, grown, bound_mib))
    check(grown < bound_mib, "server RSS grew by %.1f MiB, over the %d MiB bound" % (grown, bound_mib))


if __name__ == "__main__":
    run_main(main)
