"""Keepalive and idle timeouts.

    timeouts.py PORT SERVER_OUT ping     (server: ping_interval 1, pong_timeout 1)
    timeouts.py PORT SERVER_OUT idle     (server: idle_timeout 1)

ping: a raw client that reads but never answers pings must receive a ping
and then be dropped without a close frame (end of stream 2 s to 6 s after it
opened: ping after 1 s of silence, drop 1 s later), and its close event must
show 1006.  Meanwhile a websockets-library client that sends nothing (the
library answers pings) and a raw client that answers pings itself stay
connected for 4 s and still echo afterwards.

idle: a client that sends nothing, and one that sends only pings (control
frames are not data), each receive a close frame 1001 "idle timeout" 1 s to
5 s after they opened.  They answer with a close frame 1001, and their close
events show 1001.  A third silent client hangs up (end of stream, no close
frame) on receiving it: its close event must show 1001 too, the code the
server sent (ws_server.h: "the code of the first close frame received, else
the one we sent, else 1006").
"""

import asyncio
import select
import sys
import threading
import time

import websockets

from wsabuse import (OP_CLOSE, OP_PING, OP_PONG, check, close_payload, echo, frame, log, open_ws, run_main,
                     server_log_lines)


def close_line(server_out, path, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = [l.split()[1] for l in server_log_lines(server_out, "OPEN ") if l.split()[2] == path]
        if ids:
            lines = [l for l in server_log_lines(server_out, "CLOSE ") if l.split()[1] == ids[0]]
            if lines:
                return lines[0]
        time.sleep(0.02)
    check(False, "no close event for %s" % path)


def deaf_client(result):
    """Reads everything, answers nothing."""
    try:
        c = open_ws(PORT, "/deaf")
        t0 = time.monotonic()
        pings = 0
        while True:
            f = c.read_frame(10.0)
            if f is None:
                break
            check(f[2] == OP_PING, "deaf client got opcode %d (only pings expected)" % f[2])
            pings += 1
        result["deaf"] = (pings, time.monotonic() - t0)
    except Exception as e:
        result["deaf"] = e


def answering_client(result, seconds):
    """Answers every ping with a pong, sends nothing else, for `seconds`."""
    try:
        c = open_ws(PORT, "/answering")
        end = time.monotonic() + seconds
        pings = 0
        while time.monotonic() < end:
            try:
                f = c.read_frame(max(0.01, end - time.monotonic()))
            except Exception:
                if time.monotonic() >= end:
                    break
                raise
            check(f is not None, "answering client was disconnected")
            check(f[2] == OP_PING, "answering client got opcode %d" % f[2])
            c.send(frame(OP_PONG, f[3]))
            pings += 1
        echo(c, b"still here")
        check(c.close_and_wait() == (1000, b""), "answering client: closing handshake")
        result["answering"] = pings
    except Exception as e:
        result["answering"] = e


async def library_client(seconds):
    ws = await websockets.connect("ws://127.0.0.1:%d/library" % PORT, compression=None, ping_interval=None,
                                  open_timeout=10, close_timeout=5)
    await asyncio.sleep(seconds)
    check(ws.open, "the library client was disconnected (code %s)" % ws.close_code)
    await ws.send("after %d quiet seconds" % seconds)
    got = await asyncio.wait_for(ws.recv(), 10)
    check(got == "after %d quiet seconds" % seconds, "library client: wrong echo")
    await ws.close()
    check(ws.close_code == 1000, "library client: closed with %s" % ws.close_code)


def ping_test(server_out):
    result = {}
    threads = [threading.Thread(target=deaf_client, args=(result,)),
               threading.Thread(target=answering_client, args=(result, 4.0))]
    for t in threads:
        t.start()
    asyncio.run(library_client(4))
    for t in threads:
        t.join(30)
        check(not t.is_alive(), "a client thread did not finish")
    for k in ("deaf", "answering"):
        if isinstance(result[k], BaseException):
            raise result[k]
    pings, lasted = result["deaf"]
    check(pings >= 1, "the deaf client was dropped without being pinged")
    check(lasted >= 1.9, "the deaf client was dropped after %.2f s, before ping_interval + pong_timeout" % lasted)
    check(lasted <= 6.0, "the deaf client was dropped only after %.2f s" % lasted)
    line = close_line(server_out, "/deaf")
    check(line.split()[2] == "1006", "close event of the deaf client: %r, expected 1006" % line)
    check(result["answering"] >= 1, "the answering client was never pinged")
    for path in ("/library", "/answering"):
        other = close_line(server_out, path)
        check(other.split()[2] == "1000", "close event of %s: %r, expected 1000" % (path, other))
    log("ping: deaf client got %d ping(s), dropped after %.2f s, close event %r" % (pings, lasted, line))
    log("ping: answering client answered %d ping(s) in 4 s and the library client stayed connected; both echo"
        % result["answering"])


def readable(c, timeout):
    r, _, _ = select.select([c.sock], [], [], timeout)
    return bool(r)


def idle_test(server_out):
    for path, ping_every in (("/idle", None), ("/pinging", 0.2), ("/hangup", None)):
        c = open_ws(PORT, path)
        t0 = time.monotonic()
        deadline = t0 + 10.0
        next_ping = t0
        pongs = 0
        while True:
            now = time.monotonic()
            check(now < deadline, "%s: not closed within 10 s" % path)
            if ping_every is not None and now >= next_ping:
                c.send(frame(OP_PING, b"are you there"))
                next_ping = now + ping_every
            wait = (next_ping if ping_every is not None else deadline) - now
            if not c.buf and not readable(c, max(0.0, wait)):
                continue
            f = c.read_frame(5.0)
            check(f is not None, "%s: connection closed without a close frame" % path)
            if f[2] == OP_PONG:
                pongs += 1
                continue
            check(f[2] == OP_CLOSE, "%s: got opcode %d" % (path, f[2]))
            break
        lasted = time.monotonic() - t0
        code, reason = int.from_bytes(f[3][:2], "big"), f[3][2:]
        check((code, reason) == (1001, b"idle timeout"), "%s: closed with %d %r" % (path, code, reason))
        check(0.9 <= lasted <= 5.0, "%s: closed after %.2f s with idle_timeout 1" % (path, lasted))
        if path == "/hangup":
            # No close frame back, just end of stream: the event has the code the server sent.
            c.close()
        else:
            # Echo the code, as browsers and libraries do: the event has the code (and empty reason) received.
            c.send(frame(OP_CLOSE, close_payload(1001)))
            c.read_until_eof(5.0)
        line = close_line(server_out, path)
        check(line.split()[2] == "1001", "close event of %s: %r, expected code 1001" % (path, line))
        log("idle: %s client (%d pongs received) closed with 1001 'idle timeout' after %.2f s; close event %r"
            % (path[1:], pongs, lasted, line))


def main():
    global PORT
    PORT = int(sys.argv[1])
    {"ping": ping_test, "idle": idle_test}[sys.argv[3]](sys.argv[2])


if __name__ == "__main__":
    run_main(main)
