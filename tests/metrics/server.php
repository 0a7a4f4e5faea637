<?php
/*
 * The server of the tests/metrics/*.sh tests.
 *
 *   php -d extension=websocket.so tests/metrics/server.php [JSON-OPTIONS]
 *
 * Binds 127.0.0.1:0 and prints "PORT=<n>".  Echoes every message, except the
 * text commands "close:<code>:<reason>" (the server closes the connection),
 * "flood:<n>:<size>" (sends n messages of size bytes in one go and logs
 * "FLOOD sent=<queued> dropped=<dropped>").  Logs "REQUEST <path>" for every
 * plain HTTP request its handler sees, and after run() returns prints
 * "STATS <json of stats(true)>" and "STOPPED".
 */
$options = isset($argv[1]) ? json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR) : [];
$server = new WebSocket\Server('127.0.0.1', 0, $options);

$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) {
    if (!$binary && str_starts_with($data, 'close:')) {
        [, $code, $reason] = explode(':', $data, 3) + [2 => ''];
        $c->close((int) $code, $reason);
        return;
    }
    if (!$binary && str_starts_with($data, 'flood:')) {
        [, $n, $size] = explode(':', $data);
        $sent = $dropped = 0;
        for ($i = 0; $i < (int) $n; $i++) {
            $c->send(str_repeat('x', (int) $size)) === WebSocket\Connection::DROPPED ? $dropped++ : $sent++;
        }
        echo "FLOOD sent=$sent dropped=$dropped\n";
        return;
    }
    $c->send($data, $binary);
});
$server->on('request', function (WebSocket\Request $r) {
    echo "REQUEST {$r->path}\n";
    $r->respond(200, "application\n");
});

echo "PORT=", $server->getPort(), "\n";
$server->run();
echo "STATS ", json_encode($server->stats(true)), "\n";
echo "STOPPED\n";
