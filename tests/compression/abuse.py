"""Hostile and broken compressed input, with the raw client of wsraw.py.

    abuse.py bomb PORT SERVER-PID MAX-MESSAGE-SIZE
    abuse.py errors PORT
    abuse.py unnegotiated PORT

bomb: decompression bombs against max_message_size (the inflated size
counts): exactly the limit is accepted, one byte more is 1009; a 60 MiB
zero-filled message deflated into one small frame, the same cut into
fragments, and 20 connections sending such a bomb at once are closed with
1009, while the server's VmRSS stays bounded (printed).

errors: corrupt deflate data (1002), compressed text that inflates to
invalid UTF-8 (1007, in one frame, across fragments, and with the bad byte
only at the end), RSV1 on a continuation frame (1002), RSV1 on a ping
(1002), RSV2/RSV3 (1002); and valid input that must work: the examples of
RFC 7692 section 7.2.3 byte for byte (one block, a window shared with the
previous message, fragments, a stored block, two blocks, a BFINAL block), an
empty stored block, an empty compressed message, a compressed message split
into fragments (some empty) with a ping between them, and, last, a
back-reference into the window right after a BFINAL message.

unnegotiated: a client that negotiated nothing and sets RSV1 gets 1002.
"""
import sys
import threading
import zlib

from wsraw import (OP_BINARY, OP_CONT, OP_PING, OP_TEXT, Conn, Deflater, Inflater, check, vm_rss_kib)

PMD = ["permessage-deflate"]


def negotiated(port, path):
    c = Conn(port, PMD, path)
    check(c.status == 101 and c.extension() is not None, "%s: permessage-deflate not negotiated" % path)
    return c


def read_plain(conn):
    """(opcode, payload) of the next message, inflated when compressed (the
    server keeps no context: each message inflates on its own)."""
    op, rsv1, payload = conn.read_message()
    return op, Inflater(15, takeover=False).inflate(payload) if rsv1 else payload


