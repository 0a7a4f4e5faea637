--TEST--
Shutdown: stop() from a handler flushes queued messages and the 1001 close frame, then waits up to shutdown_timeout
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$code = <<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['shutdown_timeout' => (float) $argv[1]]);
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    $server->broadcast('goodbye');
    $server->stop();
    out('STOP CALLED', var_export($c->isOpen(), true), $c->send('after stop'));
});
$server->on('close', fn ($c, $code) => out('CLOSE', $c->path, $code));
ready($server);
$server->run();
out('RUN RETURNED', count($server));
PHP;
// shutdown_timeout 0: no waiting for replies, but what is queued is still sent.
// 0.3: the client that answers is closed at once, the silent one when time is up.
foreach (['0', '0.3'] as $timeout) {
    echo "shutdown_timeout=$timeout\n";
    $w = new ServerWorker($code, [$timeout]);
    $a = WsClient::connect($w->port, '/answers');
    $w->waitFor('OPEN');
    $b = WsClient::connect($w->port, '/silent');
    $w->waitFor('OPEN');
    $a->sendText('stop');
    foreach (['a' => $a, 'b' => $b] as $name => $c) {
        echo "$name: ", $c->recv(), ' ', $c->recv(), "\n";
    }
    $a->writeFrame(WsClient::CLOSE, WsClient::closePayload(1001));
    var_dump($a->waitEof(), $b->waitEof());
    var_dump($w->wait());
    $lines = explode("\n", trim($w->log()));
    $closes = array_values(array_filter($lines, fn ($l) => str_starts_with($l, 'CLOSE')));
    sort($closes);
    echo implode("\n", array_filter($lines, fn ($l) => str_starts_with($l, 'STOP'))), "\n";
    echo implode("\n", $closes), "\n", end($lines), "\n", $w->stderr;
}
--EXPECT--
shutdown_timeout=0
a: text:goodbye close:1001:server shutting down
b: text:goodbye close:1001:server shutting down
bool(true)
bool(true)
int(0)
STOP CALLED false 0
CLOSE /answers 1001
CLOSE /silent 1001
RUN RETURNED 0
shutdown_timeout=0.3
a: text:goodbye close:1001:server shutting down
b: text:goodbye close:1001:server shutting down
bool(true)
bool(true)
int(0)
STOP CALLED false 0
CLOSE /answers 1001
CLOSE /silent 1001
RUN RETURNED 0
