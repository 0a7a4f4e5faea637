'use strict';
// Pub/sub clients for tests/pubsub/*.sh, built on Node's `ws` (NODE_PATH
// must point at a node_modules holding ws@8).
//
//   node tests/pubsub/pubsub_client.js SCENARIO URL [ARGS...]
//
// Scenarios fanout, unsubscribe, slow and limits talk to topic_server.php
// (see its header for the commands); scenario example talks to
// examples/pubsub.php.  Every scenario throws (exit status 1, reason on
// stderr) on the first mismatch and prints "OK <scenario>" on success.

const WebSocket = require('ws');

const TIMEOUT = 60000;

const { check, withTimeout } = require('../lib/nodetest').helpers(TIMEOUT);

// A client whose incoming messages are queued, so that a scenario can await
// them in order, or handed to a custom handler (onMessage) instead.
class Peer {
  constructor(url, name) {
    this.name = name;
    this.ws = new WebSocket(`${url}/${name}`, { perMessageDeflate: false });
    this.messages = [];
    this.waiting = null;
    this.onMessage = null;
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('message', (data, isBinary) => {
      const m = { text: isBinary ? null : data.toString(), data, isBinary };
      if (this.onMessage) this.onMessage(m);
      else this.messages.push(m);
      this.wake();
    });
    this.ws.on('close', () => this.wake());
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', (e) => reject(new Error(`${name}: ${e.message}`)));
    });
  }

  wake() {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w();
    }
  }

  async until(cond, what) {
    while (!cond()) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`${this.name} closed while waiting for ${what}`);
      await withTimeout(new Promise((resolve) => { this.waiting = resolve; }), `${this.name}: ${what}`);
    }
  }

  async next(what) {
    await this.until(() => this.messages.length > 0, what);
    return this.messages.shift();
  }

  // Sends a command and returns the next text message, which must be its reply.
  async ask(cmd, prefix) {
    this.ws.send(cmd);
    const m = await this.next(`reply to ${cmd.slice(0, 40)}`);
    check(!m.isBinary && m.text.startsWith(prefix),
      `${this.name}: reply to ${JSON.stringify(cmd.slice(0, 40))} is ${JSON.stringify(m.text && m.text.slice(0, 200))}`);
    return m.text;
  }

  // Asserts that nothing arrived before the reply to "sync".
  async expectNothing(what) {
    const reply = await this.ask('sync', '');
    check(reply === 'synced', `${this.name}: ${what}: got ${JSON.stringify(reply.slice(0, 100))} before "synced"`);
  }

  async close() {
    this.ws.close(1000);
    return withTimeout(this.closed, `${this.name} close`);
  }
}

async function connect(url, name) {
  const p = new Peer(url, name);
  await withTimeout(p.opened, `${name} open`);
  return p;
}

async function connectMany(url, names, batch = 200) {
  const peers = [];
  for (let i = 0; i < names.length; i += batch) {
    peers.push(...await Promise.all(names.slice(i, i + batch).map((n) => connect(url, n))));
  }
  return peers;
}

async function subscribe(p, topic) {
  check(await p.ask(`sub:${topic}`, 'subscribed:') === `subscribed:${topic}:1`, `${p.name}: subscribe ${topic}`);
}

// p publishes to a topic it is subscribed to: its own copy is queued before
// the reply to the command.
async function publishOwn(p, topic, payload, recipients) {
  p.ws.send(`pub:${topic}:${payload}`);
  const m = await p.next(`own copy of ${payload}`);
  check(!m.isBinary && m.text === payload, `${p.name}: expected its own ${JSON.stringify(payload)}, got ${JSON.stringify(m.text)}`);
  const r = await p.next('publish reply');
  check(r.text === `published:${recipients}`, `${p.name}: publish to ${topic.slice(0, 20)}: ${r.text}`);
}

async function count(p, topic) {
  const r = await p.ask(`count:${topic}`, `count:${topic}:`);
  return Number(r.slice(`count:${topic}:`.length));
}

// ------------------------------------------------------------------ fanout

