// Shared by the browser tests of the chat room that run several users on
// several processes (chat-workers.test.js, chat-redis.test.js): Chromium,
// opening a user's page, typing, finding messages, and the runner that
// closes the browser and sets the exit status.
'use strict';

const { chromium } = require('playwright-core');

const WAIT_MS = 30000;
const pageErrors = [];
let browser;

function log(msg) {
  console.log(`ok - ${msg}`);
}

async function launch() {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  return browser;
}

// Opens the chat page at url and joins as nick; returns the page, with the
// worker that holds the user in page.worker (read from the welcome message:
// present when the server has several processes).
async function openUser(url, nick, room = 'lobby') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
  // The page's WebSocket, with an ear on the welcome message.
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'welcome') window.__chatWorker = m.worker;
        });
      }
    };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => pageErrors.push(`${nick}: ${e.message}`));
  await page.goto(url);
  await page.fill('#nick', nick);
  await page.fill('#join-room', room);
  await page.waitForSelector('#join-button:not([disabled])');
  await page.click('#join-button');
  await page.waitForSelector('#join', { state: 'hidden' });
  await page.waitForSelector(`#users li[data-nick="${nick}"]`);
  page.worker = await page.evaluate(() => window.__chatWorker);
  page.nick = nick;
  return page;
}

async function say(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

function message(page, from, text) {
  return page.locator(`#messages li.msg[data-from="${from}"] .text`).filter({ hasText: text }).last();
}

function privateMessage(page, from, text) {
  return page.locator(`#messages li.msg.private[data-from="${from}"] .text`).filter({ hasText: text }).last();
}

function notice(page, kind, text) {
  return page.locator(`#messages li.notice.${kind}`).filter({ hasText: text }).last();
}

// The nicknames in a page's user list, sorted.
async function users(page) {
  return (await page.locator('#users li').evaluateAll((lis) => lis.map((li) => li.dataset.nick))).sort();
}

// Runs main(), then closes the browser and every page, runs cleanup (if
// any) and exits 0 if main and the pages threw nothing.
function run(main, cleanup) {
  (async () => {
    const started = Date.now();
    let rc = 0;
    try {
      await main();
      if (pageErrors.length) throw new Error(`JavaScript errors in the page: ${pageErrors.join('; ')}`);
      console.log(`all browser checks passed in ${Date.now() - started} ms`);
    } catch (e) {
      console.log(`not ok - ${e.stack || e}`);
      rc = 1;
    } finally {
      if (browser) await browser.close().catch(() => {});
      if (cleanup) await Promise.resolve(cleanup()).catch(() => {});
    }
    process.exit(rc);
  })();
}

module.exports = { WAIT_MS, log, launch, openUser, say, message, privateMessage, notice, users, run };
