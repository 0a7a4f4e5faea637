<?php
/*
 * Echo server on an IPv6 address for 40-ipv6.sh.
 *
 *   php -d extension=websocket.so tests/interop/ipv6_server.php [HOST]
 *
 * Binds HOST (default "::", which also accepts IPv4) on port 0, prints
 * "PORT=<n>", echoes every message and logs, one line each:
 *   OPEN <id> <path> <remoteAddress>
 *   CLOSE <id> <code> <reason>
 *   STOPPED
 */
$server = new WebSocket\Server($argv[1] ?? '::', 0);

$server->on('open', function (WebSocket\Connection $c) {
    echo "OPEN {$c->id} {$c->path} {$c->remoteAddress}\n";
});
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) {
    $c->send($data, $binary);
});
$server->on('close', function (WebSocket\Connection $c, int $code, string $reason) {
    echo "CLOSE {$c->id} $code $reason\n";
});

echo "PORT=", $server->getPort(), "\n";
$server->run();
echo "STOPPED\n";
