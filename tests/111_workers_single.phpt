--TEST--
Workers API without workers: workerStart/workerStop fire once with id 0, sendToWorkers() fires workerMessage after the handler returns
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('workerStart', function (int $id) use ($server) { $GLOBALS['started'] = "$id {$server->workerId()} {$server->workerCount()}"; });
$server->on('workerStop', fn (int $id) => out('STOP', $id));
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    out('STARTED', $GLOBALS['started']);
    out("SENT", var_export($server->sendToWorkers("to all: $d"), true));
    out('HANDLER DONE');
});
$server->on('workerMessage', function (string $data, int $from) use ($server) {
    out('WM', $data, $from);
    $server->broadcast("wm $data");
});
ready($server);
$server->run();
out('STOPPED');
PHP, [], 30.0);
$c = WsClient::connect($w->port);
$c->sendText('hi');
echo $w->waitFor("STARTED"), "\n", $w->waitFor("SENT"), "\n", $w->waitFor("HANDLER DONE"), "\n";
echo $w->waitFor('WM'), "\n";
var_dump($c->recvMessage()[1]);
$c->close();
var_dump($w->stop());
echo $w->rest();
?>
--EXPECT--
STARTED 0 0 1
SENT true
HANDLER DONE
WM to all: hi 0
string(13) "wm to all: hi"
int(0)
STOP 0
STOPPED
