"""Clients of the tests/metrics/*.sh tests (Debian's python3-websockets 10).

  traffic.py echo PORT                  3 text and 2 binary messages echoed, then a 1000 close
  traffic.py counts PORT MPORT OUT      known traffic, read back exactly from http://127.0.0.1:MPORT/metrics;
                                        the last scrape is saved to OUT
  traffic.py compare SCRAPE STATS_JSON  stats(true) agrees with the scrape
"""
import asyncio
import json
import sys
import urllib.request

import websockets


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def connect(port, **kw):
    kw.setdefault("compression", None)
    return websockets.connect("ws://127.0.0.1:%d/" % port, ping_interval=None, max_size=None, **kw)


def scrape(mport):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10) as r:
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            samples[k] = v
    return text, samples


def check(samples, expected):
    for k, v in expected.items():
        got = samples.get(k, "missing")
        if got != str(v):
            fail("%s is %s, expected %s" % (k, got, v))


async def echo(port):
    async with connect(port) as ws:
        for m in ["a", "bb", "ccc", b"\x00\x01", b"\x02"]:
            await ws.send(m)
            if await ws.recv() != m:
                fail("echo mismatch")
        await ws.close(1000)


async def counts(port, mport, out):
    c = [await connect(port) for _ in range(4)]
    c.append(await connect(port, compression="deflate"))
    # 7 text and 3 binary messages echoed, a ping answered
    for i in range(7):
        await c[0].send("msg-%d" % i)
        assert await c[0].recv() == "msg-%d" % i
    for i in range(3):
        await c[0].send(b"\x00\x01\x02\x03")
        assert await c[0].recv() == b"\x00\x01\x02\x03"
    await asyncio.wait_for(await c[0].ping(), 5)
    # a close by the peer (1000), a close by the server (1008)
    await c[1].close(1000)
    await c[2].send("close:1008:bye")
    await c[2].wait_closed()
    if c[2].close_code != 1008:
        fail("expected the server to close with 1008, got %s" % c[2].close_code)
    # backpressure: 10 x 600 bytes in one handler call against max_buffered_amount 1024
    await c[3].send("flood:10:600")
    for _ in range(2):
        assert len(await asyncio.wait_for(c[3].recv(), 5)) == 600
    try:
        await asyncio.wait_for(c[3].recv(), 0.3)
        fail("more than two flood messages arrived")
    except asyncio.TimeoutError:
        pass
    # compression: 1000 bytes each way through permessage-deflate
    await c[4].send("a" * 1000)
    assert await c[4].recv() == "a" * 1000
    # a refused handshake
    try:
        await connect(port, origin="https://evil.example")
        fail("the handshake with a bad origin was accepted")
    except websockets.exceptions.InvalidStatusCode as e:
        if e.status_code != 403:
            fail("expected 403, got %d" % e.status_code)

    text, s = scrape(mport)
    check(s, {
        "websocket_connections_accepted_total": 6,
        "websocket_connections_opened_total": 5,
        'websocket_handshakes_refused_total{status="403"}': 1,
        'websocket_handshakes_refused_total{status="400"}': 0,
        'websocket_closes_total{side="peer",code="1000"}': 1,
        'websocket_closes_total{side="server",code="1008"}': 1,
        'websocket_closes_total{side="peer",code="1008"}': 0,
        'websocket_closes_total{side="server",code="1000"}': 0,
        'websocket_messages_received_total{type="text"}': 10,
        'websocket_messages_received_total{type="binary"}': 3,
        'websocket_messages_sent_total{type="text"}': 10,
        'websocket_messages_sent_total{type="binary"}': 3,
        'websocket_received_bytes_total{type="text"}': 35 + 14 + 12 + 1000,
        'websocket_received_bytes_total{type="binary"}': 12,
        'websocket_sent_bytes_total{type="text"}': 35 + 1200 + 1000,
        'websocket_sent_bytes_total{type="binary"}': 12,
        "websocket_pings_received_total": 1,
        "websocket_pongs_sent_total": 1,
        'websocket_backpressure_events_total{event="dropped"}': 8,
        'websocket_backpressure_events_total{event="queued"}': 1,
        'websocket_backpressure_events_total{event="closed"}': 0,
        # reading from the flooded connection paused: its backlog passed half of max_buffered_amount
        'websocket_backpressure_events_total{event="paused"}': 1,
        'websocket_compression_bytes_total{direction="received",form="uncompressed"}': 1000,
        'websocket_compression_bytes_total{direction="sent",form="uncompressed"}': 1000,
        "websocket_open_connections": 3,
        "websocket_handshake_duration_seconds_count": 5,
        'websocket_handler_duration_seconds_count{event="open"}': 5,
        'websocket_metrics_scrapes_total{result="text"}': 0,
        "websocket_broker_connected": 0,
        "websocket_broker_reconnects_total": 0,
        "websocket_history_entries": 0,
    })
    for k in ['websocket_compression_bytes_total{direction="received",form="compressed"}',
              'websocket_compression_bytes_total{direction="sent",form="compressed"}']:
        if not 0 < int(s[k]) < 1000:
            fail("%s is %s: 1000 repeated bytes should compress" % (k, s[k]))

    for i in (0, 3, 4):
        await c[i].close(1000)
    text, s = scrape(mport)
    check(s, {
        'websocket_closes_total{side="peer",code="1000"}': 4,
        "websocket_open_connections": 0,
        'websocket_metrics_scrapes_total{result="text"}': 1,
    })
    with open(out, "w") as f:
        f.write(text)


