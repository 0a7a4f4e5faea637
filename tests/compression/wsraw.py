"""A minimal raw WebSocket client for the permessage-deflate tests: it
writes handshakes and frames byte by byte, so it can offer any
Sec-WebSocket-Extensions value and send frames no real client would.
Imported by the other Python helpers of tests/compression (standard
library only).  Every socket operation has a timeout.
"""
import base64
import os
import socket
import struct
import zlib

WAIT = 20  # seconds: the ceiling of any single network wait

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class Closed(Exception):
    """The server closed the TCP connection."""


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Conn:
    def __init__(self, port, extensions=(), path="/"):
        """Connects and sends a handshake with one Sec-WebSocket-Extensions
        header per element of extensions.  self.status, self.headers (list of
        (lower-case name, value)) hold the response."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        lines += ["Sec-WebSocket-Extensions: " + e for e in extensions]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head = head.decode("latin-1").split("\r\n")
        self.status = int(head[0].split(" ")[1])
        self.headers = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip().lower(), value.strip()))

    def header_values(self, name):
        return [v for n, v in self.headers if n == name]

    def extension(self):
        """The Sec-WebSocket-Extensions answer (None when absent); more than
        one such header fails."""
        values = self.header_values("sec-websocket-extensions")
        check(len(values) <= 1, "several Sec-WebSocket-Extensions headers: %r" % values)
        return values[0] if values else None

    def _fill(self):
        try:
            d = self.sock.recv(262144)
        except ConnectionResetError:
            d = b""
        if not d:
            raise Closed()
        self.buf += d

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False):
        """Sends one masked frame.  Returns False if the server had already
        closed the socket (the write failed)."""
        b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | (0x10 if rsv3 else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
        mask = os.urandom(4)
        # XOR through big integers: fast enough for the megabytes these tests send.
        reps = (n + 3) // 4
        m = int.from_bytes((mask * reps)[:n], "big") if n else 0
        masked = (int.from_bytes(payload, "big") ^ m).to_bytes(n, "big") if n else b""
        try:
            self.sock.sendall(hdr + mask + masked)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def read_frame(self):
        """(fin, rsv1, opcode, payload) of the next frame."""
        b0, b1 = self._take(2)
        n = b1 & 0x7F
        check(not (b1 & 0x80), "the server masked a frame")
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        return bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, self._take(n)

    def read_message(self):
        """(opcode, rsv1 of the first frame, payload) of the next data
        message (pings are answered, pongs skipped), or (OP_CLOSE, False,
        payload) for a close frame."""
        first = None
        parts = []
        while True:
            fin, rsv1, op, payload = self.read_frame()
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                return OP_CLOSE, False, payload
            if first is None:
                first = (op, rsv1)
            parts.append(payload)
            if fin:
                return first[0], first[1], b"".join(parts)

    def expect_close(self, what):
        """Reads until the server's close frame; returns its code, answers it
        and checks the server then closes the TCP connection."""
        while True:
            try:
                op, _, payload = self.read_message()
            except Closed:
                raise AssertionError("%s: the server closed the socket without a close frame" % what)
            if op == OP_CLOSE:
                break
        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        self.send_frame(OP_CLOSE, payload[:2])
        try:
            while True:
                self._fill()
        except Closed:
            pass
        self.sock.close()
        return code, payload[2:].decode("utf-8", "replace")

    def close(self):
        """Clean close from our side (1000), waiting for the server's answer."""
        self.send_frame(OP_CLOSE, struct.pack("!H", 1000))
        code, _ = self.expect_close("closing")
        check(code == 1000, "the server answered our close with %r" % code)


class Deflater:
    """Client-side permessage-deflate compressor (raw deflate, sync flush,
    trailing 00 00 FF FF removed)."""

    def __init__(self, bits=15, takeover=True):
        # zlib cannot deflate with an 8-bit window; 9 only matters for messages over 256 bytes.
        self.bits = max(bits, 9)
        self.takeover = takeover
        self.z = zlib.compressobj(6, zlib.DEFLATED, -self.bits)

    def compress(self, data):
        """One whole message."""
        return self.part(data, True)

    def part(self, data, last):
        """The compressed bytes of one fragment of a message: the stream is
        sync-flushed after each fragment, and only the last fragment drops
        the 00 00 FF FF tail (inside a message it is an empty stored block)."""
        out = self.z.compress(data) + self.z.flush(zlib.Z_SYNC_FLUSH)
        check(out.endswith(b"\x00\x00\xff\xff"), "sync flush tail missing")
        if last:
            out = out[:-4]
            if not self.takeover:
                self.z = zlib.compressobj(6, zlib.DEFLATED, -self.bits)
        return out


class Inflater:
    """Server-to-client inflater that enforces the window size: output is
    produced 64 bytes per inflate call, so any back-reference farther than
    the window must come from zlib's window buffer, which holds exactly
    2^bits bytes ("invalid distance too far back" otherwise)."""

    def __init__(self, bits=15, takeover=True):
        self.bits = bits
        self.takeover = takeover
        self.z = zlib.decompressobj(-bits)

    def inflate(self, data):
        if not self.takeover:
            self.z = zlib.decompressobj(-self.bits)
        data += b"\x00\x00\xff\xff"
        out = []
        while data:
            out.append(self.z.decompress(data, 64))
            data = self.z.unconsumed_tail
        while True:
            chunk = self.z.decompress(b"", 64)
            if not chunk:
                break
            out.append(chunk)
        return b"".join(out)


def parse_extension(value):
    """'permessage-deflate; a; b=1' -> ('permessage-deflate', {'a': None, 'b': '1'})."""
    parts = [p.strip() for p in value.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip()] = v.strip() if _ else None
    return parts[0], params


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)
