"""Protocol violations after a valid handshake, each on its own connection.

    protocol.py PORT SERVER_OUT SUITE...      (SUITE: oversize, frames, utf8)

For every bad case the first frame the client receives must be a close frame
with the expected code (no echo of anything before it), the server must then
close the TCP connection, and the server's "CLOSE <id> <code>" line (found
through the "OPEN <id> /case-..." line) must show the same code.  Each suite
also has good cases next to the bad ones (the limit itself, valid fragments)
to show the server refuses only what it must.
"""

import struct
import sys
import time

from wsabuse import (Failure, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, check, close_payload,
                     echo, frame, log, open_ws, run_main, server_log_lines)

LIMIT = 65536  # max_message_size of the oversize suite


def _header(opcode, length):
    """A masked frame header announcing `length` bytes, without any payload."""
    b0 = 0x80 | opcode
    if length < 126:
        h = struct.pack("!BB", b0, 0x80 | length)
    elif length < 65536:
        h = struct.pack("!BBH", b0, 0x80 | 126, length)
    else:
        h = struct.pack("!BBQ", b0, 0x80 | 127, length)
    return h + b"\x01\x02\x03\x04"


BAD = {
    "oversize": [
        ("binary frame of limit+1 bytes", [frame(OP_BINARY, b"x" * (LIMIT + 1))], 1009),
        ("text frame of limit+1 bytes", [frame(OP_TEXT, b"y" * (LIMIT + 1))], 1009),
        ("header announcing 1 TiB, no payload", [_header(OP_BINARY, 1 << 40)], 1009),
        ("header announcing limit+1, no payload", [_header(OP_TEXT, LIMIT + 1)], 1009),
        ("fragments adding up to limit+1",
         [frame(OP_BINARY, b"a" * 30000, fin=False), frame(OP_CONT, b"b" * 30000, fin=False),
          frame(OP_CONT, b"c" * (LIMIT + 1 - 60000))], 1009),
        ("fragments, the third announcing too much, payload never sent",
         [frame(OP_TEXT, b"a" * 30000, fin=False), frame(OP_CONT, b"b" * 30000, fin=False),
          _header(OP_CONT, 10000)], 1009),
        ("64-bit length with the top bit set",
         [struct.pack("!BBQ", 0x82, 0xFF, 1 << 63) + b"\x01\x02\x03\x04"], 1002),
    ],
    "frames": [
        ("unmasked text frame", [frame(OP_TEXT, b"hello", mask=False)], 1002),
        ("unmasked empty binary frame", [frame(OP_BINARY, b"", mask=False)], 1002),
        ("reserved data opcode 0x3", [frame(0x3, b"x")], 1002),
        ("reserved data opcode 0x7", [frame(0x7, b"")], 1002),
        ("reserved control opcode 0xB", [frame(0xB, b"x")], 1002),
        ("reserved control opcode 0xF", [frame(0xF, b"")], 1002),
        ("RSV1 without an extension", [frame(OP_TEXT, b"hello", rsv=4)], 1002),
        ("RSV2", [frame(OP_BINARY, b"hello", rsv=2)], 1002),
        ("RSV3", [frame(OP_BINARY, b"hello", rsv=1)], 1002),
        ("RSV1 on a ping", [frame(OP_PING, b"p", rsv=4)], 1002),
        ("fragmented ping", [frame(OP_PING, b"part", fin=False)], 1002),
        ("fragmented ping inside a fragmented message",
         [frame(OP_TEXT, b"abc", fin=False), frame(OP_PING, b"p", fin=False)], 1002),
        ("fragmented close", [frame(OP_CLOSE, close_payload(1000), fin=False)], 1002),
        ("ping with 126 bytes", [frame(OP_PING, b"p" * 126)], 1002),
        ("continuation without a message", [frame(OP_CONT, b"orphan")], 1002),
        ("new text frame inside a fragmented message",
         [frame(OP_TEXT, b"abc", fin=False), frame(OP_TEXT, b"def")], 1002),
        ("close frame with a 1-byte payload", [frame(OP_CLOSE, b"\x03")], 1002),
        ("close code 1005 on the wire", [frame(OP_CLOSE, close_payload(1005))], 1002),
        ("close code 999", [frame(OP_CLOSE, close_payload(999))], 1002),
        ("close code 1016", [frame(OP_CLOSE, close_payload(1016))], 1002),
    ],
    "utf8": [
        ("invalid byte pair C3 28", [frame(OP_TEXT, b"\xc3\x28")], 1007),
        ("lone continuation byte", [frame(OP_TEXT, b"ok \x80")], 1007),
        ("overlong slash C0 AF", [frame(OP_TEXT, b"\xc0\xaf")], 1007),
        ("surrogate ED A0 80", [frame(OP_TEXT, b"a\xed\xa0\x80b")], 1007),
        ("code point above U+10FFFF", [frame(OP_TEXT, b"\xf4\x90\x80\x80")], 1007),
        ("byte FF", [frame(OP_TEXT, b"\xff")], 1007),
        ("message ending inside a character", [frame(OP_TEXT, b"euro \xe2\x82")], 1007),
        ("invalid first fragment, message never completed", [frame(OP_TEXT, b"abc\xff", fin=False)], 1007),
        ("character split across fragments and broken in the second, never completed",
         [frame(OP_TEXT, b"euro \xe2\x82", fin=False), frame(OP_CONT, b"\x28 more", fin=False)], 1007),
        ("valid fragments, then an invalid one, never completed",
         [frame(OP_TEXT, b"good ", fin=False), frame(OP_CONT, b"still good \xc3\xa9", fin=False),
          frame(OP_CONT, b"\xed\xbf\xbf", fin=False)], 1007),
        ("close reason not UTF-8", [frame(OP_CLOSE, close_payload(1000, b"bye \xff"))], 1007),
    ],
}


