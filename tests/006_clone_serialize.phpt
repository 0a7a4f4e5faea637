--TEST--
Objects: Server, Connection and Request cannot be cloned or serialized; readonly and strict properties
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
function attempt(callable $fn): void
{
    try {
        $fn();
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
$server = new WebSocket\Server('127.0.0.1', 0, ['shutdown_timeout' => 0.05]);
attempt(fn () => clone $server);
attempt(fn () => serialize($server));
attempt(fn () => $server->dynamic = 1);
attempt(fn () => var_export($server, true));

// A client in this process: the kernel queues its request until run() reads it.
$client = WsClient::pending($server->getPort(), '/obj');
$server->on('open', function (WebSocket\Connection $conn, WebSocket\Request $req) use ($server) {
    attempt(fn () => clone $conn);
    attempt(fn () => clone $req);
    attempt(fn () => serialize($conn));
    attempt(fn () => serialize($req));
    attempt(fn () => $conn->id = 5);
    attempt(fn () => $conn->dynamic = 5);
    attempt(fn () => $req->method = 'POST');
    attempt(fn () => $req->dynamic = 5);
    $conn->data = 'writable';
    $req->data = 'writable';
    echo $conn->data, ' ', $req->data, "\n";
    $server->stop();
});
$server->run();
--EXPECT--
Error: Trying to clone an uncloneable object of class WebSocket\Server
Exception: Serialization of 'WebSocket\Server' is not allowed
Error: Cannot create dynamic property WebSocket\Server::$dynamic
no exception
Error: Trying to clone an uncloneable object of class WebSocket\Connection
Error: Trying to clone an uncloneable object of class WebSocket\Request
Exception: Serialization of 'WebSocket\Connection' is not allowed
Exception: Serialization of 'WebSocket\Request' is not allowed
Error: Cannot modify readonly property WebSocket\Connection::$id
Error: Cannot create dynamic property WebSocket\Connection::$dynamic
Error: Cannot modify readonly property WebSocket\Request::$method
Error: Cannot create dynamic property WebSocket\Request::$dynamic
writable writable
