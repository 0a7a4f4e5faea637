// Clients for tests/workers/*.sh (Node's ws).
//
//   node workers_client.js fanout URL CLIENTS TOPICS PUBLISHERS MESSAGES WORKERS
//     CLIENTS connections, client i subscribes to topic t(i % TOPICS); PUBLISHERS
//     of them publish MESSAGES each to their topic, all at once.  Every client
//     must receive every publication of its topic exactly once, and all the
//     clients of a topic in the same order (one total order per topic, across
//     workers).  Every worker must hold connections.  Then one broadcast and
//     one worker message must reach every client (the worker message once per
//     worker).  Prints the spread of connections over workers.
//   node workers_client.js hold URL CLIENTS
//     CLIENTS connections that stay open; prints "READY <worker>:<n>,..." once all
//     are open, then, on stdin EOF or a close from the server, prints one line per
//     client "CLOSED <worker> <code>" and exits.
'use strict';
const WebSocket = require('ws');
const { check, withTimeout } = require('../lib/nodetest').helpers(60000);

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.inbox = [];
    ws.waiters = [];
    ws.on('message', (d) => {
      const s = d.toString();
      if (ws.waiters.length && ws.waiters[0].test(s)) ws.waiters.shift().resolve(s);
      else ws.inbox.push(s);
    });
    ws.once('error', reject);
    ws.once('message', (d) => {
      const m = /^hello:(\d+):(\d+)$/.exec(d.toString());
      if (!m) return reject(new Error('no hello: ' + d));
      ws.worker = +m[1];
      ws.cid = m[2];
      ws.inbox.shift();
      resolve(ws);
    });
  });
}

function expect(ws, re) {
  const i = ws.inbox.findIndex((s) => re.test(s));
  if (i >= 0) return Promise.resolve(ws.inbox.splice(i, 1)[0]);
  return new Promise((resolve) => ws.waiters.push({ test: (s) => re.test(s), resolve }));
}

async function connectAll(url, n) {
  const out = [];
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) batch.push(open(url));
    out.push(...(await withTimeout(Promise.all(batch), 'connect')));
  }
  return out;
}

function spread(conns) {
  const per = {};
  for (const c of conns) per[c.worker] = (per[c.worker] || 0) + 1;
  return per;
}

async function fanout(url, n, topics, publishers, messages, workers) {
  const conns = await connectAll(url, n);
  const per = spread(conns);
  console.log('spread ' + JSON.stringify(per));
  check(Object.keys(per).length === workers, `connections on ${Object.keys(per).length} of ${workers} workers`);
  await withTimeout(Promise.all(conns.map((c, i) => {
    c.send(`sub:t${i % topics}`);
    return expect(c, /^subscribed:/);
  })), 'subscribe');
  // Interest travels to the supervisor with the subscription; a round trip through it settles it.
  const total = publishers * messages;
  const pubs = conns.slice(0, publishers);
  for (let k = 0; k < messages; k++) {
    pubs.forEach((c, p) => c.send(`pub:t${p % topics}:p${p}-${k}`));
  }
  const perTopic = new Array(topics).fill(0);
  pubs.forEach((c, p) => { perTopic[p % topics] += messages; });
  await withTimeout(Promise.all(conns.map(async (c, i) => {
    const t = i % topics;
    c.got = [];
    while (c.got.length < perTopic[t]) {
      c.got.push(await expect(c, /^p\d+-\d+$/));
    }
  })), 'publications');
  const orders = new Array(topics).fill(null);
  conns.forEach((c, i) => {
    const t = i % topics;
    check(new Set(c.got).size === c.got.length, `client ${i} got a publication twice`);
    for (const m of c.got) check(((+/^p(\d+)/.exec(m)[1]) % topics) === t, `client ${i} got another topic's message ${m}`);
    const o = c.got.join(',');
    if (orders[t] === null) orders[t] = o;
    check(orders[t] === o, `topic t${t}: client ${i} (worker ${c.worker}) saw another order`);
    // Each publisher's own order holds.
    const seen = {};
    for (const m of c.got) {
      const [, p, k] = /^p(\d+)-(\d+)$/.exec(m);
      check((seen[p] ?? -1) < +k, `client ${i}: publisher ${p} out of order`);
      seen[p] = +k;
    }
  });
  conns[0].send('bcast:all');
  await withTimeout(Promise.all(conns.map((c) => expect(c, /^bcast:all$/))), 'broadcast');
  // Every worker's workerMessage handler broadcasts (across workers): each client gets one line per worker.
  conns[0].send('wm:hi');
  await withTimeout(Promise.all(conns.map(async (c) => {
    for (let w = 0; w < workers; w++) await expect(c, new RegExp(`^wm:${w}:hi:${conns[0].worker}$`));
  })), 'worker message');
  await new Promise((r) => setTimeout(r, 300));
  for (const c of conns) {
    check(!c.inbox.some((s) => /^(p\d|bcast|wm)/.test(s)), 'a client got something twice: ' + c.inbox.filter((s) => /^(p\d|bcast|wm)/.test(s)).slice(0, 3));
  }
  console.log(`fanout ok: ${n} clients, ${total} publications, ${Object.keys(per).length} workers`);
  await Promise.all(conns.map((c) => new Promise((r) => { c.once('close', r); c.close(1000); })));
}

async function hold(url, n) {
  const conns = await connectAll(url, n);
  const codes = [];
  let left = n;
  const done = new Promise((resolve) => {
    for (const c of conns) {
      c.on('close', (code) => { codes.push(`CLOSED ${c.worker} ${code}`); if (--left === 0) resolve(); });
    }
  });
  console.log('READY ' + JSON.stringify(spread(conns)));
  process.stdin.resume();
  process.stdin.on('end', () => conns.forEach((c) => c.close(1000)));
  await done;
  console.log(codes.join('\n'));
  process.exit(0);
}

// churn URL SECONDS: 8 loops that each connect, read hello and version, send a
// command and read its answer, and close, for SECONDS; prints
// "CHURN ok=<n> fail=<n> versions=<json>" (any failed connection attempt counts).
async function churn(url, seconds) {
  const end = Date.now() + seconds * 1000;
  let ok = 0, failed = 0;
  const versions = {};
  async function loop() {
    while (Date.now() < end) {
      try {
        const c = await withTimeout(open(url), 'connect', 5000);
        const v = await withTimeout(expect(c, /^version:/), 'version', 5000);
        c.send('sub:churn');
        await withTimeout(expect(c, /^subscribed:churn$/), 'reply', 5000);
        versions[v] = (versions[v] || 0) + 1;
        await new Promise((r) => { c.once('close', r); c.close(1000); });
        ok++;
      } catch (e) {
        failed++;
        console.error('churn: ' + e.message);
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, loop));
  console.log(`CHURN ok=${ok} fail=${failed} versions=${JSON.stringify(versions)}`);
}

const [mode, url, ...a] = process.argv.slice(2);
(mode === 'fanout' ? fanout(url, +a[0], +a[1], +a[2], +a[3], +a[4])
  : mode === 'churn' ? churn(url, +a[0]) : hold(url, +a[0]))
  .then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });
