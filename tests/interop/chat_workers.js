// The chat room with several workers (examples/chat/server.php --workers 2),
// driven by raw Node "ws" clients: users on different workers see each other,
// talk in a room, exchange private messages; a nickname claimed at the same
// time on both workers goes to exactly one connection; a session takeover
// and a moderator kick cross workers; the users of a killed worker are
// dropped by the others and a restarted worker gets the whole user list.
//
//   node tests/interop/chat_workers.js PORT MODERATOR_TOKEN
//
// Which worker holds a user is read from the "worker" field of its welcome,
// never guessed. Prints "ok - <step>" per step; exits 1 at the first failure.
'use strict';

const http = require('http');
const WebSocket = require('ws');

const [port, token] = process.argv.slice(2);
if (!port || !token) {
  console.error('usage: chat_workers.js PORT MODERATOR_TOKEN');
  process.exit(2);
}
const URL = `ws://127.0.0.1:${port}/chat`;
const WAIT_MS = 6000;

class Client {
  constructor(label) {
    this.label = label;
    this.inbox = [];
    this.waiters = [];
    this.closed = null;
  }

  static open(label) {
    const c = new Client(label);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(URL);
      c.ws = ws;
      const timer = setTimeout(() => reject(new Error(`${label}: no connection within ${WAIT_MS} ms`)), WAIT_MS);
      ws.on('open', () => { clearTimeout(timer); resolve(c); });
      ws.on('error', (e) => { clearTimeout(timer); reject(e); });
      ws.on('message', (data) => {
        c.inbox.push(JSON.parse(data.toString()));
        c.wake();
      });
      ws.on('close', (code, reason) => {
        c.closed = { code, reason: reason.toString() };
        c.wake();
      });
    });
  }

  wake() {
    for (const w of this.waiters.slice()) w();
  }

  send(msg) {
    this.ws.send(JSON.stringify(msg));
  }

  next(pred, what) {
    return this.waitFor(() => {
      const i = this.inbox.findIndex(pred);
      return i < 0 ? undefined : this.inbox.splice(i, 1)[0];
    }, what);
  }

  closing() {
    return this.waitFor(() => this.closed || undefined, 'the connection to close');
  }

  waitFor(check, what) {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const found = check();
        if (found === undefined) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== attempt);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== attempt);
        reject(new Error(`${this.label}: timed out waiting for ${what}; inbox: ${JSON.stringify(this.inbox).slice(0, 600)}`
          + (this.closed ? `; closed ${this.closed.code} ${this.closed.reason}` : '')));
      }, WAIT_MS);
      if (!attempt()) this.waiters.push(attempt);
    });
  }

  // The answer to a join: the welcome (then the room snapshot), or an error.
  async joinAs(nick, extra = {}) {
    this.send({ type: 'join', nick, ...extra });
    const m = await this.next((x) => x.type === 'welcome' || x.type === 'error', `the answer to join ${nick}`);
    if (m.type === 'error') return m;
    this.welcome = m;
    this.worker = m.worker;
    this.nick = m.nick;
    this.room = await this.next((x) => x.type === 'room', 'room snapshot');
    return m;
  }

  close() {
    this.ws.close(1000);
    return this.closing();
  }
}

async function joined(nick) {
  const c = await Client.open(nick);
  const m = await c.joinAs(nick);
  if (m.type !== 'welcome') throw new Error(`${nick}: join refused: ${JSON.stringify(m)}`);
  if (!Number.isInteger(c.worker)) throw new Error(`${nick}: the welcome has no worker field: ${JSON.stringify(m)}`);
  return c;
}

// Placement is the kernel's: a worker waiting in epoll gets the next
// connection, so an idle worker 0 takes every connection that comes alone.
// Connections opened one per tick, each busy with a first message at once,
// find a worker busy now and then, and spread.

// Joins fresh connections as prefix1, prefix2, ... until one lands on a
// worker in `want`; the others are closed.
async function onWorker(prefix, want) {
  for (let burst = 0; burst < 5; burst++) {
    const pending = [];
    for (let i = 1; i <= 30; i++) {
      pending.push(joined(`${prefix}${burst * 30 + i}`));
      await sleep(1);
    }
    const conns = await Promise.all(pending);
    const found = conns.find((c) => want.includes(c.worker));
    await Promise.all(conns.filter((c) => c !== found).map((c) => c.close()));
    if (found) return found;
  }
  throw new Error(`150 connections, none on worker ${want}`);
}