// 1,000 clients over 10 topics; 50 of them publish 20 messages each
// (alternately pub and pubx) to topics that rotate with the sequence number.
// Every client must receive exactly the messages of its topics, once, in each
// publisher's order, and never its own pubx.
async function fanout(url) {
  const CLIENTS = 1000;
  const TOPICS = 10;
  const PUBLISHERS = 50;
  const PER_PUBLISHER = 20;
  const topicsOf = (i) => {
    const t = [i % TOPICS];
    const second = (i * 7) % TOPICS;
    if (i % 2 === 0 && second !== t[0]) t.push(second);
    return t.map((k) => `t${k}`);
  };
  const plan = (p, k) => ({ topic: `t${(p + k) % TOPICS}`, mode: k % 2 ? 'pubx' : 'pub' });

  const names = [];
  for (let i = 0; i < CLIENTS; i++) names.push(`c${i}`);
  const peers = await connectMany(url, names);
  console.log(`${CLIENTS} clients open`);
  await Promise.all(peers.map(async (p, i) => {
    for (const t of topicsOf(i)) await subscribe(p, t);
  }));
  const subscribers = {};
  peers.forEach((_, i) => topicsOf(i).forEach((t) => { subscribers[t] = (subscribers[t] || 0) + 1; }));
  for (let k = 0; k < TOPICS; k++) {
    check(await count(peers[0], `t${k}`) === subscribers[`t${k}`], `count of t${k}`);
  }
  const all = JSON.parse((await peers[0].ask('alltopics', 'alltopics:')).slice('alltopics:'.length));
  check(Object.keys(all).length === TOPICS && Object.keys(all).every((t) => all[t] === subscribers[t]),
    `server topics() ${JSON.stringify(all)}`);

  // What each client must receive: per publisher, the list of sequence numbers.
  const expected = peers.map((_, c) => {
    const mine = new Set(topicsOf(c));
    const per = new Map();
    let total = 0;
    for (let p = 0; p < PUBLISHERS; p++) {
      const ks = [];
      for (let k = 0; k < PER_PUBLISHER; k++) {
        const { topic, mode } = plan(p, k);
        if (mine.has(topic) && !(mode === 'pubx' && c === p)) ks.push(k);
      }
      per.set(p, ks);
      total += ks.length;
    }
    return { per, total };
  });

  // Collect everything from now on with a handler per client.
  const got = peers.map(() => ({ per: new Map(), total: 0, ends: 0, replies: [], other: [] }));
  peers.forEach((peer, c) => {
    peer.onMessage = (m) => {
      const g = got[c];
      if (m.isBinary) {
        g.other.push('<binary>');
      } else if (m.text.startsWith('published:')) {
        g.replies.push(Number(m.text.slice(10)));
      } else if (m.text.startsWith('END|')) {
        g.ends++;
      } else {
        const [p, k, topic, mode] = m.text.split('|');
        const key = Number(p);
        if (!g.per.has(key)) g.per.set(key, []);
        g.per.get(key).push(Number(k));
        g.total++;
        check(plan(key, Number(k)).topic === topic && plan(key, Number(k)).mode === mode, `payload ${m.text}`);
      }
    };
  });

  const t0 = Date.now();
  for (let k = 0; k < PER_PUBLISHER; k++) {
    for (let p = 0; p < PUBLISHERS; p++) {
      const { topic, mode } = plan(p, k);
      peers[p].ws.send(`${mode}:${topic}:${p}|${k}|${topic}|${mode}`);
    }
  }
  await Promise.all(peers.map((peer, c) => peer.until(
    () => got[c].total >= expected[c].total && (c >= PUBLISHERS || got[c].replies.length === PER_PUBLISHER),
    'all expected messages')));
  console.log(`${PUBLISHERS * PER_PUBLISHER} publishes delivered after ${Date.now() - t0} ms`);

  // A last message on every topic, published after all the others were
  // delivered: anything extra (a duplicate) would have been queued before it.
  for (let k = 0; k < TOPICS; k++) peers[0].ws.send(`pub:t${k}:END|t${k}`);
  await Promise.all(peers.map((peer, c) => peer.until(() => got[c].ends === topicsOf(c).length, 'END markers')));
  await peers[0].until(() => got[0].replies.length === PER_PUBLISHER + TOPICS, 'replies to the END markers');

  peers.forEach((_, c) => {
    const g = got[c];
    const e = expected[c];
    check(g.other.length === 0, `c${c}: unexpected ${g.other}`);
    check(g.total === e.total, `c${c}: ${g.total} messages, expected ${e.total}`);
    for (let p = 0; p < PUBLISHERS; p++) {
      const want = JSON.stringify(e.per.get(p));
      const have = JSON.stringify(g.per.get(p) || []);
      check(have === want, `c${c}: from publisher ${p} got ${have}, expected ${want}`);
    }
    if (c < PUBLISHERS) {
      // publish() counts the recipients: all subscribers, minus the sender for pubx.
      const want = [];
      for (let k = 0; k < PER_PUBLISHER; k++) {
        const { topic, mode } = plan(c, k);
        want.push(subscribers[topic] - (mode === 'pubx' && topicsOf(c).includes(topic) ? 1 : 0));
      }
      const endReplies = c === 0 ? Array.from({ length: TOPICS }, (_, k) => subscribers[`t${k}`]) : [];
      check(JSON.stringify(g.replies) === JSON.stringify(want.concat(endReplies)),
        `c${c}: publish() returned ${g.replies}, expected ${want.concat(endReplies)}`);
    } else {
      check(g.replies.length === 0, `c${c}: unexpected publish replies`);
    }
  });
  const deliveries = got.reduce((n, g) => n + g.total, 0);
  console.log(`${deliveries} deliveries verified`);
  await Promise.all(peers.map((p) => p.close()));
}

