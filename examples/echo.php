<?php
/*
 * Echo server: every message comes back with its type (text or binary).
 *
 *   php -d extension=websocket examples/echo.php [PORT]
 *
 * Then, for example, in a browser console:
 *   ws = new WebSocket("ws://127.0.0.1:8080"); ws.onmessage = e => console.log(e.data); ws.send("hi")
 */
$port = (int) ($argv[1] ?? 8080);

$server = new WebSocket\Server('0.0.0.0', $port, [
    // No cap of our own: the benchmark holds tens of thousands of idle
    // connections, and the open-files limit still applies.
    'max_connections' => 0,
]);

$server->on('message', function (WebSocket\Connection $conn, string $data, bool $binary) {
    $conn->send($data, $binary);
});

fprintf(STDERR, "echo server listening on ws://127.0.0.1:%d\n", $server->getPort());
$server->run();
