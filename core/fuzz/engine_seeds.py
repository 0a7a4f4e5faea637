#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_engine.c into core/fuzz/corpus/engine/.

Each seed is: 6 configuration bytes, the control program, SEP, the action
tape, then SEP and the bytes of each peer (see the comment at the top of
fuzz_engine.c for what every byte means).  The peers' bytes are what the
existing suites send: a valid handshake, then masked frames of every kind
(core/tests/test_frame.c vectors, Autobahn-style fragmentation, pings
between fragments, close), plus a few abusive ones.

    python3 core/fuzz/engine_seeds.py      (rewrites the seeds)
"""
import os
import struct
import zlib

SEP = b"\n--\n"
KEY = b"\x37\xfa\x21\x3d"  # the RFC 6455 5.7 example key

# Control program bytes: kind in the low 3 bits, argument above.
def send(peer, size_index):      # 0: peer sends chunk[size_index] bytes (1,2,5,17,100,700,4000,all)
    return bytes([0 | ((size_index << 2 | peer) << 3)])

def iterate(n=1):                # 1: n iterations (1-4)
    return bytes([1 | ((n - 1) << 3)])

def time_step(i):                # 2: advance 1, 9, 100, 999, 1000, 5000, 30000 or 100000 ms
    return bytes([2 | (i << 3)])

def peer(p, what):               # 3: 0 stop reading, 1 read, 2 half-close, 3 close, 4 reconnect,
    return bytes([3 | ((what << 2 | p) << 3)])  # 5 read once, 6 send all, 7 shut reading

def outside(p):                  # 4: one action of the tape, outside any handler
    return bytes([4 | (p << 3)])

def round_robin(size_index, rounds=1):   # 5: every peer sends chunk[size_index], rounds times
    return bytes([5 | ((((rounds - 1) << 3) | size_index) << 3)])

def stop():                      # 6: ws_server_stop()
    return bytes([6])

def timeout(which, delta=1):     # 7: handshake, idle, ping, pong, close, shutdown, linger, accept pause
    return bytes([7 | (((delta + 1) << 3 | which) << 3)])

# Action tape bytes: kind in the low 4 bits, argument above.  Every handler
# call takes one, on_handshake included.
def action(kind, arg=0):
    return bytes([kind | (arg << 4)])

NOTHING, SEND, SEND_REF, CLOSE, SUB, UNSUB, PUBLISH, BROADCAST, PING, STOP, CLOSE_OTHER, \
    SEND_OTHER, TIMER, RESPOND, TWO, INTROSPECT = range(16)


def handshake(path="/", extra=""):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
            % (path, extra)).encode()


def frame(op, payload=b"", fin=True, rsv1=False, masked=True):
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | op
    n = len(payload)
    if n < 126:
        head = bytes([b0, (0x80 if masked else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if masked else 0) | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, (0x80 if masked else 0) | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    body = bytes(c ^ KEY[i % 4] for i, c in enumerate(payload))
    return head + KEY + body


def text(s, **kw):
    return frame(1, s.encode() if isinstance(s, str) else s, **kw)


def binary(b, **kw):
    return frame(2, b, **kw)


def close(code=1000, reason=b""):
    return frame(8, struct.pack(">H", code) + reason)


def deflated(data):
    c = zlib.compressobj(wbits=-15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def seed(config, program, tape, *peers):
    config = list(config) + [0] * (6 - len(config))
    out = bytes(config) + program + SEP + tape
    for p in peers:
        assert SEP not in p
        out += SEP + p
    assert SEP not in program and SEP not in tape
    return out


SEEDS = {
    # Echo: text, binary, close, delivered whole.
    "echo": seed([0, 0, 0, 0, 0], send(0, 7) * 3, b"",
                 handshake("/echo") + text("Hello") + binary(bytes(range(256))) + close(1000, b"bye")),
    # One byte at a time, then 5: a fragmented text with a ping between the
    # fragments, an empty fragment, a binary with a 16-bit length, a pong.
    "fragments_ping": seed([0, 0, 0, 0, 0], send(0, 0) * 40 + send(0, 2) * 40 + send(0, 6) * 20, b"",
                           handshake() + text("Hel", fin=False) + frame(9, b"ping!")
                           + frame(0, b"", fin=False) + frame(0, b"lo") + binary(b"z" * 300)
                           + frame(10, b"unsolicited pong") + close(1001)),
    # Two peers subscribe on open; every message is published to the topic.
    "pubsub": seed([0, 0, 0, 0, 0], round_robin(7, 2) + iterate(2),
                   action(NOTHING) + action(SUB, 1) + action(NOTHING) + action(SUB, 1) + action(PUBLISH, 1) + bytes([5])
                   + action(PUBLISH, 1) + bytes([13]) + action(BROADCAST, 5),
                   handshake("/a") + text("to all") + close(),
                   handshake("/b") + text("me too") + close(4000)),
    # permessage-deflate: a compressed "Hello" (RFC 7692 7.2.3.1), a compressed
    # fragmented message, then compressed replies (threshold 0).
    "deflate": seed([0x01 | 0x04, 0, 0x80, 0, 0], send(0, 7) * 2 + iterate(2),
                    action(NOTHING) + action(SEND, 7) + action(SEND, 5),
                    handshake(extra="Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")
                    + text(deflated(b"Hello"), rsv1=True)
                    + text(deflated(b"Hello, fragmented")[:4], rsv1=True, fin=False)
                    + frame(0, deflated(b"Hello, fragmented")[4:]) + close()),
    # Timeouts: a silent peer after its handshake (ping 40 ms, pong 30 ms), one
    # stuck in its handshake (30 ms), an idle one (50 ms).
    "timeouts": seed([0, (2 << 3) | (1 << 5), 2 | 4, 0, 0],
                     send(0, 7) + send(1, 4) + send(2, 7) + timeout(2) + timeout(3) + timeout(0)
                     + timeout(1) + time_step(3) + time_step(3),
                     b"",
                     handshake(), handshake()[:60], handshake("/idle") + text("once")),
    # Backpressure: small socket buffers, a 4 KiB budget per connection; the
    # peer stops reading while every message is answered with 70,000 bytes.
    "backpressure": seed([(2 << 4) | 0x40, 0, 0, 0, 0],
                         send(0, 7) + peer(0, 0) + send(0, 7) * 4 + iterate(4) + peer(0, 1) + iterate(4),
                         action(NOTHING) * 2 + action(SEND, 7) * 4 + action(SEND_REF, 7) * 4,
                         handshake() + text("a") + text("b") + text("c") + text("d") + close()),
    # Abuse: an unmasked frame, invalid UTF-8, an oversized frame (64-byte
    # limit), a plain HTTP request, and junk instead of a handshake.
    "abuse": seed([0, 0x04 | 1, 0, 0, 0], round_robin(7) + iterate(2) + time_step(4) * 2, b"",
                  handshake() + text("unmasked", masked=False),
                  handshake() + text(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"),
                  handshake() + binary(b"x" * 200),
                  b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"),
    # permessage-deflate with client_no_context_takeover: a 100 KB text that
    # inflates from a few bytes, in two frames (gathered, then released), and
    # a compressed text that is not UTF-8 (1007).
    "deflate_big": seed([0x01, 0, 0, 0, 0], send(0, 7) * 2 + iterate(3), action(NOTHING) * 2,
                        handshake(extra="Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n")
                        + text(deflated(b"a" * 100000)[:6], rsv1=True, fin=False)
                        + frame(0, deflated(b"a" * 100000)[6:])
                        + text(deflated(b"\xed\xa0\x80 not UTF-8"), rsv1=True) + close()),
    # Subprotocols and origins: the 101 gets the subprotocol the handler picks
    # and its extra header; a wrong origin gets 403.
    "handshake_options": seed([0, 0, 0, 0x30, 0], send(0, 7) + send(1, 7) + iterate(2),
                              action(RESPOND, 8 | 3) + action(SEND, 5),
                              handshake(extra="Origin: http://ok.example\r\nSec-WebSocket-Protocol: superchat, chat\r\n")
                              + text("picked") + close(),
                              handshake(extra="Origin: http://evil.example\r\n")),
    # A handler error in on_message: run() would stop, and the binding closes everything with 1011.
    "break_in_message": seed([0, 0, 0, 0, 0], send(0, 7) + send(1, 7) + iterate(1),
                             action(NOTHING) * 2 + action(STOP, 7),
                             handshake() + text("boom"), handshake() + text("bystander")),
    # The memory budget (24 KiB, small socket buffers): two peers that do not
    # read, whose messages are answered with 70,000 bytes; the largest queue
    # is shed (1008).
    "memory_budget": seed([0x80 | 0x40, 0, 0, 0, 0, 0x08],
                          peer(0, 0) + peer(1, 0) + round_robin(7) + iterate(3) + peer(0, 1) + iterate(3),
                          action(NOTHING) * 4 + action(SEND, 7) * 2,
                          handshake() + text("one"), handshake() + text("two")),
    # The memory budget on input: the first half of a compressed message
    # that inflates to 100 KB waits for its second half; the sender is shed.
    "memory_budget_in": seed([0x81, 0, 0, 0, 0, 0x08],
                             send(0, 7) + time_step(0) + send(0, 7) + iterate(2), action(NOTHING) * 2,
                             handshake(extra="Sec-WebSocket-Extensions: permessage-deflate\r\n")
                             + text(deflated(b"b" * 100000)[:-2], rsv1=True, fin=False)),
    # Plain HTTP against a document root: a file, a missing one, HEAD.
    "static_files": seed([0, 0, 0, 0, 0, 0x04], round_robin(7) + iterate(2), b"",
                         b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
                         b"GET /missing.txt HTTP/1.1\r\nHost: x\r\n\r\n",
                         b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"),
    # IPv4-mapped IPv6 peers, one connection per address: the third is refused (503).
    "per_ip": seed([0, 0, 0, 1 << 2, 0, 3], round_robin(7) + iterate(2) + peer(0, 4) + send(0, 7) + iterate(2), b"",
                   handshake() + close(), handshake() + close(), handshake() + close()),
    # The metrics endpoint for loopback peers: a scrape in the Prometheus text
    # format, one in OpenMetrics, HEAD, beside a WebSocket peer that reconnects;
    # then with a token, from IPv6 peers: the right token, a wrong one, none (403).
    "metrics": seed([0, 0, 0, 0x40, 0, 1], round_robin(7) + iterate(2) + peer(3, 4) + send(3, 7) + iterate(2),
                    b"",
                    b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n",
                    b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                    handshake() + text("counted") + close()),
    "metrics_token": seed([0, 0, 0, 0xC0, 0, 2], round_robin(7) + iterate(2), b"",
                          b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer fuzz\r\n\r\n",
                          b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n",
                          b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
    # Handlers that stop the server, close from on_open, and refuse a
    # handshake; a peer that half-closes and one that reconnects.
    "stop_close_refuse": seed([0, 0, 0, 0, 0],
                              send(0, 7) + send(1, 7) + send(2, 7) + peer(1, 2) + peer(2, 4) + send(2, 7)
                              + iterate(2) + stop() + timeout(5),
                              action(RESPOND, 1) + action(CLOSE, 2) + action(TIMER, 1) + action(STOP),
                              handshake() + text("x"),
                              handshake() + text("y"),
                              handshake() + text("z") + close()),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "engine")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-20s %6d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
