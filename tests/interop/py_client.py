"""Interop client for the shell tests, built on Python's `websockets` (Debian's
python3-websockets, legacy asyncio API).

    /usr/bin/python3 tests/interop/py_client.py SCENARIO URL [ARGS...]

Every scenario raises (exit status 1, with the reason on stderr) on the first
mismatch and prints "OK <scenario>" on success.  The connection paths name the
scenario (e.g. /close-client) so that the shell test can find the matching
OPEN/CLOSE lines of tests/lib/echo_server.php.
"""
import asyncio
import random
import sys

import websockets
from websockets.frames import Close

TIMEOUT = 30


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def connect(url, **kw):
    # No client-side size limit (the default is 1 MiB), no keepalive pings of
    # our own: the scenarios decide every frame that leaves.
    kw.setdefault("max_size", None)
    kw.setdefault("ping_interval", None)
    kw.setdefault("open_timeout", TIMEOUT)
    kw.setdefault("close_timeout", TIMEOUT)
    return websockets.connect(url, **kw)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def roundtrip(ws, data, what):
    await ws.send(data)
    got = await recv(ws)
    check(type(got) is type(data), f"{what}: sent {type(data).__name__}, got {type(got).__name__} back")
    check(len(got) == len(data), f"{what}: sent {len(data)}, got {len(got)} back")
    check(got == data, f"{what}: content differs")


# Maps every byte to one of 64 printable ASCII characters.
ASCII_TABLE = bytes(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ."[i % 64] for i in range(256))


def text_of_size(n, rng):
    return rng.randbytes(n).translate(ASCII_TABLE).decode("ascii")


# Sizes around every frame-length encoding boundary, and a large message.
SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 8 * 1024 * 1024]


async def scenario_echo(url, path="/echo", **kw):
    rng = random.Random(6455)
    async with connect(url + path, **kw) as ws:
        for n in SIZES:
            await roundtrip(ws, rng.randbytes(n), f"binary {n}")
            await roundtrip(ws, text_of_size(n, rng), f"text {n}")
        # Multi-byte UTF-8: 2-, 3- and 4-byte sequences, short and long (the
        # long one crosses the 16- and 64-bit length boundaries in bytes).
        sample = "h\u00e9llo w\u00f6rld \u20ac \u65e5\u672c\u8a9e \U0001d11e \U0001f600 "
        for reps in (1, 7, 3000, 200000):
            await roundtrip(ws, sample * reps, f"utf-8 x{reps}")
        # Bytes that are not UTF-8 are fine in a binary message.
        await roundtrip(ws, b"\xff\xfe\xc3\x28\x00", "binary non-utf-8")


async def scenario_echo_plain(url):
    # The same without offering permessage-deflate (the default offers it).
    await scenario_echo(url, "/echo-plain", compression=None)


async def scenario_fragments(url):
    async with connect(url + "/fragments") as ws:
        # A text message in three fragments.
        await ws.send(["Hel", "lo, ", "w\u00f6rld \u20ac"])
        check(await recv(ws) == "Hello, w\u00f6rld \u20ac", "text fragments")
        # A binary message in 200 fragments of 1000 bytes.
        rng = random.Random(1)
        parts = [rng.randbytes(1000) for _ in range(200)]
        await ws.send(parts)
        got = await recv(ws)
        check(got == b"".join(parts), "200 binary fragments")
        # Empty fragments, including the first and the last.
        await ws.send(["", "a", "", "b", ""])
        check(await recv(ws) == "ab", "empty fragments")
        # Fragments that together cross the 64 KiB length boundary, sent from
        # an async iterator that sends a ping between two fragments: the
        # server must answer a control frame in the middle of a message.
        big = [rng.randbytes(40000), rng.randbytes(40000), rng.randbytes(5)]
        waiters = []

        async def pieces():
            yield big[0]
            waiters.append(await ws.ping(b"mid-message"))
            yield big[1]
            yield big[2]

        await ws.send(pieces())
        got = await recv(ws)
        check(got == b"".join(big), "fragments with an interleaved ping")
        check(len(waiters) == 1, "the ping was sent")
        await asyncio.wait_for(waiters[0], TIMEOUT)
        # A single-fragment iterable is a plain message.
        await ws.send(iter(["only"]))
        check(await recv(ws) == "only", "single fragment")


async def scenario_ping(url):
    async with connect(url + "/ping") as ws:
        # Client ping: the server answers with a pong carrying the payload.
        for payload in (b"", b"client-ping", bytes(range(125))):
            waiter = await ws.ping(payload)
            await asyncio.wait_for(waiter, TIMEOUT)
        # Server ping: the library answers by itself through ws.pong(); record
        # the payloads it answers to.
        answered = []
        library_pong = ws.pong

        async def recording_pong(data=b""):
            answered.append(bytes(data) if not isinstance(data, str) else data.encode())
            await library_pong(data)

        ws.pong = recording_pong
        await ws.send("ping")
        # The echo of the next message comes after the server's ping, so by
        # the time it arrives the ping has been read and answered.
        await roundtrip(ws, "after-ping", "echo after a server ping")
        check(answered == [b"server-ping"], f"server ping answered with {answered!r}")
        # The server is still happy with us: more traffic, then a clean close.
        await roundtrip(ws, b"\x01\x02", "echo after the pong")
    check(ws.close_code == 1000, f"close code {ws.close_code}")


