// node tls_probe.js URL WANT_CN TRIES: connects over wss:// until both workers
// (0 and 1) have answered with a certificate whose CN is WANT_CN; prints
// "OK <tries>" or fails after TRIES connections.
'use strict';
const WebSocket = require('ws');
const [url, want, tries] = [process.argv[2], process.argv[3], +process.argv[4]];
const seen = new Set();
function once() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false });
    let cn = '';
    ws.on('upgrade', (res) => { cn = res.socket.getPeerCertificate().subject.CN; });
    ws.on('message', (d) => {
      const m = /^hello:(\d+):/.exec(d.toString());
      ws.close();
      resolve(m ? [+m[1], cn] : [-1, cn]);
    });
    ws.on('error', () => resolve([-1, '']));
  });
}
(async () => {
  for (let i = 1; i <= tries; i++) {
    const [w, cn] = await once();
    if (cn === want) seen.add(w);
    if (seen.has(0) && seen.has(1)) { console.log('OK ' + i); process.exit(0); }
    await new Promise((r) => setTimeout(r, 20));
  }
  console.error(`workers that served CN=${want}: ${[...seen].join(',') || 'none'}`);
  process.exit(1);
})();
