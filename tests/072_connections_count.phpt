--TEST--
Server::connections() lists open connections in the order they opened; count() and Countable agree
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$report = function (string $when) use ($server) {
    out($when, count($server), $server->count(), implode(',', array_map(fn ($c) => $c->path, $server->connections())));
};
$server->on('handshake', fn () => $report('HANDSHAKE'));
$server->on('open', fn ($c) => $report("OPEN {$c->path}"));
$server->on('close', fn ($c) => $report("CLOSE {$c->path}"));
$server->on('message', function ($c) use ($report, $server) {
    $report('NOW');
    // The objects are the ones the handlers get.
    out('SAME', var_export(in_array($c, $server->connections(), true), true));
});
ready($server);
$server->run();
PHP);
$clients = [];
foreach (['a', 'b', 'c', 'd'] as $name) {
    $clients[$name] = WsClient::connect($w->port, "/$name");
    echo $w->waitFor('HANDSHAKE'), "\n", $w->waitFor('OPEN'), "\n";
}
$clients['b']->close();
echo $w->waitFor('CLOSE'), "\n";
$clients['d']->disconnect();
echo $w->waitFor('CLOSE'), "\n";
$clients['e'] = WsClient::connect($w->port, '/e');
echo $w->waitFor('OPEN'), "\n";
$clients['a']->sendText('now');
echo $w->waitFor('NOW'), "\n", $w->waitFor('SAME'), "\n";
foreach (['a', 'c', 'e'] as $name) {
    $clients[$name]->close();
    echo $w->waitFor('CLOSE'), "\n";
}
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
HANDSHAKE 0 0 
OPEN /a 1 1 /a
HANDSHAKE 1 1 /a
OPEN /b 2 2 /a,/b
HANDSHAKE 2 2 /a,/b
OPEN /c 3 3 /a,/b,/c
HANDSHAKE 3 3 /a,/b,/c
OPEN /d 4 4 /a,/b,/c,/d
CLOSE /b 3 3 /a,/c,/d
CLOSE /d 2 2 /a,/c
OPEN /e 3 3 /a,/c,/e
NOW 3 3 /a,/c,/e
SAME true
CLOSE /a 2 2 /c,/e
CLOSE /c 1 1 /e
CLOSE /e 0 0 
int(0)
