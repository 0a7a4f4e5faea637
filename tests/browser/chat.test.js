// The chat room example in a real browser (headless Chromium via playwright-core).
//
//   node tests/browser/chat.test.js PORT MODERATOR_TOKEN SERVER_PID SCREENSHOT.png
//
// alice, bob and carol join from separate browser contexts; they see each
// other, talk, get a private message, then: XSS payloads stay text, a
// closed page produces a leave notice, a moderator kicks bob (who sees the
// reason), and the server is restarted to check that alice reconnects and
// rejoins by herself. The screenshot of alice's page goes to SCREENSHOT.png.
// Every wait is on a DOM condition with a timeout; there is no sleeping.
'use strict';

const { spawn } = require('child_process');
const path = require('path');
const { chromium } = require('playwright-core');

const [port, token, serverPid, screenshot] = process.argv.slice(2);
if (!screenshot) {
  console.error('usage: chat.test.js PORT MODERATOR_TOKEN SERVER_PID SCREENSHOT.png');
  process.exit(2);
}
const URL = `http://127.0.0.1:${port}/`;
const ROOT = path.resolve(__dirname, '../..');
const WAIT_MS = 8000;

let browser;
let restarted;
const pageErrors = [];

function log(msg) {
  console.log(`ok - ${msg}`);
}

async function openUser(nick, room = 'lobby', viewport = { width: 1280, height: 720 }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(`${nick}: ${e.message}`));
  await page.goto(URL);
  await page.fill('#nick', nick);
  await page.fill('#join-room', room);
  await page.waitForSelector('#join-button:not([disabled])');
  await page.click('#join-button');
  await page.waitForSelector('#join', { state: 'hidden' });
  await page.waitForSelector(`#users li[data-nick="${nick}"]`);
  return page;
}

