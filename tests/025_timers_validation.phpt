--TEST--
Server::after() and every(): delay validation and callable type checks
--EXTENSIONS--
websocket
--FILE--
<?php
$server = new WebSocket\Server('127.0.0.1', 0);
$calls = [
    fn () => $server->after(-1, 'strlen'),
    fn () => $server->every(0, 'strlen'),
    fn () => $server->every(-5, 'strlen'),
    fn () => $server->after(31536000001, 'strlen'),
    fn () => $server->every(31536000001, 'strlen'),
    fn () => $server->after(10, 'no_such_function'),
    fn () => $server->every('soon', 'strlen'),
];
foreach ($calls as $call) {
    try {
        $call();
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
$a = $server->after(31536000000, 'strlen');
$b = $server->every(31536000000, 'strlen');
$c = $server->every(1, 'strlen');
var_dump(is_int($a) && is_int($b) && is_int($c) && $a !== $b && $b !== $c);
$server->clearTimer($a);
$server->clearTimer($b);
$server->clearTimer($c);
--EXPECT--
ValueError: WebSocket\Server::after(): Argument #1 ($ms) must be between 0 and 31536000000
ValueError: WebSocket\Server::every(): Argument #1 ($ms) must be between 1 and 31536000000
ValueError: WebSocket\Server::every(): Argument #1 ($ms) must be between 1 and 31536000000
ValueError: WebSocket\Server::after(): Argument #1 ($ms) must be between 0 and 31536000000
ValueError: WebSocket\Server::every(): Argument #1 ($ms) must be between 1 and 31536000000
TypeError: WebSocket\Server::after(): Argument #2 ($callback) must be a valid callback, function "no_such_function" not found or invalid function name
TypeError: WebSocket\Server::every(): Argument #1 ($ms) must be of type int, string given
bool(true)