async def scenario_close_client(url):
    ws = await connect(url + "/close-client")
    await roundtrip(ws, "hello", "echo before closing")
    await asyncio.wait_for(ws.close(4001, "bye"), TIMEOUT)
    # The server echoes the status code (RFC 6455 5.5.1) without a reason.
    check(ws.close_sent.code == 4001 and ws.close_sent.reason == "bye", "close frame sent")
    check(ws.close_rcvd is not None, "no close frame came back")
    check(ws.close_rcvd.code == 4001, f"echoed code {ws.close_rcvd.code}")
    check(ws.close_rcvd.reason == "", f"echoed reason {ws.close_rcvd.reason!r}")


async def scenario_close_server(url):
    ws = await connect(url + "/close-server")
    await ws.send("close:4002:server-bye")
    try:
        msg = await recv(ws)
        raise AssertionError(f"unexpected message {msg!r}")
    except websockets.ConnectionClosed as e:
        check(e.rcvd is not None, "no close frame received")
        check(e.rcvd.code == 4002, f"close code {e.rcvd.code}")
        check(e.rcvd.reason == "server-bye", f"close reason {e.rcvd.reason!r}")
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    check(ws.close_code == 4002 and ws.close_reason == "server-bye", "close code and reason")
    # Our reply echoed the server's frame, so the close event saw it too.
    check(ws.close_sent is not None and ws.close_sent.code == 4002, "close frame echoed")
    # A long reason (123 bytes, the maximum) with multi-byte characters.
    reason = "\u00e9" * 61 + "x"
    ws = await connect(url + "/close-server-long")
    await ws.send(f"close:4999:{reason}")
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    check(ws.close_code == 4999, f"close code {ws.close_code}")
    check(ws.close_reason == reason, f"close reason {ws.close_reason!r}")


async def scenario_close_codes(url):
    # Valid codes the library sends: the server reports each one.
    for code in (1000, 1001, 1003, 1011, 3000, 4999):
        ws = await connect(url + f"/valid-{code}")
        await asyncio.wait_for(ws.close(code, f"r{code}"), TIMEOUT)
        check(ws.close_rcvd is not None and ws.close_rcvd.code == code, f"code {code} echoed")


async def scenario_close_invalid(url):
    # websockets refuses to serialize an invalid code, but write_close_frame()
    # takes the raw payload: the server must fail the connection with 1002
    # (1007 for a reason that is not UTF-8) and say why.
    cases = [
        ("code-999", (999).to_bytes(2, "big"), 1002, "invalid close code"),
        ("code-1004", (1004).to_bytes(2, "big"), 1002, "invalid close code"),
        ("code-1005", (1005).to_bytes(2, "big"), 1002, "invalid close code"),
        ("code-1006", (1006).to_bytes(2, "big"), 1002, "invalid close code"),
        ("code-1015", (1015).to_bytes(2, "big"), 1002, "invalid close code"),
        ("code-2999", (2999).to_bytes(2, "big"), 1002, "invalid close code"),
        ("code-5000", (5000).to_bytes(2, "big"), 1002, "invalid close code"),
        ("one-byte", b"\x03", 1002, "close frame with a 1-byte payload"),
        ("bad-utf8", (1000).to_bytes(2, "big") + b"\xc3\x28", 1007, "invalid UTF-8 in text"),
    ]
    for name, payload, want_code, want_reason in cases:
        ws = await connect(url + f"/invalid-{name}")
        await roundtrip(ws, name, "echo before the invalid close")
        await ws.write_close_frame(Close(1000, ""), payload)
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        check(ws.close_rcvd is not None, f"{name}: no close frame from the server")
        check(ws.close_rcvd.code == want_code, f"{name}: code {ws.close_rcvd.code}, expected {want_code}")
        check(ws.close_rcvd.reason == want_reason, f"{name}: reason {ws.close_rcvd.reason!r}")


async def scenario_subprotocol(url):
    # The server speaks ["chat.v2", "chat.v1"]: it takes the first the
    # client offers that it speaks.
    cases = [
        ("sp-both", ["chat.v1", "chat.v2"], "chat.v1"),
        ("sp-v2", ["unknown", "chat.v2"], "chat.v2"),
        ("sp-unknown", ["unknown"], None),
        ("sp-none", None, None),
    ]
    for path, offer, want in cases:
        async with connect(f"{url}/{path}", subprotocols=offer) as ws:
            check(ws.subprotocol == want, f"{path}: negotiated {ws.subprotocol!r}, expected {want!r}")
            await roundtrip(ws, path, f"{path}: echo")


async def scenario_simple(url):
    # One echo of each type, then a clean close (for the IPv6 test).
    async with connect(url) as ws:
        await roundtrip(ws, "hello \u20ac", "text")
        await roundtrip(ws, bytes(range(256)) * 300, "binary")
    check(ws.close_code == 1000, f"close code {ws.close_code}")


SCENARIOS = {
    "echo": scenario_echo,
    "echo-plain": scenario_echo_plain,
    "fragments": scenario_fragments,
    "ping": scenario_ping,
    "close-client": scenario_close_client,
    "close-server": scenario_close_server,
    "close-codes": scenario_close_codes,
    "close-invalid": scenario_close_invalid,
    "subprotocol": scenario_subprotocol,
    "simple": scenario_simple,
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: py_client.py {{{'|'.join(SCENARIOS)}}} URL")
    asyncio.run(asyncio.wait_for(SCENARIOS[sys.argv[1]](sys.argv[2]), 120))
    print(f"OK {sys.argv[1]}")


if __name__ == "__main__":
    main()
