--TEST--
Limits: max_connections and max_connections_per_ip answer 503 with Retry-After; a freed slot is reusable
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$code = <<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, json_decode($argv[1], true));
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('close', fn ($c, $code) => out('CLOSE', $c->path, $code));
ready($server);
$server->run();
PHP;
foreach ([['max_connections' => 2], ['max_connections_per_ip' => 2]] as $opts) {
    echo json_encode($opts), "\n";
    $w = new ServerWorker($code, [json_encode($opts)]);
    $a = WsClient::connect($w->port, '/a');
    $b = WsClient::connect($w->port, '/b');
    try {
        WsClient::connect($w->port, '/c');
        echo "third connected\n";
    } catch (WsHandshakeFailed $e) {
        echo $e->response['status'], ' Retry-After: ', $e->response['headers']['retry-after'], ' ', $e->response['body'];
    }
    $a->close();
    echo $w->waitFor('CLOSE /a'), "\n";
    $d = WsClient::connect($w->port, '/d');
    echo $w->waitFor('OPEN /d'), "\n";
    $b->close();
    $d->close();
    var_dump($w->stop());
    echo $w->stderr;
}
--EXPECT--
{"max_connections":2}
503 Retry-After: 1 too many connections
CLOSE /a 1000
OPEN /d
int(0)
{"max_connections_per_ip":2}
503 Retry-After: 1 too many connections from this address
CLOSE /a 1000
OPEN /d
int(0)
