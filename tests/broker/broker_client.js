// Clients for tests/broker/*.sh (Node's ws), against tests/workers/worker_server.php
// nodes that share one Redis (REDIS_PORT in the environment, for PUBSUB NUMSUB).
//
//   node broker_client.js fanout URLS CLIENTS TOPICS PUBLISHERS MESSAGES WORKERS
//     URLS is a comma-separated list of nodes; client i connects to node
//     floor(i / TOPICS) % nodes and subscribes to t(i % TOPICS).  Once every node is subscribed in Redis,
//     PUBLISHERS clients (spread over the nodes) publish MESSAGES each: every
//     client must receive every publication of its topic exactly once, each
//     publisher's in order.  Then one broadcast reaches every client once, and one
//     worker message reaches every worker of every node (WORKERS in all): each
//     client sees WORKERS "wm:" lines.
//   node broker_client.js listen URLS CLIENTS TOPIC MESSAGE...
//     Subscribes CLIENTS clients (spread over the nodes) to TOPIC, prints READY once
//     Redis has them, then waits until every client got every MESSAGE exactly once.
//   node broker_client.js stream URL_A URL_B [down]
//     One client per node, both on topic "live", each publishing "<node>-<seq>"
//     every 20 ms.  Prints STREAMING; on the stdin line "BACK" (Redis is up again)
//     it measures how long until each node receives a message the other node
//     published after that line, prints "RESUME <ms>" and exits.  Local delivery
//     must never stop, and nothing may arrive twice.  "down": Redis is not up yet.
'use strict';
const WebSocket = require('ws');
const { execFileSync } = require('child_process');
const { check, withTimeout } = require('../lib/nodetest').helpers(60000);

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.inbox = [];
    ws.waiters = [];
    ws.on('message', (d) => {
      const s = d.toString();
      if (ws.onAny) ws.onAny(s);
      if (ws.waiters.length && ws.waiters[0].test(s)) ws.waiters.shift().resolve(s);
      else ws.inbox.push(s);
    });
    ws.once('error', reject);
    ws.once('message', (d) => {
      const m = /^hello:(\d+):(\d+)$/.exec(d.toString());
      if (!m) return reject(new Error('no hello: ' + d));
      ws.worker = +m[1];
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

// Client j goes to node floor(j / group) % nodes, so that with group = TOPICS every topic has clients on every node.
async function connectAll(urls, n, group = 1) {
  const out = [];
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) {
      const node = Math.floor(j / group) % urls.length;
      batch.push(open(urls[node]).then((c) => { c.node = node; return c; }));
    }
    out.push(...(await withTimeout(Promise.all(batch), 'connect')));
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Until every channel has `nodes` subscribers in Redis (each node subscribes once).
async function settle(channels, nodes) {
  const port = process.env.REDIS_PORT;
  check(port, 'REDIS_PORT is not set');
  for (let i = 0; i < 400; i++) {
    const out = execFileSync('redis-cli', ['-p', port, 'PUBSUB', 'NUMSUB', ...channels]).toString().trim().split('\n');
    let ok = true;
    for (let k = 1; k < out.length; k += 2) if (+out[k] !== nodes) ok = false;
    if (ok) return;
    await sleep(50);
  }
  throw new Error('timeout: nodes did not subscribe in Redis: ' + channels.join(' '));
}

async function subscribeAll(conns, topicOf) {
  await withTimeout(Promise.all(conns.map((c, i) => {
    c.send(`sub:${topicOf(i)}`);
    return expect(c, /^subscribed:/);
  })), 'subscribe');
}

async function fanout(urls, n, topics, publishers, messages, workers) {
  const conns = await connectAll(urls, n, topics);
  await subscribeAll(conns, (i) => `t${i % topics}`);
  const channels = [];
  for (let t = 0; t < topics; t++) channels.push(`ws:t:t${t}`);
  await settle(channels, urls.length);
  // Publishers p and p + TOPICS share a topic and sit on different nodes.
  const pubs = conns.slice(0, publishers);
  const perTopic = new Array(topics).fill(0);
  pubs.forEach((c, p) => { perTopic[p % topics] += messages; });
  for (let k = 0; k < messages; k++) pubs.forEach((c, p) => c.send(`pub:t${p % topics}:p${p}-${k}`));
  await withTimeout(Promise.all(conns.map(async (c, i) => {
    c.got = [];
    while (c.got.length < perTopic[i % topics]) c.got.push(await expect(c, /^p\d+-\d+$/));
  })), 'publications');
  conns.forEach((c, i) => {
    check(new Set(c.got).size === c.got.length, `client ${i} got a publication twice`);
    const seen = {};
    for (const m of c.got) {
      const [, p, k] = /^p(\d+)-(\d+)$/.exec(m);
      check((+p % topics) === i % topics, `client ${i} got another topic's message ${m}`);
      check((seen[p] ?? -1) < +k, `client ${i}: publisher ${p} out of order`);
      seen[p] = +k;
    }
  });
  conns[0].send('bcast:all');
  await withTimeout(Promise.all(conns.map((c) => expect(c, /^bcast:all$/))), 'broadcast');
  conns[1].send('wm:hi');
  await withTimeout(Promise.all(conns.map(async (c) => {
    for (let w = 0; w < workers; w++) await expect(c, /^wm:\d+:hi:-?\d+$/);
  })), 'worker message');
  await sleep(500);
  for (const c of conns) {
    const extra = c.inbox.filter((s) => /^(p\d|bcast|wm)/.test(s));
    check(extra.length === 0, 'a client got something twice: ' + extra.slice(0, 3));
  }
  console.log(`fanout ok: ${n} clients on ${urls.length} nodes, ${publishers * messages} publications`);
  await Promise.all(conns.map((c) => new Promise((r) => { c.once('close', r); c.close(1000); })));
}

async function listen(urls, n, topic, msgs) {
  const conns = await connectAll(urls, n);
  await subscribeAll(conns, () => topic);
  await settle([`ws:t:${topic}`], urls.length);
  console.log('READY');
  await withTimeout(Promise.all(conns.map(async (c) => {
    for (const m of msgs) await expect(c, new RegExp('^' + m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'));
  })), 'messages');
  await sleep(500);
  for (const c of conns) check(c.inbox.length === 0, 'unexpected or duplicate: ' + c.inbox.slice(0, 3));
  console.log(`listen ok: ${n} clients got ${msgs.length} messages each`);
  process.exit(0);
}

async function stream(urlA, urlB, redisDown) {
  const a = await open(urlA), b = await open(urlB);
  a.name = 'A';
  b.name = 'B';
  for (const c of [a, b]) {
    c.send('sub:live');
    await withTimeout(expect(c, /^subscribed:live$/), 'subscribe');
  }
  if (!redisDown) await settle(['ws:t:live'], 2);
  let seq = 0, backSeq = null, backAt = 0;
  const resumed = {};
  for (const c of [a, b]) {
    c.seen = new Set();
    c.lastLocal = Date.now();
    c.maxLocalGap = 0;
    c.onAny = (s) => {
      const m = /^([AB])-(\d+)$/.exec(s);
      if (!m) return;
      check(!c.seen.has(s), `${c.name} got ${s} twice`);
      c.seen.add(s);
      if (m[1] === c.name) {
        const now = Date.now();
        c.maxLocalGap = Math.max(c.maxLocalGap, now - c.lastLocal);
        c.lastLocal = now;
      } else if (backSeq !== null && +m[2] >= backSeq && !resumed[c.name]) {
        resumed[c.name] = Date.now() - backAt;
      }
    };
  }
  const timer = setInterval(() => { a.send(`pub:live:A-${seq}`); b.send(`pub:live:B-${seq}`); seq++; }, 20);
  console.log('STREAMING');
  process.stdin.setEncoding('utf8');
  let buf = '';
  process.stdin.on('data', (d) => {
    buf += d;
    if (backSeq === null && /BACK/.test(buf)) { backSeq = seq; backAt = Date.now(); }
  });
  const deadline = Date.now() + 120000;
  while (!(resumed.A !== undefined && resumed.B !== undefined)) {
    check(Date.now() < deadline, 'cross-node delivery did not resume');
    await sleep(20);
  }
  clearInterval(timer);
  await sleep(300);
  for (const c of [a, b]) {
    check(c.maxLocalGap < 1000, `${c.name}: local delivery stalled for ${c.maxLocalGap} ms`);
  }
  console.log(`RESUME ${Math.max(resumed.A, resumed.B)} (A ${resumed.A} ms, B ${resumed.B} ms; local gaps ${a.maxLocalGap}/${b.maxLocalGap} ms; ${seq} x 2 sent)`);
  process.exit(0);
}

// echo URL SECONDS: one client asks and publishes to itself every 50 ms for SECONDS;
// the slowest answer must come within 500 ms (the loop never waits for Redis).
async function echo(url, seconds) {
  const c = await open(url);
  c.send('sub:mine');
  await withTimeout(expect(c, /^subscribed:mine$/), 'subscribe', 2000);
  const end = Date.now() + seconds * 1000;
  let worst = 0, n = 0;
  while (Date.now() < end) {
    const t0 = Date.now();
    c.send(`sub:e${n}`);
    await withTimeout(expect(c, new RegExp(`^subscribed:e${n}$`)), 'answer', 2000);
    c.send(`pub:mine:m${n}`);
    await withTimeout(expect(c, new RegExp(`^m${n}$`)), 'local publication', 2000);
    worst = Math.max(worst, Date.now() - t0);
    n++;
    await sleep(50);
  }
  check(worst < 500, `slowest answer took ${worst} ms`);
  console.log(`echo ok: ${n} round trips, slowest ${worst} ms`);
  process.exit(0);
}

const [mode, ...args] = process.argv.slice(2);
const run = {
  fanout: () => fanout(args[0].split(','), +args[1], +args[2], +args[3], +args[4], +args[5]),
  listen: () => listen(args[0].split(','), +args[1], args[2], args.slice(3)),
  stream: () => stream(args[0], args[1], args[2] === 'down'),
  echo: () => echo(args[0], +args[1]),
}[mode];
if (!run) {
  console.error('usage: broker_client.js fanout|listen|stream ...');
  process.exit(2);
}
run().catch((e) => { console.error('FAIL: ' + e.message); process.exit(1); });
