// The chat room example with two workers in a real browser (headless
// Chromium via playwright-core).
//
//   node tests/browser/chat-workers.test.js PORT MODERATOR_TOKEN
//
// alice joins; candidates for her partner join until one lands on the other
// worker (the "worker" field of the welcome says where: placement is the
// kernel's, the test reads it and never guesses; after two tries alice's
// worker is paused while a candidate connects). The two see each other in
// the user list, talk in the room, exchange private messages, and alice, as
// moderator, kicks her partner from the other worker.
// Every wait is on a DOM condition with a timeout; there is no sleeping.
'use strict';

const http = require('http');
const { log, launch, openUser: open, say, message, notice, run } = require('./chat-lib');

const [port, token] = process.argv.slice(2);
if (!token) {
  console.error('usage: chat-workers.test.js PORT MODERATOR_TOKEN');
  process.exit(2);
}
const URL = `http://127.0.0.1:${port}/`;

// Joins as nick; page.worker says which worker holds the user.
async function openUser(nick, room = 'lobby') {
  const page = await open(URL, nick, room);
  if (page.worker !== 0 && page.worker !== 1) throw new Error(`${nick}: the welcome's worker is ${page.worker}`);
  return page;
}

// The process id of a worker, from GET /stats (clusterStats(), up to a second old).
async function workerPid(worker) {
  for (let i = 0; i < 100; i++) {
    const stats = await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/stats' }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
      }).on('error', reject);
    });
    const pid = stats.workers && stats.workers[worker];
    if (Number.isInteger(pid) && pid > 0) return pid;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no pid for worker ${worker} in /stats`);
}

async function main() {
  await launch();

  // ---------------------------------------------------------------- two users, two workers
  const alice = await openUser('alice');
  let bob = null;
  let tried = 0;
  // Placement is the kernel's: a new connection goes to a worker that is
  // waiting in epoll, and an idle worker 0 is asked first, so pages that
  // connect one at a time tend to land together. First try as they come;
  // then pause alice's worker (SIGSTOP, it is our server's child) while a
  // candidate connects, so that only the other worker is waiting for it.
  const alicePid = await workerPid(alice.worker);
  for (let round = 0; round < 6 && !bob; round++) {
    const candidate = `bob${round + 1}`;
    const pause = round >= 2;
    tried++;
    if (pause) process.kill(alicePid, 'SIGSTOP');
    let page;
    try {
      page = await openUser(candidate);
    } finally {
      if (pause) process.kill(alicePid, 'SIGCONT');
    }
    if (page.worker !== alice.worker) {
      bob = page;
    } else {
      await page.context().close();
      await alice.waitForSelector(`#users li[data-nick="${candidate}"]`, { state: 'detached' });
    }
  }
  if (!bob) throw new Error(`${tried} pages, all on alice's worker ${alice.worker}`);
  const nick = bob.nick;
  log(`alice is on worker ${alice.worker}, ${nick} on worker ${bob.worker} (candidate page ${tried})`);

  await alice.waitForSelector(`#users li[data-nick="${nick}"]`);
  await bob.waitForSelector('#users li[data-nick="alice"]');
  if (await bob.locator('#users li').count() !== 2) throw new Error(`${nick}'s user list: ${await bob.locator('#users li').allTextContents()}`);
  await alice.locator('#rooms .room.active .badge').filter({ hasText: /^2$/ }).waitFor();
  log('each sees the other in the user list, and the room counts both');

  // ---------------------------------------------------------------- a conversation
  await say(alice, `Hello ${nick}, greetings from worker ${alice.worker}`);
  await message(bob, 'alice', `Hello ${nick}, greetings from worker ${alice.worker}`).waitFor();
  await say(bob, `And hello from worker ${bob.worker}`);
  await message(alice, nick, `And hello from worker ${bob.worker}`).waitFor();
  log('room messages cross workers in both directions');

  await say(bob, '/msg alice A secret across processes');
  await alice.locator('#messages li.msg.private .text').filter({ hasText: 'A secret across processes' }).waitFor();
  await bob.locator('#messages li.msg.private .text').filter({ hasText: 'A secret across processes' }).waitFor();
  await say(alice, `/msg ${nick} Received.`);
  await bob.locator('#messages li.msg.private[data-from="alice"] .text').filter({ hasText: 'Received.' }).waitFor();
  log('private messages pass between the workers, both ways');

  // ---------------------------------------------------------------- moderation across workers
  await say(alice, `/mod ${token}`);
  await notice(alice, 'self', 'You are now a moderator').waitFor();
  const reason = 'Cross-worker kick';
  await say(alice, `/kick ${nick} ${reason}`);
  await bob.waitForSelector('#gone', { state: 'visible' });
  const goneText = await bob.textContent('#gone-text');
  if (!goneText.includes(`Reason: ${reason}`) || !goneText.includes('alice')) throw new Error(`kicked page shows: ${goneText}`);
  await notice(alice, 'kick', `${nick} was kicked by alice: ${reason}`).waitFor();
  await alice.waitForSelector(`#users li[data-nick="${nick}"]`, { state: 'detached' });
  const status = await bob.textContent('#status-text');
  if (status !== 'Kicked') throw new Error(`${nick}'s status: ${status}`);
  log(`the moderator on worker ${alice.worker} kicks ${nick} on worker ${bob.worker}`);
}

run(main);