// n connections that have not joined, opened as above (their first message
// is a "say", answered with not_joined).
async function openMany(prefix, n) {
  const pending = [];
  for (let i = 0; i < n; i++) {
    pending.push(Client.open(`${prefix}${i}`).then(async (c) => {
      c.send({ type: 'say', text: 'anyone?' });
      equal((await c.next((m) => m.type === 'error', 'not_joined')).code, 'not_joined', 'say before join');
      return c;
    }));
    await sleep(1);
  }
  return Promise.all(pending);
}

function getJson(path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
    }).on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

const steps = [];
const step = (name, fn) => steps.push({ name, fn });

// ------------------------------------------------------------------ steps

let alice; // on one worker
let bob;   // on the other

step('two users land on different workers (read from the welcome\'s "worker" field)', async () => {
  alice = await joined('alice');
  assert(alice.worker === 0 || alice.worker === 1, `worker ${alice.worker}`);
  bob = await onWorker('bob', [1 - alice.worker]);
  assert(bob.worker !== alice.worker, 'same worker');
});

step('each sees the other in the user list and the join notice', async () => {
  assert(bob.room.users.includes('alice'), `bob's snapshot lacks alice: ${bob.room.users}`);
  await alice.next((m) => m.type === 'join' && m.nick === bob.nick, `join notice of ${bob.nick}`);
  // The room counts come from the shared list: 2 in the lobby once the extra connections left.
  await alice.next((m) => m.type === 'rooms' && m.rooms.find((r) => r.name === 'lobby').users === 2, 'lobby with 2 users');
  await bob.next((m) => m.type === 'rooms' && m.rooms.find((r) => r.name === 'lobby').users === 2, 'lobby with 2 users');
});

step('room messages cross workers, in both directions', async () => {
  alice.send({ type: 'say', text: 'hello from worker ' + alice.worker });
  await bob.next((m) => m.type === 'message' && m.from === 'alice' && m.text === 'hello from worker ' + alice.worker, 'alice\'s message');
  bob.send({ type: 'say', text: 'hi back' });
  await alice.next((m) => m.type === 'message' && m.from === bob.nick && m.text === 'hi back', 'bob\'s message');
  // The history is the server's, not a worker's: a newcomer on either worker gets both lines.
  const late = await joined('historian');
  const texts = late.room.history.map((m) => m.text);
  assert(texts.includes('hello from worker ' + alice.worker) && texts.includes('hi back'), `history on worker ${late.worker}: ${texts}`);
  await late.close();
});

step('private messages reach a user on the other worker, and the sender', async () => {
  alice.send({ type: 'msg', to: bob.nick, text: 'psst' });
  const got = await bob.next((m) => m.type === 'private' && m.text === 'psst', 'the private message');
  equal([got.from, got.to], ['alice', bob.nick], 'private from/to');
  await alice.next((m) => m.type === 'private' && m.text === 'psst', 'own copy');
  bob.send({ type: 'msg', to: 'ALICE', text: 'psst back' });
  await alice.next((m) => m.type === 'private' && m.text === 'psst back' && m.from === bob.nick, 'the reply');
  bob.send({ type: 'msg', to: 'nobody', text: 'x' });
  equal((await bob.next((m) => m.type === 'error', 'error')).code, 'no_such_user', 'unknown user');
});

step('a nickname claimed on both workers at once goes to exactly one connection', async () => {
  // Placement is the kernel's: repeat until the racers did span both workers.
  for (let attempt = 0; attempt < 5; attempt++) {
    const racers = await openMany(`racer${attempt}x`, 20);
    for (let round = 0; round < 3; round++) {
      const nick = `racy${attempt}x${round}`;
      const answers = await Promise.all(racers.map((c) => c.joinAs(nick)));
      const winners = answers.filter((m) => m.type === 'welcome');
      equal(winners.length, 1, `${nick}: winners`);
      for (const m of answers) if (m.type === 'error') equal(m.code, 'nick_taken', `${nick}: the losers' error`);
      // The winner leaves; the losers are still unjoined and race again.
      const w = racers.findIndex((c) => c.welcome && c.nick === nick);
      await racers[w].close();
      racers.splice(w, 1, await Client.open(`racer-new${round}`));
    }
    // Which workers took part: the racers join under their own names.
    const workers = new Set();
    for (const [i, c] of racers.entries()) {
      const m = await c.joinAs(`solo${attempt}x${i}`);
      equal(m.type, 'welcome', 'solo join');
      workers.add(c.worker);
    }
    await Promise.all(racers.map((c) => c.close()));
    if (workers.size === 2) return;
  }
  throw new Error('5 bursts of 20 racers, each burst on one worker only: the race never crossed workers');
});

