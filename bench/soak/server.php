<?php
/*
 * The server under soak (bench/soak/soak.py): echo, pub/sub, broadcast,
 * timers and every limit the soak's abusive clients run into.
 *
 *   php -d extension=websocket.so bench/soak/server.php
 *
 * Binds 127.0.0.1:0 and prints "PORT=<n>".  Paths and messages:
 *   /echo                  every message comes back as it was sent
 *   /room/<name>           subscribed to the topic <name> and to "ticks" (a timer
 *                          publishes there every second); "pub:<topic>:<data>"
 *                          publishes, "bcast:<data>" broadcasts to everyone
 *   /firehose              subscribed to "firehose", which a timer fills faster
 *                          than a slow reader reads: backpressure closes it (1008)
 *   /control               "stats" is answered with stats() as JSON
 * SIGTERM stops it gracefully; it prints its counters on the way out.
 */
$server = new WebSocket\Server('127.0.0.1', 0, [
    'max_message_size' => 1024 * 1024,    // the oversized frames get 1009
    'max_buffered_amount' => 256 * 1024,  // slow readers get 1008
    'low_water_mark' => 32 * 1024,
    'handshake_timeout' => 2,             // stalled handshakes get 408
    'ping_interval' => 5,
    'pong_timeout' => 3,                  // peers that stop answering are dropped
    'close_timeout' => 2,
    'max_memory' => 64 * 1024 * 1024,
    'compression' => true,                // half the soak's clients ask for it
]);

$drains = 0;
$errors = 0;

$server->on('open', function (WebSocket\Connection $c) {
    if (str_starts_with($c->path, '/room/')) {
        $c->subscribe(substr($c->path, 6));
        $c->subscribe('ticks');
    } elseif ($c->path === '/firehose') {
        $c->subscribe('firehose');
    }
});

$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) use ($server) {
    if ($c->path === '/control' && $data === 'stats') {
        $c->send(json_encode($server->stats()));
        return;
    }
    if (!$binary && str_starts_with($data, 'pub:')) {
        [, $topic, $payload] = explode(':', $data, 3) + [2 => ''];
        $server->publish($topic, $payload);
        return;
    }
    if (!$binary && str_starts_with($data, 'bcast:')) {
        $server->broadcast(substr($data, 6), false, $c);
        return;
    }
    $c->send($data, $binary);
});

$server->on('drain', function () use (&$drains) {
    $drains++;
});

$server->on('error', function (Throwable $e, ?WebSocket\Connection $c) use (&$errors) {
    $errors++;
    fprintf(STDERR, "error handler: %s\n", $e->getMessage());
});

// A clock for the rooms, and a firehose that outruns its slow readers.
$server->every(1000, function () use ($server) {
    $server->publish('ticks', 'tick ' . microtime(true));
});
$chunk = str_repeat('f', 16 * 1024);
$server->every(20, function () use ($server, $chunk) {
    $server->publish('firehose', $chunk, true);
});

echo "PORT=", $server->getPort(), "\n";
$server->run();
echo "STOPPED ", json_encode($server->stats() + ['drains' => $drains, 'errors' => $errors]), "\n";
