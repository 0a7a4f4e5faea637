<?php
/*
 * A configurable echo server for the shell-driven tests.
 *
 *   php -d extension=websocket.so tests/lib/echo_server.php [JSON-OPTIONS]
 *
 * Binds 127.0.0.1:0 and prints "PORT=<n>".  Every message is echoed with its
 * type.  Lifecycle events are logged to stdout, one per line, so tests can
 * assert on them:
 *   OPEN <id> <path> <subprotocol|->
 *   CLOSE <id> <code> <reason>
 *   STOPPED                          (run() returned)
 * A text message "close:<code>:<reason>" makes the server close that
 * connection; "broadcast:<text>" broadcasts; "ping" makes the server ping.
 */
$options = isset($argv[1]) ? json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR) : [];
$server = new WebSocket\Server('127.0.0.1', 0, $options);

$server->on('open', function (WebSocket\Connection $c) {
    echo "OPEN {$c->id} {$c->path} ", $c->subprotocol ?? '-', "\n";
});
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) use ($server) {
    if (!$binary && str_starts_with($data, 'close:')) {
        [, $code, $reason] = explode(':', $data, 3) + [2 => ''];
        $c->close((int) $code, $reason);
        return;
    }
    if (!$binary && str_starts_with($data, 'broadcast:')) {
        $server->broadcast(substr($data, 10));
        return;
    }
    if (!$binary && $data === 'ping') {
        $c->ping('server-ping');
        return;
    }
    $c->send($data, $binary);
});
$server->on('close', function (WebSocket\Connection $c, int $code, string $reason) {
    echo "CLOSE {$c->id} $code $reason\n";
});

echo "PORT=", $server->getPort(), "\n";
$server->run();
echo "STOPPED\n";
