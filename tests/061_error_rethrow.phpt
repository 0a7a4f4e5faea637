--TEST--
Errors: without an "error" handler, run() closes every connection with 1011 and rethrows the exception
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $d) {
    if ($d === 'boom') {
        throw new RuntimeException('unhandled in message', 42);
    }
    $c->send($d);
});
$server->on('close', fn ($c, $code, $reason) => out('CLOSE', $c->path, $code, $reason));
ready($server);
try {
    $server->run();
    out('RUN RETURNED NORMALLY');
} catch (RuntimeException $e) {
    out('CAUGHT', get_class($e), $e->getMessage(), $e->getCode(), count($server));
}
// The server can run again after that.
$server->after(0, fn () => out('RUNNING AGAIN'));
$server->after(0, fn () => $server->stop());
$server->run();
out('END');
PHP);
$a = WsClient::connect($w->port, '/a');
$b = WsClient::connect($w->port, '/b');
$a->sendText('ping');
var_dump($a->recv());
$b->sendText('boom');
var_dump($a->expectClose(), $b->expectClose());
var_dump($w->wait());
$lines = explode("\n", trim($w->log()));
// Both close events happen before run() returns, in either order.
$closes = array_splice($lines, 0, 2);
sort($closes);
echo implode("\n", array_merge($closes, $lines)), "\n", $w->stderr;
--EXPECT--
string(9) "text:ping"
array(2) {
  [0]=>
  int(1011)
  [1]=>
  string(14) "internal error"
}
array(2) {
  [0]=>
  int(1011)
  [1]=>
  string(14) "internal error"
}
int(0)
CLOSE /a 1011 internal error
CLOSE /b 1011 internal error
CAUGHT RuntimeException unhandled in message 42 0
RUNNING AGAIN
END
