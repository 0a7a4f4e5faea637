// Two chat servers sharing one Redis (--redis), in a real browser (headless
// Chromium via playwright-core).
//
//   node tests/browser/chat-redis.test.js PORT_A CONTROL_DIR
//
// Server A (one process) runs; alice joins it. Then the test asks
// chat-redis.sh (which owns every process) to start server B (two workers):
// a server that starts late. bob joins B and must see alice (B's processes
// got A's presence when B joined the cluster), and alice sees bob.
// They talk in the room both ways and exchange private messages both ways.
// Then Redis is SIGKILLed, carol joins A during the outage, and Redis is
// restarted on the same port: bob's user list gets carol once B's link is
// back (the nodes exchange their presence), and carol and bob talk across the servers.
// A request to the script is a file CONTROL_DIR/<name>; its answer is
// CONTROL_DIR/<name>.done. Every wait is on a condition with a timeout.
'use strict';

const fs = require('fs');
const path = require('path');
const { log, launch, openUser, say, message, privateMessage, users, run } = require('./chat-lib');

const [portA, control] = process.argv.slice(2);
if (!control) {
  console.error('usage: chat-redis.test.js PORT_A CONTROL_DIR');
  process.exit(2);
}
const A = `http://127.0.0.1:${portA}/`;

async function until(what, cond, ms = 30000) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Asks chat-redis.sh to do something (start-b, kill-redis, start-redis); resolves to its answer.
async function ask(request) {
  const done = path.join(control, `${request}.done`);
  fs.writeFileSync(path.join(control, request), '');
  await until(`the script to ${request}`, () => fs.existsSync(done));
  return fs.readFileSync(done, 'utf8').trim();
}

async function listShows(page, nicks) {
  await until(`${page.nick}'s user list to be ${nicks}`, async () => JSON.stringify(await users(page)) === JSON.stringify(nicks));
}

async function main() {
  await launch();

  // ---------------------------------------------------------------- B starts after alice joined A
  const alice = await openUser(A, 'alice');
  log('alice joined server A');
  const B = `http://127.0.0.1:${await ask('start-b')}/`;
  const bob = await openUser(B, 'bob');
  await listShows(bob, ['alice', 'bob']);
  await listShows(alice, ['alice', 'bob']);
  await alice.locator('#rooms .room.active .badge').filter({ hasText: /^2$/ }).waitFor();
  log(`bob joined server B (started later, worker ${bob.worker}): each sees the other, the room counts both`);

  // ---------------------------------------------------------------- a conversation across servers
  await say(alice, 'Hello bob, this is server A');
  await message(bob, 'alice', 'Hello bob, this is server A').waitFor();
  await say(bob, 'Hello alice, server B here');
  await message(alice, 'bob', 'Hello alice, server B here').waitFor();
  log('room messages cross the servers in both directions');

  await say(bob, '/msg alice A secret over Redis');
  await privateMessage(alice, 'bob', 'A secret over Redis').waitFor();
  await privateMessage(bob, 'bob', 'A secret over Redis').waitFor();
  await say(alice, '/msg bob Got it.');
  await privateMessage(bob, 'alice', 'Got it.').waitFor();
  log('private messages pass between the servers, both ways');

  // ---------------------------------------------------------------- Redis goes away and comes back
  await ask('kill-redis');
  const carol = await openUser(A, 'carol');
  await listShows(alice, ['alice', 'bob', 'carol']);
  await ask('start-redis');
  log('Redis was SIGKILLed; carol joined server A during the outage; Redis is back on the same port');

  await listShows(bob, ['alice', 'bob', 'carol']);
  await say(carol, 'Did anyone miss me?');
  await message(bob, 'carol', 'Did anyone miss me?').waitFor();
  await say(bob, '/msg carol Welcome back, Redis.');
  await privateMessage(carol, 'bob', 'Welcome back, Redis.').waitFor();
  log('after the reconnect bob sees carol in his list, and they talk across the servers');
}

run(main);
