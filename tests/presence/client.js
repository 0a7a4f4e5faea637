// Clients for tests/presence/*.sh (Node's ws), against tests/presence/server.php.
//
//   node client.js resume URL SUBSCRIBERS DROPS MESSAGES
//     SUBSCRIBERS connections subscribe to "feed"; one publisher connection
//     publishes ids 1..MESSAGES, one at a time (each acknowledged), paced.
//     DROPS subscribers, chosen at random, cut their socket at a random
//     moment and reconnect with resume(since = the last id they saw, their
//     epoch).  A subscriber or the publisher closed by the server (a reload's
//     1012) reconnects the same way; the publisher asks for the newest id in
//     the history and goes on after it.  Prints "HALF" when half of the
//     messages are published (a test may reload then; with WAIT_RECONNECTS=N
//     in the environment the last quarter waits for N reconnects), and at the end checks
//     that every subscriber got 1..MESSAGES exactly once, in order.
//   node client.js presence URL
//     The steps of tests/presence/10-workers.sh, driven through stdin/stdout:
//     see that script.
'use strict';
const WebSocket = require('ws');
const readline = require('readline');
const { check, withTimeout } = require('../lib/nodetest').helpers(90000);

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.inbox = [];
    ws.waiters = [];
    ws.onData = null;
    ws.on('message', (d) => {
      const s = d.toString();
      if (ws.onData && s.startsWith('m:')) return ws.onData(s);
      const i = ws.waiters.findIndex((w) => w.re.test(s));
      if (i >= 0) ws.waiters.splice(i, 1)[0].resolve(s);
      else ws.inbox.push(s);
    });
    ws.once('error', reject);
    ws.once('close', () => reject(new Error('closed before hello')));
    ws.waiters.push({
      re: /^hello:/,
      resolve: (s) => {
        const [, worker, id, epoch] = s.split(':');
        Object.assign(ws, { worker: +worker, cid: id, epoch });
        resolve(ws);
      },
    });
  });
}

function expect(ws, re) {
  const i = ws.inbox.findIndex((s) => re.test(s));
  if (i >= 0) return Promise.resolve(ws.inbox.splice(i, 1)[0]);
  return new Promise((resolve) => ws.waiters.push({ re, resolve }));
}

