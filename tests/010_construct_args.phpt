--TEST--
Server::__construct(): host, port and option-array validation
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
attempt(fn () => new WebSocket\Server('127.0.0.1', -1));
attempt(fn () => new WebSocket\Server('127.0.0.1', 65536));
attempt(fn () => new WebSocket\Server('127.0.0.1', PHP_INT_MAX));
attempt(fn () => new WebSocket\Server('', 0));
attempt(fn () => new WebSocket\Server("127.0.0.1\0", 0));
attempt(fn () => new WebSocket\Server('127.0.0.1', 'eighty'));
attempt(fn () => new WebSocket\Server('127.0.0.1', 0, ['no_such_option' => 1]));
attempt(fn () => new WebSocket\Server('127.0.0.1', 0, ['max_message_size' => 10, 'Max_Message_Size' => 10]));
attempt(fn () => new WebSocket\Server('127.0.0.1', 0, [1024]));

$s = new WebSocket\Server('127.0.0.1', 0);
var_dump($s->getPort() > 0 && $s->getPort() <= 65535);
$t = new WebSocket\Server('127.0.0.1', 0, []);
var_dump($t->getPort() !== $s->getPort());
// The port is bound at construction: a plain TCP connect succeeds before run().
$sock = stream_socket_client('tcp://127.0.0.1:' . $s->getPort(), $errno, $errstr, 5);
var_dump($sock !== false);
--EXPECT--
ValueError: WebSocket\Server::__construct(): Argument #2 ($port) must be between 0 and 65535
ValueError: WebSocket\Server::__construct(): Argument #2 ($port) must be between 0 and 65535
ValueError: WebSocket\Server::__construct(): Argument #2 ($port) must be between 0 and 65535
ValueError: WebSocket\Server::__construct(): Argument #1 ($host) must be a non-empty address without NUL bytes
ValueError: WebSocket\Server::__construct(): Argument #1 ($host) must be a non-empty address without NUL bytes
TypeError: WebSocket\Server::__construct(): Argument #2 ($port) must be of type int, string given
ValueError: WebSocket\Server::__construct(): Argument #3 ($options) contains unknown option "no_such_option"
ValueError: WebSocket\Server::__construct(): Argument #3 ($options) contains unknown option "Max_Message_Size"
ValueError: WebSocket\Server::__construct(): Argument #3 ($options) must be an array with string keys, found index 0
bool(true)
bool(true)
bool(true)
