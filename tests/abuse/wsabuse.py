"""Raw WebSocket client helpers for the abuse tests (tests/abuse/*.sh).

Everything here talks to 127.0.0.1 only and every wait has a deadline.  The
helpers speak the protocol byte by byte (no library) so that tests can send
exactly the malformed traffic they want and see exactly what comes back.
"""

import base64
import hashlib
import os
import socket
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HOST = "127.0.0.1"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class Failure(Exception):
    """An assertion of a test failed."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run_main(main):
    """Runs main(), turning a Failure (or any exception) into exit status 1."""
    try:
        main()
    except Failure as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    sys.stdout.flush()


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- process figures

def rss_kb(pid):
    """VmRSS of a process in KiB, or None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    """utime + stime of a process in seconds (from /proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    # The command name is in parentheses and may contain spaces: split after it.
    fields = data[data.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie is not alive for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


class RssSampler:
    """Samples a process' VmRSS; call sample() often, read peak_kb."""

    def __init__(self, pid):
        self.pid = pid
        self.baseline_kb = rss_kb(pid)
        check(self.baseline_kb is not None, "server process %d is not running" % pid)
        self.peak_kb = self.baseline_kb
        self.last = 0.0

    def sample(self, every=0.02):
        now = time.monotonic()
        if now - self.last < every:
            return
        self.last = now
        v = rss_kb(self.pid)
        check(v is not None, "server process %d died" % self.pid)
        if v > self.peak_kb:
            self.peak_kb = v


# ---------------------------------------------------------------- frames

def make_key():
    return base64.b64encode(os.urandom(16))


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def upgrade_request(key, path="/", extra=b""):
    return (b"GET " + path.encode() + b" HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\n"
            b"Connection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n" + extra + b"\r\n")


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None):
    """Encodes one client frame.  length overrides the announced payload length."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + xor_mask(payload, key)


def xor_mask(data, key):
    if not data:
        return b""
    k = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(len(data), "big")


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


# ---------------------------------------------------------------- connections

def tcp_connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Conn:
    """A raw connection with a receive buffer and deadline-bounded reads."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def send(self, data, timeout=10.0):
        self.sock.settimeout(timeout)
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more bytes; False on EOF/reset.  Raises Failure at the deadline."""
        left = deadline - time.monotonic()
        check(left > 0, "timed out waiting for data from the server")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(262144)
        except socket.timeout:
            raise Failure("timed out waiting for data from the server")
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_http_head(self, timeout=5.0):
        """Reads a response head; returns (status, {lower-name: value}, raw head)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise Failure("connection closed before a complete HTTP response head (got %r)" % self.buf[:200])
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        check(len(parts) >= 2 and parts[0] == b"HTTP/1.1" and parts[1].isdigit(),
              "bad status line %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
        return int(parts[1]), headers, head

    def read_until_eof(self, timeout=5.0):
        """Reads until the server closes; returns everything still buffered."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            self._fill(deadline)
        data, self.buf = self.buf, b""
        return data

    def read_frame(self, timeout=5.0):
        """Returns (fin, rsv, opcode, payload), or None on EOF."""
        deadline = time.monotonic() + timeout
        while True:
            f = self._parse_frame()
            if f is not None:
                return f
            if not self._fill(deadline):
                check(not self.buf, "connection closed inside a frame (%d bytes left)" % len(self.buf))
                return None

    def _parse_frame(self):
        b = self.buf
        if len(b) < 2:
            return None
        b0, b1 = b[0], b[1]
        check(not (b1 & 0x80), "server sent a masked frame")
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = struct.unpack("!H", b[2:4])[0]
            pos = 4
        elif n == 127:
            if len(b) < 10:
                return None
            n = struct.unpack("!Q", b[2:10])[0]
            pos = 10
        if len(b) < pos + n:
            return None
        payload = b[pos:pos + n]
        self.buf = b[pos + n:]
        return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, payload

    def expect_close(self, timeout=5.0, skip_data=True):
        """Reads until a close frame; returns (code, reason).  Pings are not answered."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            check(left > 0, "no close frame within %.1f s" % timeout)
            f = self.read_frame(left)
            check(f is not None, "connection closed without a close frame")
            fin, rsv, op, payload = f
            if op == OP_CLOSE:
                check(len(payload) >= 2, "close frame without a status code")
                return struct.unpack("!H", payload[:2])[0], payload[2:]
            check(skip_data or op in (OP_PING, OP_PONG), "unexpected frame opcode %d before the close frame" % op)

    def close_and_wait(self, code=1000, timeout=5.0):
        """Sends a close frame, reads the reply, waits for the server to close the TCP connection."""
        self.send(frame(OP_CLOSE, close_payload(code)))
        got = self.expect_close(timeout)
        self.read_until_eof(timeout)
        return got

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def open_ws(port, path="/", timeout=5.0):
    """Connects and upgrades; returns a Conn positioned after the 101 head."""
    key = make_key()
    c = Conn(tcp_connect(port, timeout))
    c.send(upgrade_request(key, path))
    status, headers, head = c.read_http_head(timeout)
    check(status == 101, "expected 101, got %d: %r" % (status, head[:200]))
    check(headers.get("sec-websocket-accept", "").encode() == accept_for(key), "bad Sec-WebSocket-Accept")
    return c


def echo(c, payload, binary=False, timeout=5.0):
    """Sends one message and checks that the same message comes back."""
    c.send(frame(OP_BINARY if binary else OP_TEXT, payload))
    deadline = time.monotonic() + timeout
    while True:
        f = c.read_frame(max(0.01, deadline - time.monotonic()))
        check(f is not None, "connection closed while waiting for an echo")
        fin, rsv, op, data = f
        if op == OP_PING:
            c.send(frame(OP_PONG, data))
            continue
        check(op == (OP_BINARY if binary else OP_TEXT) and fin and data == payload,
              "wrong echo: opcode %d, %d bytes" % (op, len(data)))
        return


def server_log_lines(path, prefix):
    with open(path, "rb") as f:
        return [l.decode(errors="replace").rstrip("\n") for l in f if l.startswith(prefix.encode())]
