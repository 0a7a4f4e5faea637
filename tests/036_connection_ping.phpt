--TEST--
Connection::ping(): the client receives the ping; payload limit of 125 bytes; false once closed
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $data) {
    if ($data === 'close') {
        $c->close();
        out('PING after close', var_export($c->ping('x'), true));
        return;
    }
    foreach (['', 'hello', str_repeat('p', 125), str_repeat('p', 126)] as $payload) {
        try {
            out('PING', strlen($payload), var_export($c->ping($payload), true));
        } catch (ValueError $e) {
            out('PING', strlen($payload), $e->getMessage());
        }
    }
    out('DEFAULT', var_export($c->ping(), true));
    $c->send('pinged');
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$c->sendText('go');
// Pings arrive as control frames before the text message queued after them.
for ($i = 0; $i < 4; $i++) {
    [$op, $fin, $payload] = $c->readFrame();
    printf("opcode=%d fin=%d len=%d payload=%s\n", $op, $fin, strlen($payload), substr($payload, 0, 5));
}
var_dump($c->recv());
echo $w->waitFor('PING'), "\n", $w->waitFor('PING'), "\n", $w->waitFor('PING'), "\n", $w->waitFor('PING'), "\n";
echo $w->waitFor('DEFAULT'), "\n";
$c->sendText('close');
echo $w->waitFor('PING after close'), "\n";
var_dump($c->expectClose());
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
opcode=9 fin=1 len=0 payload=
opcode=9 fin=1 len=5 payload=hello
opcode=9 fin=1 len=125 payload=ppppp
opcode=9 fin=1 len=0 payload=
string(11) "text:pinged"
PING 0 true
PING 5 true
PING 125 true
PING 126 WebSocket\Connection::ping(): Argument #1 ($payload) must be at most 125 bytes long
DEFAULT true
PING after close false
array(2) {
  [0]=>
  int(1000)
  [1]=>
  string(0) ""
}
int(0)