step('a session takes its nickname back from the other worker (4001 to the old connection)', async () => {
  let holder = await joined('zed');
  // Takeover after takeover until one crosses workers (placement: see onWorker()).
  for (let batch = 0; batch < 5; batch++) {
    const takers = await openMany(`taker${batch}x`, 20);
    for (const taker of takers) {
      const m = await taker.joinAs('zed', { session: holder.welcome.session });
      equal(m.type, 'welcome', 'takeover');
      assert(m.session !== holder.welcome.session, 'a fresh session');
      const closed = await holder.closing();
      equal(closed.code, 4001, 'the old connection\'s close code');
      const crossed = taker.worker !== holder.worker;
      holder = taker;
      if (crossed) {
        const other = await Client.open('thief');
        equal((await other.joinAs('zed', { session: 'f'.repeat(32) })).code, 'nick_taken', 'a wrong session');
        await other.close();
        await Promise.all(takers.filter((c) => !c.closed).map((c) => c.close()));
        return;
      }
    }
  }
  throw new Error('100 takeovers, none crossed workers');
});

step('a moderator kicks a user on the other worker', async () => {
  alice.send({ type: 'mod', token });
  await alice.next((m) => m.type === 'moderator', 'moderator');
  alice.send({ type: 'kick', nick: bob.nick, reason: 'cross-worker test' });
  equal(await bob.next((m) => m.type === 'kicked', 'kicked'), { type: 'kicked', by: 'alice', reason: 'cross-worker test' }, 'kicked message');
  equal((await bob.closing()).code, 4000, 'close code');
  const leave = await alice.next((m) => m.type === 'leave' && m.nick === bob.nick, 'the leave notice');
  equal([leave.reason, leave.by, leave.text], ['kicked', 'alice', 'cross-worker test'], 'leave notice');
  // The nickname is free again, whichever worker the next one lands on.
  const again = await joined(bob.nick);
  await again.close();
});

step('the users of a killed worker are dropped; the restarted worker gets the whole list', async () => {
  const victim = await onWorker('victim', [1 - alice.worker]);
  await alice.next((m) => m.type === 'join' && m.nick === victim.nick, 'the victim\'s join');
  alice.inbox = []; // room lists sent before the victim joined are older than its join notice
  let pid;
  for (let i = 0; i < 50 && !pid; i++) { // clusterStats() is up to a second old
    const stats = await getJson('/stats');
    pid = stats.workers && stats.workers[victim.worker];
    if (!pid) await sleep(100);
  }
  assert(Number.isInteger(pid) && pid > 0, 'no pid for the worker in /stats');
  process.kill(pid, 'SIGKILL');
  const leave = await alice.next((m) => m.type === 'leave' && m.nick === victim.nick, 'the victim\'s leave notice');
  equal(leave.reason, 'lost', 'leave reason');
  await alice.next((m) => m.type === 'rooms' && m.rooms.find((r) => r.name === 'lobby').users === 1, 'lobby with alice only');
  // The restarted worker starts empty and must learn that alice is online.
  const late = await onWorker('late', [victim.worker]);
  assert(late.room.users.includes('alice'), `a user of the restarted worker does not see alice: ${late.room.users}`);
  // Whichever worker they land on, alice is taken.
  const copycats = await Promise.all(Array.from({ length: 6 }, (_, i) => Client.open(`copycat${i}`)));
  for (const m of await Promise.all(copycats.map((c) => c.joinAs('alice')))) equal(m.code, 'nick_taken', 'alice again');
  late.send({ type: 'msg', to: 'alice', text: 'from the new worker' });
  await alice.next((x) => x.type === 'private' && x.text === 'from the new worker', 'the private message');
  await Promise.all([late.close(), alice.close(), ...copycats.map((c) => c.close())]);
});

(async () => {
  const started = Date.now();
  for (const { name, fn } of steps) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (e) {
      console.log(`not ok - ${name}\n  ${e.stack || e}`);
      process.exit(1);
    }
  }
  console.log(`${steps.length} steps passed in ${Date.now() - started} ms`);
  process.exit(0);
})();
