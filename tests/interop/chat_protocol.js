// The chat room's JSON protocol (examples/chat/PROTOCOL.md), driven by a raw
// Node "ws" client: validation errors, limits, rooms, private messages,
// moderation, session takeover and the rate limit.
//
//   node tests/interop/chat_protocol.js PORT MODERATOR_TOKEN
//
// Prints "ok - <step>" per step; exits 1 at the first failure.
'use strict';

const WebSocket = require('ws');

const [port, token] = process.argv.slice(2);
if (!port || !token) {
  console.error('usage: chat_protocol.js PORT MODERATOR_TOKEN');
  process.exit(2);
}
const URL = `ws://127.0.0.1:${port}/chat`;
const WAIT_MS = 3000;

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
      ws.on('message', (data, binary) => {
        c.inbox.push(binary ? { type: '<binary>' } : JSON.parse(data.toString()));
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
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  sendBinary(bytes) {
    this.ws.send(bytes, { binary: true });
  }

  // The first message (oldest first) matching pred; it is removed from the inbox.
  next(pred, what) {
    return this.waitFor(() => {
      const i = this.inbox.findIndex(pred);
      return i < 0 ? undefined : this.inbox.splice(i, 1)[0];
    }, what);
  }

  // The close code and reason, once the server closed the connection.
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

  error(code) {
    return this.next((m) => m.type === 'error', `error ${code}`).then((m) => {
      equal(m.code, code, `${this.label}: error code`);
      if (typeof m.message !== 'string' || m.message === '') throw new Error(`${this.label}: error without a message`);
      return m;
    });
  }

  // Sends a line to the room and waits for it to come back (proof that the connection still works).
  async say(text) {
    this.send({ type: 'say', text });
    return this.next((m) => m.type === 'message' && m.text === text, `its own message "${text}"`);
  }

  close() {
    this.ws.close(1000);
    return this.closing();
  }
}

// Opens a connection and joins; returns it with the welcome and room snapshot consumed.
async function joined(nick, room = 'lobby') {
  const c = await Client.open(nick);
  c.send({ type: 'join', nick, room });
  c.welcome = await c.next((m) => m.type === 'welcome', 'welcome');
  c.room = await c.next((m) => m.type === 'room', 'room snapshot');
  return c;
}

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

let alice;
let bob;

step('the room list arrives on open and has the default rooms', async () => {
  const c = await Client.open('visitor');
  const m = await c.next((x) => x.type === 'rooms', 'rooms');
  const names = m.rooms.map((r) => r.name);
  assert(names.includes('lobby') && names.includes('random'), `default rooms missing: ${names}`);
  c.send({ type: 'say', text: 'hello?' });
  await c.error('not_joined');
  await c.close();
});

step('invalid nicknames are refused with nick_invalid', async () => {
  const c = await Client.open('badnicks');
  for (const nick of ['', '   ', 'two words', 'x'.repeat(25), '<b>bold</b>', '___', 'zoë', 'tab\tname']) {
    c.send({ type: 'join', nick });
    await c.error('nick_invalid');
  }
  c.send({ type: 'join', nick: 42 });
  await c.error('bad_message');
  await c.close();
});

step('reserved nicknames are refused with nick_reserved, whatever the case or punctuation', async () => {
  const c = await Client.open('impostor');
  for (const nick of ['system', 'System', 'ADMIN', 'moderator', 'Sys.tem', 'ser-ver', 'ad_min']) {
    c.send({ type: 'join', nick });
    await c.error('nick_reserved');
  }
  await c.close();
});

step('a join gets a welcome with a session and the room snapshot', async () => {
  alice = await joined('alice');
  equal(alice.welcome.nick, 'alice', 'welcome nick');
  assert(/^[0-9a-f]{32}$/.test(alice.welcome.session), `session ${alice.welcome.session}`);
  equal(alice.room.room, 'lobby', 'room');
  equal(alice.room.users, ['alice'], 'users');
  assert(Array.isArray(alice.room.history), 'history is a list');
});

step('surrounding spaces are trimmed; newcomers are announced to the room', async () => {
  const c = await Client.open('bob');
  c.send({ type: 'join', nick: '  bob  ', room: 'lobby' });
  c.welcome = await c.next((m) => m.type === 'welcome', 'welcome');
  equal(c.welcome.nick, 'bob', 'trimmed nick');
  c.room = await c.next((m) => m.type === 'room', 'room');
  equal(c.room.users, ['alice', 'bob'], 'users');
  bob = c;
  const j = await alice.next((m) => m.type === 'join' && m.nick === 'bob', 'join notice');
  equal(j.room, 'lobby', 'join notice room');
});

step('a duplicate nickname is refused (case and punctuation insensitive); the connection can try again', async () => {
  const c = await Client.open('dup');
  for (const nick of ['alice', 'ALICE', 'a.lice', 'Bob']) {
    c.send({ type: 'join', nick });
    await c.error('nick_taken');
  }
  c.send({ type: 'join', nick: 'carol' });
  equal((await c.next((m) => m.type === 'welcome', 'welcome')).nick, 'carol', 'welcome nick');
  await c.next((m) => m.type === 'room', 'room');
  c.send({ type: 'join', nick: 'carol2' });
  await c.error('already_joined');
  await c.close();
  const left = await alice.next((m) => m.type === 'leave' && m.nick === 'carol', 'leave notice');
  equal(left.reason, 'left', 'leave reason');
});

step('malformed messages get an error reply and the connection stays usable', async () => {
  // Before joining: the envelope is checked first.
  const m = await Client.open('mallory');
  for (const [raw, code] of [
    ['{not json', 'bad_json'],
    ['[[[[[[[[[[1]]]]]]]]]]', 'bad_json'],
    ['42', 'bad_message'],
    ['[1,2]', 'bad_message'],
    ['{"text":"no type"}', 'bad_message'],
  ]) {
    m.send(raw);
    await m.error(code);
  }
  m.sendBinary(Buffer.from([0, 1, 2, 255]));
  await m.error('bad_message');
  await m.close();
  // Once joined: the fields of each type.
  const j = await joined('mallory', 'scratch');
  for (const [raw, code] of [
    ['{"type":"say","text":5}', 'bad_message'],
    ['{"type":"say"}', 'bad_message'],
    ['{"type":"dance"}', 'unknown_type'],
    ['{"type":"say","text":"  \\u0000 "}', 'empty'],
  ]) {
    j.send(raw);
    await j.error(code);
  }
  const echoed = await j.say('still here');
  equal([echoed.from, echoed.room], ['mallory', 'scratch'], 'sender and room');
  await j.close();
});

step('a message over 2 KiB gets too_long and the connection stays usable', async () => {
  const c = await joined('big', 'scratch');
  c.send({ type: 'say', text: 'x'.repeat(3000) });
  await c.error('too_long');
  await c.say('short one');
  await c.close();
});

step('a message over max_message_size (64 KiB) closes the connection with 1009', async () => {
  const c = await joined('huge', 'scratch');
  c.send({ type: 'say', text: 'x'.repeat(70 * 1024) });
  equal((await c.closing()).code, 1009, 'close code');
});

let roomy;

step('invalid room names are refused with room_invalid', async () => {
  const c = await Client.open('roomy');
  for (const room of ['', 'two words', '-dash', 'x'.repeat(33), '../etc', 'caf\u00e9', 'room:lobby', 'a/b']) {
    c.send({ type: 'join', nick: 'roomy', room });
    await c.error('room_invalid');
  }
  c.send({ type: 'join', nick: 'roomy', room: 5 });
  await c.error('bad_message');
  await c.close();
  // The failed joins did not hold on to the nickname.
  roomy = await Client.open('roomy');
  roomy.send({ type: 'join', nick: 'roomy', room: '  #Dev ' });
  await roomy.next((m) => m.type === 'welcome', 'welcome');
  equal((await roomy.next((m) => m.type === 'room', 'room')).room, 'dev', 'normalized room name');
  for (const room of ['bad room!', '', '#']) {
    roomy.send({ type: 'room', room });
    await roomy.error('room_invalid');
  }
  roomy.send({ type: 'room', room: 'dev' });
  await roomy.error('same_room');
  const rooms = await alice.next((m) => m.type === 'rooms' && m.rooms.some((r) => r.name === 'dev'), 'room list with dev');
  equal(rooms.rooms.find((r) => r.name === 'dev').users, 1, 'dev users');
});

step('room messages reach the room only, with sender and timestamp', async () => {
  await roomy.say('hello dev');
  const before = Date.now();
  alice.send({ type: 'say', text: 'hello lobby' });
  const got = await bob.next((m) => m.type === 'message' && m.text === 'hello lobby', 'a message');
  equal([got.from, got.room], ['alice', 'lobby'], 'message');
  assert(Number.isInteger(got.ts) && got.ts >= before - 1000 && got.ts <= Date.now() + 1000, `timestamp ${got.ts}`);
  // "hello dev" was published before "hello lobby": it would be here by now.
  assert(!bob.inbox.some((m) => m.text === 'hello dev'), 'bob (in #lobby) received a message of #dev');
});

step('switching rooms: leave notice in the old room, join notice in the new one', async () => {
  const dev = await joined('devon', 'dev');
  roomy.send({ type: 'room', room: 'lobby' });
  const snap = await roomy.next((m) => m.type === 'room', 'room');
  equal(snap.room, 'lobby', 'room');
  assert(['alice', 'bob', 'roomy'].every((n) => snap.users.includes(n)), `users ${snap.users}`);
  await alice.next((m) => m.type === 'join' && m.nick === 'roomy', 'join notice');
  const left = await dev.next((m) => m.type === 'leave' && m.nick === 'roomy', 'leave notice in #dev');
  equal([left.room, left.reason], ['dev', 'left'], 'leave notice');
  await roomy.close();
  await alice.next((m) => m.type === 'leave' && m.nick === 'roomy', 'leave notice');
  await dev.close();
});

step('private messages reach both ends only', async () => {
  const eve = await joined('eve');  // in the same room, yet sees nothing
  await alice.next((m) => m.type === 'join' && m.nick === 'eve', 'join');
  alice.send({ type: 'msg', to: 'BOB', text: 'psst' });
  for (const c of [alice, bob]) {
    const p = await c.next((m) => m.type === 'private', 'private message');
    equal([p.from, p.to, p.text], ['alice', 'bob', 'psst'], `${c.label}: private`);
  }
  alice.send({ type: 'msg', to: 'nobody', text: 'hi' });
  await alice.error('no_such_user');
  alice.send({ type: 'msg', to: 'alice', text: 'me' });
  await alice.error('bad_target');
  await eve.say('eve was here');
  assert(!eve.inbox.some((m) => m.type === 'private'), 'eve saw a private message');
  await eve.close();
});

step('newcomers get the last 50 messages of the room', async () => {
  const talkers = [];
  for (let i = 0; i < 6; i++) talkers.push(await joined(`talker${i}`, 'history'));
  let n = 0;
  for (const t of talkers) {
    // One talker at a time: lines from different connections may be handled in any order.
    for (let k = 0; k < 9; k++) t.send({ type: 'say', text: `line ${++n}` });
    await t.next((m) => m.type === 'message' && m.text === `line ${n}`, `line ${n}`);
  }
  const late = await joined('latecomer', 'history');
  equal(late.room.history.length, 50, 'history length');
  equal(late.room.history[0].text, `line ${n - 49}`, 'oldest kept line');
  equal(late.room.history[49].text, `line ${n}`, 'newest line');
  for (const t of [...talkers, late]) await t.close();
});

step('messages carry ids; a rejoin with the last id and epoch resumes, exactly once; a gap reloads', async () => {
  const a = await joined('resumer', 'resume');
  assert(/^[0-9a-f]{16}$/.test(a.room.epoch), `epoch ${a.room.epoch}`);
  const first = await a.say('before the drop');
  assert(typeof first.id === 'string' && first.id !== '', `message id ${first.id}`);
  const session = a.welcome.session;
  await a.close();
  const b = await joined('resumeb', 'resume');
  for (let i = 1; i <= 3; i++) await b.say(`missed ${i}`);
  // Back with the last id seen: the three missed messages, then the "room" message without history.
  const c = await Client.open('resumer');
  c.send({ type: 'join', nick: 'resumer', room: 'resume', session, since: first.id, epoch: a.room.epoch });
  await c.next((m) => m.type === 'welcome', 'welcome');
  const room = await c.next((m) => m.type === 'room', 'room');
  equal([room.resumed, room.history], [3, undefined], 'resumed count, no history');
  const replayed = c.inbox.filter((m) => m.type === 'message').map((m) => m.text);
  equal(replayed, ['missed 1', 'missed 2', 'missed 3'], 'replayed messages, in order, before the room message');
  c.inbox = c.inbox.filter((m) => m.type !== 'message');
  await b.say('live again');
  await c.next((m) => m.type === 'message' && m.text === 'live again', 'the live stream');
  assert(!c.inbox.some((m) => m.type === 'message'), `a message came twice: ${JSON.stringify(c.inbox)}`);
  await c.close();
  // Another epoch, or an id the room never had: the whole history again.
  for (const [since, epoch] of [[first.id, '0000000000000000'], ['no-such-id', a.room.epoch]]) {
    const d = await Client.open('resumer');
    d.send({ type: 'join', nick: 'resumer', room: 'resume', since, epoch });
    await d.next((m) => m.type === 'welcome', 'welcome');
    const r = await d.next((m) => m.type === 'room', 'room');
    equal(r.history.map((m) => m.text), ['before the drop', 'missed 1', 'missed 2', 'missed 3', 'live again'], `reload for ${since}/${epoch}`);
    equal(r.resumed, undefined, 'no resumed count on a reload');
    await d.close();
  }
  await b.close();
});

step('kick needs /mod with the right token; the kicked user gets the reason and close 4000', async () => {
  bob.send({ type: 'kick', nick: 'alice', reason: 'nope' });
  await bob.error('forbidden');
  bob.send({ type: 'mod', token: 'wrong' });
  await bob.error('bad_token');
  alice.send({ type: 'mod', token });
  await alice.next((m) => m.type === 'moderator', 'moderator');
  alice.send({ type: 'kick', nick: 'ghost', reason: 'x' });
  await alice.error('no_such_user');
  alice.send({ type: 'kick', nick: 'alice', reason: 'x' });
  await alice.error('bad_target');
  alice.send({ type: 'kick', nick: 'bob', reason: 'spamming links' });
  const k = await bob.next((m) => m.type === 'kicked', 'kicked');
  equal([k.by, k.reason], ['alice', 'spamming links'], 'kicked message');
  const closed = await bob.closing();
  equal([closed.code, closed.reason], [4000, 'spamming links'], 'close');
  const left = await alice.next((m) => m.type === 'leave' && m.nick === 'bob', 'leave');
  equal([left.reason, left.by, left.text], ['kicked', 'alice', 'spamming links'], 'leave notice');
});

step('a long kick reason is cut to 123 bytes on a character boundary in the close frame', async () => {
  const victim = await joined('victim', 'elsewhere');
  const reason = '\u00e9'.repeat(100);                        // 200 bytes of UTF-8
  alice.send({ type: 'kick', nick: 'victim', reason });
  equal((await victim.next((m) => m.type === 'kicked', 'kicked')).reason, reason, 'full reason in the message');
  const closed = await victim.closing();
  equal([closed.code, closed.reason], [4000, '\u00e9'.repeat(61)], 'close');
  // Kicked from another room: the moderator gets a notice instead of the leave.
  equal((await alice.next((m) => m.type === 'notice', 'kick confirmation')).text, 'victim was kicked.', 'notice');
});

step('the same tab takes its nickname back with its session; others cannot', async () => {
  const first = await joined('zed');
  const thief = await Client.open('thief');
  thief.send({ type: 'join', nick: 'zed', session: 'f'.repeat(32) });
  await thief.error('nick_taken');
  thief.send({ type: 'join', nick: 'zed', session: first.welcome.session });
  const w = await thief.next((m) => m.type === 'welcome', 'welcome');
  equal(w.nick, 'zed', 'nick');
  assert(w.session !== first.welcome.session, 'a fresh session');
  equal((await first.closing()).code, 4001, 'the old connection is closed');
  await thief.close();
});

step('flooding: a warning, then close 1008', async () => {
  const f = await joined('flooder', 'scratch');
  for (let i = 1; i <= 25; i++) f.send({ type: 'say', text: `flood ${i}` });
  // The join counted as one message: 9 lines go through, the 10th is dropped.
  await f.next((m) => m.type === 'message' && m.text === 'flood 9', 'the 9th line');
  const w = await f.next((m) => m.type === 'warning', 'a warning');
  equal(w.code, 'rate_limit', 'warning code');
  const closed = await f.closing();
  equal(closed.code, 1008, 'close code');
  assert(!f.inbox.some((m) => m.type === 'message' && m.text === 'flood 10'), 'line 10 was delivered');
});

step('the room is still up after all this', async () => {
  const c = await joined('survivor');
  assert(c.room.users.includes('alice'), `users ${c.room.users}`);
  await c.say('all good');
  await alice.next((m) => m.type === 'message' && m.text === 'all good', 'message');
  await c.close();
  await alice.close();
});

step('plain HTTP on the same port: the page from document_root, nothing outside it, /stats', async () => {
  const base = `http://127.0.0.1:${port}`;
  const page = await fetch(`${base}/`);
  equal(page.status, 200, 'GET /');
  assert(page.headers.get('content-type').startsWith('text/html'), `content type ${page.headers.get('content-type')}`);
  assert((await page.text()).includes('Join the chat'), 'the page is the chat page');
  const js = await fetch(`${base}/app.js`);
  equal([js.status, js.headers.get('content-type')], [200, 'text/javascript; charset=utf-8'], 'GET /app.js');
  for (const p of ['/server.php', '/../server.php', '/%2e%2e/server.php', '/PROTOCOL.md']) {
    const r = await fetch(base + p);
    assert(r.status >= 400, `GET ${p} answered ${r.status}`);
    assert(!(await r.text()).includes('<?php'), `GET ${p} leaked the server's source`);
  }
  const stats = await fetch(`${base}/stats`);
  equal([stats.status, stats.headers.get('content-type')], [200, 'application/json'], 'GET /stats');
  const body = await stats.json();
  assert(Number.isInteger(body.online) && typeof body.rooms === 'object', `stats ${JSON.stringify(body)}`);
});

step('a WebSocket handshake on another path than /chat is refused with 404', async () => {
  const status = await new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`);
    const timer = setTimeout(() => reject(new Error('no answer to the handshake')), WAIT_MS);
    ws.on('unexpected-response', (req, res) => { clearTimeout(timer); resolve(res.statusCode); req.destroy(); });
    ws.on('open', () => { clearTimeout(timer); ws.terminate(); resolve(101); });
    ws.on('error', () => {});
  });
  equal(status, 404, 'handshake status');
  const c = await joined('stillthere');
  await c.close();
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