async function say(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

// A message line in the list: its sender (data-from) and exact text.
function message(page, from, text) {
  return page.locator(`#messages li.msg[data-from="${from}"] .text`).filter({ hasText: text }).last();
}

async function sees(page, from, text) {
  await message(page, from, text).waitFor();
  const shown = await message(page, from, text).textContent();
  if (shown !== text) throw new Error(`expected the text ${JSON.stringify(text)}, the page shows ${JSON.stringify(shown)}`);
}

function notice(page, kind, text) {
  return page.locator(`#messages li.notice.${kind}`).filter({ hasText: text }).last();
}

function startServer() {
  const child = spawn('php', ['-d', `extension=${process.env.SO}`, '-d', 'display_errors=stderr', '-d', 'error_reporting=-1', 'examples/chat/server.php',
    '--host', '127.0.0.1', '--port', port, '--moderator-token', token], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the restarted server did not start')), WAIT_MS);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Chat room:')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the restarted server exited with ${code}`)));
  });
}

async function main() {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });

  // ---------------------------------------------------------------- join and see each other
  const alice = await openUser('alice');
  const sidebar = await alice.evaluate(() => getComputedStyle(document.querySelector('.sidebar')).display);
  if (sidebar !== 'flex') throw new Error('app.css was not applied (served by document_root)');
  const bob = await openUser('bob');
  await alice.waitForSelector('#users li[data-nick="bob"]');
  await bob.waitForSelector('#users li[data-nick="alice"]');
  await notice(alice, 'join', 'bob joined').waitFor();
  log('alice and bob joined and see each other in the user list');

  // ---------------------------------------------------------------- a conversation
  await say(alice, 'Hey bob! Is the new release out yet?');
  await sees(bob, 'alice', 'Hey bob! Is the new release out yet?');
  const author = await bob.locator('#messages li.msg[data-from="alice"] .author').first().textContent();
  if (author !== 'alice') throw new Error(`sender shown as ${author}`);
  log('a message typed by alice appears on bob\'s page with her name');

  await say(bob, 'Shipped ten minutes ago. Notes: https://example.com/releases/2.0');
  await sees(alice, 'bob', 'Shipped ten minutes ago. Notes: https://example.com/releases/2.0');
  const carol = await openUser('carol');
  await notice(alice, 'join', 'carol joined').waitFor();
  await say(carol, 'Rooms, private messages and a live user list, all on one port.');
  await sees(alice, 'carol', 'Rooms, private messages and a live user list, all on one port.');
  await say(alice, 'Nice work, both of you!');
  await say(alice, 'Let\'s demo it at the standup.');
  await sees(bob, 'alice', 'Let\'s demo it at the standup.');
  await say(bob, '/msg alice Lunch at noon? My treat.');
  await alice.locator('#messages li.msg.private .text').filter({ hasText: 'Lunch at noon? My treat.' }).waitFor();
  await bob.locator('#messages li.msg.private .text').filter({ hasText: 'Lunch at noon? My treat.' }).waitFor();
  const tags = [
    await alice.locator('#messages li.msg.private .tag').last().textContent(),
    await bob.locator('#messages li.msg.private .tag').last().textContent(),
  ];
  if (tags[0] !== 'private to you' || tags[1] !== 'private to alice') throw new Error(`private labels: ${tags}`);
  await say(alice, '/msg bob Deal. See you at noon!');
  await bob.locator('#messages li.msg.private[data-from="alice"] .text').filter({ hasText: 'Deal. See you at noon!' }).waitFor();
  await alice.locator('#messages li.msg.private[data-from="alice"] .tag').filter({ hasText: 'private to bob' }).waitFor();
  if (await carol.locator('#messages li.msg.private').count() !== 0) throw new Error('carol saw a private message');
  log('a private message is shown, marked private, to both ends only');

  // Someone elsewhere: a new room appears in everybody's room list.
  const dave = await openUser('dave', 'dev');
  await alice.locator('#rooms .room').filter({ hasText: 'dev' }).filter({ hasText: '1' }).waitFor();
  await dave.locator('#rooms .room.active').filter({ hasText: 'dev' }).waitFor();
  if (await dave.locator('#messages li.msg').count() !== 0) throw new Error('dave (in #dev) sees #lobby messages');
  log('a room created by one user appears in the others\' room lists; rooms are separate');

  await alice.waitForSelector('#users li[data-nick="carol"]');
  await alice.locator('#rooms .room.active .badge').filter({ hasText: '3' }).waitFor();
  await alice.screenshot({ path: screenshot });
  log(`screenshot saved to ${screenshot}`);
  await dave.context().close();
  await alice.locator('#rooms .room').filter({ hasText: 'dev' }).waitFor({ state: 'detached' });

  // ---------------------------------------------------------------- XSS stays text
  const payload = '<img src=x onerror=window.__xss=1>';
  await say(carol, payload);
  await sees(alice, 'carol', payload);
  await sees(bob, 'carol', payload);
  for (const [name, page] of [['alice', alice], ['bob', bob], ['carol', carol]]) {
    const xss = await page.evaluate(() => typeof window.__xss);
    if (xss !== 'undefined') throw new Error(`${name}: window.__xss is ${xss}`);
    if (await page.locator('#messages img').count() !== 0) throw new Error(`${name}: an <img> element was created`);
  }
  log('an XSS payload is shown as literal text and never runs');

  // ---------------------------------------------------------------- leave notice
  await carol.context().close();
  await notice(alice, 'leave', 'carol').waitFor();
  await alice.waitForSelector('#users li[data-nick="carol"]', { state: 'detached' });
  await notice(bob, 'leave', 'carol').waitFor();
  log('closing carol\'s page shows a leave notice and updates the user list');

  // ---------------------------------------------------------------- moderation
  await say(alice, `/kick bob no`);
  await notice(alice, 'error', 'Only moderators').waitFor();
  await say(alice, `/mod ${token}`);
  await notice(alice, 'self', 'You are now a moderator').waitFor();
  await alice.locator('#me-role').filter({ hasText: 'Moderator' }).waitFor();
  const reason = 'Spamming <b>links</b>';
  await say(alice, `/kick bob ${reason}`);
  await bob.waitForSelector('#gone', { state: 'visible' });
  const goneText = await bob.textContent('#gone-text');
  if (!goneText.includes(`Reason: ${reason}`) || !goneText.includes('alice')) throw new Error(`kicked page shows: ${goneText}`);
  if (await bob.locator('#gone-text b').count() !== 0) throw new Error('the kick reason was rendered as HTML');
  await notice(alice, 'kick', `bob was kicked by alice: ${reason}`).waitFor();
  await alice.waitForSelector('#users li[data-nick="bob"]', { state: 'detached' });
  const bobStatus = await bob.textContent('#status-text');
  if (bobStatus !== 'Kicked') throw new Error(`bob's status: ${bobStatus} (a kicked page must not reconnect by itself)`);
  log('a moderator kicks bob: his page shows the reason (as text) and does not reconnect');

  // ---------------------------------------------------------------- reconnection
  process.kill(Number(serverPid), 'SIGTERM');
  await alice.locator('#status-text').filter({ hasText: /^Reconnecting in \d+s…$/ }).waitFor();
  log('with the server gone alice sees "Reconnecting in Ns…"');
  restarted = await startServer();
  await notice(alice, 'self', 'Reconnected. You are back in #lobby.').waitFor({ timeout: 15000 });
  await alice.locator('#status-text').filter({ hasText: 'Connected' }).waitFor();
  await alice.waitForSelector('#users li[data-nick="alice"]');
  await alice.locator('#me-role').filter({ hasText: 'Moderator' }).waitFor();
  await say(alice, 'Back online.');
  await sees(alice, 'alice', 'Back online.');
  log('after a server restart alice rejoins #lobby as alice by herself (still moderator)');

  if (pageErrors.length) throw new Error(`JavaScript errors in the page: ${pageErrors.join('; ')}`);
}

(async () => {
  const started = Date.now();
  let rc = 0;
  try {
    await main();
    console.log(`all browser checks passed in ${Date.now() - started} ms`);
  } catch (e) {
    console.log(`not ok - ${e.stack || e}`);
    rc = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (restarted && restarted.exitCode === null) {
      restarted.kill('SIGTERM');
      await new Promise((resolve) => restarted.once('exit', resolve));
    }
  }
  process.exit(rc);
})();
