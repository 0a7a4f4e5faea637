--TEST--
Shutdown: SIGTERM sends 1001 to every client, fires every close event, and run() returns (exit status 0)
--EXTENSIONS--
websocket
--SKIPIF--
<?php
if (PHP_OS_FAMILY === 'Windows') {
    die('skip POSIX signals');
}
?>
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('close', fn ($c, $code, $reason) => out('CLOSE', $c->path, $code, "[$reason]", count($GLOBALS['server'])));
ready($server);
$server->run();
out('RUN RETURNED', count($server));
PHP);
$clients = [];
foreach (['a', 'b', 'c'] as $name) {
    $clients[$name] = WsClient::connect($w->port, "/$name");
    $w->waitFor("OPEN /$name");
}
$w->signal(15);
foreach ($clients as $name => $c) {
    // Read the close frame; the reply goes out below.
    $m = $c->recvMessage();
    echo "$name: ", $m[0], ' ', $m[1], ' ', $m[2], "\n";
}
foreach ($clients as $c) {
    $c->writeFrame(WsClient::CLOSE, WsClient::closePayload(1001));
    var_dump($c->waitEof());
}
var_dump($w->wait());
$lines = explode("\n", trim($w->log()));
$closes = array_values(array_filter($lines, fn ($l) => str_starts_with($l, 'CLOSE')));
sort($closes);
echo preg_replace('/ \d+$/m', ' N', implode("\n", $closes)), "\n", end($lines), "\n", $w->stderr;
--EXPECT--
a: 8 1001 server shutting down
b: 8 1001 server shutting down
c: 8 1001 server shutting down
bool(true)
bool(true)
bool(true)
int(0)
CLOSE /a 1001 [] N
CLOSE /b 1001 [] N
CLOSE /c 1001 [] N
RUN RETURNED 0
