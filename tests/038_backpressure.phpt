--TEST--
Backpressure: "drop" refuses sends over max_buffered_amount, "close" closes with 1008; QUEUED and drain
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, [
    'backpressure' => $argv[1], 'max_buffered_amount' => 2048, 'low_water_mark' => 1024,
]);
$server->on('message', function (WebSocket\Connection $c, string $data) {
    // Nothing is written before the handler returns, so the backlog only grows here:
    // the first message is admitted (the backlog was empty) but leaves it over
    // low_water_mark (QUEUED), the second is refused.
    $r1 = $c->send(str_repeat('a', 3000));
    $b1 = $c->bufferedAmount();
    $r2 = $c->send('b');
    out('SEND', $r1, $b1, $r2, $c->bufferedAmount(), var_export($c->isOpen(), true));
});
$server->on('close', fn ($c, $code, $reason) => out('CLOSE', $code, $reason));
ready($server);
$server->run();
PHP, ['drop']);
$c = WsClient::connect($w->port);
$c->sendText('go');
echo $w->waitFor('SEND'), "\n";
$m = $c->recvMessage();
var_dump($m === [WsClient::TEXT, str_repeat('a', 3000)]);
// The connection stays usable: the next round works the same way.
$c->sendText('again');
echo $w->waitFor('SEND'), "\n";
var_dump(strlen($c->recvMessage()[1]));
$c->close();
$w->stop();

$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, [
    'backpressure' => 'close', 'max_buffered_amount' => 2048, 'low_water_mark' => 1024,
]);
$server->on('message', function (WebSocket\Connection $c, string $data) {
    $r1 = $c->send(str_repeat('a', 3000));
    $r2 = $c->send('b');
    out('SEND', $r1, $r2, var_export($c->isOpen(), true), $c->send('c'));
});
$server->on('close', fn ($c, $code, $reason) => out('CLOSE', $code, $reason));
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$c->sendText('go');
// The backlog is discarded: the close frame is all that arrives.
var_dump($c->recvMessage());
var_dump($c->waitEof());
var_dump($w->stop());
// The close event may run inside send() or after the handler: compare the set of lines.
$lines = explode("\n", trim($w->log()));
sort($lines);
echo implode("\n", $lines), "\n", $w->stderr;
--EXPECT--
SEND 2 3004 0 3004 true
bool(true)
SEND 2 3004 0 3004 true
int(3000)
array(3) {
  [0]=>
  int(8)
  [1]=>
  int(1008)
  [2]=>
  string(26) "send buffer limit exceeded"
}
bool(true)
int(0)
CLOSE 1008 send buffer limit exceeded
SEND 2 0 false 0
