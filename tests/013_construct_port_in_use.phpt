--TEST--
Server::__construct(): a port in use throws WebSocket\Exception with the OS reason and errno
--EXTENSIONS--
websocket
--FILE--
<?php
$first = new WebSocket\Server('127.0.0.1', 0);
$port = $first->getPort();
// The OS reason, as the system reports it to a second plain listener.
$probe = @stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr);
var_dump($probe);
try {
    new WebSocket\Server('127.0.0.1', $port);
    echo "no exception\n";
} catch (WebSocket\Exception $e) {
    var_dump($e->getMessage() === "cannot listen on 127.0.0.1:$port: $errstr");
    // The code is the errno behind that reason.
    $strerror = array_values(array_filter(['pcntl_strerror', 'posix_strerror', 'socket_strerror'], 'function_exists'));
    var_dump($e->getCode() > 0 && (!$strerror || $strerror[0]($e->getCode()) === $errstr));
    var_dump($e instanceof RuntimeException);
}
// The first server still owns the port.
var_dump($first->getPort() === $port);
unset($first);
$again = new WebSocket\Server('127.0.0.1', $port);
var_dump($again->getPort() === $port);
--EXPECT--
bool(false)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
