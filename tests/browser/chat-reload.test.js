// The chat room with two workers through a reload (SIGUSR2), in a real
// browser (headless Chromium via playwright-core).
//
//   node tests/browser/chat-reload.test.js PORT SUPERVISOR_PID SERVER_OUT
//
// alice and bob join the lobby and type steadily, each waiting for the echo
// of a line before the next. Once each has sent a few lines the supervisor
// gets SIGUSR2: the old workers close both pages with 1012 (spread over
// reload_window), the pages reconnect to the new workers and rejoin with the
// id of the last message they show. A line typed while a page is offline is
// not sent; a line whose echo never came is typed again with a new attempt
// number (the server may or may not have taken the first one: both are
// legitimate lines, each must appear once). The typists stop once their page
// has come back and they have sent LINES lines.
//
// Checks, all read from the pages and the server's output: the server
// resumed both pages (its log says "resumed", never "gap"); both pages show
// the same messages in the same order, each id and each text once; every
// line number of each typist is there, in order; and a page opened at the
// end, which gets the room's last 50 messages from the server's history,
// shows exactly the last 50 of the others.
'use strict';

const fs = require('fs');
const { log, launch, openUser, say, run } = require('./chat-lib');

const [port, supervisor, serverOut] = process.argv.slice(2);
if (!serverOut) {
  console.error('usage: chat-reload.test.js PORT SUPERVISOR_PID SERVER_OUT');
  process.exit(2);
}
const URL = `http://127.0.0.1:${port}/`;
const LINES = 30;        // lines each typist sends at least (60 in all: more than the 50 of the history)
const RELOAD_AFTER = 8;  // lines each typist has sent when the supervisor gets SIGUSR2
const PACE_MS = 600;     // between two lines: under the rate limit (10 messages per 5 s)

async function until(what, cond, ms = 30000) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The room messages a page shows, in order.
function shown(page) {
  return page.locator('#messages li.msg:not(.private)').evaluateAll((lis) => lis.map((li) => ({
    id: li.dataset.id, from: li.dataset.from, text: li.querySelector('.text').textContent,
  })));
}

// What the typist needs to know about its page, in one round trip.
function look(page, text) {
  return page.evaluate((t) => ({
    echoed: [...document.querySelectorAll('#messages li.msg .text')].some((e) => e.textContent === t),
    online: !document.querySelector('#input').disabled,
    reconnects: [...document.querySelectorAll('#messages li.notice.self')]
      .filter((li) => li.textContent.includes('Reconnected.')).length,
  }), text);
}

let reloadSent = false;
let alicePage;
let holding = null;
const progress = {};

// alice's page is kept offline (the browser's offline mode) after the reload
// closed it, until bob has typed HELD_LINES more lines: her resume must then
// replay at least those.
const HELD_LINES = 3;
let held = null;

// Started with the reload: the page is offline for at least the first retry
// delay (1 s), and this looks every 50 ms.
async function holdAlice(page) {
  await until('the reload to close alice\'s page', async () => !(await look(page, '')).online);
  held = { until: progress.bob + HELD_LINES };
  await page.context().setOffline(true);
  await until(`bob to type ${HELD_LINES} lines while alice is offline`, () => progress.bob >= held.until);
  await page.context().setOffline(false);
  log(`alice was kept offline while bob typed ${HELD_LINES} lines`);
}

async function typist(page, label) {
  progress[label] = 0;
  let retries = 0;
  for (let k = 1; k <= LINES || (await look(page, '')).reconnects === 0; k++) {
    if (k > 3 * LINES) throw new Error(`${label}: the page never came back after the reload`);
    for (let attempt = 0; ; attempt++) {
      const text = `${label} line ${k}.${attempt}`;
      await page.waitForSelector('#input:not([disabled])');
      await say(page, text);
      let state;
      await until(`${label}: the echo of "${text}" or a disconnection`, async () => {
        state = await look(page, text);
        return state.echoed || !state.online;
      });
      if (state.echoed) break;
      // Offline before the echo: once back (and resumed), the line is there if the server took it.
      const before = state.reconnects;
      await until(`${label}: the page to come back`, async () => (state = await look(page, text)).reconnects > before);
      if (state.echoed) break;
      retries++;
    }
    progress[label] = k;
    if (!reloadSent && Object.values(progress).every((n) => n >= RELOAD_AFTER)) {
      reloadSent = true;
      process.kill(Number(supervisor), 'SIGUSR2');
      holding = holdAlice(alicePage);
      holding.catch(() => {}); // awaited in main(); this only keeps an early failure from crashing node
      log(`SIGUSR2 to the supervisor after ${JSON.stringify(progress)} lines`);
    }
    await new Promise((r) => setTimeout(r, PACE_MS));
  }
  return retries;
}

