--TEST--
Server::stats(), count(), connections(), topics() on a server without clients
--EXTENSIONS--
websocket
--FILE--
<?php
$server = new WebSocket\Server('127.0.0.1', 0);
var_dump($server->stats());
var_dump(count($server), $server->count(), $server->connections(), $server->topics());
var_dump($server->subscribers('news'));
var_dump($server->broadcast('nobody'), $server->publish('news', 'nobody', true));
foreach (['', str_repeat('t', 257)] as $topic) {
    foreach ([fn () => $server->subscribers($topic), fn () => $server->publish($topic, 'x')] as $call) {
        try {
            $call();
        } catch (ValueError $e) {
            echo $e->getMessage(), "\n";
        }
    }
}
var_dump($server->subscribers(str_repeat('t', 256)));
try {
    $server->broadcast("\xC3\x28");
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
try {
    $server->publish('news', "\xF0\x9F\x98");
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
var_dump($server->broadcast("\xC3\x28", true), $server->publish('news', "\xF0\x9F\x98", true));
--EXPECT--
array(11) {
  ["connections"]=>
  int(0)
  ["pending"]=>
  int(0)
  ["buffered_bytes"]=>
  int(0)
  ["memory_bytes"]=>
  int(0)
  ["messages_in"]=>
  int(0)
  ["messages_out"]=>
  int(0)
  ["bytes_in"]=>
  int(0)
  ["bytes_out"]=>
  int(0)
  ["accepted"]=>
  int(0)
  ["handshakes_rejected"]=>
  int(0)
  ["closes"]=>
  array(0) {
  }
}
int(0)
int(0)
array(0) {
}
array(0) {
}
int(0)
int(0)
int(0)
WebSocket\Server::subscribers(): Argument #1 ($topic) must be between 1 and 256 bytes long
WebSocket\Server::publish(): Argument #1 ($topic) must be between 1 and 256 bytes long
WebSocket\Server::subscribers(): Argument #1 ($topic) must be between 1 and 256 bytes long
WebSocket\Server::publish(): Argument #1 ($topic) must be between 1 and 256 bytes long
int(0)
WebSocket\Server::broadcast(): Argument #1 ($data) must be valid UTF-8 when sent as text (pass $binary = true for arbitrary bytes)
WebSocket\Server::publish(): Argument #2 ($data) must be valid UTF-8 when sent as text (pass $binary = true for arbitrary bytes)
int(0)
int(0)
