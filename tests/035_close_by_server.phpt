--TEST--
Close: Connection::close() from the server; a second close() is a no-op; send() afterwards returns DROPPED
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $data) {
    [$code, $reason] = explode(' ', $data, 2) + [1 => ''];
    out('BEFORE', var_export($c->isOpen(), true), $c->send('last words'));
    $c->close((int) $code, $reason);
    out('AFTER', var_export($c->isOpen(), true), $c->send('too late'), $c->send("\x01", true),
        var_export($c->ping('p'), true));
    // Only the first close() counts.
    $c->close(1000, 'second');
    $c->close();
});
$server->on('close', function (WebSocket\Connection $c, int $code, string $reason) {
    out('CLOSE', $code, "[$reason]", $c->send('x'));
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$c->sendText('4001 done here');
var_dump($c->recv());
// The server waits for our reply before it reports the close.
$f = $c->readFrame();
var_dump($f[0], WsClient::parseClose($f[2]));
echo $w->waitFor('BEFORE'), "\n", $w->waitFor('AFTER'), "\n";
// Messages sent after the server's close frame are discarded, not delivered.
$c->sendText('ignored');
// The close event reports the close frame received: our reply.
$c->writeFrame(WsClient::CLOSE, WsClient::closePayload(4002, 'ack'));
var_dump($c->waitEof());
echo $w->waitFor('CLOSE'), "\n";

// The default code is 1000 with an empty reason; a 123-byte reason goes through whole.
$d = WsClient::connect($w->port);
$d->sendText('1000');
var_dump($d->expectClose());
echo $w->waitFor('CLOSE'), "\n";
$reason = str_repeat('é', 61) . 'x';
$e = WsClient::connect($w->port);
$e->sendText("4999 $reason");
$m = $e->expectClose();
var_dump($m === [4999, $reason], strlen($m[1]));
echo $w->waitFor('CLOSE'), "\n";
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
string(15) "text:last words"
int(8)
array(2) {
  [0]=>
  int(4001)
  [1]=>
  string(9) "done here"
}
BEFORE true 1
AFTER false 0 0 false
bool(true)
CLOSE 4002 [ack] 0
array(2) {
  [0]=>
  int(1000)
  [1]=>
  string(0) ""
}
CLOSE 1000 [] 0
bool(true)
int(123)
CLOSE 4999 [] 0
int(0)
