--TEST--
Backpressure: send() returns QUEUED once the peer stops reading, and "drain" fires when it catches up
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, [
    'max_buffered_amount' => 256 << 20, 'low_water_mark' => 65536, 'max_message_size' => 1 << 20,
]);
$server->on('message', function (WebSocket\Connection $c, string $data) use ($server) {
    // One 1 MiB message per loop iteration until the kernel buffers are full.
    $sent = 0;
    $id = 0;
    $id = $server->every(1, function () use ($c, $server, &$sent, &$id) {
        $r = $c->send(str_repeat('z', 1 << 20), true);
        $sent++;
        if ($r === WebSocket\Connection::QUEUED || $sent === 200) {
            $server->clearTimer($id);
            out('FLOOD', $r === WebSocket\Connection::QUEUED ? 'QUEUED' : 'never queued', $sent);
            out('BUFFERED', var_export($c->bufferedAmount() > 65536, true));
        }
    });
});
$server->on('drain', function (WebSocket\Connection $c) {
    out('DRAIN', var_export($c->bufferedAmount() <= 65536, true), var_export($c->isOpen(), true));
    $c->send('after drain');
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$c->sendText('flood');
// We do not read until the server reports that its send queue backs up.
$line = $w->waitFor('FLOOD', 30);
[, $state, $n] = explode(' ', $line);
echo "FLOOD $state\n";
echo $w->waitFor('BUFFERED'), "\n";
$ok = true;
for ($i = 0; $i < $n; $i++) {
    $m = $c->recvMessage(30);
    $ok = $ok && $m[0] === WsClient::BINARY && strlen($m[1]) === 1 << 20;
}
var_dump($ok);
echo $w->waitFor('DRAIN', 30), "\n";
var_dump($c->recv());
$c->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
FLOOD QUEUED
BUFFERED true
bool(true)
DRAIN true true
string(16) "text:after drain"
int(0)
