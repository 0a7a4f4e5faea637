'use strict';
// Interop client for the shell tests, built on Node's `ws` (NODE_PATH must
// point at a node_modules holding ws@8).
//
//   node tests/interop/node_client.js SCENARIO URL
//
// Every scenario throws (exit status 1, reason on stderr) on the first
// mismatch and prints "OK <scenario>" on success.  Connection paths name the
// scenario (e.g. /close-client) so that the shell test can find the matching
// OPEN/CLOSE lines of tests/lib/echo_server.php.

const crypto = require('crypto');
const WebSocket = require('ws');

const TIMEOUT = 30000;

const { check, withTimeout } = require('../lib/nodetest').helpers(TIMEOUT);

// A client that queues messages and events for the scenario to await in order.
class Peer {
  constructor(url, protocols, options = {}) {
    // Default ws options (it offers permessage-deflate) unless told
    // otherwise.  No client-side size limit beyond ws' own 100 MiB.
    this.ws = new WebSocket(url, protocols, options);
    this.messages = [];
    this.waiting = null;
    this.pings = [];
    this.pongs = [];
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('message', (data, isBinary) => {
      this.messages.push({ data, isBinary });
      this.wake();
    });
    this.ws.on('ping', (data) => {
      this.pings.push(Buffer.from(data));
      this.wake();
    });
    this.ws.on('pong', (data) => {
      this.pongs.push(Buffer.from(data));
      this.wake();
    });
    this.ws.on('close', () => this.wake());
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }

  wake() {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w();
    }
  }

  // Resolves once cond() is true, re-checking after every event.
  async until(cond, what) {
    const deadline = Date.now() + TIMEOUT;
    while (!cond()) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting for ${what}`);
      await withTimeout(new Promise((resolve) => { this.waiting = resolve; }), what);
      if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    }
  }

  async next(what) {
    await this.until(() => this.messages.length > 0, what);
    return this.messages.shift();
  }

  async open() {
    await withTimeout(this.opened, 'open');
    return this;
  }
}

async function connect(url, protocols, options) {
  return new Peer(url, protocols, options).open();
}

// Sends data (string: text, Buffer: binary) and checks the echo.
async function roundtrip(p, data, what) {
  const binary = Buffer.isBuffer(data);
  p.ws.send(data, { binary });
  const m = await p.next(what);
  check(m.isBinary === binary, `${what}: type changed`);
  const want = binary ? data : Buffer.from(data, 'utf8');
  check(m.data.length === want.length, `${what}: sent ${want.length} bytes, got ${m.data.length}`);
  check(m.data.equals(want), `${what}: content differs`);
}

// Deterministic pseudo-random bytes.
function bytes(n, seed) {
  const out = Buffer.alloc(n);
  let block = Buffer.alloc(0);
  for (let off = 0, i = 0; off < n; i++) {
    block = crypto.createHash('sha256').update(`${seed}:${i}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

function asciiText(n, seed) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .';
  const b = bytes(n, seed);
  for (let i = 0; i < n; i++) b[i] = alphabet.charCodeAt(b[i] & 63);
  return b.toString('latin1');
}

const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 8 * 1024 * 1024];

function throws(fn) {
  try {
    fn();
    return false;
  } catch (e) {
    return true;
  }
}

async function closeNormally(p) {
  p.ws.close(1000);
  const c = await withTimeout(p.closed, 'close');
  check(c.code === 1000, `close code ${c.code}`);
}

