"""Malformed upgrade requests: each gets a 4xx (never a 101), then end of stream.

    handshake_junk.py PORT

Each request goes on its own connection.  The response head must arrive
within 3 s (the server's handshake_timeout is the default 10 s, so a request
left hanging would fail here), carry the expected status and headers, and the
server must close the connection within 3 s after it.  Nothing received may
contain a 101.
"""

import base64
import os
import sys
import time

from wsabuse import Conn, check, log, make_key, run_main, tcp_connect

BOUND = 3.0


def request(method=b"GET", version=b"HTTP/1.1", key=None, ws_version=b"13", host=True, extra=b"", raw_lines=None):
    key = make_key() if key is None else key
    lines = [method + b" /chat " + version]
    if host:
        lines.append(b"Host: 127.0.0.1")
    lines += [b"Upgrade: websocket", b"Connection: Upgrade"]
    if key is not False:
        lines.append(b"Sec-WebSocket-Key: " + key)
    if ws_version is not None:
        lines.append(b"Sec-WebSocket-Version: " + ws_version)
    if raw_lines:
        lines += raw_lines
    return b"\r\n".join(lines) + b"\r\n" + extra + b"\r\n"


TLS_HELLO = bytes.fromhex("16030100a5010000a10303") + os.urandom(32) + bytes.fromhex(
    "000020c02bc02fc02cc030cca9cca8c013c014009c009d002f0035000a01000058") + os.urandom(88)

CASES = [
    # name, bytes, status, {header: value that must be present}
    ("HTTP/1.0 upgrade", request(version=b"HTTP/1.0"), 400, {}),
    ("missing Sec-WebSocket-Version", request(ws_version=None), 426, {"sec-websocket-version": "13"}),
    ("Sec-WebSocket-Version: 8", request(ws_version=b"8"), 426, {"sec-websocket-version": "13"}),
    ("Sec-WebSocket-Version: 14", request(ws_version=b"14"), 426, {"sec-websocket-version": "13"}),
    ("key of 15 bytes", request(key=base64.b64encode(b"fifteen bytes!!")), 400, {}),
    ("key of 17 bytes", request(key=base64.b64encode(b"seventeen bytes!!")), 400, {}),
    ("key not base64", request(key=b"!!!!!!!!!!!!!!!!!!!!!!=="), 400, {}),
    ("missing key", request(key=False), 400, {}),
    ("POST upgrade", request(method=b"POST"), 405, {"allow": "GET"}),
    ("PUT upgrade", request(method=b"PUT"), 405, {"allow": "GET"}),
    ("header line without a colon", request(raw_lines=[b"this line has no colon"]), 400, {}),
    ("header name with a space", request(raw_lines=[b"Bad Name: x"]), 400, {}),
    ("NUL byte in a header value", request(raw_lines=[b"X-Nul: a\x00b"]), 400, {}),
    ("missing Host", request(host=False), 400, {}),
    ("upgrade with a body", request(raw_lines=[b"Content-Length: 5"]) + b"hello", 400, {}),
    ("64 KiB header", request(raw_lines=[b"X-Big: " + b"a" * 65536]), 431, {}),
    ("200 header lines in 2 KiB", request(raw_lines=[b"X%d: y" % i for i in range(200)]), 431, {}),
    ("TLS ClientHello on the plain port", TLS_HELLO, 400, {}),
    ("binary garbage request line", b"\x00\x01\x02\xff GET / HTTP/1.1\r\n\r\n", 400, {}),
]


def main():
    port = int(sys.argv[1])
    for name, data, want, headers in CASES:
        c = Conn(tcp_connect(port))
        t0 = time.monotonic()
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it read everything; the response must still be there
        status, got, head = c.read_http_head(BOUND)
        t1 = time.monotonic()
        body = c.read_until_eof(BOUND)
        t2 = time.monotonic()
        c.close()
        check(b"101" not in head.split(b"\r\n")[0], "%s: %r" % (name, head[:40]))
        check(status == want, "%s: status %d, expected %d (%r)" % (name, status, want, head[:200]))
        for h, v in headers.items():
            check(got.get(h) == v, "%s: header %s is %r, expected %r" % (name, h, got.get(h), v))
        check(got.get("connection", "").lower() == "close", "%s: no Connection: close" % name)
        length = got.get("content-length")
        check(length is None or int(length) == len(body), "%s: body of %d bytes, Content-Length %s"
              % (name, len(body), length))
        log("ok %-36s -> %d in %3.0f ms, closed %3.0f ms later, body %r"
            % (name, status, (t1 - t0) * 1000, (t2 - t1) * 1000, body[:50]))
    log("%d malformed handshakes refused" % len(CASES))


if __name__ == "__main__":
    run_main(main)