def zeros_deflated(n, final=False):
    """n zero bytes as one raw deflate stream ending in a sync flush (tail
    removed), or with a final block when final is set."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    out = []
    while n > 0:
        k = min(n, len(chunk))
        out.append(z.compress(chunk[:k]))
        n -= k
    if final:
        out.append(z.flush(zlib.Z_FINISH))
        return b"".join(out)
    out.append(z.flush(zlib.Z_SYNC_FLUSH))
    data = b"".join(out)
    check(data.endswith(b"\x00\x00\xff\xff"), "no sync flush tail")
    return data[:-4]


def expect_code(conn, code, what):
    got, reason = conn.expect_close(what)
    check(got == code, "%s: close code %r (%s), expected %d" % (what, got, reason, code))
    print("python: %s: closed with %d (%s)" % (what, got, reason))


def mode_bomb(port, pid, limit):
    rss0 = vm_rss_kib(pid)
    print("python: server VmRSS before: %d KiB" % rss0)

    # The limit is on the inflated size, exactly.
    c = negotiated(port, "/at-limit")
    d = Deflater()
    c.send_frame(OP_BINARY, d.compress(bytes(limit)), rsv1=True)
    op, payload = read_plain(c)
    check(op == OP_BINARY and payload == bytes(limit), "a message of exactly max_message_size was not echoed")
    c.close()
    print("python: %d bytes inflated (max_message_size) accepted" % limit)
    c = negotiated(port, "/over-limit")
    c.send_frame(OP_BINARY, Deflater().compress(bytes(limit + 1)), rsv1=True)
    expect_code(c, 1009, "%d bytes inflated" % (limit + 1))

    bomb = zeros_deflated(60 << 20)
    check(len(bomb) < limit, "the bomb frame itself is over max_message_size")
    print("python: bomb: %d compressed bytes -> 60 MiB" % len(bomb))
    c = negotiated(port, "/bomb-one-frame")
    c.send_frame(OP_BINARY, bomb, rsv1=True)
    expect_code(c, 1009, "60 MiB bomb in one frame")

    # Fragments: each small, all together far over the limit; the server
    # stops at the first fragment that crosses it, while we keep sending.
    c = negotiated(port, "/bomb-fragments")
    pieces = [bomb[i:i + 4096] for i in range(0, len(bomb), 4096)]
    for i, p in enumerate(pieces):
        if not c.send_frame(OP_BINARY if i == 0 else OP_CONT, p, fin=(i == len(pieces) - 1), rsv1=(i == 0)):
            break
    expect_code(c, 1009, "60 MiB bomb in %d fragments" % len(pieces))

    # Fragments that each inflate to under the limit, together over it.
    c = negotiated(port, "/fragments-add-up")
    d = Deflater()
    step = limit // 4
    for i in range(6):
        if not c.send_frame(OP_TEXT if i == 0 else OP_CONT, d.part(b"a" * step, i == 5), fin=(i == 5), rsv1=(i == 0)):
            break
    expect_code(c, 1009, "6 fragments of %d inflated bytes each" % step)

    # Twenty bombs at once: 1.2 GB if the server inflated them.
    conns = [negotiated(port, "/bomb-%d" % i) for i in range(20)]
    errors = []

    def one(conn, i):
        try:
            conn.send_frame(OP_BINARY, bomb, rsv1=True)
            got, _ = conn.expect_close("bomb %d" % i)
            if got != 1009:
                errors.append("bomb %d: close code %r" % (i, got))
        except Exception as e:  # reported below, the thread must not die silently
            errors.append("bomb %d: %r" % (i, e))

    threads = [threading.Thread(target=one, args=(conn, i)) for i, conn in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        check(not t.is_alive(), "a bomb connection hangs")
    check(not errors, "; ".join(errors))
    print("python: 20 concurrent 60 MiB bombs closed with 1009")

    c = negotiated(port, "/after-bombs")
    c.send_frame(OP_TEXT, Deflater().compress(b"still here " * 100), rsv1=True)
    op, payload = read_plain(c)
    check(payload == b"still here " * 100, "echo after the bombs")
    rss1 = vm_rss_kib(pid)
    c.close()
    print("python: server VmRSS after: %d KiB (growth %d KiB for 1.3 GB of bombs)" % (rss1, rss1 - rss0))
    # A few times the limit per connection would be tolerable; inflating any bomb would not.
    check(rss1 - rss0 < 64 * 1024, "server VmRSS grew by %d KiB" % (rss1 - rss0))


def mode_errors(port):
    d = Deflater()
    # Corrupt deflate data: block type 3 is reserved.
    c = negotiated(port, "/corrupt")
    c.send_frame(OP_BINARY, b"\xff\xff\xff\xff\xff\xff", rsv1=True)
    expect_code(c, 1002, "corrupt deflate data")

    c = negotiated(port, "/corrupt-after-good")
    c.send_frame(OP_BINARY, Deflater().compress(b"fine " * 30), rsv1=True)
    check(read_plain(c)[1] == b"fine " * 30, "good message before the corrupt one")
    c.send_frame(OP_BINARY, b"\x07\x00\xaa\xbb\xcc", rsv1=True)
    expect_code(c, 1002, "corrupt deflate data after a good message")

    c = negotiated(port, "/bad-utf8")
    c.send_frame(OP_TEXT, Deflater().compress(b"valid start \xc3\x28 then invalid"), rsv1=True)
    expect_code(c, 1007, "compressed text inflating to invalid UTF-8")

    c = negotiated(port, "/bad-utf8-fragments")
    d = Deflater()
    c.send_frame(OP_TEXT, d.part(b"ok so far " * 50, False), fin=False, rsv1=True)
    c.send_frame(OP_CONT, d.part(b"\xed\xa0\x80 (a surrogate)", True), fin=True)
    expect_code(c, 1007, "invalid UTF-8 in the second compressed fragment")

    c = negotiated(port, "/truncated-utf8")
    c.send_frame(OP_TEXT, Deflater().compress(b"ends in half a character \xe2\x82"), rsv1=True)
    expect_code(c, 1007, "compressed text ending in a truncated UTF-8 sequence")

    c = negotiated(port, "/rsv1-continuation")
    d = Deflater()
    c.send_frame(OP_TEXT, d.part(b"first part " * 10, False), fin=False, rsv1=True)
    c.send_frame(OP_CONT, d.part(b"second part", True), fin=True, rsv1=True)
    expect_code(c, 1002, "RSV1 on a continuation frame")

    c = negotiated(port, "/rsv1-continuation-uncompressed")
    c.send_frame(OP_TEXT, b"first part", fin=False)
    c.send_frame(OP_CONT, Deflater().compress(b"second part"), fin=True, rsv1=True)
    expect_code(c, 1002, "RSV1 on the continuation of an uncompressed message")

    c = negotiated(port, "/rsv1-ping")
    c.send_frame(OP_PING, b"x", rsv1=True)
    expect_code(c, 1002, "RSV1 on a ping")

    c = negotiated(port, "/rsv2")
    c.send_frame(OP_TEXT, b"hello", rsv2=True)
    expect_code(c, 1002, "RSV2 set")

    c = negotiated(port, "/rsv3")
    c.send_frame(OP_TEXT, Deflater().compress(b"hello"), rsv1=True, rsv3=True)
    expect_code(c, 1002, "RSV1 and RSV3 set")

    # Valid corner cases on one connection (the client keeps its context),
    # starting with the examples of RFC 7692 section 7.2.3, byte for byte.
    c = negotiated(port, "/corner-cases")
    hello = [
        ("7.2.3.1, one compressed block", [(True, "f248cdc9c90700")]),
        ("7.2.3.2, the LZ77 window shared with the previous message", [(True, "f200110000")]),
        ("7.2.3.1, fragmented", [(False, "f248cd"), (True, "c9c90700")]),
        ("7.2.3.3, a block with no compression", [(True, "000500faff48656c6c6f00")]),
        ("7.2.3.5, two blocks in one message", [(True, "f24805000000ffffcac9c90700")]),
        ("7.2.3.4, a block with BFINAL set", [(True, "f348cdc9c9070000")]),
    ]
    for what, frames in hello:
        for i, (fin, hexdata) in enumerate(frames):
            c.send_frame(OP_TEXT if i == 0 else OP_CONT, bytes.fromhex(hexdata), fin=fin, rsv1=(i == 0))
        op, payload = read_plain(c)
        check((op, payload) == (OP_TEXT, b"Hello"), "RFC 7692 %s: got %r" % (what, payload))
        print("python: RFC 7692 %s: Hello" % what)
    c.send_frame(OP_TEXT, b"\x00", rsv1=True)  # an empty stored block (header only)
    op, payload = read_plain(c)
    check(op == OP_TEXT and payload == b"", "a message of one empty stored block")
    d = Deflater()
    empty = d.compress(b"")
    c.send_frame(OP_BINARY, empty, rsv1=True)
    op, payload = read_plain(c)
    check(op == OP_BINARY and payload == b"", "an empty compressed binary message (%r)" % empty)
    data = ("fragmented \u20ac " * 3000).encode()
    comp = d.compress(data)
    cuts = [0, 1, 1, 7, len(comp) // 3, len(comp) // 3, len(comp) - 2, len(comp)]
    for i in range(len(cuts) - 1):
        c.send_frame(OP_TEXT if i == 0 else OP_CONT, comp[cuts[i]:cuts[i + 1]],
                     fin=(i == len(cuts) - 2), rsv1=(i == 0))
        if i == 2:
            c.send_frame(OP_PING, b"between fragments")
    op, payload = read_plain(c)
    check(payload == data, "a compressed message in %d fragments (some empty)" % (len(cuts) - 1))
    print("python: empty compressed messages, fragments (some empty) with a ping between: echoed")
    # After a BFINAL block the window still holds the last message (RFC 7692
    # 7.2.2: the server MUST decompress the next message with the window of
    # the last one): "Hello" again as a back-reference into it.
    c.send_frame(OP_TEXT, bytes.fromhex("f348cdc9c9070000"), rsv1=True)
    check(read_plain(c)[1] == b"Hello", "BFINAL message")
    z = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=b"Hello")
    ref = z.compress(b"Hello") + z.flush(zlib.Z_SYNC_FLUSH)
    c.send_frame(OP_TEXT, ref[:-4], rsv1=True)
    try:
        op, payload = read_plain(c)
    except Exception as e:
        raise AssertionError("a back-reference into the window after a BFINAL block: %r" % e)
    check((op, payload) == (OP_TEXT, b"Hello"),
          "a back-reference into the window after a BFINAL block: got %r %r" % (op, payload[:40]))
    print("python: a back-reference into the window after a BFINAL block: Hello")
    c.close()


def mode_unnegotiated(port):
    for offers, path in (([], "/no-offer"), (["x-webkit-deflate-frame"], "/declined-offer")):
        c = Conn(port, offers, path)
        check(c.status == 101 and c.extension() is None, "%s: an extension was negotiated" % path)
        c.send_frame(OP_TEXT, Deflater().compress(b"compressed without asking " * 4), rsv1=True)
        expect_code(c, 1002, "RSV1 without permessage-deflate (%s)" % path)


def main():
    mode = sys.argv[1]
    if mode == "bomb":
        mode_bomb(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "errors":
        mode_errors(int(sys.argv[2]))
    elif mode == "unnegotiated":
        mode_unnegotiated(int(sys.argv[2]))
    else:
        raise SystemExit("unknown mode " + mode)
    print("ok")


if __name__ == "__main__":
    main()
