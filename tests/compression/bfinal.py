"""Compressed messages that end DEFLATE streams with a final block (BFINAL
set, RFC 7692 7.2.3.4), sent with the raw client of wsraw.py: no browser or
Node client produces them, but zlib's Z_FINISH does.

    bfinal.py takeover PORT
    bfinal.py no-takeover PORT
    bfinal.py empty PORT

takeover (the client keeps its context): a message ending exactly on a final
block, then an independent message (a fresh stream); the RFC's own BFINAL
example, twice; a BFINAL message cut into fragments at several places (one
inside the final block, one an empty fragment) and the message after it;
two streams in one message; and a message whose stream refers back across
the final block into the previous message, which the server accepts: RFC
7692 7.2.2 has it inflate each message "using the LZ77 sliding window used
to process the last compressed message", final block or not.

no-takeover (client_no_context_takeover agreed): the same BFINAL and
fragment cases, then a back-reference into the previous message, which the
server refuses with 1002: it inflates every message with an empty window, as
7.2.2 allows, and the client had promised not to refer back.

empty (a server that keeps its own context and compresses even empty
messages): the server's empty messages must not break our inflater (an
empty message after a sync flush is the single byte 00, never an empty
payload).
"""
import sys
import zlib

from wsraw import OP_BINARY, OP_CONT, OP_TEXT, Conn, Inflater, check

PMD = "permessage-deflate"


def raw(data, final, zdict=None):
    """data as one fresh raw deflate stream: ending in a final block
    (final=True), or in a sync flush whose 00 00 FF FF is removed."""
    if zdict is None:
        z = zlib.compressobj(6, zlib.DEFLATED, -15)
    else:
        z = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=zdict)
    out = z.compress(data) + z.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
    if not final:
        check(out.endswith(b"\x00\x00\xff\xff"), "no sync flush tail")
        out = out[:-4]
    return out


def connect(port, path, offer, want):
    c = Conn(port, [offer], path)
    check(c.status == 101, "%s: handshake status %d" % (path, c.status))
    check(c.extension() == want, "%s: negotiated %r, expected %r" % (path, c.extension(), want))
    return c


def send(conn, payload, op=OP_TEXT, cuts=()):
    """One compressed message, in fragments cut at the given offsets."""
    bounds = [0] + list(cuts) + [len(payload)]
    for i in range(len(bounds) - 1):
        conn.send_frame(op if i == 0 else OP_CONT, payload[bounds[i]:bounds[i + 1]],
                        fin=(i == len(bounds) - 2), rsv1=(i == 0))


def echoed(conn, want, what, inflater=None):
    """The echo of our last message must be want (the server's messages
    inflate on their own unless an inflater with context is given)."""
    op, rsv1, payload = conn.read_message()
    if rsv1:
        payload = (inflater or Inflater(15, takeover=False)).inflate(payload)
    check(op in (OP_TEXT, OP_BINARY), "%s: got a close (%r) instead of the echo" % (what, payload[:40]))
    check(payload == want, "%s: echoed %r, expected %r" % (what, payload[:60], want[:60]))
    print("python: %s: echoed (%d bytes)" % (what, len(want)))


def common_cases(c, label):
    """BFINAL cases that need no context across messages."""
    hello = b"Hello, final block"
    send(c, raw(hello, True))
    echoed(c, hello, "%s: a message ending on a final block" % label)
    world = b"and then an independent message"
    send(c, raw(world, False))
    echoed(c, world, "%s: the fresh stream after it" % label)

    for i in range(2):
        send(c, bytes.fromhex("f348cdc9c9070000"))
        echoed(c, b"Hello", "%s: RFC 7692 7.2.3.4's BFINAL example, #%d" % (label, i + 1))

    text = ("fragmented, and the last block is final \u00e9 " * 40).encode()
    comp = raw(text, True)
    check(len(comp) > 20, "compressed text too short to cut")
    send(c, comp, cuts=(1, len(comp) // 2, len(comp) // 2, len(comp) - 3))
    echoed(c, text, "%s: a BFINAL message in 5 fragments (one empty, one cut 3 bytes before its end)" % label)
    send(c, raw(world, False), cuts=(2,))
    echoed(c, world, "%s: the fragmented fresh stream after it" % label)

    send(c, raw(b"two streams ", True) + raw(b"in one message", False), op=OP_BINARY)
    echoed(c, b"two streams in one message", "%s: a final block, then a second stream in the same message" % label)


def mode_takeover(port):
    c = connect(port, "/bfinal-takeover", PMD, PMD + "; server_no_context_takeover")
    common_cases(c, "takeover")
    # The decision of issue 18: a back-reference across the final block.
    first = b"a sentence the next message will refer back to, across a final block"
    send(c, raw(first, True))
    echoed(c, first, "takeover: BFINAL message")
    ref = raw(first, False, zdict=first)
    check(len(ref) < 20, "the reference message is not a back-reference (%d bytes)" % len(ref))
    send(c, ref, cuts=(1,))
    echoed(c, first, "takeover: a back-reference across the final block into the last message")
    # Within one message, too.
    send(c, raw(b"Hello", True) + raw(b"Hello", False, zdict=b"Hello"))
    echoed(c, b"HelloHello", "takeover: a back-reference across a final block inside one message")
    c.close()


def mode_no_takeover(port):
    c = connect(port, "/bfinal-no-takeover", PMD + "; client_no_context_takeover",
                PMD + "; server_no_context_takeover; client_no_context_takeover")
    common_cases(c, "no takeover")
    first = b"a sentence the next message must not refer back to"
    send(c, raw(first, True))
    echoed(c, first, "no takeover: BFINAL message")
    send(c, raw(first, False, zdict=first))
    code, reason = c.expect_close("no takeover: back-reference")
    check(code == 1002, "no takeover: a back-reference into a dropped window closed with %r (%s)" % (code, reason))
    print("python: no takeover: a back-reference into the previous message: closed with 1002 (%s)" % reason)


def mode_empty(port):
    c = connect(port, "/empty-after-sync-flush", PMD, PMD)
    inf = Inflater(15, takeover=True)
    d = zlib.compressobj(6, zlib.DEFLATED, -15)
    for text in (b"first message", b"", b"", b"after two empty messages", b""):
        out = d.compress(text) + d.flush(zlib.Z_SYNC_FLUSH)
        c.send_frame(OP_TEXT, out[:-4], rsv1=True)
        op, rsv1, payload = c.read_message()
        check(rsv1, "threshold 0: the server did not compress %r" % text)
        check(len(payload) > 0, "the server sent an empty compressed payload for %r" % text)
        got = inf.inflate(payload)
        check(got == text, "server context takeover: %r came back as %r" % (text, got))
    print("python: empty messages under server context takeover: each one byte, all inflated")
    c.close()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    {"takeover": mode_takeover, "no-takeover": mode_no_takeover, "empty": mode_empty}[mode](port)
    print("ok")


if __name__ == "__main__":
    main()