async function main() {
  await launch();
  const alice = await openUser(URL, 'alice');
  const bob = await openUser(URL, 'bob');
  await alice.waitForSelector('#users li[data-nick="bob"]');
  log(`alice (worker ${alice.worker}) and bob (worker ${bob.worker}) are in the lobby`);

  alicePage = alice;
  const retries = await Promise.all([typist(alice, 'alice'), typist(bob, 'bob')]);
  if (!reloadSent) throw new Error('the reload was never triggered');
  await holding;
  log(`both typed through the reload (${retries[0] + retries[1]} lines typed again after a disconnection)`);

  // The server's side: both pages rejoined by resuming, neither by a reload of the list.
  await until('the server to log both resumes', () => {
    const out = fs.readFileSync(serverOut, 'utf8');
    return /^alice rejoined #lobby: resumed \d+ messages$/m.test(out) && /^bob rejoined #lobby: resumed \d+ messages$/m.test(out);
  });
  const out = fs.readFileSync(serverOut, 'utf8');
  const gap = out.match(/^.* rejoined .*gap.*$/m);
  if (gap) throw new Error(`a page could not resume: ${gap[0]}`);
  if (!held) throw new Error('alice\'s page never went offline');
  const missed = Math.max(...[...out.matchAll(/^alice rejoined #lobby: resumed (\d+) messages$/mg)].map((m) => Number(m[1])));
  if (missed < HELD_LINES) throw new Error(`alice's resume replayed ${missed} messages, fewer than bob typed while she was away`);
  log(`the server resumed both pages after the last message they showed (alice: ${missed} missed messages replayed)`);

  // Each typist's last line has reached the other page too.
  const lists = [];
  for (const [page, other] of [[alice, bob], [bob, alice]]) {
    const last = (await shown(other)).filter((m) => m.from === other.nick).pop();
    await until(`${page.nick} to show ${last.text}`, async () => (await shown(page)).some((m) => m.id === last.id));
  }
  await until('both pages to show the same messages', async () => {
    lists[0] = await shown(alice);
    lists[1] = await shown(bob);
    return JSON.stringify(lists[0]) === JSON.stringify(lists[1]);
  }, 10000).catch(() => {
    throw new Error(`the pages differ:\nalice: ${lists[0].map((m) => m.text).join(' | ')}\nbob:   ${lists[1].map((m) => m.text).join(' | ')}`);
  });
  const list = lists[0];
  for (const key of ['id', 'text']) {
    const seen = new Set();
    for (const m of list) {
      if (seen.has(m[key])) throw new Error(`a message shown twice (same ${key}): ${m.text}`);
      seen.add(m[key]);
    }
  }
  for (const who of ['alice', 'bob']) {
    const numbers = list.filter((m) => m.from === who).map((m) => Number(/ line (\d+)\./.exec(m.text)[1]));
    const first = [...new Set(numbers)];
    if (JSON.stringify(numbers) !== JSON.stringify([...numbers].sort((a, b) => a - b))) throw new Error(`${who}'s lines out of order: ${numbers}`);
    if (first.length !== first[first.length - 1] || first.length < LINES) throw new Error(`${who}'s lines are missing some: ${first}`);
  }
  log(`both pages show the same ${list.length} messages, each once, every line of each typist in order`);

  const carol = await openUser(URL, 'carol');
  const fresh = await shown(carol);
  if (fresh.length !== 50) throw new Error(`a newcomer got ${fresh.length} messages of history, not 50`);
  if (JSON.stringify(fresh) !== JSON.stringify(list.slice(-50))) throw new Error('the history a newcomer gets differs from the last 50 messages the pages show');
  log('a newcomer gets the same last 50 messages from the server\'s history');
}

run(main);
