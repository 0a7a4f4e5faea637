// permessage-deflate on a chat-like JSON corpus: msgs/s and bytes on the wire,
// with and without compression, against one server in the same sitting.
//   node bench/compression/bench.js PORT SECONDS
// The server (bench/compression/server.php) echoes and reports its byte
// counters on "stats"; wire bytes come from the server's bytes_in.
'use strict';
const WebSocket = require('ws');
const [port, seconds] = [process.argv[2], Number(process.argv[3] || 5)];

// A deterministic corpus: chat messages of 100 to 2,000 bytes of JSON.
function corpus(n) {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const words = ['hello', 'release', 'deploy', 'lunch', 'meeting', 'the', 'is', 'ready', 'tests', 'pass',
    'review', 'merge', 'tomorrow', 'yes', 'no', 'maybe', 'server', 'client', 'websocket', 'php', 'room', 'ok'];
  const nicks = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  const out = [];
  for (let i = 0; i < n; i++) {
    const target = 100 + Math.floor(rnd() * 1900);
    const msg = { type: 'message', room: 'lobby', from: nicks[i % nicks.length], id: 100000 + i,
      ts: 1795000000000 + i * 1337, text: '' };
    while (JSON.stringify(msg).length < target) msg.text += words[Math.floor(rnd() * words.length)] + ' ';
    out.push(JSON.stringify(msg));
  }
  return out;
}

function run(deflate, msgs) {
  return new Promise((resolve, reject) => {
    const conns = 10, inflight = 8;
    let sent = 0, got = 0, payload = 0, done = false, open = 0;
    const sockets = [];
    const end = Date.now() + seconds * 1000;
    for (let c = 0; c < conns; c++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: deflate ? { threshold: 64 } : false });
      sockets.push(ws);
      const next = () => { const m = msgs[sent++ % msgs.length]; payload += m.length; ws.send(m); };
      ws.on('open', () => { open++; for (let i = 0; i < inflight; i++) next(); });
      ws.on('message', () => {
        got++;
        if (Date.now() < end) next();
        else if (!done) { done = true; finish(); }
      });
      ws.on('error', reject);
    }
    function finish() {
      const t = seconds;
      const probe = new WebSocket(`ws://127.0.0.1:${port}/stats`, { perMessageDeflate: false });
      probe.on('message', (d) => {
        const st = JSON.parse(d.toString());
        sockets.forEach((s) => s.terminate());
        probe.close();
        resolve({ deflate, ext: sockets[0].extensions, msgs_per_s: got / t, payload_bytes: payload, wire_bytes_in: st.bytes_in });
      });
      probe.on('open', () => probe.send('stats'));
    }
  });
}

(async () => {
  const msgs = corpus(2000);
  const avg = msgs.reduce((a, m) => a + m.length, 0) / msgs.length;
  const plain = await run(false, msgs);
  const comp = await run(true, msgs);
  const ratio = (r) => r.payload_bytes / r.wire_bytes_in;
  console.log(`corpus: ${msgs.length} chat messages, ${Math.round(avg)} bytes on average`);
  console.log(`without compression: ${Math.round(plain.msgs_per_s)} msgs/s, payload/wire ${ratio(plain).toFixed(2)}`);
  console.log(`with permessage-deflate (${comp.ext}): ${Math.round(comp.msgs_per_s)} msgs/s, payload/wire ${ratio(comp).toFixed(2)}`);
  console.log('RESULT ' + JSON.stringify({ avg_size: avg, plain, compressed: comp,
    compression_ratio: ratio(comp), speed_ratio: comp.msgs_per_s / plain.msgs_per_s }));
})().catch((e) => { console.error(e); process.exit(1); });
