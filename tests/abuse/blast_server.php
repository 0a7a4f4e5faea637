<?php
/*
 * An echo server that can also be made to send more than a client reads.
 *
 *   php -d extension=websocket.so blast_server.php [JSON-OPTIONS]
 *
 * Prints "PORT=<n>", echoes every message, and logs on stdout:
 *   OPEN <id> <path>
 *   CLOSE <id> <code> <reason>
 *   BLAST <id> <results>     after a text message "blast:<count>:<size>", which
 *                            sends <count> binary messages of <size> bytes at
 *                            once; <results> has one letter per send():
 *                            S (SENT), Q (QUEUED) or D (DROPPED)
 *   STOPPED
 */
$options = isset($argv[1]) ? json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR) : [];
$server = new WebSocket\Server('127.0.0.1', 0, $options);

$server->on('open', function (WebSocket\Connection $c) {
    echo "OPEN {$c->id} {$c->path}\n";
});
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) {
    if (!$binary && preg_match('/^blast:(\d+):(\d+)$/', $data, $m)) {
        $payload = str_repeat('b', (int) $m[2]);
        $letters = [
            WebSocket\Connection::SENT => 'S',
            WebSocket\Connection::QUEUED => 'Q',
            WebSocket\Connection::DROPPED => 'D',
        ];
        $results = '';
        for ($i = 0; $i < (int) $m[1]; $i++) {
            $results .= $letters[$c->send($payload, true)];
        }
        echo "BLAST {$c->id} $results\n";
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
