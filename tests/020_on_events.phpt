--TEST--
Server::on(): unknown events throw, returns $this, a second handler replaces the first
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
$server = new WebSocket\Server('127.0.0.1', 0, ['shutdown_timeout' => 0.05]);
foreach (['', 'Open', 'opened', 'message ', 'timer'] as $bad) {
    try {
        $server->on($bad, fn () => null);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
try {
    $server->on('open', 'no_such_function');
} catch (TypeError $e) {
    echo $e->getMessage(), "\n";
}
$ret = null;
foreach (['handshake', 'open', 'message', 'close', 'error', 'request', 'drain'] as $ev) {
    $ret = $server->on($ev, fn () => null);
    var_dump($ret === $server);
}
// Fluent chaining, and the last handler set for an event is the one called.
$client = WsClient::pending($server->getPort());
$server->on('open', function () { echo "first open handler\n"; })
    ->on('open', function (WebSocket\Connection $c) use ($server) {
        echo "second open handler\n";
        $server->stop();
    })
    ->on('handshake', 'var_dump');
$server->on('handshake', function () { echo "handshake\n"; });
$server->run();
--EXPECT--
WebSocket\Server::on(): Argument #1 ($event) must be one of "handshake", "open", "message", "close", "error", "request", "drain", "workerStart", "workerStop", "workerMessage", "join" or "leave"
WebSocket\Server::on(): Argument #1 ($event) must be one of "handshake", "open", "message", "close", "error", "request", "drain", "workerStart", "workerStop", "workerMessage", "join" or "leave"
WebSocket\Server::on(): Argument #1 ($event) must be one of "handshake", "open", "message", "close", "error", "request", "drain", "workerStart", "workerStop", "workerMessage", "join" or "leave"
WebSocket\Server::on(): Argument #1 ($event) must be one of "handshake", "open", "message", "close", "error", "request", "drain", "workerStart", "workerStop", "workerMessage", "join" or "leave"
WebSocket\Server::on(): Argument #1 ($event) must be one of "handshake", "open", "message", "close", "error", "request", "drain", "workerStart", "workerStop", "workerMessage", "join" or "leave"
WebSocket\Server::on(): Argument #2 ($handler) must be a valid callback, function "no_such_function" not found or invalid function name
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
handshake
second open handler
