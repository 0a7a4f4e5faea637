// bench/history/run.sh's client (Node's ws).
//
//   node client.js publish URL MESSAGES
//     One subscriber and one publisher connection: the publisher asks for
//     bursts of 1,000 publications until MESSAGES are sent; prints
//     "PUBLISH <messages/s>", measured from the first burst to the
//     subscriber's last delivery (with the broker that includes the trip
//     through Redis).
//   node client.js resume URL CLIENTS BEHIND
//     Publishes 2 x BEHIND messages, then CLIENTS connections at once each
//     resume from the id BEHIND messages before the end; prints "RESUME
//     <total ms> <p50 ms> <p99 ms>": from a client's connect to its last
//     replayed message.
'use strict';
const WebSocket = require('ws');

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function next(ws, re) {
  return new Promise((resolve) => {
    const on = (d) => {
      const s = d.toString();
      if (re.test(s)) {
        ws.off('message', on);
        resolve(s);
      }
    };
    ws.on('message', on);
  });
}

async function publish(url, messages) {
  const sub = await open(url);
  sub.send('sub');
  await next(sub, /^subscribed$/);
  const pub = await open(url);
  let got = 0;
  const done = new Promise((resolve) => {
    sub.on('message', (d) => {
      if (d.length > 1 && d[0] === 0x6d && ++got === messages) resolve();
    });
  });
  const t0 = process.hrtime.bigint();
  for (let k = 1; k <= messages; k += 1000) {
    pub.send(`burst:${k}:${Math.min(1000, messages - k + 1)}`);
    await next(pub, /^sent$/);
  }
  await done;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`PUBLISH ${Math.round(messages / secs)}`);
  sub.close();
  pub.close();
}

async function resume(url, clients, behind) {
  const pub = await open(url);
  const total = 2 * behind;
  pub.send(`burst:1:${total}`);
  await next(pub, /^sent$/);
  const probe = await open(url);           // wait until the history holds the last one
  for (;;) {
    probe.send(`resume:${total - 1}`);
    if ((await next(probe, /^resumed:/)) !== 'resumed:gap') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  probe.close();
  const since = total - behind;
  const t0 = process.hrtime.bigint();
  const times = await Promise.all(Array.from({ length: clients }, async () => {
    const c0 = process.hrtime.bigint();
    const ws = await open(url);
    let n = 0;
    const all = new Promise((resolve) => {
      ws.on('message', (d) => {
        if (d[0] === 0x6d && ++n === behind) resolve();
      });
    });
    ws.send(`resume:${since}`);
    await all;
    ws.close();
    return Number(process.hrtime.bigint() - c0) / 1e6;
  }));
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(`RESUME ${totalMs.toFixed(1)} ${q(0.5).toFixed(1)} ${q(0.99).toFixed(1)}`);
  pub.close();
}

const [mode, url, a, b] = process.argv.slice(2);
(mode === 'publish' ? publish(url, +a) : resume(url, +a, +b)).then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
