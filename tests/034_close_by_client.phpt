--TEST--
Close: the close event fires exactly once with the client's code and reason (1005 without a code, 1006 without a close frame)
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('close', function (WebSocket\Connection $c, int $code, string $reason) {
    out('CLOSE', $c->path, $code, "[$reason]", var_export($c->isOpen(), true), $c->send('late'));
});
ready($server);
$server->run();
PHP);
$a = WsClient::connect($w->port, '/a');
var_dump($a->close(4000, 'bye'));
echo $w->waitFor('CLOSE'), "\n";

$b = WsClient::connect($w->port, '/b');
var_dump($b->close(1000, 'тест'));
echo $w->waitFor('CLOSE'), "\n";

// A close frame without a payload: reported as 1005, answered with an empty close frame.
$c = WsClient::connect($w->port, '/c');
$c->writeFrame(WsClient::CLOSE, '');
var_dump($c->readFrame());
var_dump($c->waitEof());
echo $w->waitFor('CLOSE'), "\n";

// The TCP connection vanishes without a close frame: 1006.
$d = WsClient::connect($w->port, '/d');
$w->waitFor('OPEN /d');
$d->disconnect();
echo $w->waitFor('CLOSE'), "\n";

// Data after the close frame is ignored; the event still fires once.
$e = WsClient::connect($w->port, '/e');
$e->writeRaw(WsClient::frame(WsClient::CLOSE, WsClient::closePayload(3001, 'x'))
    . WsClient::frame(WsClient::TEXT, 'after close') . WsClient::frame(WsClient::CLOSE, WsClient::closePayload(3002)));
var_dump($e->recv());
var_dump($e->waitEof());
echo $w->waitFor('CLOSE'), "\n";
var_dump($w->stop());
// No second close event for any connection.
echo $w->rest(), $w->stderr;
--EXPECT--
array(2) {
  [0]=>
  int(4000)
  [1]=>
  string(0) ""
}
CLOSE /a 4000 [bye] false 0
array(2) {
  [0]=>
  int(1000)
  [1]=>
  string(0) ""
}
CLOSE /b 1000 [тест] false 0
array(3) {
  [0]=>
  int(8)
  [1]=>
  bool(true)
  [2]=>
  string(0) ""
}
bool(true)
CLOSE /c 1005 [] false 0
CLOSE /d 1006 [] false 0
string(11) "close:3001:"
bool(true)
CLOSE /e 3001 [x] false 0
int(0)
