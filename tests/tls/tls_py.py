"""Python peers of the TLS tests (Debian's python3-websockets, run with
/usr/bin/python3).

    tls_py.py echo URL CA
    tls_py.py verify URL CA EXPECTED-VERIFY-MESSAGE
    tls_py.py version URL CA TLS12-RESULT          (TLS12-RESULT: ok | refused)
    tls_py.py clientcert URL CA CERTS-DIR
    tls_py.py junk URL CA
    tls_py.py stall URL CA TIMEOUT
    tls_py.py reload URL URL1 CA CERTS-DIR SERVER-PID

Each mode prints what it checked and "ok" on its last line; any failed
check raises, so the exit status is not 0.  Every network wait has a timeout.
"""
import asyncio
import os
import shutil
import signal
import socket
import ssl
import sys
import time

import websockets

WAIT = 20  # seconds: the ceiling of any single network wait


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def client_ctx(ca, verify=True, min_version=None, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if min_version:
        ctx.minimum_version = min_version
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def connect(url, ctx, **kw):
    return websockets.connect(url, ssl=ctx, max_size=None, open_timeout=WAIT,
                              close_timeout=WAIT, ping_interval=None, **kw)


def peer_cn(ws):
    """The CN of the (verified) certificate the server presented on this connection."""
    cert = ws.transport.get_extra_info("ssl_object").getpeercert()
    for rdn in cert["subject"]:
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


async def roundtrip(ws, data):
    await asyncio.wait_for(ws.send(data), WAIT)
    got = await asyncio.wait_for(ws.recv(), WAIT)
    check(type(got) is type(data), "echo type: sent %s, got %s" % (type(data).__name__, type(got).__name__))
    check(got == data, "echo of %d %s differs (got %d)" % (len(data), type(data).__name__, len(got)))


async def echo_set(ws):
    """Text, binary and 8 MiB messages; returns how many were checked."""
    texts = ["", "hello", "h\u00e9llo w\u00f6rld \u20ac \U0001F600", "x" * 125, "y" * 126,
             "z" * 65535, "\u00e9" * 40000, "w" * (8 << 20)]
    blobs = [b"", b"\x00\xff\x80", bytes(range(256)) * 257, os.urandom(65536),
             os.urandom(8 << 20)]
    for t in texts:
        await roundtrip(ws, t)
    for b in blobs:
        await roundtrip(ws, b)
    return len(texts) + len(blobs)


async def mode_echo(url, ca):
    async with connect(url + "/py-echo", client_ctx(ca)) as ws:
        cn = peer_cn(ws)
        check(cn == "server-A", "peer certificate CN %r" % cn)
        n = await echo_set(ws)
        tls = ws.transport.get_extra_info("ssl_object").version()
        print("python: %d messages echoed over %s (server cert CN=%s)" % (n, tls, cn))
        await ws.close()
        check(ws.close_code == 1000, "close code %r" % ws.close_code)


async def mode_verify(url, ca, expected):
    try:
        async with connect(url + "/py-verifying", client_ctx(ca)):
            pass
    except ssl.SSLCertVerificationError as e:
        print("python: verifying client refused the certificate: %s" % e.verify_message)
        check(expected in e.verify_message, "verification message %r lacks %r" % (e.verify_message, expected))
    else:
        raise AssertionError("a verifying client accepted the certificate")
    async with connect(url + "/py-unverified", client_ctx(ca, verify=False)) as ws:
        await roundtrip(ws, "over an unverified connection")
        await roundtrip(ws, os.urandom(100000))
        print("python: client without verification talks to the server")
        await ws.close()


async def mode_version(url, ca, tls12_result):
    ctx12 = client_ctx(ca, max_version=ssl.TLSVersion.TLSv1_2)
    try:
        async with connect(url + "/py-tls12", ctx12) as ws:
            version = ws.transport.get_extra_info("ssl_object").version()
            check(version == "TLSv1.2", "TLS 1.2-only client negotiated %s" % version)
            await roundtrip(ws, "over TLS 1.2")
            await ws.close()
        outcome = "ok"
    except ssl.SSLError as e:
        print("python: TLS 1.2-only client: %s" % e)
        check("PROTOCOL_VERSION" in str(e).upper(), "expected a protocol version alert, got %r" % str(e))
        outcome = "refused"
    check(outcome == tls12_result, "TLS 1.2-only client: expected %s, got %s" % (tls12_result, outcome))
    print("python: TLS 1.2-only client %s" % outcome)
    ctx13 = client_ctx(ca, min_version=ssl.TLSVersion.TLSv1_3)
    async with connect(url + "/py-tls13", ctx13) as ws:
        version = ws.transport.get_extra_info("ssl_object").version()
        check(version == "TLSv1.3", "TLS 1.3 client negotiated %s" % version)
        await roundtrip(ws, "over TLS 1.3")
        await ws.close()
    print("python: TLS 1.3 client ok")


def alert_after_handshake(port, ctx):
    """Runs a TLS handshake and reads without sending anything; returns the
    SSL error the server's alert raised (or the exception otherwise).
    Sending nothing matters: data the server never reads would make its
    close a reset, which can overtake the alert (TLS 1.3 judges the client
    certificate after the client's side of the handshake is done)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        data = s.recv(100)
        return AssertionError("the server accepted the certificate and sent %r" % data)
    except (ssl.SSLError, OSError) as e:
        return e
    finally:
        raw.close()


async def expect_refused(url, port, ctx, what, alert):
    e = await asyncio.get_running_loop().run_in_executor(None, alert_after_handshake, port, ctx)
    print("python: %s: %s: %s" % (what, type(e).__name__, e))
    check(isinstance(e, ssl.SSLError) and alert in str(e), "%s: expected the alert %s, got %r" % (what, alert, e))
    # A WebSocket client sends its request at once: it must fail too (alert or reset).
    try:
        async with connect(url, ctx) as ws:
            await asyncio.wait_for(ws.recv(), WAIT)
    except (ssl.SSLError, ConnectionError, EOFError, websockets.exceptions.InvalidMessage,
            websockets.exceptions.ConnectionClosed) as e:
        print("python: %s, as a WebSocket client: %s: %s %s" % (what, type(e).__name__, e, e.__cause__ or ""))
    else:
        raise AssertionError("%s: the WebSocket client was accepted" % what)


async def mode_clientcert(url, ca, certs):
    port = int(url.rsplit(":", 1)[1])
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        name = "TLS 1.2" if version == ssl.TLSVersion.TLSv1_2 else "TLS 1.3"
        bare = client_ctx(ca, min_version=version, max_version=version)
        await expect_refused(url + "/py-nocert", port, bare, "%s client without a certificate" % name,
                             "SSLV3_ALERT_HANDSHAKE_FAILURE" if name == "TLS 1.2" else "TLSV13_ALERT_CERTIFICATE_REQUIRED")
        rogue = client_ctx(ca, min_version=version, max_version=version)
        rogue.load_cert_chain(os.path.join(certs, "rogue.pem"), os.path.join(certs, "rogue.key"))
        await expect_refused(url + "/py-rogue", port, rogue, "%s client with a certificate from another CA" % name,
                             "TLSV1_ALERT_UNKNOWN_CA")
        good = client_ctx(ca, min_version=version, max_version=version)
        good.load_cert_chain(os.path.join(certs, "client.pem"), os.path.join(certs, "client.key"))
        async with connect(url + "/py-client-cert", good) as ws:
            await roundtrip(ws, "with a client certificate")
            await roundtrip(ws, os.urandom(300000))
            await ws.close()
        print("python: %s client with a certificate signed by the CA accepted" % name)


def wait_closed(sock, what):
    """Reads until the server closes the socket; returns (bytes read, how it ended)."""
    sock.settimeout(WAIT)
    data = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                return data, "EOF"
            data += d
    except ConnectionResetError:
        return data, "RST"
    except socket.timeout:
        raise AssertionError("%s: the server kept the socket open for %d s" % (what, WAIT))


async def mode_junk(url, ca, port):
    """Plain-text and garbage peers on the TLS port are dropped; a wss client
    in the middle of its conversation is not disturbed."""
    upgrade = (b"GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
    cases = [
        ("plain WebSocket upgrade request", upgrade),
        ("plain HTTP GET", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
        ("plain WebSocket frame bytes", b"\x81\x85\x01\x02\x03\x04" + bytes(b ^ k for b, k in zip(b"hello", b"\x01\x02\x03\x04\x01"))),
        ("random bytes", os.urandom(70000)),
        ("TLS record header announcing 16 MiB", b"\x16\x03\x01\xff\xff" + os.urandom(2000)),
        ("TLS alert record", b"\x15\x03\x03\x00\x02\x02\x28"),
        ("zero bytes", b"\x00" * 5000),
    ]
    async with connect(url + "/py-keeps-echoing", client_ctx(ca)) as ws:
        await roundtrip(ws, "before")
        held = []
        for i, (what, payload) in enumerate(cases):
            s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            try:
                s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may already have dropped it
            held.append((what, s))
            # The wss client goes on while the junk socket is still open.
            await roundtrip(ws, "during %d: %s" % (i, what))
            await roundtrip(ws, os.urandom(20000 + i))
        for what, s in held:
            data, how = await asyncio.get_running_loop().run_in_executor(None, wait_closed, s, what)
            s.close()
            # Only a TLS alert (record type 21) may come back: no HTTP, no plaintext.
            check(data == b"" or data[0] == 0x15, "%s: the server answered %r" % (what, data[:40]))
            print("python: %s: closed by the server (%s, %d bytes back)" % (what, how, len(data)))
        await roundtrip(ws, "after")
        await roundtrip(ws, os.urandom(1 << 20))
        async with connect(url + "/py-new-after-junk", client_ctx(ca)) as ws2:
            await roundtrip(ws2, "a new client after the junk")
            await ws2.close()
        await ws.close()
        check(ws.close_code == 1000, "close code %r" % ws.close_code)
    print("python: the wss client echoed through %d junk connections" % len(cases))


def partial_client_hello():
    """The first half of a real TLS ClientHello for 127.0.0.1."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=False)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    check(len(hello) > 100 and hello[0] == 0x16, "no ClientHello produced")
    return hello[: len(hello) // 2]


def stall(port, what, payload, tls_then_nothing, timeout):
    """Opens a socket, sends payload (or completes TLS and sends nothing),
    and measures how long the server keeps it.  Returns (seconds, data)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    start = time.monotonic()
    if tls_then_nothing:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    elif payload:
        s.sendall(payload)
    s.settimeout(WAIT)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except (ConnectionResetError, ssl.SSLError):
        pass
    except socket.timeout:
        raise AssertionError("%s: still open after %d s (handshake_timeout is %g s)" % (what, WAIT, timeout))
    elapsed = time.monotonic() - start
    s.close()
    return elapsed, data


async def mode_stall(url, ca, port, timeout):
    loop = asyncio.get_running_loop()
    async with connect(url + "/py-alongside", client_ctx(ca)) as ws:
        await roundtrip(ws, "before the stalled handshakes")
        jobs = {
            "TCP connect, nothing sent": loop.run_in_executor(None, stall, port, "silent", b"", False, timeout),
            "half a ClientHello": loop.run_in_executor(None, stall, port, "half hello", partial_client_hello(), False, timeout),
            "TLS done, no HTTP request": loop.run_in_executor(None, stall, port, "no request", b"", True, timeout),
        }
        # The server serves others while those handshakes hang.
        await roundtrip(ws, "while they hang")
        await roundtrip(ws, os.urandom(500000))
        results = {}
        for what, job in jobs.items():
            results[what] = await job
        for what, (elapsed, data) in results.items():
            print("python: %s: closed by the server after %.2f s (%d bytes back)" % (what, elapsed, len(data)))
            # Timers never fire early: the socket lives at least handshake_timeout.
            check(elapsed >= timeout * 0.9, "%s: closed after %.2f s, before handshake_timeout %g s" % (what, elapsed, timeout))
        elapsed, data = results["TLS done, no HTTP request"]
        check(data.startswith(b"HTTP/1.1 408"), "no 408 after the TLS handshake: %r" % data[:60])
        for what in ("TCP connect, nothing sent", "half a ClientHello"):
            check(results[what][1] == b"" or results[what][1][0] == 0x15, "%s: answered %r" % (what, results[what][1][:40]))
        await roundtrip(ws, "after")
        await ws.close()
    print("python: stalled handshakes cut off by handshake_timeout")


def replace(src, dst):
    """Atomically puts a copy of src at dst (as a certificate renewal would)."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def write(dst, text):
    tmp = dst + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, dst)


async def mode_reload(url, url1, ca, certs, pid):
    """url: the constructor's listener (files live.pem/live.key); url1: a
    listen() listener (files live1.pem/live1.key)."""
    live, live_key = os.path.join(certs, "live.pem"), os.path.join(certs, "live.key")
    live1, live1_key = os.path.join(certs, "live1.pem"), os.path.join(certs, "live1.key")
    A = (os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
    B = (os.path.join(certs, "serverB.pem"), os.path.join(certs, "serverB.key"))
    ctx = client_ctx(ca)
    opened = []

    async def new_client(u, expect_cn, tag):
        ws = await connect(u + "/" + tag, ctx).__aenter__()
        opened.append(ws)
        cn = peer_cn(ws)
        check(cn == expect_cn, "%s: server certificate CN %r, expected %r" % (tag, cn, expect_cn))
        await roundtrip(ws, "hello from " + tag)
        print("python: %s sees %s" % (tag, cn))
        return ws

    async def all_still_work(step):
        for ws in opened:
            await roundtrip(ws, "still working after " + step)

    c1 = await new_client(url, "server-A", "c1")
    await new_client(url1, "server-B", "c1-listener1")

    # SIGHUP: both listeners re-read their files.
    replace(B[0], live)
    replace(B[1], live_key)
    replace(A[0], live1)
    replace(A[1], live1_key)
    os.kill(pid, signal.SIGHUP)
    # The signal is queued on the server's self-pipe before this message is
    # sent, so the loop has handled it by the time the echo comes back.
    await roundtrip(c1, "after SIGHUP")
    await new_client(url, "server-B", "c2")
    await new_client(url1, "server-A", "c2-listener1")
    await all_still_work("SIGHUP")
    check(peer_cn(c1) == "server-A", "c1's own certificate changed")

    # reloadTls() from a handler.
    replace(A[0], live)
    replace(A[1], live_key)
    await asyncio.wait_for(c1.send("reload"), WAIT)
    got = await asyncio.wait_for(c1.recv(), WAIT)
    check(got == "reloaded", "reloadTls() answered %r" % got)
    await new_client(url, "server-A", "c3")
    await all_still_work("reloadTls()")

    async def reload_fails(expect_parts, tag):
        await asyncio.wait_for(c1.send("reload"), WAIT)
        got = await asyncio.wait_for(c1.recv(), WAIT)
        print("python: %s: %s" % (tag, got))
        check(got.startswith("reload-failed:WebSocket\\Exception:"), "%s: %r" % (tag, got))
        for part in expect_parts:
            check(part in got, "%s: %r lacks %r" % (tag, got, part))

    # Broken files: the old certificate (A) stays in use.
    write(live, "this is not a certificate\n")
    # (OpenSSL's exact reasons are checked by 06_config_errors.sh.)
    await reload_fails(["cannot load certificate " + live + ": "], "reload with a garbage certificate")
    await new_client(url, "server-A", "c4")
    replace(B[0], live)
    replace(os.path.join(certs, "other.key"), live_key)
    await reload_fails([live_key + ": key values mismatch"], "reload with a key that does not match")
    await new_client(url, "server-A", "c5")
    os.unlink(live)
    await reload_fails(["cannot load certificate " + live + ": "], "reload with the certificate missing")
    await new_client(url, "server-A", "c6")

    # SIGHUP with a broken file: a warning on stderr, the old certificate stays.
    write(live, "still not a certificate\n")
    os.kill(pid, signal.SIGHUP)
    await roundtrip(c1, "after a failing SIGHUP")
    await new_client(url, "server-A", "c7")
    await all_still_work("the failed reloads")
    for ws in opened:
        await ws.close()
        check(ws.close_code == 1000, "close code %r" % ws.close_code)
    print("python: reload checks passed with %d connections" % len(opened))


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "echo":
        asyncio.run(mode_echo(args[0], args[1]))
    elif mode == "verify":
        asyncio.run(mode_verify(args[0], args[1], args[2]))
    elif mode == "version":
        asyncio.run(mode_version(args[0], args[1], args[2]))
    elif mode == "clientcert":
        asyncio.run(mode_clientcert(args[0], args[1], args[2]))
    elif mode == "junk":
        asyncio.run(mode_junk(args[0], args[1], int(args[0].rsplit(":", 1)[1])))
    elif mode == "stall":
        asyncio.run(mode_stall(args[0], args[1], int(args[0].rsplit(":", 1)[1]), float(args[2])))
    elif mode == "reload":
        asyncio.run(mode_reload(args[0], args[1], args[2], args[3], int(args[4])))
    else:
        raise SystemExit("unknown mode " + mode)
    print("ok")


if __name__ == "__main__":
    main()
