"""Python websockets (which offers permessage-deflate by default) against
the echo server.

    pmd_py.py URL [client-takeover]

Checks the Sec-WebSocket-Extensions answer to websockets' default offer
("permessage-deflate; client_max_window_bits") and to explicit
ClientPerMessageDeflateFactory settings, then echoes text, binary, empty,
multi-byte UTF-8, large compressible and large random messages, and
fragmented messages (websockets sends an iterable as fragments).  The
default server answers every offer with client_no_context_takeover (its
shared inflater); "client-takeover" is a server with
compression_context_takeover => ["client" => true], which adds it only when
offered.
"""
import asyncio
import os
import sys

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

WAIT = 30


def check(cond, what):
    if not cond:
        raise AssertionError(what)


async def roundtrip(ws, data):
    await asyncio.wait_for(ws.send(data), WAIT)
    got = await asyncio.wait_for(ws.recv(), WAIT)
    check(type(got) is type(data), "echo type %s for %s" % (type(got).__name__, type(data).__name__))
    check(got == data, "echo of %d bytes differs" % len(data))


async def fragments(ws, parts):
    await asyncio.wait_for(ws.send(iter(parts)), WAIT)
    got = await asyncio.wait_for(ws.recv(), WAIT)
    whole = parts[0][:0].join(parts)
    check(got == whole, "fragmented echo of %d bytes differs" % len(whole))


CASES = [
    ("default offer", {}, "permessage-deflate; server_no_context_takeover"),
    ("server_no_context_takeover", dict(server_no_context_takeover=True),
     "permessage-deflate; server_no_context_takeover"),
    ("client_no_context_takeover", dict(client_no_context_takeover=True),
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
    ("server_max_window_bits=10", dict(server_max_window_bits=10),
     "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"),
    ("client_max_window_bits=9", dict(client_max_window_bits=9),
     "permessage-deflate; server_no_context_takeover; client_max_window_bits=9"),
]


def expectations(mode):
    if mode == "client-takeover":
        return CASES
    cnct = "; client_no_context_takeover"
    snct = "; server_no_context_takeover"
    return [(n, kw, e if cnct in e else e.replace(snct, snct + cnct)) for n, kw, e in CASES]


async def main(url, mode):
    block = os.urandom(4000)
    messages = ["", "hi", "h\u00e9llo w\u00f6rld \u20ac \U0001F600 " * 100, "a" * 63, "b" * 64,
                b"", b"\x00\x01", os.urandom(70000), bytes(1 << 20), block * 300,
                "c" * (4 << 20), os.urandom(1 << 20) + bytes(1 << 20)]
    for name, kw, expected in expectations(mode):
        ext = None if not kw else [ClientPerMessageDeflateFactory(**kw)]
        async with websockets.connect(url + "/py-" + name.replace("=", "-").replace(" ", "-"), max_size=None, extensions=ext,
                                      open_timeout=WAIT, close_timeout=WAIT, ping_interval=None) as ws:
            answer = ws.response_headers.get("Sec-WebSocket-Extensions")
            check(answer == expected, "%s: answer %r, expected %r" % (name, answer, expected))
            check([type(e).__name__ for e in ws.extensions] == ["PerMessageDeflate"],
                  "%s: websockets did not enable permessage-deflate" % name)
            for m in messages:
                await roundtrip(ws, m)
            await fragments(ws, ["d\u00e9j\u00e0 ", "vu " * 1000, "", "\u20ac" * 5000])
            await fragments(ws, [os.urandom(10), block * 10, b"", bytes(100000)])
            await ws.close()
            check(ws.close_code == 1000, "%s: close code %r" % (name, ws.close_code))
        print("python: %s: %r, %d messages and 2 fragmented ones echoed" % (name, answer, len(messages)))
    async with websockets.connect(url + "/py-no-compression", compression=None, max_size=None,
                                  open_timeout=WAIT, close_timeout=WAIT, ping_interval=None) as ws:
        check(ws.response_headers.get("Sec-WebSocket-Extensions") is None, "an answer to no offer")
        await roundtrip(ws, "plain " * 1000)
        await ws.close()
    print("python: compression=None: no extension, echo ok")
    print("ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "default"))
