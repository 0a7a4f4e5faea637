// The chat over https/wss in Chromium (see chat-tls.sh).
'use strict';
const { chromium } = require('playwright-core');

const [port] = process.argv.slice(2);
const URL = `https://127.0.0.1:${port}/`;

async function openUser(browser, nick) {
  // The test CA is not in Chromium's store; accepting the certificate is what this flag does.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const handshake = new Promise((resolve) => {
    cdp.on('Network.webSocketHandshakeResponseReceived', (e) => resolve(e.response));
  });
  await page.goto(URL);
  if (!page.url().startsWith('https://')) throw new Error(`not served over https: ${page.url()}`);
  await page.fill('#nick', nick);
  await page.fill('#join-room', 'lobby');
  await page.click('#join-button');
  await page.waitForSelector(`#users li[data-nick="${nick}"]`);
  return { page, response: await handshake };
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const alice = await openUser(browser, 'alice');
    const bob = await openUser(browser, 'bob');
    await alice.page.waitForSelector('#users li[data-nick="bob"]');
    const status = alice.response.status;
    const headers = Object.fromEntries(Object.entries(alice.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    if (status !== 101) throw new Error(`handshake status ${status}`);
    const ext = headers['sec-websocket-extensions'] || '';
    if (!/^permessage-deflate\b/.test(ext)) throw new Error(`no permessage-deflate in the 101: ${JSON.stringify(headers)}`);
    console.log(`ok - 101 over wss:// with Sec-WebSocket-Extensions: ${ext}`);

    const text = 'Over TLS and compressed: ' + 'la '.repeat(100);
    await alice.page.fill('#input', text);
    await alice.page.press('#input', 'Enter');
    await bob.page.locator('#messages li.msg[data-from="alice"] .text').filter({ hasText: 'Over TLS and compressed' }).waitFor();
    const shown = await bob.page.locator('#messages li.msg[data-from="alice"] .text').last().textContent();
    if (shown !== text.trim() && shown !== text) throw new Error(`bob sees ${JSON.stringify(shown)}`);
    console.log('ok - a message from alice reaches bob over wss:// with compression');
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
