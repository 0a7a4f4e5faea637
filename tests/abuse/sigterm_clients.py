"""Clients for the SIGTERM test.

    sigterm_clients.py PORT COUNT       (websockets library clients)

Connects COUNT clients (at most 100 handshakes at a time), checks one echo on
each, prints "READY <COUNT>", then waits up to 20 s for the server to close
them all: each must receive a close frame with 1001 (the library answers
it).  Prints a summary; exit status 1 on any failure.

    sigterm_clients.py PORT silent

One raw client that never answers: prints "READY 1", waits for the server's
close frame (prints "CLOSE <code> <reason>"), does not reply, and prints
"EOF <seconds>" once the server drops the connection (at most 30 s).
"""

import asyncio
import sys
import time

import websockets

from wsabuse import check, log, open_ws, run_main


async def one(port, i, sem, ready):
    async with sem:
        ws = await websockets.connect("ws://127.0.0.1:%d/member-%d" % (port, i), compression=None,
                                      ping_interval=None, open_timeout=20, close_timeout=10)
        msg = "hello from %d" % i
        await ws.send(msg)
        got = await asyncio.wait_for(ws.recv(), 20)
        check(got == msg, "client %d: wrong echo" % i)
    ready.append(i)
    await asyncio.wait_for(ws.wait_closed(), 60)
    return ws.close_code, ws.close_reason


async def many(port, count):
    sem = asyncio.Semaphore(100)
    ready = []
    tasks = [asyncio.create_task(one(port, i, sem, ready)) for i in range(count)]
    deadline = time.monotonic() + 30
    while len(ready) < count:
        for t in tasks:
            if t.done() and t.exception():
                raise t.exception()
        check(time.monotonic() < deadline, "only %d of %d clients ready after 30 s" % (len(ready), count))
        await asyncio.sleep(0.05)
    log("READY %d" % count)
    t0 = time.monotonic()
    done, pending = await asyncio.wait(tasks, timeout=20)
    check(not pending, "%d clients were not closed within 20 s of READY" % len(pending))
    codes = {}
    for t in done:
        code, reason = t.result()
        codes[(code, reason)] = codes.get((code, reason), 0) + 1
    check(all(code == 1001 for code, _ in codes), "close codes received: %r" % codes)
    log("all %d clients received close 1001 (%r) within %.2f s of READY"
        % (count, sorted(codes.items()), time.monotonic() - t0))


def silent(port):
    c = open_ws(port, "/silent")
    log("READY 1")
    code, reason = c.expect_close(30.0)
    t0 = time.monotonic()
    log("CLOSE %d %s" % (code, reason.decode()))
    c.read_until_eof(30.0)
    log("EOF %.2f" % (time.monotonic() - t0))


def main():
    port = int(sys.argv[1])
    if sys.argv[2] == "silent":
        silent(port)
    else:
        asyncio.run(many(port, int(sys.argv[2])))


if __name__ == "__main__":
    run_main(main)
