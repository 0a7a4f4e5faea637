"""The permessage-deflate negotiation table: offers and the exact answers
they get, for one server configuration (GROUP).

    negotiation.py GROUP PORT

The expected strings follow ws_pmd_negotiate (core/ws_deflate.c) and RFC
7692: the first acceptable offer wins; an offer with an unknown, repeated or
invalid parameter is declined (the next one is tried) and the handshake
still succeeds (101) without the extension; server_no_context_takeover is
sent unless the server keeps its context; server_max_window_bits is sent
when offered or when the server's window is under 15; client_max_window_bits
only when offered and under 15; client_no_context_takeover always, unless
the server lets clients keep their context (then when offered).

Every accepted case then exchanges messages that check the server honours
what it answered: its frames inflate within the announced window (checked
strictly, see wsraw.Inflater) and, with server_no_context_takeover, each
message inflates on its own; messages under compression_threshold (64
unless the group sets it) are sent uncompressed (RSV1 clear), others
compressed; and the server inflates our messages, compressed with our
context kept unless client_no_context_takeover was agreed.
"""
import os
import sys

from wsraw import OP_BINARY, OP_TEXT, Conn, Deflater, Inflater, check, parse_extension

PMD = "permessage-deflate"
SNCT = "; server_no_context_takeover"
CNCT = "; client_no_context_takeover"

# (offer headers, expected answer or None for no extension), for a server that
# lets clients keep their context (compression_context_takeover =>
# ["client" => true]): client_no_context_takeover only when offered.
CLIENT_TAKEOVER = [
    (["permessage-deflate"], PMD + SNCT),
    (["permessage-deflate; client_max_window_bits"], PMD + SNCT),
    (["permessage-deflate; client_max_window_bits=15"], PMD + SNCT),
    (["permessage-deflate; client_max_window_bits=10"], PMD + SNCT + "; client_max_window_bits=10"),
    (["permessage-deflate; client_max_window_bits=8"], PMD + SNCT + "; client_max_window_bits=8"),
    (['permessage-deflate; client_max_window_bits="10"'], PMD + SNCT + "; client_max_window_bits=10"),
    (["permessage-deflate; server_max_window_bits=10"], PMD + SNCT + "; server_max_window_bits=10"),
    (["permessage-deflate; server_max_window_bits=9"], PMD + SNCT + "; server_max_window_bits=9"),
    (["permessage-deflate; server_max_window_bits=15"], PMD + SNCT + "; server_max_window_bits=15"),
    (["permessage-deflate; server_max_window_bits=8, permessage-deflate"], PMD + SNCT),
    (["permessage-deflate; server_max_window_bits=8"], None),
    (["permessage-deflate; server_no_context_takeover"], PMD + SNCT),
    (["permessage-deflate; client_no_context_takeover"], PMD + SNCT + CNCT),
    (["permessage-deflate;client_no_context_takeover;server_no_context_takeover"], PMD + SNCT + CNCT),
    (["permessage-deflate; server_max_window_bits=12; client_max_window_bits=11; "
      "server_no_context_takeover; client_no_context_takeover"],
     PMD + SNCT + CNCT + "; server_max_window_bits=12; client_max_window_bits=11"),
    (["Permessage-Deflate; Client_Max_Window_Bits=9"], PMD + SNCT + "; client_max_window_bits=9"),
    (["permessage-deflate; foo=1"], None),
    (["permessage-deflate; foo=1, permessage-deflate; client_max_window_bits=9"],
     PMD + SNCT + "; client_max_window_bits=9"),
    (["permessage-deflate; server_no_context_takeover; server_no_context_takeover"], None),
    (["permessage-deflate; client_max_window_bits=9; client_max_window_bits=10"], None),
    (["permessage-deflate; server_no_context_takeover=1"], None),
    (["permessage-deflate; server_max_window_bits"], None),
    (["permessage-deflate; client_max_window_bits=16"], None),
    (["permessage-deflate; client_max_window_bits=7"], None),
    (["permessage-deflate; client_max_window_bits=010"], None),
    (["permessage-deflate; server_max_window_bits=abc"], None),
    (["x-webkit-deflate-frame"], None),
    (["x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=12"],
     PMD + SNCT + "; client_max_window_bits=12"),
    (["x-webkit-deflate-frame", "permessage-deflate; client_max_window_bits=11"],
     PMD + SNCT + "; client_max_window_bits=11"),
    (["permessage-deflate; ="], None),
    ([], None),
]



def with_cnct(cases):
    """The same cases for a server that refuses client context takeover (the
    default): every accepted offer is answered with client_no_context_takeover,
    which RFC 7692 7.1.1.1 lets a server add unrequested."""
    out = []
    for offers, answer in cases:
        if answer is not None and CNCT not in answer:
            answer = answer.replace(SNCT, SNCT + CNCT) if SNCT in answer else answer.replace(PMD, PMD + CNCT, 1)
        out.append((offers, answer))
    return out


DEFAULT = with_cnct(CLIENT_TAKEOVER)

