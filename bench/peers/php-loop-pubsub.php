<?php
/*
 * bench/peers/php-loop-pubsub.php PORT - the fan-out of examples/pubsub.php
 * done the way one would without publish(): a PHP array of connections and
 * a foreach over $conn->send(). Same extension, same options; the benchmark
 * compares the two to show what publish() (one frame encoded once, shared
 * by every recipient's queue) buys over a loop in PHP.
 */
$port = (int) ($argv[1] ?? 8080);

$server = new WebSocket\Server('0.0.0.0', $port, ['max_connections' => 0]);

/** @var array<int, WebSocket\Connection> $clients */
$clients = [];

$server->on('open', function (WebSocket\Connection $conn) use (&$clients) {
    $clients[$conn->id] = $conn;
});

$server->on('close', function (WebSocket\Connection $conn) use (&$clients) {
    unset($clients[$conn->id]);
});

$server->on('message', function (WebSocket\Connection $conn, string $data, bool $binary) use (&$clients) {
    foreach ($clients as $client) {
        $client->send($data, $binary);
    }
});

fprintf(STDERR, "php-loop-pubsub listening on ws://127.0.0.1:%d\n", $server->getPort());
$server->run();
