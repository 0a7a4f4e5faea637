<?php
/*
 * Publishing to WebSocket clients from ordinary PHP: a PHP-FPM request, a
 * CLI script or a queue worker, with no server running in this process.
 * The servers run with the same Redis as their "broker" option, for example
 *
 *   php -d extension=websocket examples/pubsub.php 8080 --redis redis://127.0.0.1:6379
 *
 * and this script (behind PHP-FPM, or from the command line) sends to every
 * subscriber of the topic "all" on every one of them:
 *
 *   php -d extension=websocket examples/fpm-publish.php "hello from PHP" [redis://127.0.0.1:6379]
 *
 * Without the extension on the publishing side, any Redis client does the same
 * with one header line before the data (docs/BROKER.md):
 *
 *   $redis = new Redis(); $redis->connect('127.0.0.1', 6379);
 *   $redis->publish('ws:t:all', "WS1 P T\n" . $message);
 */
$message = $argv[1] ?? ($_POST['message'] ?? 'hello from PHP');
$url = $argv[2] ?? (getenv('WS_BROKER') ?: 'redis://127.0.0.1:6379');

// One Publisher per process is enough: its connection is reused by every call.
static $publisher = null;
$publisher ??= new WebSocket\Publisher($url, ['timeout' => 1.0]);

try {
    $nodes = $publisher->publish('all', $message);
    $reply = "published to $nodes server(s)\n";
} catch (WebSocket\Exception $e) {
    // Redis is down or slow: the request still answers, and says so.
    http_response_code(503);
    $reply = "not published: {$e->getMessage()}\n";
}
echo $reply;
