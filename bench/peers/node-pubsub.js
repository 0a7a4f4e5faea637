// bench/peers/node-pubsub.js PORT - the Node ws peer of examples/pubsub.php:
// every message a client sends goes to every connected client, the sender
// included, by looping over the clients (ws has no topics: this is how its
// own documentation broadcasts).
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2] || 8080);
const wss = new WebSocketServer({ host: '0.0.0.0', port, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });

wss.on('connection', (ws) => {
	ws.on('message', (data, isBinary) => {
		for (const client of wss.clients) {
			if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
		}
	});
	ws.on('error', () => {});
});
wss.on('listening', () => process.stderr.write(`node-pubsub listening on ws://127.0.0.1:${port}\n`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
