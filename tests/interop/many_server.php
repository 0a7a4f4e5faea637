<?php
/*
 * A lightweight echo server for 30-many-connections.sh: it counts instead of
 * logging every connection.
 *
 *   php -d extension=websocket.so tests/interop/many_server.php
 *
 * Binds 127.0.0.1:0, prints "PORT=<n>", echoes every message except the text
 * "stats", which is answered with a JSON object of counters:
 *   {"opens":…, "closes":…, "open":…, "peak":…, "codes":{code: count}}
 * When run() returns it prints "STOPPED opens=… closes=… peak=…".
 */
$server = new WebSocket\Server('127.0.0.1', 0);
$opens = $closes = $peak = 0;
$codes = [];

$server->on('open', function () use ($server, &$opens, &$peak) {
    $opens++;
    $peak = max($peak, count($server));
});
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) use ($server, &$opens, &$closes, &$peak, &$codes) {
    if (!$binary && $data === 'stats') {
        $c->send(json_encode([
            'opens' => $opens, 'closes' => $closes, 'open' => count($server),
            'peak' => $peak, 'codes' => (object) $codes,
        ]));
        return;
    }
    $c->send($data, $binary);
});
$server->on('close', function (WebSocket\Connection $c, int $code) use (&$closes, &$codes) {
    $closes++;
    $codes[$code] = ($codes[$code] ?? 0) + 1;
});

echo "PORT=", $server->getPort(), "\n";
$server->run();
echo "STOPPED opens=$opens closes=$closes peak=$peak\n";