// ------------------------------------------------------------- unsubscribe

async function unsubscribe(url) {
  const [a, b, c, d, mon] = await connectMany(url, ['a', 'b', 'c', 'd', 'mon']);
  await subscribe(mon, 'monitor');
  const ids = {};
  for (const p of [a, b, c, d]) {
    ids[p.name] = (await p.ask('id', 'id:')).slice(3);
    await subscribe(p, 'room');
  }
  check(await a.ask('sub:room', 'subscribed:') === 'subscribed:room:0', 'second subscribe reports 0');
  check(await count(a, 'room') === 4, 'four subscribers');
  await subscribe(a, 'other');
  check(await a.ask('topics', 'topics:') === 'topics:["room","other"]', 'topics() in subscription order');

  // Unsubscribing: the count drops, the topic list shrinks, nothing more arrives.
  check(await a.ask('unsub:room', 'unsubscribed:') === 'unsubscribed:room:1', 'unsubscribe reports 1');
  check(await a.ask('unsub:room', 'unsubscribed:') === 'unsubscribed:room:0', 'second unsubscribe reports 0');
  check(await a.ask('unsub:never', 'unsubscribed:') === 'unsubscribed:never:0', 'unsubscribe from an unknown topic');
  check(await a.ask('topics', 'topics:') === 'topics:["other"]', 'topics() after unsubscribe');
  check(await count(a, 'room') === 3, 'three subscribers after unsubscribe');
  await publishOwn(c, 'room', 'm1', 3);
  for (const p of [b, d]) {
    const m = await p.next('m1');
    check(m.text === 'm1', `${p.name}: got ${m.text}`);
  }
  await a.expectNothing('after unsubscribing');

  // A connection closed with a closing handshake leaves its topics.
  check((await b.close()).code === 1000, 'b closed with 1000');
  let m = await mon.next('b closed');
  check(m.text === `closed:${ids.b}:1000:`, `monitor: ${m.text}`);
  check(await count(c, 'room') === 2, 'two subscribers after a close');

  // So does one that just drops its TCP connection; the server notices the
  // end of the stream (1006) and the monitor tells us.
  d.ws.terminate();
  m = await mon.next('d dropped');
  check(m.text === `closed:${ids.d}:1006:`, `monitor: ${m.text}`);
  check(await count(c, 'room') === 1, 'one subscriber after a dropped connection');
  await publishOwn(c, 'room', 'm2', 1);
  await a.expectNothing('after the second publish');

  // The last subscriber leaves: the topic disappears from topics().
  check(await c.ask('unsub:room', 'unsubscribed:') === 'unsubscribed:room:1', 'c unsubscribes');
  check(await count(c, 'room') === 0, 'no subscriber left');
  const all = JSON.parse((await c.ask('alltopics', 'alltopics:')).slice(10));
  // topics() lists the topics with a subscriber, in no particular order.
  check(JSON.stringify(Object.entries(all).sort()) === '[["monitor",1],["other",1]]', `server topics() ${JSON.stringify(all)}`);
  check(await c.ask('pub:room:m3', 'published:') === 'published:0', 'publish to an empty topic');
  await c.expectNothing('after publishing to an empty topic');

  // Subscribing again works as before.
  await subscribe(a, 'room');
  check(await c.ask('pub:room:m4', 'published:') === 'published:1', 'published to the new subscriber');
  m = await a.next('m4');
  check(m.text === 'm4', `a: got ${m.text}`);
  await c.expectNothing('c is not subscribed any more');
  for (const p of [a, c, mon]) await p.close();
}

