--TEST--
Timeouts: handshake_timeout answers 408, ping_interval pings quiet peers, pong_timeout drops silent ones (1006), idle_timeout closes with 1001
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$code = <<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, json_decode($argv[1], true));
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('message', fn ($c, $d) => $c->send($d));
$server->on('close', fn ($c, $code, $reason) => out('CLOSE', $c->path, $code, "[$reason]"));
ready($server);
$server->run();
PHP;
// Timeouts long enough that a busy machine does not trip them by accident.
$w = new ServerWorker($code, [json_encode(['handshake_timeout' => 1, 'ping_interval' => 0.1, 'pong_timeout' => 1])]);
// Half a request head, then silence; and a connection that sends nothing.
$s1 = ws_tcp_connect($w->port);
ws_write_all($s1, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
$s2 = ws_tcp_connect($w->port);
$r = ws_parse_http_response(ws_read_until_eof($s1));
echo $r['status'], ' ', $r['headers']['connection'], ' ', $r['body'];
echo ws_parse_http_response(ws_read_until_eof($s2))['status'], "\n";
fclose($s1);
fclose($s2);

// A client that answers pings stays connected across several intervals.
$c = WsClient::connect($w->port, '/alive');
$pings = 0;
while ($pings < 3) {
    [$op, , $payload] = $c->readFrame();
    if ($op === WsClient::PING) {
        $pings++;
        $c->writeFrame(WsClient::PONG, $payload);
    }
}
$c->sendText('still here');
var_dump($c->recv());

// A client that ignores the ping is dropped without a close handshake.
$d = WsClient::connect($w->port, '/silent');
$ops = [];
while (($f = $d->readFrame()) !== null) {
    $ops[] = $f[0];
}
$d->disconnect();
echo 'silent client got opcodes ', implode(',', $ops), " then EOF\n";
echo $w->waitFor('CLOSE /silent'), "\n";
$c->close();
echo $w->waitFor('CLOSE /alive'), "\n";
var_dump($w->stop());
echo $w->stderr;

// idle_timeout: no data message in either direction for that long; pings do not count.
$w = new ServerWorker($code, [json_encode(['idle_timeout' => 0.2, 'ping_interval' => 0.05])]);
$e = WsClient::connect($w->port, '/idle');
var_dump($e->expectClose());
echo 'pings before the close: ', count($e->pings) > 0 ? 'yes' : 'no', "\n";
echo $w->waitFor('CLOSE'), "\n";
var_dump($w->stop());
echo $w->stderr;
--EXPECT--
408 close handshake timeout
408
string(15) "text:still here"
silent client got opcodes 9 then EOF
CLOSE /silent 1006 []
CLOSE /alive 1000 []
int(0)
array(2) {
  [0]=>
  int(1001)
  [1]=>
  string(12) "idle timeout"
}
pings before the close: yes
CLOSE /idle 1001 []
int(0)
