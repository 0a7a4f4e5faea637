// bench/peers/node-echo.js PORT [pmd] - the Node ws peer of examples/echo.php:
// every message comes back with its type. No compression, as on our side,
// unless "pmd" asks for ws's permessage-deflate with its defaults
// (bench/compression/memory.sh).
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8080);
const wss = new WebSocketServer({ host: '0.0.0.0', port, perMessageDeflate: process.argv[3] === 'pmd', maxPayload: 16 * 1024 * 1024 });

wss.on('connection', (ws) => {
	ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
	ws.on('error', () => {});
});
wss.on('listening', () => process.stderr.write(`node-echo listening on ws://127.0.0.1:${port}\n`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
