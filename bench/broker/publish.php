<?php
/*
 * bench/broker/publish.php - synchronous PUBLISH calls per second from one
 * PHP process (bench/broker/run.sh runs it).
 *
 *   php -d extension=websocket.so bench/broker/publish.php publisher|phpredis PORT SECONDS [SIZE]
 *
 * publisher: WebSocket\Publisher::publish('bench', $data) on 127.0.0.1:PORT.
 * phpredis:  Redis::publish('ws:t:bench', "WS1 P T\n" . $data), the same
 *            bytes on the same channel, through phpredis (Debian's php8.2-redis).
 * Both wait for Redis's reply to every call. Prints "RESULT <calls per second>".
 */
[, $mode, $port, $secs] = $argv + [null, null, null, null];
$size = (int) ($argv[4] ?? 32);
if (!in_array($mode, ['publisher', 'phpredis'], true) || !ctype_digit((string) $port) || !is_numeric($secs)) {
    fwrite(STDERR, "usage: publish.php publisher|phpredis PORT SECONDS [SIZE]\n");
    exit(2);
}
$data = str_repeat('x', $size);
if ($mode === 'publisher') {
    $pub = new WebSocket\Publisher("redis://127.0.0.1:$port");
    $call = fn () => $pub->publish('bench', $data);
} else {
    if (!class_exists('Redis')) {
        fwrite(STDERR, "phpredis is not loaded\n");
        exit(3);
    }
    $redis = new Redis();
    $redis->connect('127.0.0.1', (int) $port, 2.0);
    $payload = "WS1 P T\n" . $data;
    $call = fn () => $redis->publish('ws:t:bench', $payload);
}
// Connect and warm up for a tenth of the time, then count whole batches of 100 calls.
$warm = hrtime(true) + (int) ($secs * 1e8);
while (hrtime(true) < $warm) {
    $call();
}
$calls = 0;
$start = hrtime(true);
$end = $start + (int) ($secs * 1e9);
do {
    for ($i = 0; $i < 100; $i++) {
        $call();
    }
    $calls += 100;
    $now = hrtime(true);
} while ($now < $end);
printf("RESULT %.0f\n", $calls / (($now - $start) / 1e9));
