--TEST--
Messages: fragments are reassembled, with a ping answered between fragments and UTF-8 split across them
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) {
    out('MSG', $binary ? 'binary' : 'text', bin2hex($data));
    $c->send($data, $binary);
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$c->writeFrame(WsClient::TEXT, 'Hel', false);
$c->writeFrame(WsClient::PING, 'between');
// The pong comes at once, while the message is still open.
var_dump($c->readFrame());
$c->writeFrame(WsClient::CONT, "lo, w\xC3", false);
$c->writeFrame(WsClient::CONT, "\xB6rld", true);
var_dump($c->recv());
echo $w->waitFor('MSG'), "\n";

// Binary with empty fragments, and a pong from the client in the middle (ignored).
$c->writeFrame(WsClient::BINARY, '', false);
$c->writeFrame(WsClient::CONT, "\x00\xFF", false);
$c->writeFrame(WsClient::PONG, 'unsolicited');
$c->writeFrame(WsClient::CONT, '', false);
$c->writeFrame(WsClient::CONT, "\x80", true);
var_dump($c->recvMessage() === [WsClient::BINARY, "\x00\xFF\x80"]);
echo $w->waitFor('MSG'), "\n";

// Everything in one write.
$c->writeRaw(WsClient::frame(WsClient::TEXT, 'a', false) . WsClient::frame(WsClient::CONT, 'b', false)
    . WsClient::frame(WsClient::PING, '') . WsClient::frame(WsClient::CONT, 'c'));
var_dump($c->recv(), $c->pings, $c->pongs);
echo $w->waitFor('MSG'), "\n";
$c->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
array(3) {
  [0]=>
  int(10)
  [1]=>
  bool(true)
  [2]=>
  string(7) "between"
}
string(18) "text:Hello, wörld"
MSG text 48656c6c6f2c2077c3b6726c64
bool(true)
MSG binary 00ff80
string(8) "text:abc"
array(0) {
}
array(1) {
  [0]=>
  string(0) ""
}
MSG text 616263
int(0)