// -------------------------------------------------------------------- slow

// One subscriber stops reading while a publisher sends 20 MiB in 64 KiB
// messages to it and 10 normal subscribers.  policy: the server's
// "backpressure" option ("close" is the default).
//
// The publisher keeps at most WINDOW messages ahead of the slowest normal
// subscriber: publish() does not slow a publisher down, so an unpaced burst
// of 20 MiB would overrun every subscriber's 4 MiB limit, not only the slow
// one's.  The slow one is never waited for.
async function slow(url, policy) {
  check(policy === 'close' || policy === 'drop', `policy ${policy}`);
  const SIZE = 64 * 1024;
  const COUNT = 320; // 20 MiB
  const NORMAL = 10;
  const BOUND_MS = 10000;
  const WINDOW = 16; // 1 MiB
  const names = ['slow', 'pub', 'mon'];
  for (let i = 0; i < NORMAL; i++) names.push(`n${i}`);
  const [slowPeer, pub, mon, ...normal] = await connectMany(url, names);
  await subscribe(mon, 'monitor');
  const slowId = (await slowPeer.ask('id', 'id:')).slice(3);
  for (const p of [slowPeer, ...normal]) await subscribe(p, 'feed');

  // The slow subscriber's socket stops reading: what the server sends piles
  // up in the kernel's buffers, then in the server's queue for it.
  slowPeer.ws._socket.pause();
  const seqOf = (m) => Number(m.text.slice(0, 8));
  const slowGot = [];
  slowPeer.onMessage = (m) => slowGot.push(m.text.length === SIZE ? seqOf(m) : m.text);

  const normalGot = normal.map(() => []);
  let lastNormal = 0;
  let sent = 0;
  const pump = () => {
    const slowest = Math.min(...normalGot.map((g) => g.length));
    for (; sent < COUNT && sent < slowest + WINDOW; sent++) {
      pub.ws.send(`pub:feed:${String(sent).padStart(8, '0')}${'a'.repeat(SIZE - 8)}`);
    }
  };
  normal.forEach((p, i) => {
    p.onMessage = (m) => {
      check(!m.isBinary && m.text.length === SIZE, `${p.name}: unexpected message`);
      // Checked at once: a lost message would otherwise only show as a timeout.
      check(seqOf(m) === normalGot[i].length, `${p.name}: got message ${seqOf(m)}, expected ${normalGot[i].length}`);
      normalGot[i].push(seqOf(m));
      lastNormal = Date.now();
      pump();
    };
  });
  // publish() returns the recipients of each message: 11 while the slow one
  // is admitted, 10 once it is closed or its messages are dropped.
  const recipients = [];
  pub.onMessage = (m) => recipients.push(m.text);

  const t0 = Date.now();
  pump();
  await Promise.all(normal.map((p, i) => p.until(() => normalGot[i].length === COUNT, 'all messages')));
  const elapsed = lastNormal - t0;
  console.log(`${NORMAL} normal subscribers got ${COUNT} x 64 KiB in ${elapsed} ms`);
  check(elapsed < BOUND_MS, `the normal subscribers took ${elapsed} ms (bound ${BOUND_MS} ms)`);
  await pub.until(() => recipients.length === COUNT, 'publish replies');
  const counts = recipients.map((r) => Number(r.slice('published:'.length)));
  check(recipients.every((r) => /^published:1[01]$/.test(r)), `publish replies ${[...new Set(recipients)]}`);
  const admitted = [];
  counts.forEach((n, seq) => { if (n === NORMAL + 1) admitted.push(seq); });
  check(admitted.length > 0 && admitted.length < COUNT, `the slow one was admitted ${admitted.length} of ${COUNT} messages`);
  pub.onMessage = null;

  if (policy === 'close') {
    // Over max_buffered_amount: closed with 1008, and out of the topic at once.
    check(admitted.every((seq, j) => seq === j), 'recipients went back to 11 after the close');
    const m = await mon.next('slow closed');
    check(m.text === `closed:${slowId}:1008:send buffer limit exceeded`, `monitor: ${m.text}`);
    const left = await count(pub, 'feed');
    check(left === NORMAL, `the slow one left the topic: subscribers(feed) = ${left}`);
    // Reading again, it gets what was in flight, then the close frame.
    slowPeer.ws._socket.resume();
    const c = await withTimeout(slowPeer.closed, 'slow close');
    check(c.code === 1008, `slow subscriber closed with ${c.code}`);
    check(c.reason === 'send buffer limit exceeded', `slow subscriber close reason ${JSON.stringify(c.reason)}`);
    // What was queued for it beyond the kernel's buffers was discarded.
    check(slowGot.every((seq, j) => seq === j), 'slow subscriber: messages missing or out of order');
    check(slowGot.length <= admitted.length, `slow subscriber got ${slowGot.length}, admitted ${admitted.length}`);
    console.log(`slow subscriber: ${admitted.length} admitted, ${slowGot.length} received, then 1008`);
  } else {
    // Over max_buffered_amount: messages are dropped, the connection stays.
    slowPeer.ws._socket.resume();
    // It receives what it was admitted, whole; "sync" is sent only once that
    // arrived (before, its queue is still over the limit and the reply would
    // be dropped too), and nothing else may come before "synced".
    await slowPeer.until(() => slowGot.length >= admitted.length, 'the admitted messages');
    slowPeer.ws.send('sync');
    await slowPeer.until(() => slowGot.includes('synced'), 'synced');
    check(slowGot.pop() === 'synced', 'slow: "synced" came with or after other messages');
    check(slowPeer.ws.readyState === WebSocket.OPEN, 'slow subscriber still open');
    check(JSON.stringify(slowGot) === JSON.stringify(admitted),
      `slow subscriber got ${slowGot.length} messages, admitted ${admitted.length}`);
    check(await count(pub, 'feed') === NORMAL + 1, 'the slow one is still subscribed');
    await mon.expectNothing('no connection closed');
    console.log(`slow subscriber: ${admitted.length} of ${COUNT} admitted and received, still open`);
    await slowPeer.close();
  }
  for (const p of [pub, mon, ...normal]) await p.close();
}

