// Node `ws` peers of the TLS tests (NODE_PATH must hold ws).
//
//   node tls_node.js echo URL CA
//   node tls_node.js verify URL CA EXPECTED-ERROR-CODE
//   node tls_node.js mixed WS-URL WSS-URL CA
//
// Prints what it checked and "ok" last; any failed check exits non-zero.
// Every wait has a timeout.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const WebSocket = require('ws');

const WAIT = 20000;

const { check, withTimeout } = require('../lib/nodetest').helpers(WAIT);

// A client with a message queue: next() resolves with the next message.
function open(url, options) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 0, ...options });
    const queue = [], waiters = [];
    ws.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      if (waiters.length) waiters.shift()(m); else queue.push(m);
    });
    ws.next = (what) => withTimeout(new Promise((res) => {
      if (queue.length) res(queue.shift()); else waiters.push(res);
    }), what || 'a message');
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  }), 'open ' + url);
}

async function roundtrip(ws, data, binary) {
  ws.send(data, { binary });
  const m = await ws.next('echo');
  check(m.isBinary === binary, `echo type: sent binary=${binary}, got ${m.isBinary}`);
  const want = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  check(Buffer.compare(m.data, want) === 0, `echo of ${want.length} bytes differs (got ${m.data.length})`);
}

function close(ws) {
  return withTimeout(new Promise((resolve) => {
    ws.once('close', (code) => resolve(code));
    ws.close(1000, 'done');
  }), 'close');
}

async function echoSet(ws) {
  const texts = ['', 'hello', 'h\u00e9llo w\u00f6rld \u20ac \u{1F600}', 'x'.repeat(125), 'y'.repeat(126),
    'z'.repeat(65535), '\u00e9'.repeat(40000), 'w'.repeat(8 << 20)];
  const blobs = [Buffer.alloc(0), Buffer.from([0, 255, 128]), crypto.randomBytes(65536),
    crypto.randomBytes(8 << 20)];
  for (const t of texts) await roundtrip(ws, t, false);
  for (const b of blobs) await roundtrip(ws, b, true);
  return texts.length + blobs.length;
}

async function modeEcho(url, ca) {
  const ws = await open(url + '/node-echo', { ca: fs.readFileSync(ca) });
  const cn = ws._socket.getPeerCertificate().subject.CN;
  check(cn === 'server-A', 'peer certificate CN ' + cn);
  const n = await echoSet(ws);
  console.log(`node: ${n} messages echoed over ${ws._socket.getProtocol()} (server cert CN=${cn})`);
  const code = await close(ws);
  check(code === 1000, 'close code ' + code);
}

async function modeVerify(url, ca, expected) {
  let err = null;
  try {
    const ws = await open(url + '/node-verifying', { ca: fs.readFileSync(ca) });
    ws.terminate();
  } catch (e) {
    err = e;
  }
  check(err !== null, 'a verifying client accepted the certificate');
  console.log(`node: verifying client refused the certificate: ${err.code}: ${err.message}`);
  check(err.code === expected, `error code ${err.code}, expected ${expected}`);
  const ws = await open(url + '/node-unverified', { rejectUnauthorized: false });
  await roundtrip(ws, 'over an unverified connection', false);
  await roundtrip(ws, crypto.randomBytes(100000), true);
  console.log('node: client without verification talks to the server');
  await close(ws);
}

// Two clients on the ws:// listener and two on the wss:// one: same
// handlers, and a broadcast from either side reaches all four.
async function modeMixed(wsUrl, wssUrl, ca) {
  const opts = { ca: fs.readFileSync(ca) };
  const clients = [
    await open(wsUrl + '/plain-1'), await open(wsUrl + '/plain-2'),
    await open(wssUrl + '/tls-1', opts), await open(wssUrl + '/tls-2', opts),
  ];
  check(clients[0]._socket.encrypted === undefined, 'the ws:// client is encrypted');
  check(clients[2]._socket.encrypted === true, 'the wss:// client is not encrypted');
  for (const [i, ws] of clients.entries()) {
    await roundtrip(ws, 'echo from client ' + i, false);
    await roundtrip(ws, crypto.randomBytes(200000 + i), true);
  }
  clients[0].send('count');
  const count = await clients[0].next('count');
  check(count.data.toString() === 'count:4', 'server count ' + count.data.toString());
  for (const [from, text] of [[0, 'from plain'], [3, 'from tls']]) {
    clients[from].send('broadcast:' + text);
    for (const [i, ws] of clients.entries()) {
      const m = await ws.next(`broadcast to client ${i}`);
      check(!m.isBinary && m.data.toString() === text, `client ${i} got ${m.data.toString()}`);
    }
    const ack = await clients[from].next('broadcast ack');
    check(ack.data.toString() === 'sent:4', 'broadcast ack ' + ack.data.toString());
    console.log(`node: broadcast "${text}" reached the 2 ws:// and the 2 wss:// clients`);
  }
  for (const ws of clients) {
    const code = await close(ws);
    check(code === 1000, 'close code ' + code);
  }
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'echo') await modeEcho(args[0], args[1]);
  else if (mode === 'verify') await modeVerify(args[0], args[1], args[2]);
  else if (mode === 'mixed') await modeMixed(args[0], args[1], args[2]);
  else throw new Error('unknown mode ' + mode);
  console.log('ok');
}

main().then(() => process.exit(0), (e) => { console.error('node: ' + (e.stack || e)); process.exit(1); });
