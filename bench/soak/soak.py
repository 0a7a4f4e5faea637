#!/usr/bin/env python3
"""Soak: hours-long mixed load against bench/soak/server.php, watching the
server's memory and descriptors for leaks.  A benchmark, not a CI test.

    ./dev soak [MINUTES]                      (default 60; builds first)
    python3 bench/soak/soak.py --so modules/websocket.so --minutes 60

Everything runs over loopback, in this one process (asyncio, the
`websockets` package for well-behaved clients, raw sockets for the rest):

  churn        connect, 1-10 echoed messages of 10 B to 64 KiB, close (one in
               five just drops the TCP connection), again
  echo         long-lived connections, a message every 50 ms, each echo checked
  rooms        subscribers of three topics (and of the server's 1 s ticks);
               publishers publish to them and broadcast now and then
  firehose     slow readers of a topic the server fills at 800 KB/s: read one
               message every 200 ms until backpressure closes them (1008),
               then reconnect
  abuse        random bytes instead of a handshake or after one, oversized
               frames, unmasked frames, bad UTF-8, stalled handshakes (408),
               resets, connections dropped without a close frame
Half of the churn and echo clients negotiate permessage-deflate.

Once a minute (and at the start) the load pauses: new connections wait
until the server has no socket in its handshake and its connection count
is steady (at most 15 s), then the server's VmRSS (/proc/PID/status) and
open descriptors (/proc/PID/fd) are read, with its stats().  After the
warm-up (5 minutes, or a third of a run shorter than 15 minutes), the run
fails if any later sample exceeds the warm-up sample by more than
max(10%, 8 MiB) of RSS or by more than 16 descriptors, if an echo came back
wrong, or if the server died.  Writes bench/results/soak.json and, through
bench/soak/chart.php, bench/results/soak.svg.  Exit status 0 on a pass.
"""
import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RSS_PCT = 10
RSS_MIB = 8
FDS = 16

C = {}  # counters


def count(key, n=1):
    C[key] = C.get(key, 0) + n