// ------------------------------------------------------------------ limits

async function limits(url) {
  const p = await connect(url, 'limits');
  const valueError = (method) => 'error:ValueError:WebSocket\\' + method
    + '(): Argument #1 ($topic) must be between 1 and 256 bytes long';
  check(await p.ask('pub:nobody:x', 'published:') === 'published:0', 'publish to a topic without subscribers');
  check(await p.ask('pubx:nobody:x', 'published:') === 'published:0', 'publish with except to a topic without subscribers');
  check(await count(p, 'nobody') === 0, 'subscribers of an unknown topic');
  const long = 'a'.repeat(257);
  for (const [cmd, method] of [
    ['sub:', 'Connection::subscribe'], [`sub:${long}`, 'Connection::subscribe'],
    ['unsub:', 'Connection::unsubscribe'], [`unsub:${long}`, 'Connection::unsubscribe'],
    ['pub::x', 'Server::publish'], [`pub:${long}:x`, 'Server::publish'],
    ['pubx::x', 'Server::publish'], [`pubx:${long}:x`, 'Server::publish'],
    ['count:', 'Server::subscribers'], [`count:${long}`, 'Server::subscribers'],
  ]) {
    const r = await p.ask(cmd, 'error:');
    check(r === valueError(method), `${cmd.slice(0, 20)}: ${r}`);
  }
  check(await p.ask('topics', 'topics:') === 'topics:[]', 'failed subscriptions left no topic');
  // The bounds themselves are fine: 1 and 256 bytes, and any bytes.
  for (const t of ['x', 'a'.repeat(256), 'caf\u00e9 \u65e5\u672c', 'with space']) {
    await subscribe(p, t);
    await publishOwn(p, t, `to ${t.length}`, 1);
  }
  const topics = JSON.parse((await p.ask('topics', 'topics:')).slice('topics:'.length));
  check(JSON.stringify(topics) === JSON.stringify(['x', 'a'.repeat(256), 'caf\u00e9 \u65e5\u672c', 'with space']),
    `topics() after the valid subscriptions: ${JSON.stringify(topics)}`);
  // Topic names are compared as bytes: a prefix or another case is another topic.
  check(await count(p, 'X') === 0 && await count(p, 'a'.repeat(255)) === 0, 'similar names are other topics');
  // A binary publish keeps the binary flag.
  p.ws.send(Buffer.concat([Buffer.from('x\n'), Buffer.from([0, 1, 2, 255])]));
  const m = await p.next('binary');
  check(m.isBinary && m.data.equals(Buffer.from([0, 1, 2, 255])), 'binary publish');
  await p.close();
}

