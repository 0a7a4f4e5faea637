--TEST--
Messages: large single-frame messages written straight into the handler's string (split across reads at every kind of boundary, kept by the handler, fragmented, bad UTF-8, over the limit), and short messages reusing one string
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['max_message_size' => 300000]);
$kept = [];
$prev = null;
$counts = [];
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) use (&$kept, &$prev, &$counts) {
    if ($data === 'prev') {
        $c->send($prev ?? 'none');            // the string of an earlier message, still held
    } elseif (str_starts_with($data, 'count:')) {
        $counts[$data] = ($counts[$data] ?? 0) + 1;   // short strings as array keys: hashes must be fresh
        $c->send($data . '=' . $counts[$data]);
    } elseif (str_starts_with($data, 'mutate')) {
        // A received text string is marked valid UTF-8; a changed copy must be checked again.
        $m = $data;
        if ($data === 'mutate-offset') {
            $m[0] = "\xFF";
        } else {
            $m .= "\xC3";
        }
        try {
            $c->send($m);
            $c->send('sent invalid UTF-8');
        } catch (ValueError $e) {
            $c->send('refused ' . strlen($m));
        }
    } elseif ($data === 'kept') {
        $c->send(implode(',', array_map(fn ($k) => strlen($k) . ':' . md5($k), $kept)));
    } else {
        if (in_array(strlen($data), [70000, 100000], true)) {
            $kept[strlen($data)] ??= $data;    // a large message's string outlives the handler
        }
        $c->send($data, $binary);
    }
    $prev = $data;
});
ready($server);
$server->run();
PHP);

$c = WsClient::connect($w->port);
$ok = true;
// Around the threshold, and larger, text and binary, each frame written whole.
foreach ([1023, 1024, 1025, 4096, 65536, 200000] as $n) {
    $bin = random_bytes($n);
    $c->sendBinary($bin);
    $ok = $ok && $c->recvMessage(10) === [WsClient::BINARY, $bin];
    $text = str_repeat("h\u{E9}llo w\u{F6}rld \u{1F600} ", intdiv($n, 10) + 1);
    $cut = $n;
    while ((ord($text[$cut]) & 0xC0) === 0x80) {
        $cut--;                                  // not inside a character
    }
    $text = substr($text, 0, $cut) . str_repeat('a', $n - $cut);
    $c->sendText($text);
    $ok = $ok && $c->recvMessage(10) === [WsClient::TEXT, $text];
}
var_dump($ok);

// One frame written in pieces, with pauses so that the server reads them
// separately: cut inside the header, right after it, inside the payload,
// one byte before its end; the next message starts in the last piece.
$ok = true;
$payload = random_bytes(70000);
$frame = WsClient::frame(WsClient::BINARY, $payload) . WsClient::frame(WsClient::TEXT, 'after');
foreach ([[1], [14], [15, 40000], [3, 14, 30000, 69999 + 14], [69000]] as $cuts) {
    $at = 0;
    foreach (array_merge($cuts, [strlen($frame)]) as $cut) {
        $c->writeRaw(substr($frame, $at, $cut - $at));
        $at = $cut;
        usleep(20000);
    }
    $ok = $ok && $c->recvMessage(10) === [WsClient::BINARY, $payload];
    $ok = $ok && $c->recvMessage(10) === [WsClient::TEXT, 'after'];
}
var_dump($ok);

// Two large frames and a small one in one write.
$a = random_bytes(100000);
$b = str_repeat('xyz', 30000);
$c->writeRaw(WsClient::frame(WsClient::BINARY, $a) . WsClient::frame(WsClient::TEXT, $b) . WsClient::frame(WsClient::TEXT, 'small'));
var_dump($c->recvMessage(10) === [WsClient::BINARY, $a], $c->recvMessage(10) === [WsClient::TEXT, $b],
    $c->recvMessage(10) === [WsClient::TEXT, 'small']);

// A large fragmented message, a ping between its frames.
$c->writeFrame(WsClient::BINARY, substr($a, 0, 50000), false);
$c->writeFrame(WsClient::PING, 'p');
$c->writeFrame(WsClient::CONT, substr($a, 50000), true);
$pong = $c->readFrame(10);
var_dump($pong[0] === WsClient::PONG, $c->recvMessage(10) === [WsClient::BINARY, $a]);

// The large strings the handler kept are intact.
$c->sendText('kept');
[, $kept] = $c->recvMessage(10);
var_dump(count(explode(",", $kept)), $kept === '70000:' . md5($payload) . ',100000:' . md5($a));

// Short messages: a string the handler still holds is not reused, hashes are fresh.
$c->sendText('first short message');
$c->recv();
$c->sendText('prev');
var_dump($c->recv());
foreach (['count:aa', 'count:bb', 'count:aa', 'count:aa'] as $m) {
    $c->sendText($m);
    echo $c->recv(), "\n";
}
foreach (['mutate-offset', 'mutate-append', 'mutate-' . str_repeat('x', 3000)] as $m) {
    $c->sendText($m);
    echo $c->recv(), "\n";
}
var_dump($c->close());

// Bad UTF-8 late in a large text frame, written in two pieces: 1007.
$c = WsClient::connect($w->port);
$bad = str_repeat('a', 50000) . "\xC3\x28" . str_repeat('b', 10000);
$f = WsClient::frame(WsClient::TEXT, $bad);
$c->writeRaw(substr($f, 0, 20000));
usleep(20000);
$c->writeRaw(substr($f, 20000));
var_dump($c->expectClose(10));

// Over max_message_size: 1009 before any payload is read.
$c = WsClient::connect($w->port);
$c->writeRaw(substr(WsClient::frame(WsClient::BINARY, str_repeat('z', 300001)), 0, 5000));
var_dump($c->expectClose(10));

// The connection goes away in the middle of a large frame: its storage is freed (Valgrind, leaks).
$c = WsClient::connect($w->port);
$c->writeRaw(substr(WsClient::frame(WsClient::BINARY, str_repeat('q', 100000)), 0, 50000));
usleep(50000);
$c->disconnect();
usleep(50000);

var_dump($w->stop());
echo $w->stderr;
--EXPECTF--
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
int(2)
bool(true)
string(24) "text:first short message"
text:count:aa=1
text:count:bb=1
text:count:aa=2
text:count:aa=3
text:refused 13
text:refused 14
text:refused 3008
array(2) {
  [0]=>
  int(1000)
  [1]=>
  string(0) ""
}
array(2) {
  [0]=>
  int(1007)
  [1]=>
  string(%d) "%s"
}
array(2) {
  [0]=>
  int(1009)
  [1]=>
  string(%d) "%s"
}
int(0)
