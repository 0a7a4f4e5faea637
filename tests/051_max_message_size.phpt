--TEST--
Limits: max_message_size and max_frame_size close with 1009; the 16 MiB default is enforced from the frame header
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$code = <<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, json_decode($argv[1], true));
$server->on('message', function ($c, $d, $b) {
    out('MESSAGE', $c->path, strlen($d));
    $c->send((string) strlen($d));
});
$server->on('close', fn ($c, $code, $reason) => out('CLOSE', $c->path, $code, $reason));
ready($server);
$server->run();
PHP;
$w = new ServerWorker($code, [json_encode(['max_message_size' => 1000, 'max_frame_size' => 400])]);
$run = function (string $name, array $frames) use ($w) {
    $c = WsClient::connect($w->port, "/$name");
    foreach ($frames as [$op, $len, $fin]) {
        $c->writeFrame($op, str_repeat('m', $len), $fin);
    }
    $m = $c->recvMessage();
    if ($m[0] === WsClient::CLOSE) {
        $c->writeFrame(WsClient::CLOSE, WsClient::closePayload($m[1]));
        $c->waitEof();
        printf("%-18s closed %d %s | %s\n", $name, $m[1], $m[2], $w->waitFor('CLOSE'));
    } else {
        printf("%-18s echoed %s | %s\n", $name, $m[1], $w->waitFor('MESSAGE'));
        $c->close();
        $w->waitFor('CLOSE');
    }
};
$run('400-one-frame', [[WsClient::TEXT, 400, true]]);
$run('401-one-frame', [[WsClient::BINARY, 401, true]]);
$run('1000-in-3', [[WsClient::TEXT, 400, false], [WsClient::CONT, 400, false], [WsClient::CONT, 200, true]]);
$run('1001-in-3', [[WsClient::TEXT, 400, false], [WsClient::CONT, 400, false], [WsClient::CONT, 201, true]]);
$run('1200-in-4', [[WsClient::BINARY, 300, false], [WsClient::CONT, 300, false], [WsClient::CONT, 300, false], [WsClient::CONT, 300, true]]);
var_dump($w->stop());
echo $w->rest(), $w->stderr;

// Defaults: 16 MiB.  The header alone announces too much.
$w = new ServerWorker($code, ['[]']);
$c = WsClient::connect($w->port, '/default');
$c->writeRaw("\x82\xFF" . pack('J', 16 * 1024 * 1024 + 1) . "mask");
var_dump($c->expectClose());
echo $w->waitFor('CLOSE'), "\n";
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
400-one-frame      echoed 400 | MESSAGE /400-one-frame 400
401-one-frame      closed 1009 frame exceeds the maximum frame size | CLOSE /401-one-frame 1009 frame exceeds the maximum frame size
1000-in-3          echoed 1000 | MESSAGE /1000-in-3 1000
1001-in-3          closed 1009 message exceeds the maximum message size | CLOSE /1001-in-3 1009 message exceeds the maximum message size
1200-in-4          closed 1009 message exceeds the maximum message size | CLOSE /1200-in-4 1009 message exceeds the maximum message size
int(0)
array(2) {
  [0]=>
  int(1009)
  [1]=>
  string(36) "frame exceeds the maximum frame size"
}
CLOSE /default 1009 frame exceeds the maximum frame size
int(0)
