--TEST--
Construction: Connection and Request cannot be created by users; Server::__construct() only once
--EXTENSIONS--
websocket
--FILE--
<?php
function attempt(callable $fn): void
{
    try {
        $fn();
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
attempt(fn () => new WebSocket\Connection());
attempt(fn () => new WebSocket\Request());
foreach (['Server', 'Connection', 'Request'] as $short) {
    attempt(fn () => (new ReflectionClass("WebSocket\\$short"))->newInstanceWithoutConstructor());
    $cls = "WebSocket\\$short";
    attempt(fn () => unserialize('O:' . strlen($cls) . ':"' . $cls . '":0:{}'));
}
$server = new WebSocket\Server('127.0.0.1', 0);
attempt(fn () => $server->__construct('127.0.0.1', 0));
var_dump($server->getPort() > 0);
--EXPECT--
Error: Cannot directly construct WebSocket\Connection, it is created by WebSocket\Server
Error: Cannot directly construct WebSocket\Request, it is created by WebSocket\Server
ReflectionException: Class WebSocket\Server is an internal class marked as final that cannot be instantiated without invoking its constructor
Exception: Unserialization of 'WebSocket\Server' is not allowed
ReflectionException: Class WebSocket\Connection is an internal class marked as final that cannot be instantiated without invoking its constructor
Exception: Unserialization of 'WebSocket\Connection' is not allowed
ReflectionException: Class WebSocket\Request is an internal class marked as final that cannot be instantiated without invoking its constructor
Exception: Unserialization of 'WebSocket\Request' is not allowed
Error: WebSocket\Server::__construct() cannot be called twice
bool(true)
