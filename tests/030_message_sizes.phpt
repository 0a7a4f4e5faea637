--TEST--
Messages: text and binary of 0, 1, 125, 126, 65535 and 65536 bytes reach the handler intact and echo back
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) {
    out('MSG', $binary ? 'binary' : 'text', strlen($data), md5($data));
    $c->send($data, $binary);
});
$server->on('close', fn ($c, $code) => out('CLOSE', $code));
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
mt_srand(7);
foreach ([0, 1, 125, 126, 65535, 65536] as $len) {
    $text = str_repeat('é', intdiv($len, 2)) . str_repeat('a', $len % 2);
    $bin = '';
    for ($i = 0; $i < $len; $i++) {
        $bin .= chr(mt_rand(0, 255));
    }
    foreach ([[WsClient::TEXT, $text], [WsClient::BINARY, $bin]] as [$op, $data]) {
        $c->writeFrame($op, $data);
        $m = $c->recvMessage();
        $line = $w->waitFor('MSG');
        printf("%-6s %5d echoed=%s handler=%s\n", $op === WsClient::TEXT ? 'text' : 'binary', strlen($data),
            var_export($m === [$op, $data], true),
            var_export($line === sprintf('MSG %s %d %s', $op === WsClient::TEXT ? 'text' : 'binary', strlen($data), md5($data)), true));
    }
}
var_dump($c->close());
var_dump($w->waitFor('CLOSE'));
var_dump($w->stop());
echo $w->stderr;
--EXPECT--
text       0 echoed=true handler=true
binary     0 echoed=true handler=true
text       1 echoed=true handler=true
binary     1 echoed=true handler=true
text     125 echoed=true handler=true
binary   125 echoed=true handler=true
text     126 echoed=true handler=true
binary   126 echoed=true handler=true
text   65535 echoed=true handler=true
binary 65535 echoed=true handler=true
text   65536 echoed=true handler=true
binary 65536 echoed=true handler=true
array(2) {
  [0]=>
  int(1000)
  [1]=>
  string(0) ""
}
string(10) "CLOSE 1000"
int(0)