GROUPS = {
    # name: (cases, compression_threshold)
    "default": (DEFAULT, 64),
    "client-takeover": (CLIENT_TAKEOVER, 64),
    "disabled": ([(offers, None) for offers, _ in DEFAULT], 64),
    "server-takeover": ([
        (["permessage-deflate"], PMD),
        (["permessage-deflate; client_max_window_bits"], PMD),
        (["permessage-deflate; server_no_context_takeover"], PMD + SNCT),
        (["permessage-deflate; client_no_context_takeover"], PMD + CNCT),
        (["permessage-deflate; server_max_window_bits=10"], PMD + "; server_max_window_bits=10"),
    ], 64),
    "window-10": (with_cnct([
        (["permessage-deflate"], PMD + SNCT + "; server_max_window_bits=10"),
        (["permessage-deflate; client_max_window_bits"],
         PMD + SNCT + "; server_max_window_bits=10; client_max_window_bits=10"),
        (["permessage-deflate; client_max_window_bits=12"],
         PMD + SNCT + "; server_max_window_bits=10; client_max_window_bits=10"),
        (["permessage-deflate; client_max_window_bits=9"],
         PMD + SNCT + "; server_max_window_bits=10; client_max_window_bits=9"),
        (["permessage-deflate; server_max_window_bits=12"], PMD + SNCT + "; server_max_window_bits=10"),
        (["permessage-deflate; server_max_window_bits=9"], PMD + SNCT + "; server_max_window_bits=9"),
    ]), 64),
    # compression_context_takeover => ["client" => false]: RFC 7692 7.1.1.2
    # lets the server ask for client_no_context_takeover unprompted, and that
    # is what the option is documented to do.
    "client-no-takeover": ([
        (["permessage-deflate"], PMD + SNCT + CNCT),
        (["permessage-deflate; client_no_context_takeover"], PMD + SNCT + CNCT),
    ], 64),
    "threshold-0": ([
        (["permessage-deflate"], PMD + SNCT + CNCT),
    ], 0),
}


def exchange(conn, answer, threshold):
    """Messages both ways under the negotiated parameters."""
    _, params = parse_extension(answer)
    s_bits = int(params.get("server_max_window_bits") or 15)
    c_bits = int(params.get("client_max_window_bits") or 15)
    s_takeover = "server_no_context_takeover" not in params
    c_takeover = "client_no_context_takeover" not in params
    inflater = Inflater(s_bits, s_takeover)
    deflater = Deflater(c_bits, c_takeover)
    block = os.urandom(3000)  # repeated 3000 bytes apart: farther than windows under 12 bits
    messages = [
        (OP_TEXT, b""),
        (OP_TEXT, b"a" * (threshold - 1) if threshold else b"x"),
        (OP_TEXT, b"b" * threshold if threshold else b""),
        (OP_BINARY, os.urandom(500)),
        (OP_TEXT, ("h\u00e9llo " * 4000).encode()),
        (OP_BINARY, block * 40),
        (OP_BINARY, block * 40),  # again: a context kept across messages would reference the last one
        (OP_TEXT, b"short"),
    ]
    # Our messages: small ones within any window; the repeated block is
    # only sent when our window (>= 12 bits) covers its distance.
    for op, data in messages:
        compress = len(data) <= 256 or c_bits >= 12
        if compress:
            ok = conn.send_frame(op, deflater.compress(data), rsv1=True)
        else:
            ok = conn.send_frame(op, data)
        check(ok, "the server closed the socket")
        rop, rsv1, payload = conn.read_message()
        check(rop == op, "echo opcode %d for %d" % (rop, op))
        should = len(data) >= threshold
        check(rsv1 == should, "a %d-byte message came back with RSV1=%s (threshold %d)" % (len(data), rsv1, threshold))
        got = inflater.inflate(payload) if rsv1 else payload
        check(got == data, "echo of %d bytes differs after inflating (%d bytes)" % (len(data), len(got)))


def main():
    group, port = sys.argv[1], int(sys.argv[2])
    cases, threshold = GROUPS[group]
    failed = 0
    for offers, expected in cases:
        conn = Conn(port, offers, "/negotiate")
        try:
            check(conn.status == 101, "status %d" % conn.status)
            got = conn.extension()
            if got != expected:
                failed += 1
                print("FAIL %s: %r -> %r, expected %r" % (group, offers, got, expected))
                conn.close()
                continue
            if got is not None:
                exchange(conn, got, threshold)
            else:
                # No extension: plain frames still work.
                conn.send_frame(OP_TEXT, b"plain " * 20)
                op, rsv1, payload = conn.read_message()
                check((op, rsv1, payload) == (OP_TEXT, False, b"plain " * 20), "plain echo")
            conn.close()
            print("ok   %s: %r -> %r" % (group, offers, got))
        except AssertionError as e:
            failed += 1
            print("FAIL %s: %r -> %r: %s" % (group, offers, conn.extension(), e))
    if failed:
        print("%d of %d cases failed" % (failed, len(cases)))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
