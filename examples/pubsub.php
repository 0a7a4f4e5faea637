<?php
/*
 * Pub/sub fan-out: every client joins the topic "all", and every message a
 * client sends is published to "all" - the sender gets its own copy too.
 *
 *   php -d extension=websocket examples/pubsub.php [PORT] [--metrics PATH] [--workers N] [--redis URL]
 *
 * With --workers N (or "auto"), N processes serve the port: every message
 * still reaches every client (docs/PROCESS_MODEL.md).  With --redis URL,
 * servers on several machines share the topic through Redis (docs/BROKER.md).
 *
 * With PORT 0 the system picks a free port, printed as "PORT=<n>" on stdout.
 * With --metrics, PATH on the same port answers Prometheus scrapes from
 * 127.0.0.1 (docs/METRICS.md).
 * With --redis, several of these servers (on other ports or machines) share
 * one Redis, e.g. --redis redis://127.0.0.1:6379: a message sent to any of
 * them reaches the clients of all of them (docs/BROKER.md).
 * Then open a few clients, for example in browser consoles:
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
$redis = null;
if (($i = array_search('--redis', $args, true)) !== false) {
    $redis = $args[$i + 1] ?? 'redis://127.0.0.1:6379';
    array_splice($args, $i, 2);
}
$port = (int) ($args[0] ?? 8080);

$options = [
    // No cap of our own (the default is 10,000): the benchmark fans out to
    // 10,000 subscribers plus a publisher; the open-files limit still applies.
    'max_connections' => 0,
    'workers' => $workers,
    'broker' => $redis,
];
if ($metrics !== null) {
    $options['metrics'] = ['path' => $metrics, 'allow' => ['127.0.0.1', '::1']];
}
$server = new WebSocket\Server('0.0.0.0', $port, $options);

$server->on('open', function (WebSocket\Connection $conn) {
    $conn->subscribe('all');
});

$server->on('message', function (WebSocket\Connection $conn, string $data, bool $binary) use ($server) {
    // Encoded once, queued for every subscriber. A subscriber that reads too
    // slowly is closed with 1008 instead of holding the others back (see the
    // max_buffered_amount and backpressure options).
    $server->publish('all', $data, $binary);
});

// Closed connections leave their topics by themselves: no "close" handler needed.

if ($port === 0) {
    echo "PORT=", $server->getPort(), "\n";
}
fprintf(STDERR, "pub/sub server listening on ws://127.0.0.1:%d\n", $server->getPort());
$server->run();
