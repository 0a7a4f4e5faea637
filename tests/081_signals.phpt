--TEST--
Shutdown: SIGINT stops gracefully too; a second signal during the shutdown exits at once
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
$code = <<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('close', fn ($c, $code) => out('CLOSE', $c->path, $code));
ready($server);
$server->run();
out('RUN RETURNED');
PHP;
$w = new ServerWorker($code);
$c = WsClient::connect($w->port, '/int');
$w->waitFor('OPEN');
$w->signal(2);
var_dump($c->expectClose());
var_dump($w->wait());
echo $w->log(), $w->stderr;

// The client never answers the close frame; a second SIGTERM does not wait for it.
$w = new ServerWorker($code);
$c = WsClient::connect($w->port, '/stuck');
$w->waitFor('OPEN');
$w->signal(15);
var_dump($c->recv());
$w->signal(15);
var_dump($w->wait());
var_dump($c->waitEof());
echo $w->log(), $w->stderr;
--EXPECT--
array(2) {
  [0]=>
  int(1001)
  [1]=>
  string(20) "server shutting down"
}
int(0)
OPEN /int
CLOSE /int 1001
RUN RETURNED
string(31) "close:1001:server shutting down"
int(-15)
bool(true)
OPEN /stuck
