// Node `ws` with permessage-deflate against the echo server.
//
//   node pmd_node.js combos URL default|server-takeover|client-takeover
//   node pmd_node.js memory URL SERVER-PID COUNT compress|plain
//
// combos: one connection per perMessageDeflate setting; for each, the
// Sec-WebSocket-Extensions answer must be exactly the expected string and
// ws.extensions "permessage-deflate"; then text and binary messages below
// and above compression_threshold (64), large ones, messages sharing long
// repeats (context and window), and fragmented compressed messages
// (send(x, {fin: false}) pieces) all come back intact.  "server-takeover" is
// a server with compression_context_takeover => true, "client-takeover" one
// with ["client" => true].
//
// memory: opens COUNT idle connections (with or without compression), then
// sends one 100-byte message on each, then one of 48 KB, and prints the
// server's VmRSS (from /proc) growth per connection after each step.  A
// measurement, not an assertion.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const WebSocket = require('ws');

const WAIT = 30000;

const { check, withTimeout } = require('../lib/nodetest').helpers(WAIT);

// Opens a client; resolves with [ws, Sec-WebSocket-Extensions answer].
function open(url, perMessageDeflate) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate, maxPayload: 0 });
    let answer = null;
    const queue = [], waiters = [];
    ws.on('upgrade', (res) => { answer = res.headers['sec-websocket-extensions'] ?? null; });
    ws.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      if (waiters.length) waiters.shift()(m); else queue.push(m);
    });
    ws.next = (what) => withTimeout(new Promise((res) => {
      if (queue.length) res(queue.shift()); else waiters.push(res);
    }), what || 'a message');
    ws.once('open', () => resolve([ws, answer]));
    ws.once('error', reject);
  }), 'open ' + url);
}

function close(ws) {
  return withTimeout(new Promise((resolve) => {
    ws.once('close', (code) => resolve(code));
    ws.close(1000);
  }), 'close');
}

async function expectEcho(ws, data, binary, what) {
  const m = await ws.next(what);
  const want = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  check(m.isBinary === binary, `${what}: type binary=${m.isBinary}`);
  check(Buffer.compare(m.data, want) === 0, `${what}: ${want.length} bytes sent, ${m.data.length} differing bytes back`);
}

async function roundtrip(ws, data, binary, what) {
  ws.send(data, { binary, compress: true });
  await expectEcho(ws, data, binary, what);
}

// Sends data as pieces with fin: false, then the last piece with fin: true.
async function fragmented(ws, data, binary, pieces, what) {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  const step = Math.ceil(buf.length / pieces);
  for (let i = 0; i < pieces; i++) {
    const part = buf.subarray(i * step, Math.min(buf.length, (i + 1) * step));
    ws.send(part, { binary, compress: true, fin: i === pieces - 1 });
  }
  await expectEcho(ws, buf, binary, what);
}

async function messageSet(ws) {
  const block = crypto.randomBytes(3000);
  const utf8 = 'd\u00e9j\u00e0 vu \u20ac \u{1F600} ';
  const list = [
    ['', false], ['tiny', false], ['x'.repeat(63), false], ['y'.repeat(64), false],
    [utf8.repeat(3), false], [crypto.randomBytes(10), true], [crypto.randomBytes(63), true],
    [Buffer.alloc(64, 7), true], [utf8.repeat(5000), false], [crypto.randomBytes(300000), true],
    [Buffer.concat(Array(400).fill(block)), true], [Buffer.concat(Array(400).fill(block)), true],
    ['z'.repeat(2 << 20), false], [Buffer.concat([crypto.randomBytes(1 << 20), Buffer.alloc(1 << 20)]), true],
  ];
  let n = 0;
  for (const [data, binary] of list) await roundtrip(ws, data, binary, `message ${n++}`);
  await fragmented(ws, utf8.repeat(2000), false, 7, 'fragmented text');
  await fragmented(ws, Buffer.concat(Array(100).fill(block)), true, 5, 'fragmented binary');
  await fragmented(ws, 'ab', false, 2, 'fragmented, under the threshold');
  await fragmented(ws, utf8.repeat(50000), false, 3, 'fragmented, 1.3 MB');
  // Interleave fragments with an unfragmented message from the other side of the context.
  await roundtrip(ws, utf8.repeat(40), false, 'after the fragments');
  return n + 5;
}

const PMD = 'permessage-deflate';
const SNCT = '; server_no_context_takeover';
const CNCT = '; client_no_context_takeover';

