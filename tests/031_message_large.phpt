--TEST--
Messages: 1 MiB text and binary messages, and a burst of small ones, echo back in order
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) {
    $c->send($data, $binary);
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$text = str_repeat("\u{1F600}abcd", 1 << 17);
var_dump(strlen($text));
$bin = random_bytes(1 << 20);
$c->sendText($text);
$c->sendBinary($bin);
$m1 = $c->recvMessage(10);
$m2 = $c->recvMessage(10);
var_dump($m1 === [WsClient::TEXT, $text], $m2 === [WsClient::BINARY, $bin]);
// 200 messages in one write: every echo arrives, in order.
$burst = '';
for ($i = 0; $i < 200; $i++) {
    $burst .= WsClient::frame(WsClient::TEXT, "m$i");
}
$c->writeRaw($burst);
$ok = true;
for ($i = 0; $i < 200; $i++) {
    $ok = $ok && $c->recv() === "text:m$i";
}
var_dump($ok);
var_dump($c->close());
var_dump($w->stop());
echo $w->stderr;
--EXPECT--
int(1048576)
bool(true)
bool(true)
bool(true)
array(2) {
  [0]=>
  int(1000)
  [1]=>
  string(0) ""
}
int(0)