const scenarios = {
  async echo(url, path = '/echo', options = {}) {
    const p = await connect(url + path, undefined, options);
    for (const n of SIZES) {
      await roundtrip(p, bytes(n, `b${n}`), `binary ${n}`);
      await roundtrip(p, asciiText(n, `t${n}`), `text ${n}`);
    }
    const sample = 'h\u00e9llo w\u00f6rld \u20ac \u65e5\u672c\u8a9e \ud834\udd1e \ud83d\ude00 ';
    for (const reps of [1, 7, 3000, 200000]) {
      await roundtrip(p, sample.repeat(reps), `utf-8 x${reps}`);
    }
    await roundtrip(p, Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00]), 'binary non-utf-8');
    await closeNormally(p);
  },

  // The same without offering permessage-deflate.
  async 'echo-plain'(url) {
    await scenarios.echo(url, '/echo-plain', { perMessageDeflate: false });
  },

  async fragments(url) {
    const p = await connect(url + '/fragments');
    // Text in three fragments.
    p.ws.send('Hel', { binary: false, fin: false });
    p.ws.send('lo, ', { binary: false, fin: false });
    p.ws.send('w\u00f6rld', { binary: false, fin: true });
    let m = await p.next('text fragments');
    check(!m.isBinary && m.data.toString() === 'Hello, w\u00f6rld', 'text fragments');
    // UTF-8 sequences split across fragments: "a€b𝄞" with the 3-byte and
    // the 4-byte characters cut in the middle.
    const whole = Buffer.from('a\u20acb\ud834\udd1e', 'utf8');
    const cuts = [0, 2, 3, 6, 8, whole.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      p.ws.send(whole.subarray(cuts[i], cuts[i + 1]), { binary: false, fin: i + 2 === cuts.length });
    }
    m = await p.next('split UTF-8');
    check(!m.isBinary && m.data.equals(whole), 'UTF-8 split across fragments');
    // Binary in 200 fragments, with a ping between two of them.
    const parts = [];
    for (let i = 0; i < 200; i++) parts.push(bytes(1000, `f${i}`));
    parts.forEach((part, i) => {
      p.ws.send(part, { binary: true, fin: i === parts.length - 1 });
      if (i === 100) p.ws.ping('mid-message');
    });
    m = await p.next('binary fragments');
    check(m.isBinary && m.data.equals(Buffer.concat(parts)), '200 binary fragments');
    await p.until(() => p.pongs.length === 1, 'pong to the mid-message ping');
    check(p.pongs[0].toString() === 'mid-message', 'pong payload');
    // Empty fragments, first and last included.
    for (const [s, fin] of [['', false], ['a', false], ['', false], ['b', false], ['', true]]) {
      p.ws.send(s, { binary: false, fin });
    }
    m = await p.next('empty fragments');
    check(!m.isBinary && m.data.toString() === 'ab', 'empty fragments');
    // Fragments that together cross the 64 KiB boundary.
    const big = [bytes(40000, 'g0'), bytes(40000, 'g1'), bytes(5, 'g2')];
    big.forEach((part, i) => p.ws.send(part, { binary: true, fin: i === big.length - 1 }));
    m = await p.next('large fragments');
    check(m.isBinary && m.data.equals(Buffer.concat(big)), 'fragments across 64 KiB');
    await closeNormally(p);
  },

  async ping(url) {
    const p = await connect(url + '/ping');
    const payloads = [Buffer.alloc(0), Buffer.from('client-ping'), bytes(125, 'p')];
    for (const [i, payload] of payloads.entries()) {
      p.ws.ping(payload);
      await p.until(() => p.pongs.length === i + 1, `pong ${i}`);
      check(p.pongs[i].equals(payload), `pong ${i} payload`);
    }
    // Server ping: ws answers it by itself (autoPong).
    p.ws.send('ping');
    await roundtrip(p, 'after-ping', 'echo after a server ping');
    check(p.pings.length === 1 && p.pings[0].toString() === 'server-ping', `server pings: ${p.pings}`);
    await roundtrip(p, Buffer.from([1, 2]), 'echo after the pong');
    await closeNormally(p);
  },

  async 'close-client'(url) {
    const p = await connect(url + '/close-client');
    await roundtrip(p, 'hello', 'echo before closing');
    p.ws.close(4001, 'bye');
    const c = await withTimeout(p.closed, 'close');
    // The server echoes the status code (RFC 6455 5.5.1) without a reason.
    check(c.code === 4001, `echoed code ${c.code}`);
    check(c.reason === '', `echoed reason ${JSON.stringify(c.reason)}`);
  },

  async 'close-server'(url) {
    let p = await connect(url + '/close-server');
    p.ws.send('close:4002:server-bye');
    let c = await withTimeout(p.closed, 'close');
    check(c.code === 4002, `close code ${c.code}`);
    check(c.reason === 'server-bye', `close reason ${JSON.stringify(c.reason)}`);
    check(p.messages.length === 0, 'no message before the close');
    const reason = '\u00e9'.repeat(61) + 'x';
    p = await connect(url + '/close-server-long');
    p.ws.send(`close:4999:${reason}`);
    c = await withTimeout(p.closed, 'close');
    check(c.code === 4999 && c.reason === reason, `long reason: ${c.code} ${JSON.stringify(c.reason)}`);
  },

  async 'close-codes'(url) {
    for (const code of [1000, 1001, 1003, 1011, 3000, 4999]) {
      const p = await connect(url + `/valid-${code}`);
      p.ws.close(code, `r${code}`);
      const c = await withTimeout(p.closed, 'close');
      check(c.code === code, `code ${code} echoed as ${c.code}`);
    }
  },

  async 'close-invalid'(url) {
    // ws refuses to send an invalid close code (it throws), so the frame is
    // written to its socket directly, masked as a client must.
    const frame = (opcode, payload, fin = true) => {
      const mask = crypto.randomBytes(4);
      const masked = Buffer.from(payload);
      for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
      return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | masked.length]), mask, masked]);
    };
    const code = (n) => Buffer.from([n >> 8, n & 255]);
    const refused = await connect(url + '/invalid-refused');
    check(throws(() => refused.ws.close(1005)), 'ws accepted close code 1005');
    await closeNormally(refused);
    const cases = [
      ['code-999', frame(8, code(999)), 1002, 'invalid close code'],
      ['code-1005', frame(8, code(1005)), 1002, 'invalid close code'],
      ['code-1015', frame(8, code(1015)), 1002, 'invalid close code'],
      ['code-5000', frame(8, code(5000)), 1002, 'invalid close code'],
      ['one-byte', frame(8, Buffer.from([3])), 1002, 'close frame with a 1-byte payload'],
      ['bad-utf8', frame(8, Buffer.concat([code(1000), Buffer.from([0xc3, 0x28])])), 1007, 'invalid UTF-8 in text'],
      // Invalid UTF-8 split across two fragments of a text message, and a
      // text message that ends in the middle of a sequence.
      ['split-bad-utf8', Buffer.concat([frame(1, Buffer.from([0x61, 0xe2]), false), frame(0, Buffer.from([0x28, 0x61]))]),
        1007, 'invalid UTF-8 in text'],
      ['truncated-utf8', Buffer.concat([frame(1, Buffer.from([0x61]), false), frame(0, Buffer.from([0xe2, 0x82]))]),
        1007, 'invalid UTF-8 in text'],
    ];
    for (const [name, raw, wantCode, wantReason] of cases) {
      const p = await connect(url + `/invalid-${name}`);
      await roundtrip(p, name, 'echo before the invalid frame');
      p.ws._socket.write(raw);
      const c = await withTimeout(p.closed, `close after ${name}`);
      check(c.code === wantCode, `${name}: code ${c.code}, expected ${wantCode}`);
      check(c.reason === wantReason, `${name}: reason ${JSON.stringify(c.reason)}`);
      check(p.messages.length === 0, `${name}: unexpected message`);
    }
  },

  async subprotocol(url) {
    // The server speaks ["chat.v2", "chat.v1"] and takes the first the
    // client offers that it speaks.
    for (const [path, offer, want] of [['sp-both', ['chat.v1', 'chat.v2'], 'chat.v1'],
      ['sp-v2', ['unknown', 'chat.v2'], 'chat.v2'], ['sp-none', undefined, '']]) {
      const p = await connect(`${url}/${path}`, offer);
      check(p.ws.protocol === want, `${path}: negotiated ${JSON.stringify(p.ws.protocol)}, expected ${want}`);
      await roundtrip(p, path, `${path}: echo`);
      await closeNormally(p);
    }
    // Nothing in common: the server opens without a subprotocol, which ws
    // refuses (it requires one of those it offered) by dropping the socket.
    const p = new Peer(`${url}/sp-unknown`, ['unknown']);
    let err = null;
    try {
      await withTimeout(p.opened, 'sp-unknown');
    } catch (e) {
      err = e;
    }
    check(err && err.message === 'Server sent no subprotocol', `sp-unknown: ${err && err.message}`);
    await withTimeout(p.closed, 'sp-unknown close');
  },

  async simple(url) {
    const p = await connect(url);
    await roundtrip(p, 'hello \u20ac', 'text');
    const b = Buffer.alloc(256 * 300);
    for (let i = 0; i < b.length; i++) b[i] = i & 255;
    await roundtrip(p, b, 'binary');
    await closeNormally(p);
  },
};

async function main() {
  const [name, url] = process.argv.slice(2);
  if (!scenarios[name] || !url) {
    console.error(`usage: node_client.js {${Object.keys(scenarios).join('|')}} URL`);
    process.exit(2);
  }
  await scenarios[name](url);
  console.log(`OK ${name}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
});