// The default server answers every offer with client_no_context_takeover
// (its shared inflater); "server-takeover" (compression_context_takeover =>
// true) and "client-takeover" (["client" => true]) add it only when offered.
function combos(server) {
  const s = server === 'server-takeover' ? '' : SNCT;
  const c = server === 'default' ? CNCT : '';
  const list = [
    ['true', true, PMD + s],
    ['serverNoContextTakeover', { serverNoContextTakeover: true }, PMD + SNCT],
    ['clientNoContextTakeover', { clientNoContextTakeover: true }, PMD + s + CNCT],
    ['both no-context-takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }, PMD + SNCT + CNCT],
    ['serverMaxWindowBits 9', { serverMaxWindowBits: 9 }, PMD + s + '; server_max_window_bits=9'],
    ['serverMaxWindowBits 10', { serverMaxWindowBits: 10 }, PMD + s + '; server_max_window_bits=10'],
    ['serverMaxWindowBits 15', { serverMaxWindowBits: 15 }, PMD + s + '; server_max_window_bits=15'],
    ['clientMaxWindowBits 8', { clientMaxWindowBits: 8 }, PMD + s + '; client_max_window_bits=8'],
    ['clientMaxWindowBits 9', { clientMaxWindowBits: 9 }, PMD + s + '; client_max_window_bits=9'],
    ['clientMaxWindowBits 15', { clientMaxWindowBits: 15 }, PMD + s],
    ['clientMaxWindowBits true', { clientMaxWindowBits: true }, PMD + s],
    ['everything', { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 12 },
      PMD + SNCT + CNCT + '; server_max_window_bits=11; client_max_window_bits=12'],
  ];
  return list.map(([name, opts, expected]) =>
    [name, opts, c && !expected.includes(CNCT) ? expected.replace(SNCT, SNCT + CNCT) : expected]);
}

async function modeCombos(url, server) {
  for (const [name, opts, expected] of combos(server)) {
    // threshold 0: ws compresses even its shortest messages.
    const pmd = opts === true ? { threshold: 0 } : { ...opts, threshold: 0 };
    const [ws, answer] = await open(`${url}/${encodeURIComponent(name)}`, pmd);
    check(answer === expected, `${name}: answer "${answer}", expected "${expected}"`);
    check(ws.extensions === PMD, `${name}: ws.extensions "${ws.extensions}"`);
    const n = await messageSet(ws);
    const code = await close(ws);
    check(code === 1000, `${name}: close code ${code}`);
    console.log(`node: ${name}: "${answer}", ${n} echoes ok`);
  }
  // A client that offers nothing gets nothing.
  const [ws, answer] = await open(`${url}/no-compression`, false);
  check(answer === null && ws.extensions === '', `without perMessageDeflate: answer "${answer}"`);
  await roundtrip(ws, 'plain '.repeat(100), false, 'uncompressed');
  await close(ws);
  console.log('node: without perMessageDeflate: no extension, echo ok');
}

function vmRss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

async function modeMemory(url, pid, count, kind) {
  const pmd = kind === 'compress' ? { threshold: 0 } : false;
  const before = vmRss(pid);
  const clients = [];
  // Open in batches of 100: a full backlog would only slow things down.
  for (let i = 0; i < count; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 100); j++) batch.push(open(`${url}/mem-${kind}`, pmd));
    for (const [ws, answer] of await Promise.all(batch)) {
      check(kind === 'compress' ? answer.startsWith(PMD) : answer === null, `memory: answer "${answer}"`);
      if (!clients.length) console.log(`ANSWER ${answer}`);
      clients.push(ws);
    }
  }
  const idle = vmRss(pid);
  const text = 'one message of about a hundred bytes, the same on every connection: ' + 'abcdefghij'.repeat(3);
  await Promise.all(clients.map((ws) => roundtrip(ws, text, false, 'memory echo')));
  const after = vmRss(pid);
  // A 48 KB message fills a 32 KiB inflate window: the worst case of a kept context.
  const big = crypto.randomBytes(3000).toString('hex').repeat(8);
  await Promise.all(clients.map((ws) => roundtrip(ws, big, false, 'memory echo 2')));
  const full = vmRss(pid);
  const per = (kib) => (kib / count).toFixed(1);
  console.log(`MEMORY ${kind}: ${count} connections, server VmRSS ${before} KiB -> ${idle} KiB idle ` +
    `(${per(idle - before)} KiB per connection) -> ${after} KiB after one 100-byte message each ` +
    `(${per(after - before)} KiB per connection) -> ${full} KiB after a 48 KB message each ` +
    `(${per(full - before)} KiB per connection)`);
  console.log(`MEMORY_KIB ${before} ${idle} ${after} ${full}`);
  await Promise.all(clients.map(close));
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'combos') await modeCombos(args[0], args[1]);
  else if (mode === 'memory') await modeMemory(args[0], Number(args[1]), Number(args[2]), args[3]);
  else throw new Error('unknown mode ' + mode);
  console.log('ok');
}

main().then(() => process.exit(0), (e) => { console.error('node: ' + (e.stack || e)); process.exit(1); });
