<?php
/*
 * Echo server: every message comes back with its type (text or binary).
 *
 *   php -d extension=websocket examples/echo.php [PORT] [CERT KEY]
 *
 * With a certificate and key (PEM files) it serves wss:// instead of ws://.
 * Compression (permessage-deflate) is negotiated with the defaults.
 *
 * Try it from a browser console:
 *   ws = new WebSocket("ws://127.0.0.1:8080"); ws.onmessage = e => console.log(e.data); ws.send("hi")
 */
$port = (int) ($argv[1] ?? 8080);
$options = [
    // No cap of our own: the benchmark holds tens of thousands of idle
    // connections, and the open-files limit still applies.
    'max_connections' => 0,
];
if (isset($argv[2], $argv[3])) {
    $options['tls_cert'] = $argv[2];
    $options['tls_key'] = $argv[3];
}

$server = new WebSocket\Server('0.0.0.0', $port, $options);

$server->on('message', function (WebSocket\Connection $conn, string $data, bool $binary) {
    $conn->send($data, $binary);
});

$scheme = isset($options['tls_cert']) ? 'wss' : 'ws';
fprintf(STDERR, "echo server listening on %s://127.0.0.1:%d\n", $scheme, $server->getPort());
if ($port === 0) {
    echo "PORT=", $server->getPort(), "\n";   // for scripts that start it on a free port
}
$server->run();
