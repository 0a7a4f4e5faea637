"""The canary: a well-behaved client that must keep working during an attack.

    /usr/bin/python3 canary.py PORT STOPFILE

Connects with the websockets library (which answers pings by itself), then
sends a message every ~100 ms (text with multi-byte characters, or binary of
varying size) and checks that the echo is identical.  It prints
"CANARY READY" after its first echo, so the test can start the attack only
once the canary is connected.  Once STOPFILE exists it does one more echo,
closes with 1000 and checks the closing handshake.  Any wrong or missing echo
(5 s without an answer counts as missing: a stalled server) ends it with status 1.
"""

import asyncio
import os
import random
import sys
import time

import websockets

ANSWER_TIMEOUT = 5.0


def fail(msg):
    print("CANARY FAIL: %s" % msg, flush=True)
    sys.exit(1)


async def run(port, stopfile):
    try:
        ws = await websockets.connect("ws://127.0.0.1:%d/canary" % port, compression=None,
                                      ping_interval=None, open_timeout=10, close_timeout=5,
                                      max_size=None)
    except Exception as e:
        fail("cannot connect: %r" % e)
    rnd = random.Random(port)
    n = 0
    worst = 0.0
    while True:
        last = os.path.exists(stopfile)
        if n % 2 == 0:
            msg = "canary %d \u20ac\U0001d11e %s" % (n, "x" * rnd.randrange(0, 2000))
        else:
            msg = rnd.randbytes(rnd.randrange(1, 8000))
        t0 = time.monotonic()
        try:
            await ws.send(msg)
            got = await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT)
        except asyncio.TimeoutError:
            fail("no echo of message %d within %.0f s" % (n, ANSWER_TIMEOUT))
        except websockets.ConnectionClosed as e:
            fail("connection closed after %d echoes: code %s reason %r" % (n, e.code, e.reason))
        if got != msg:
            fail("echo %d differs: sent %d bytes of %s, got %d bytes of %s"
                 % (n, len(msg), type(msg).__name__, len(got), type(got).__name__))
        worst = max(worst, time.monotonic() - t0)
        n += 1
        if n == 1:
            print("CANARY READY", flush=True)
        if last:
            break
        await asyncio.sleep(0.1)
    try:
        await asyncio.wait_for(ws.close(1000, "canary done"), 10)
    except asyncio.TimeoutError:
        fail("closing handshake did not finish")
    if ws.close_code != 1000:
        fail("closed with %s instead of 1000" % ws.close_code)
    print("CANARY OK: %d echoes, slowest %.0f ms" % (n, worst * 1000), flush=True)


def main():
    asyncio.run(run(int(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()