def good_cases(suite, c):
    """Valid traffic of the suite that must be echoed as usual."""
    if suite == "oversize":
        echo(c, b"z" * LIMIT, binary=True)
        echo(c, b"t" * LIMIT)
        c.send(frame(OP_BINARY, b"a" * 30000, fin=False) + frame(OP_CONT, b"b" * (LIMIT - 30000)))
        expect_message(c, OP_BINARY, b"a" * 30000 + b"b" * (LIMIT - 30000))
    elif suite == "frames":
        c.send(frame(OP_PING, b"p" * 125))
        expect_message(c, OP_PONG, b"p" * 125)
        # A ping between fragments is allowed (RFC 6455 5.4).
        c.send(frame(OP_TEXT, b"abc", fin=False) + frame(OP_PING, b"mid") + frame(OP_CONT, b"def"))
        expect_message(c, OP_PONG, b"mid")
        expect_message(c, OP_TEXT, b"abcdef")
        echo(c, b"", binary=True)
    elif suite == "utf8":
        euro = "\u20ac".encode()
        c.send(frame(OP_TEXT, b"a" + euro[:1], fin=False) + frame(OP_CONT, euro[1:2], fin=False)
               + frame(OP_CONT, euro[2:] + b"z"))
        expect_message(c, OP_TEXT, b"a" + euro + b"z")
        echo(c, "\U0010ffff \ud7ff \ue000".encode())
        echo(c, b"\xff\xfe not text", binary=True)


def expect_message(c, opcode, payload):
    f = c.read_frame(5.0)
    check(f is not None, "connection closed, expected opcode %d" % opcode)
    fin, rsv, op, data = f
    check(fin and rsv == 0 and op == opcode and data == payload,
          "expected opcode %d with %d bytes, got opcode %d with %d bytes" % (opcode, len(payload), op, len(data)))


def server_close_line(server_out, path, timeout=5.0):
    """The "CLOSE <id> ..." line of the connection that opened on `path`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = [l.split()[1] for l in server_log_lines(server_out, "OPEN ") if l.split()[2] == path]
        if ids:
            check(len(ids) == 1, "two connections opened on %s" % path)
            lines = [l for l in server_log_lines(server_out, "CLOSE ") if l.split()[1] == ids[0]]
            if lines:
                check(len(lines) == 1, "two close events for %s: %r" % (path, lines))
                return lines[0]
        time.sleep(0.02)
    raise Failure("no CLOSE line for the connection on %s" % path)


def main():
    port, server_out = int(sys.argv[1]), sys.argv[2]
    n = 0
    for suite in sys.argv[3:]:
        c = open_ws(port, "/good-%s" % suite)
        good_cases(suite, c)
        check(c.close_and_wait() == (1000, b""), "closing the good connection of %s" % suite)
        check(server_close_line(server_out, "/good-%s" % suite).split()[2] == "1000",
              "good connection of %s did not close with 1000" % suite)
        for i, (name, chunks, want) in enumerate(BAD[suite]):
            path = "/%s-%d" % (suite, i)
            c = open_ws(port, path)
            for chunk in chunks:
                try:
                    c.send(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break  # the server already refused an earlier chunk
            code, reason = c.expect_close(5.0, skip_data=False)
            check(code == want, "%s: closed with %d %r, expected %d" % (name, code, reason, want))
            rest = c.read_until_eof(5.0)
            check(rest == b"", "%s: %d bytes after the close frame" % (name, len(rest)))
            c.close()
            line = server_close_line(server_out, path)
            check(line.split()[2] == str(want), "%s: server logged %r, expected code %d" % (name, line, want))
            log("ok %-8s %-75s -> %d %s" % (suite, name, code, reason.decode(errors="replace")))
            n += 1
    log("%d bad cases closed with the right code" % n)


if __name__ == "__main__":
    run_main(main)