async function request(ws, text, re) {
  ws.send(text);
  return withTimeout(expect(ws, re), text, 20000);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- resume

// URL may be a comma-separated list (several nodes): a subscriber starts on
// urls[n % len] and reconnects to a random one.
const pick = (urls) => urls[Math.floor(Math.random() * urls.length)];

class Subscriber {
  constructor(url, n) {
    this.urls = url.split(',');
    this.url = this.urls[n % this.urls.length];
    this.n = n;
    this.got = [];
    this.last = null;
    this.epoch = null;
    this.reconnects = 0;
    this.replayed = 0;
    this.gaps = 0;
  }

  attach(ws) {
    this.ws = ws;
    let asked = false;
    ws.onData = (s) => {
      const k = s.slice(2);
      this.got.push(+k);
      this.last = k;
      if (!asked) {
        // The topic's epoch exists once something was published (with Redis, Redis gives it): ask then.
        asked = true;
        request(ws, 'epoch', /^epoch:/).then((e) => { this.epoch = e.slice(6); }, () => {});
      }
    };
    ws.once('close', () => {
      if (!this.done) this.reconnect();
    });
  }

  async start() {
    const ws = await open(this.url);
    this.attach(ws);
    await request(ws, 'sub', /^subscribed$/);
  }

  async reconnect() {
    this.reconnects++;
    for (let attempt = 0; ; attempt++) {
      try {
        const url = pick(this.urls);
        const ws = await open(url);
        this.attach(ws);
        const r = await request(ws, `resume:${this.last}:${this.epoch || ""}`, /^resumed:/);
        this.log = (this.log || '') + ` [resume ${this.last} on ${url.slice(-5)} w${ws.worker}: ${r}]`;
        if (r === 'resumed:gap') this.gaps++;
        else this.replayed += +r.slice(8);
        return;
      } catch (e) {
        if (attempt > 100) throw e;
        await sleep(50);
      }
    }
  }

  drop() {
    if (this.last === null) {
      // Nothing seen yet, so nothing to resume from: drop right after the first message.
      const ws = this.ws;
      const first = ws.onData;
      ws.onData = (s) => {
        first(s);
        ws.onData = first;
        ws.terminate();
      };
      return;
    }
    this.ws.terminate(); // the 'close' handler reconnects
  }
}

async function resume(url, nsubs, ndrops, messages) {
  const subs = [];
  for (let i = 0; i < nsubs; i++) subs.push(new Subscriber(url, i));
  await withTimeout(Promise.all(subs.map((s) => s.start())), 'subscribe');
  // Random drops, each after the subscriber has seen something, spread over the run.
  const order = subs.map((s, i) => i).sort(() => Math.random() - 0.5).slice(0, ndrops);
  const dropAt = new Map(order.map((i) => [i, 1 + Math.floor(Math.random() * (messages - 2))]));

  let pub = null;
  let publisherReconnects = 0;
  async function publisher() {
    pub = await open(url.split(',')[0]);
    pub.once('close', () => { pub = null; });
  }
  await publisher();
  let k = 1;
  while (k <= messages) {
    try {
      if (pub === null) {
        publisherReconnects++;
        await publisher();
        const last = await request(pub, 'last', /^last:/);
        k = (+last.slice(5) || 0) + 1; // what reached the history is published; go on after it
        continue;
      }
      await request(pub, `pub:${k}`, new RegExp(`^ack:${k}$`));
    } catch (e) {
      if (pub !== null && pub.readyState === WebSocket.OPEN) throw e;
      pub = null; // a publisher that could not reconnect yet: try again
      await sleep(20);
      continue;
    }
    for (const [i, at] of dropAt) {
      if (at === k) subs[i].drop();
    }
    if (k === Math.floor(messages / 2)) console.log('HALF');
    if (k === Math.floor((messages * 3) / 4) && process.env.WAIT_RECONNECTS) {
      // A reload was asked for at HALF: keep the last quarter for after it has closed everyone.
      const want = +process.env.WAIT_RECONNECTS;
      await withTimeout((async () => {
        while (subs.reduce((a, s) => a + s.reconnects, 0) < want) await sleep(10);
      })(), `${want} reconnects`, 60000);
    }
    k++;
    if (k % 4 === 0) await sleep(2);
  }
  // Everyone must reach the last id; then compare.
  await withTimeout((async () => {
    while (subs.some((s) => s.last !== String(messages))) await sleep(20);
  })(), 'every subscriber reaches the last message');
  for (const s of subs) {
    s.done = true;
    s.ws.close();
  }
  if (pub) pub.close();
  let bad = 0;
  for (const s of subs) {
    const ok = s.got.length === messages && s.got.every((v, i) => v === i + 1);
    if (!ok) {
      bad++;
      if (bad <= 3) {
        const dup = s.got.length - new Set(s.got).size;
        console.log(`subscriber ${s.n}: ${s.got.length} messages, ${dup} duplicates, reconnects ${s.reconnects}, ` +
          `gaps ${s.gaps}, first wrong at ${s.got.findIndex((v, i) => v !== i + 1)}${s.log || ''}`);
        const w = s.got.findIndex((v, i) => v !== i + 1);
        console.log(`  around it: ${s.got.slice(Math.max(0, w - 3), w + 5).join(',')}`);
      }
    }
  }
  const reconnects = subs.reduce((a, s) => a + s.reconnects, 0);
  const replayed = subs.reduce((a, s) => a + s.replayed, 0);
  const gaps = subs.reduce((a, s) => a + s.gaps, 0);
  console.log(`RESULT subscribers=${nsubs} messages=${messages} reconnects=${reconnects} replayed=${replayed} ` +
    `gaps=${gaps} publisher_reconnects=${publisherReconnects} wrong=${bad}`);
  check(bad === 0 && gaps === 0, `${bad} subscribers did not get every message exactly once, in order (${gaps} gaps)`);
}

// ---------------------------------------------------------------- presence

async function presence(url) {
  const lines = readline.createInterface({ input: process.stdin });
  const stdin = [];
  const stdinWaiters = [];
  lines.on('line', (l) => (stdinWaiters.length ? stdinWaiters.shift()(l) : stdin.push(l)));
  const readLine = () => (stdin.length ? Promise.resolve(stdin.shift()) : new Promise((r) => stdinWaiters.push(r)));

  // Two members on each worker (connect until both workers have two).
  const on = { 0: [], 1: [] };
  const extra = [];
  for (let i = 0; i < 200 && (on[0].length < 2 || on[1].length < 2); i++) {
    const ws = await open(url);
    if (on[ws.worker].length < 2) on[ws.worker].push(ws);
    else extra.push(ws);
  }
  check(on[0].length === 2 && on[1].length === 2, 'could not place two clients on each worker');
  extra.forEach((ws) => ws.close());
  const all = [...on[0], ...on[1]];
  for (const [i, ws] of all.entries()) {
    ws.info = `u${i}`;
    const r = await request(ws, `join:room:${ws.info}`, /^joined:/);
    check(r === 'joined:1', `join ${ws.info}: ${r}`);
  }
  const want = (members) => JSON.stringify(members.map((ws) => [+ws.cid, ws.info, ws.worker]));
  async function until(ws, expected, what) {
    const t0 = Date.now();
    for (;;) {
      const r = await request(ws, 'presence:room', /^presence:/);
      if (r.slice(9) === expected) return Date.now() - t0;
      if (Date.now() - t0 > 10000) throw new Error(`${what}: worker ${ws.worker} sees ${r.slice(9)}, want ${expected}`);
      await sleep(10);
    }
  }
  // Every join is visible on both workers.
  await until(on[0][0], want(all), 'joins seen on worker 0');
  await until(on[1][0], want(all), 'joins seen on worker 1');
  console.log('JOINED ' + all.map((ws) => `${ws.cid}:${ws.worker}`).join(' '));
  // A closing connection leaves at once on its own worker, and within a bus trip on the other.
  const gone = on[1][1];
  gone.close();
  await new Promise((r) => gone.once('close', r));
  const rest = all.filter((ws) => ws !== gone);
  await until(on[1][0], want(rest), 'close seen on its own worker');
  const ms = await until(on[0][0], want(rest), 'close seen on the other worker');
  console.log(`CLOSED ${gone.cid} seen on the other worker after ${ms} ms`);
  // An explicit leave, then a join again (a changed info is a join event too).
  check((await request(on[0][1], 'leave:room', /^left:/)) === 'left:1', 'leave');
  check((await request(on[0][1], 'leave:room', /^left:/)) === 'left:0', 'a second leave is a no-op');
  check((await request(on[0][1], `join:room:${on[0][1].info}`, /^joined:/)) === 'joined:1', 'join again');
  await until(on[1][0], want(rest), 'rejoin seen on worker 1');
  // Worker 1 is killed: its remaining member disappears everywhere.
  console.log('KILL 1');
  const killed = await readLine();
  check(killed === 'killed', `unexpected input ${killed}`);
  const survivors = on[0];
  const t = await until(on[0][0], want(survivors), "the dead worker's members expire");
  console.log(`EXPIRED after ${t} ms`);
  for (const ws of survivors) ws.close();
  console.log('DONE');
}

// ---------------------------------------------------------------- presence across nodes

async function nodes(urlA, urlB) {
  const lines = readline.createInterface({ input: process.stdin });
  const stdin = [];
  const stdinWaiters = [];
  lines.on('line', (l) => (stdinWaiters.length ? stdinWaiters.shift()(l) : stdin.push(l)));
  const readLine = () => (stdin.length ? Promise.resolve(stdin.shift()) : new Promise((r) => stdinWaiters.push(r)));
  const say = (l) => console.log(l);

  async function member(url, info) {
    const ws = await open(url);
    ws.info = info;
    const r = await request(ws, `join:room:${info}`, /^joined:/);
    check(r === 'joined:1', `join ${info}: ${r}`);
    return ws;
  }
  // Polls a client's presence() until the infos are exactly `infos` (sorted), within `ms`.
  async function until(ws, infos, what, ms = 15000) {
    const t0 = Date.now();
    const want = JSON.stringify([...infos].sort());
    for (;;) {
      const r = await request(ws, 'presence:room', /^presence:/);
      const got = JSON.parse(r.slice(9));
      if (JSON.stringify(got.map((m) => m[1]).sort()) === want) return { ms: Date.now() - t0, got };
      if (Date.now() - t0 > ms) throw new Error(`${what}: sees ${r.slice(9)}, want ${want}`);
      await sleep(20);
    }
  }

  const a1 = await member(urlA, 'a1');
  const b1 = await member(urlB, 'b1');
  let r = await until(a1, ['a1', 'b1'], 'node A sees both');
  say(`JOINS_SEEN ${r.ms} ms`);
  await until(b1, ['a1', 'b1'], 'node B sees both');
  // A member's node id is its own node's nodeId(), the same seen from either side (and from any worker).
  const nodeA = (await request(a1, 'node', /^node:/)).slice(5);
  const nodeB = (await request(b1, 'node', /^node:/)).slice(5);
  check(/^[0-9a-f]{16}$/.test(nodeA) && /^[0-9a-f]{16}$/.test(nodeB) && nodeA !== nodeB, `node ids ${nodeA} ${nodeB}`);
  for (const ws of [a1, b1]) {
    const seen = JSON.parse((await request(ws, 'nodes:room', /^nodes:/)).slice(6));
    check(seen.a1 === nodeA && seen.b1 === nodeB, `worker ${ws.worker} sees nodes ${JSON.stringify(seen)}, want a1=${nodeA} b1=${nodeB}`);
  }
  b1.close();
  r = await until(a1, ['a1'], 'a close on B is seen on A');
  say(`CLOSE_SEEN ${r.ms} ms`);
  const b2 = await member(urlB, 'b2');
  await until(a1, ['a1', 'b2'], 'b2 seen on A');
  say('KILL_B');
  check((await readLine()) === 'killed', 'protocol');
  const t0 = Date.now();
  b2.terminate();
  r = await until(a1, ['a1'], "a dead node's members expire", 20000);
  say(`EXPIRED ${Date.now() - t0} ms`);
  say('RESTART_B');
  const urlB2 = (await readLine()).replace(/^restarted /, '');
  const b3 = await member(urlB2, 'b3');
  r = await until(b3, ['a1', 'b3'], 'a node that starts late gets the full state');
  say(`LATE_NODE_SYNCED ${r.ms} ms`);
  await until(a1, ['a1', 'b3'], 'A sees the new node');
  say('KILL_REDIS');
  check((await readLine()) === 'redis down', 'protocol');
  // Changes while Redis is down: a4 joins on A, b3 leaves on B.
  const a4 = await member(urlA, 'a4');
  check((await request(b3, 'leave:room', /^left:/)) === 'left:1', 'leave during the outage');
  say('START_REDIS');
  check((await readLine()) === 'redis up', 'protocol');
  r = await until(b3, ['a1', 'a4'], 'B catches up with A after the outage', 20000);
  say(`RESYNCED ${r.ms} ms`);
  await until(a1, ['a1', 'a4'], 'A catches up with B after the outage', 20000);
  for (const ws of [a1, a4, b3]) ws.close();
  say('DONE');
}

// ---------------------------------------------------------------- a stalled node

async function stalled(urlA, urlB) {
  const lines = readline.createInterface({ input: process.stdin });
  const stdin = [];
  const stdinWaiters = [];
  lines.on('line', (l) => (stdinWaiters.length ? stdinWaiters.shift()(l) : stdin.push(l)));
  const readLine = () => (stdin.length ? Promise.resolve(stdin.shift()) : new Promise((r) => stdinWaiters.push(r)));
  const a = await open(urlA);
  const b = await open(urlB);
  check((await request(b, 'join:room:b1', /^joined:/)) === 'joined:1', 'join');
  async function until(want, what) {
    const t0 = Date.now();
    for (;;) {
      const r = await request(a, 'presence:room', /^presence:/);
      const infos = JSON.parse(r.slice(9)).map((m) => m[1]).join(',');
      if (infos === want) return Date.now() - t0;
      if (Date.now() - t0 > 20000) throw new Error(`${what}: A sees [${infos}], want [${want}]`);
      await sleep(50);
    }
  }
  await until('b1', 'A sees b1');
  console.log('STOP_B');
  check((await readLine()) === 'stopped', 'protocol');
  console.log(`EXPIRED ${await until('', "a stalled node's members expire")} ms`);
  console.log('CONT_B');
  check((await readLine()) === 'continued', 'protocol');
  console.log(`BACK ${await until('b1', 'they come back with the node')} ms`);
  a.close();
  b.close();
  console.log('DONE');
}

async function main() {
  const [mode, url, ...rest] = process.argv.slice(2);
  if (mode === 'resume') await resume(url, +rest[0], +rest[1], +rest[2]);
  else if (mode === 'presence') await presence(url);
  else if (mode === 'nodes') await nodes(url, rest[0]);
  else if (mode === 'stalled') await stalled(url, rest[0]);
  else throw new Error('usage: client.js resume URL SUBS DROPS MESSAGES | presence URL');
  process.exit(0);
}

main().catch((e) => {
  console.log('FAIL ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
