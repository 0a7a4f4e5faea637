--TEST--
HTTP: without a "request" handler or document_root, plain requests get 426 Upgrade Required
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('open', fn () => out('OPEN'));
$server->on('message', function ($c) use ($server) {
    $s = $server->stats();
    out('STATS accepted', $s['accepted'], 'connections', $s['connections'], 'rejected', $s['handshakes_rejected']);
});
ready($server);
$server->run();
PHP);
foreach (['GET', 'HEAD', 'POST'] as $method) {
    $r = ws_http_get($w->port, '/index.html', $method);
    echo $r['status'], ' ', $r['headers']['sec-websocket-version'] ?? '-', ' ', $r['headers']['connection'],
        ' ', $r['headers']['content-length'], ' [', $r['body'], "]\n";
}
// The server still accepts WebSocket clients afterwards.
$c = WsClient::connect($w->port);
$c->sendText('stats');
echo $w->waitFor('STATS'), "\n";
$c->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
426 13 close 27 [this is a WebSocket server
]
426 13 close 27 []
426 13 close 27 [this is a WebSocket server
]
STATS accepted 4 connections 1 rejected 0
int(0)
