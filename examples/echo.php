<?php
/*
 * Echo server: every message comes back with its type (text or binary).
 *
 *   php -d extension=websocket examples/echo.php [PORT] [CERT KEY] [--metrics PATH] [--workers N]
 *
 * With --workers N (or "auto"), N processes serve the port: every message
 * still reaches every client (docs/PROCESS_MODEL.md).
 *
 * With a certificate and key (PEM files) it serves wss:// instead of ws://.
 * With --metrics, PATH on the same port answers Prometheus scrapes (OpenMetrics
 * when asked for), from 127.0.0.1 only: see docs/METRICS.md.
 * Compression (permessage-deflate) is negotiated with the defaults.
 *
 * Try it from a browser console:
 *   ws = new WebSocket("ws://127.0.0.1:8080"); ws.onmessage = e => console.log(e.data); ws.send("hi")
 */
$args = array_slice($argv, 1);
$metrics = null;
if (($i = array_search('--metrics', $args, true)) !== false) {
    $metrics = $args[$i + 1] ?? '/metrics';
    array_splice($args, $i, 2);
}
$workers = 1;
if (($i = array_search('--workers', $args, true)) !== false) {
    $workers = ($args[$i + 1] ?? '') === 'auto' ? 'auto' : max(1, (int) ($args[$i + 1] ?? 1));
    array_splice($args, $i, 2);
}
$port = (int) ($args[0] ?? 8080);
$options = [
    // No cap of our own: the benchmark holds tens of thousands of idle
    // connections, and the open-files limit still applies.
    'max_connections' => 0,
    'workers' => $workers,
];
if (isset($args[1], $args[2])) {
    $options['tls_cert'] = $args[1];
    $options['tls_key'] = $args[2];
}
if ($metrics !== null) {
    $options['metrics'] = ['path' => $metrics, 'allow' => ['127.0.0.1', '::1']];
}

$server = new WebSocket\Server('0.0.0.0', $port, $options);

$server->on('message', function (WebSocket\Connection $conn, string $data, bool $binary) {
    $conn->send($data, $binary);
});

$scheme = isset($options['tls_cert']) ? 'wss' : 'ws';
fprintf(STDERR, "echo server listening on %s://127.0.0.1:%d\n", $scheme, $server->getPort());
if ($metrics !== null) {
    fprintf(STDERR, "metrics on %s://127.0.0.1:%d%s\n", $scheme === 'wss' ? 'https' : 'http', $server->getPort(), $metrics);
}
if ($port === 0) {
    echo "PORT=", $server->getPort(), "\n";   // for scripts that start it on a free port
}
$server->run();