// ----------------------------------------------------------------- example

// examples/pubsub.php: three clients; a message from any of them reaches all
// three, sender included, with its type.
async function example(url) {
  const peers = await connectMany(url, ['one', 'two', 'three']);
  const sends = [
    [0, 'hello from one'],
    [1, Buffer.from([0, 1, 2, 255])],
    [2, 'caf\u00e9 \u20ac \ud83d\ude00'],
    [0, ''],
  ];
  for (const [from, data] of sends) {
    const binary = Buffer.isBuffer(data);
    peers[from].ws.send(data, { binary });
    for (const p of peers) {
      const m = await p.next(`message from ${from}`);
      check(m.isBinary === binary, `${p.name}: type of the message from ${from}`);
      check(binary ? m.data.equals(data) : m.text === data, `${p.name}: got ${m.text} from ${from}`);
    }
  }
  // Messages keep their order per sender even when sent back to back.
  for (let i = 0; i < 100; i++) peers[1].ws.send(`burst ${i}`);
  for (const p of peers) {
    for (let i = 0; i < 100; i++) {
      const m = await p.next('burst');
      check(m.text === `burst ${i}`, `${p.name}: got ${m.text}, expected burst ${i}`);
    }
  }
  // One leaves; the others still get everything.
  await peers[2].close();
  peers[0].ws.send('after a close');
  for (const p of peers.slice(0, 2)) {
    const m = await p.next('after a close');
    check(m.text === 'after a close', `${p.name}: got ${m.text}`);
  }
  for (const p of peers.slice(0, 2)) await p.close();
}

const scenarios = { fanout, unsubscribe, slow, limits, example };

async function main() {
  const [name, url, ...args] = process.argv.slice(2);
  if (!scenarios[name] || !url) {
    console.error(`usage: pubsub_client.js {${Object.keys(scenarios).join('|')}} URL [ARGS]`);
    process.exit(2);
  }
  await scenarios[name](url, ...args);
  console.log(`OK ${name}${args.length ? ' ' + args.join(' ') : ''}`);
}

// Checks inside message handlers throw outside main()'s promise chain.
process.on('uncaughtException', (e) => {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
});

main().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
});
