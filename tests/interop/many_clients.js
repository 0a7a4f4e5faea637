'use strict';
// Opens N concurrent ws connections to the many_server.php at URL, in
// batches, and exchanges one unique message on each.
//
//   node tests/interop/many_clients.js URL N BATCH
//
// Steps, each checked: all N open (batch after batch, every batch waits for
// its opens); a unique message on every socket comes back on that socket;
// the server counts N open connections (plus the stats one); all N close
// with 1000; the server counts them closed and still answers.

const WebSocket = require('ws');

const [url, nArg, batchArg] = process.argv.slice(2);
const N = Number(nArg);
const BATCH = Number(batchArg);
const TIMEOUT = 60000;

const { check, withTimeout } = require('../lib/nodetest').helpers(TIMEOUT);

function open(i) {
  return new Promise((resolve, reject) => {
    // No permessage-deflate offer: keeps 5000 clients light.
    const ws = new WebSocket(`${url}/c${i}`, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', (e) => reject(new Error(`socket ${i}: ${e.message}`)));
  });
}

function nextMessage(ws) {
  return new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => resolve({ text: data.toString(), isBinary }));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before a message`)));
  });
}

async function stats() {
  const ws = await open('stats');
  ws.send('stats');
  const m = await withTimeout(nextMessage(ws), 'stats');
  ws.close(1000);
  await withTimeout(new Promise((resolve) => ws.once('close', resolve)), 'stats close');
  return JSON.parse(m.text);
}

async function main() {
  const t0 = Date.now();
  const sockets = [];
  for (let i = 0; i < N; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) batch.push(open(j));
    sockets.push(...await withTimeout(Promise.all(batch), `opening batch at ${i}`));
  }
  check(sockets.length === N, `${sockets.length} sockets open`);
  console.log(`${N} open after ${Date.now() - t0} ms`);

  let closedEarly = 0;
  const closed = sockets.map((ws) => new Promise((resolve) => ws.once('close', (code) => {
    resolve(code);
  })));
  sockets.forEach((ws) => ws.once('close', () => { closedEarly++; }));

  const s1 = await stats();
  check(s1.opens === N + 1, `server counted ${s1.opens} opens, expected ${N + 1}`);
  check(s1.open === N + 1, `server holds ${s1.open} connections, expected ${N + 1}`);
  check(s1.closes === 0, `server counted ${s1.closes} closes before any`);

  const tokens = sockets.map((_, i) => `message ${i} ${Math.random().toString(36).slice(2)}`);
  const echoes = sockets.map((ws) => nextMessage(ws));
  sockets.forEach((ws, i) => ws.send(tokens[i]));
  const got = await withTimeout(Promise.all(echoes), 'echoes');
  got.forEach((m, i) => {
    check(!m.isBinary && m.text === tokens[i], `socket ${i}: echo ${JSON.stringify(m.text)}`);
  });
  check(closedEarly === 0, `${closedEarly} sockets closed early`);
  console.log(`${N} echoes after ${Date.now() - t0} ms`);

  sockets.forEach((ws) => ws.close(1000, 'done'));
  const codes = await withTimeout(Promise.all(closed), 'closing');
  const bad = codes.filter((c) => c !== 1000).length;
  check(bad === 0, `${bad} sockets closed with a code other than 1000`);
  console.log(`${N} closed after ${Date.now() - t0} ms`);

  // Every close event fired before the server answered our close frames.
  const s2 = await stats();
  check(s2.opens === N + 2, `server counted ${s2.opens} opens, expected ${N + 2}`);
  check(s2.closes === N + 1, `server counted ${s2.closes} closes, expected ${N + 1}`);
  check(s2.open === 1, `server holds ${s2.open} connections, expected 1`);
  check(s2.peak === N + 1, `peak ${s2.peak}, expected ${N + 1}`);
  check(s2.codes['1000'] === N + 1 && Object.keys(s2.codes).length === 1,
    `close codes ${JSON.stringify(s2.codes)}`);
  console.log('OK many');
}

main().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e.stack || e}`);
  process.exit(1);
});
