--TEST--
Server::stats(): counters after a known exchange
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['allowed_origins' => ['https://ok.example']]);
$server->on('message', function (WebSocket\Connection $c, string $d, bool $binary) use ($server) {
    if ($d === 'stats') {
        $s = $server->stats();
        out('STATS', json_encode($s));
        return;
    }
    $c->send($d, $binary);
});
$server->on('close', fn ($c, $code) => out('CLOSE', $c->path, $code));
ready($server);
$server->run();
PHP);
$a = WsClient::connect($w->port, '/a');
$a->sendText('hello');
$a->sendBinary('12345678');
$a->recv();
$a->recv();
$b = WsClient::connect($w->port, '/b');
$b->close(4001);
try {
    WsClient::connect($w->port, '/', ['Origin' => 'https://evil.example']);
} catch (WsHandshakeFailed $e) {
    echo $e->response['status'], "\n";
}
ws_http_get($w->port, '/plain');
$c = WsClient::connect($w->port, '/c');
$c->writeFrame(WsClient::TEXT, 'x', true, 0, false);
$c->expectClose();
$d = WsClient::connect($w->port, '/d');
$d->disconnect();
$w->waitFor('CLOSE /d');
$e = WsClient::connect($w->port, '/e');
$a->sendText('stats');
$s = json_decode(substr($w->waitFor('STATS'), 6), true);
// The stats message itself is counted as received.
var_dump($s['messages_in'], $s['messages_out']);
// At least the payload bytes (18 in, 13 out); what else counts is not specified.
var_dump($s['bytes_in'] >= 18, $s['bytes_out'] >= 13);
var_dump($s['accepted'], $s['handshakes_rejected'], $s['connections'], $s['pending'], $s['buffered_bytes']);
var_dump(is_int($s['memory_bytes']) && $s['memory_bytes'] >= 0);
// WebSocket connections that closed: b (4001), c (1002), d (1006).  Plain HTTP
// requests and refused handshakes never were WebSocket connections.
var_dump($s['closes'][1002] ?? 0, $s['closes'][1006] ?? 0, array_sum($s['closes']));
$a->close();
$e->close();
var_dump($w->stop());
echo $w->stderr;
--EXPECT--
403
int(3)
int(2)
bool(true)
bool(true)
int(7)
int(1)
int(2)
int(0)
int(0)
bool(true)
int(1)
int(1)
int(3)
int(0)