class Soak:
    def __init__(self, port, pid, deadline):
        self.uri = "ws://127.0.0.1:%d" % port
        self.port = port
        self.pid = pid
        self.deadline = deadline
        self.gate = asyncio.Event()  # set: new connections may start
        self.gate.set()
        self.rng = random.Random(1)

    def running(self):
        return time.monotonic() < self.deadline

    async def pass_gate(self):
        await self.gate.wait()

    # ---- well-behaved clients ------------------------------------------

    def payload(self, size, tag):
        body = ("%s %d " % (tag, self.rng.getrandbits(32))).encode()
        return (body * (size // len(body) + 1))[:max(size, len(body))]

    async def echo_once(self, ws, size, binary):
        """Sends one message and checks its echo (skipping broadcasts)."""
        data = self.payload(size, "echo")
        msg = data if binary else data.decode()
        await ws.send(msg)
        while True:
            got = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(got, str) and got.startswith("bcast-msg"):
                continue
            break
        if got != msg:
            count("echo_mismatch")
        else:
            count("echoed")

    async def churn(self, i):
        while self.running():
            await self.pass_gate()
            comp = "deflate" if i % 2 else None
            ws = None
            try:
                ws = await websockets.connect(self.uri + "/echo", compression=comp, max_size=2 ** 21,
                                              open_timeout=10, close_timeout=5)
                count("churn_open")
                for _ in range(self.rng.randint(1, 10)):
                    size = self.rng.choice((10, 100, 1000, 4000, 20000, 65536))
                    await self.echo_once(ws, size, self.rng.random() < 0.5)
                if self.rng.random() < 0.2:
                    count("churn_dropped")  # gone without a close frame: 1006 on the server
                else:
                    await ws.close()
                    count("churn_closed")
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as e:
                count("churn_error_" + type(e).__name__)
            finally:
                if ws is not None and ws.transport is not None:
                    ws.transport.abort()
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))

    async def echo(self, i):
        while self.running():
            await self.pass_gate()
            comp = "deflate" if i % 2 else None
            try:
                async with websockets.connect(self.uri + "/echo", compression=comp, max_size=2 ** 21) as ws:
                    count("echo_open")
                    while self.running():
                        await self.echo_once(ws, self.rng.choice((32, 200, 1500)), i % 3 == 0)
                        await asyncio.sleep(0.05)
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as e:
                count("echo_error_" + type(e).__name__)
                await asyncio.sleep(0.5)

    async def subscriber(self, i):
        while self.running():
            await self.pass_gate()
            try:
                async with websockets.connect(self.uri + "/room/r%d" % (i % 3), max_size=2 ** 21) as ws:
                    count("room_open")
                    while self.running():
                        try:
                            await asyncio.wait_for(ws.recv(), 1)
                            count("room_delivered")
                        except asyncio.TimeoutError:
                            pass
            except (OSError, websockets.WebSocketException) as e:
                count("room_error_" + type(e).__name__)
                await asyncio.sleep(0.5)

    async def publisher(self, i):
        while self.running():
            await self.pass_gate()
            try:
                async with websockets.connect(self.uri + "/publish", compression=None) as ws:
                    count("publisher_open")
                    # Broadcasts reach publishers too: read them, or the unread queue
                    # stops the client from answering pings.
                    drain = asyncio.create_task(self.discard(ws))
                    n = 0
                    while self.running():
                        n += 1
                        await ws.send("pub:r%d:%s" % (n % 3, "m" * self.rng.choice((16, 300, 3000))))
                        if n % 40 == 0:
                            await ws.send("bcast:bcast-msg from %d" % i)
                        await asyncio.sleep(0.05)
                    drain.cancel()
            except (OSError, websockets.WebSocketException) as e:
                count("publisher_error_" + type(e).__name__)
                await asyncio.sleep(0.5)

    @staticmethod
    async def discard(ws, into=None):
        """Reads everything that arrives; JSON replies go into the queue `into`."""
        try:
            async for msg in ws:
                if into is not None and isinstance(msg, str) and msg.startswith("{"):
                    into.put_nowait(json.loads(msg))
        except websockets.WebSocketException:
            pass

    async def slow_reader(self, i):
        while self.running():
            await self.pass_gate()
            try:
                async with websockets.connect(self.uri + "/firehose", compression=None, max_size=2 ** 21,
                                              max_queue=1, read_limit=4096) as ws:
                    count("firehose_open")
                    while self.running():
                        await ws.recv()
                        count("firehose_read")
                        await asyncio.sleep(0.2)
            except websockets.ConnectionClosed as e:
                # By the server (1008, once its queue is over max_buffered_amount) or, when
                # the close frame is stuck behind what this reader has not read yet, by
                # the client's own keepalive, or without a close frame.
                count("firehose_closed_%s" % (e.rcvd.code if e.rcvd else "sent_%s" % (e.sent.code if e.sent else "none")))
            except (OSError, websockets.WebSocketException) as e:
                count("firehose_error_" + type(e).__name__)
            await asyncio.sleep(0.5)

    # ---- abusive clients -------------------------------------------------

    HANDSHAKE = ("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n")

    @staticmethod
    def frame(op, payload, masked=True, length=None, rsv1=False):
        n = len(payload) if length is None else length
        b0 = 0x80 | (0x40 if rsv1 else 0) | op
        m = 0x80 if masked else 0
        if n < 126:
            head = bytes([b0, m | n])
        elif n < 65536:
            head = bytes([b0, m | 126]) + struct.pack(">H", n)
        else:
            head = bytes([b0, m | 127]) + struct.pack(">Q", n)
        if not masked:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(c ^ key[j % 4] for j, c in enumerate(payload))

    async def raw(self, data, handshake=True, ext="", wait=5.0):
        """Opens a TCP connection, optionally upgrades, sends data, reads until EOF (at most wait s)."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 10)
        try:
            if handshake:
                writer.write((self.HANDSHAKE % ext).encode())
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                if not head.startswith(b"HTTP/1.1 101 "):
                    count("abuse_refused")
                    return
            if data:
                writer.write(data)
                await writer.drain()
            end = time.monotonic() + wait
            while time.monotonic() < end:
                chunk = await asyncio.wait_for(reader.read(65536), max(0.01, end - time.monotonic()))
                if not chunk:
                    count("abuse_closed_by_server")
                    return
            count("abuse_left_open")
        finally:
            writer.close()

    async def abuse(self, i):
        kinds = ["junk_head", "junk_frames", "oversized", "unmasked", "bad_utf8", "bad_deflate",
                 "stalled", "reset", "dropped", "huge_header"]
        while self.running():
            await self.pass_gate()
            kind = self.rng.choice(kinds)
            count("abuse_" + kind)
            try:
                if kind == "junk_head":
                    await self.raw(os.urandom(self.rng.randint(1, 3000)), handshake=False)
                elif kind == "junk_frames":
                    await self.raw(os.urandom(self.rng.randint(1, 4000)))
                elif kind == "oversized":
                    # A frame announcing 2 GiB (max_message_size is 1 MiB): 1009 at once.
                    await self.raw(self.frame(2, b"x" * 1000, length=2 ** 31)[:1014])
                elif kind == "unmasked":
                    await self.raw(self.frame(1, b"no mask", masked=False))
                elif kind == "bad_utf8":
                    await self.raw(self.frame(1, b"\xce\xba\xe1\xbd\xb9\xed\xa0\x80"))
                elif kind == "bad_deflate":
                    await self.raw(self.frame(1, os.urandom(64), rsv1=True),
                                   ext="Sec-WebSocket-Extensions: permessage-deflate\r\n")
                elif kind == "stalled":
                    # Half a handshake, then silence: 408 after handshake_timeout (2 s).
                    await self.raw((self.HANDSHAKE % "").encode()[:40], handshake=False, wait=8)
                elif kind == "reset":
                    s = socket.socket()
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.connect(("127.0.0.1", self.port))
                    s.send((self.HANDSHAKE % "").encode()[:60])
                    s.close()  # RST
                elif kind == "dropped":
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.write((self.HANDSHAKE % "").encode() + self.frame(1, b"bye"))
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    writer.transport.abort()
                elif kind == "huge_header":
                    await self.raw(b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", handshake=False)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
                count("abuse_error_" + type(e).__name__)
            await asyncio.sleep(self.rng.uniform(0.1, 0.5))

    # ---- sampling -----------------------------------------------------------

    async def stats(self, ws):
        await ws.send("stats")
        return await asyncio.wait_for(self.replies.get(), 10)

    def proc(self):
        rss = None
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        return rss, len(os.listdir("/proc/%d/fd" % self.pid))

    async def sample(self, ws, minute, t0):
        """Pauses new connections, waits for a quiet server, reads /proc and stats()."""
        self.gate.clear()
        start = time.monotonic()
        await asyncio.sleep(1)
        last = None
        while time.monotonic() - start < 15:
            st = await self.stats(ws)
            if st["pending"] == 0 and last is not None and st["connections"] == last["connections"]:
                break
            last = st
            await asyncio.sleep(0.3)
        quiet = time.monotonic() - start < 15
        rss, fds = self.proc()
        self.gate.set()
        s = {
            "minute": minute,
            "elapsed_s": round(time.monotonic() - t0, 1),
            "rss_kib": rss,
            "fds": fds,
            "quiet": quiet,
            "connections": st["connections"],
            "pending": st["pending"],
            "memory_bytes": st["memory_bytes"],
            "buffered_bytes": st["buffered_bytes"],
            "accepted": st["accepted"],
            "messages_in": st["messages_in"],
            "messages_out": st["messages_out"],
        }
        print("minute %3d: RSS %7.1f MiB, %3d fds, %3d connections, engine memory %7.1f KiB, %d accepted"
              % (minute, rss / 1024, fds, st["connections"], st["memory_bytes"] / 1024, st["accepted"]),
              flush=True)
        return s

    async def run(self, minutes):
        t0 = time.monotonic()
        tasks = []
        for i in range(6):
            tasks.append(asyncio.create_task(self.churn(i)))
        for i in range(8):
            tasks.append(asyncio.create_task(self.echo(i)))
        for i in range(12):
            tasks.append(asyncio.create_task(self.subscriber(i)))
        for i in range(2):
            tasks.append(asyncio.create_task(self.publisher(i)))
        for i in range(3):
            tasks.append(asyncio.create_task(self.slow_reader(i)))
        for i in range(3):
            tasks.append(asyncio.create_task(self.abuse(i)))
        samples = []
        async with websockets.connect(self.uri + "/control", ping_interval=None) as ws:
            self.replies = asyncio.Queue()
            reader = asyncio.create_task(self.discard(ws, self.replies))
            await asyncio.sleep(5)  # everyone connected
            for minute in range(minutes + 1):
                if minute > 0:
                    await asyncio.sleep(max(0, t0 + 60 * minute - time.monotonic()))
                samples.append(await self.sample(ws, minute, t0))
                if self.died():
                    break
            reader.cancel()
        self.deadline = 0
        self.gate.set()
        done, pending = await asyncio.wait(tasks, timeout=30)
        for t in pending:
            t.cancel()
        for t in done:
            if t.exception() is not None:
                count("task_crashed_" + type(t.exception()).__name__)
        return samples

    def died(self):
        try:
            os.kill(self.pid, 0)
            return False
        except OSError:
            return True


def verdict(samples, warmup):
    failures = []
    base = next((s for s in samples if s["minute"] >= warmup), None)
    if base is None:
        failures.append("no sample after the warm-up")
        return failures, None
    for s in samples:
        if s["minute"] <= base["minute"]:
            continue
        rss_bound = max(base["rss_kib"] * RSS_PCT / 100, RSS_MIB * 1024)
        if s["rss_kib"] - base["rss_kib"] > rss_bound:
            failures.append("minute %d: RSS %d KiB, %d KiB over the warm-up sample (bound %d KiB)"
                            % (s["minute"], s["rss_kib"], s["rss_kib"] - base["rss_kib"], rss_bound))
        if s["fds"] - base["fds"] > FDS:
            failures.append("minute %d: %d descriptors, %d over the warm-up sample (bound %d)"
                            % (s["minute"], s["fds"], s["fds"] - base["fds"], FDS))
    return failures, base


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=None, help="minutes (default 5, or a third of a short run)")
    ap.add_argument("--so", default=os.path.join(ROOT, "modules", "websocket.so"))
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "soak.json"))
    ap.add_argument("--svg", default=os.path.join(ROOT, "bench", "results", "soak.svg"))
    args = ap.parse_args()
    warmup = args.warmup if args.warmup is not None else (5 if args.minutes >= 15 else max(1, args.minutes // 3))

    commit = git_commit()  # now: the tree may move on during the run
    # A copy of the extension, so that a rebuild during the run does not disturb it.
    snap = tempfile.mkdtemp(prefix="ws-soak-")
    so = os.path.join(snap, "websocket.so")
    shutil.copy(args.so, so)
    so_id = "websocket.so %s built %s" % (
        subprocess.run(["sha1sum", so], capture_output=True, text=True).stdout[:12],
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(args.so))))
    # Interrupted (SIGINT, SIGTERM): unwind through the finally below, which stops the server.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit("soak: interrupted"))
    log = open(os.path.join(snap, "server.log"), "w+")
    server = subprocess.Popen(["php", "-d", "extension=" + so, os.path.join(ROOT, "bench", "soak", "server.php")],
                              stdout=subprocess.PIPE, stderr=log, text=True)
    port = None
    try:
        line = server.stdout.readline()
        if not line.startswith("PORT="):
            sys.exit("soak: the server did not start: " + line)
        port = int(line[5:])
        print("soak: server PID %d on port %d, %d minutes, warm-up %d" % (server.pid, port, args.minutes, warmup),
              flush=True)
        soak = Soak(port, server.pid, time.monotonic() + 60 * args.minutes + 3600)
        started = time.time()
        samples = asyncio.run(soak.run(args.minutes))
        alive = server.poll() is None
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            out, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, _ = server.communicate()
    final = None
    for line in (out or "").splitlines():
        if line.startswith("STOPPED "):
            final = json.loads(line[8:])
    log.seek(0)
    server_err = log.read()[-4000:]
    log.close()
    shutil.rmtree(snap, ignore_errors=True)

    failures, base = verdict(samples, warmup)
    if not alive:
        failures.append("the server died (exit status %s)" % server.returncode)
    if C.get("echo_mismatch"):
        failures.append("%d echoes came back wrong" % C["echo_mismatch"])
    if server.returncode not in (0, None):
        failures.append("the server exited with status %s" % server.returncode)
    machine = "%d CPUs, %s, %s" % (os.cpu_count(), cpu_model(), platform.platform(terse=True))
    doc = {
        "what": "soak: mixed load against bench/soak/server.php, the server's RSS and descriptors sampled once a minute",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "machine": machine,
        "versions": "%s, PHP %s, Python %s, websockets %s, commit %s" % (
            so_id, subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout,
            platform.python_version(), websockets.__version__, commit),
        "minutes": args.minutes,
        "warmup_minutes": warmup,
        "bounds": {"rss": "max(%d%%, %d MiB) over the warm-up sample" % (RSS_PCT, RSS_MIB),
                   "fds": "%d over the warm-up sample" % FDS},
        "verdict": "pass" if not failures else "fail",
        "failures": failures,
        "baseline": base,
        "samples": samples,
        "load": dict(sorted(C.items())),
        "server_final_stats": final,
        "server_stderr_tail": server_err,
    }
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    subprocess.run(["php", "-n", os.path.join(ROOT, "bench", "soak", "chart.php"), args.json, args.svg], check=True)
    first, last = samples[0], samples[-1]
    print("soak: RSS %.1f -> %.1f MiB (warm-up sample %.1f), descriptors %d -> %d (warm-up sample %d)" % (
        first["rss_kib"] / 1024, last["rss_kib"] / 1024, (base or first)["rss_kib"] / 1024,
        first["fds"], last["fds"], (base or first)["fds"]))
    print("soak: load %s" % json.dumps(doc["load"]))
    print("soak: wrote %s and %s" % (args.json, args.svg))
    if failures:
        print("soak: FAIL\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("soak: pass")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def git_commit():
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