def compare(scrape_file, stats_file):
    s = {}
    for line in open(scrape_file):
        if line.strip() and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            s[k] = int(float(v))
    st = json.load(open(stats_file))

    def total(prefix):
        return sum(v for k, v in s.items() if k.startswith(prefix + "{") or k == prefix)

    pairs = {
        "messages_in": total("websocket_messages_received_total"),
        "messages_out": total("websocket_messages_sent_total"),
        "bytes_in": s["websocket_read_bytes_total"],
        "bytes_out": total("websocket_sent_bytes_total"),
        "accepted": s["websocket_connections_accepted_total"],
        "handshakes_rejected": total("websocket_handshakes_refused_total"),
        "opened": s["websocket_connections_opened_total"],
        "pings_in": s["websocket_pings_received_total"],
        "pongs_out": s["websocket_pongs_sent_total"],
        "backpressure_dropped": s['websocket_backpressure_events_total{event="dropped"}'],
        "bytes_written": s["websocket_written_bytes_total"],
        "inflate_out": s['websocket_compression_bytes_total{direction="received",form="uncompressed"}'],
        "deflate_out": s['websocket_compression_bytes_total{direction="sent",form="compressed"}'],
        # the scrape that was saved counted itself only after it was rendered
        "metrics_scrapes_text": s['websocket_metrics_scrapes_total{result="text"}'] + 1,
    }
    for k, v in pairs.items():
        if st[k] != v:
            fail("stats(true)[%s] is %s, the scrape says %s" % (k, st[k], v))
    closes = {int(k): v for k, v in st["closes"].items()}
    for code in (1000, 1008):
        c = s['websocket_closes_total{side="peer",code="%d"}' % code] + s['websocket_closes_total{side="server",code="%d"}' % code]
        if closes.get(code, 0) != c:
            fail("stats()['closes'][%d] is %s, the scrape says %d" % (code, closes.get(code), c))
    if st["timings"]["handshake"]["count"] != s["websocket_handshake_duration_seconds_count"]:
        fail("handshake timings differ")


def main():
    mode = sys.argv[1]
    if mode == "echo":
        asyncio.run(echo(int(sys.argv[2])))
    elif mode == "counts":
        asyncio.run(counts(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
    elif mode == "compare":
        compare(sys.argv[2], sys.argv[3])
    print("ok " + mode)


main()
