--TEST--
Server::__construct(): the "metrics" option rejects a bad path, address block, token, listener or key with a ValueError naming it
--EXTENSIONS--
websocket
--FILE--
<?php
$cases = [
    'metrics', 'metrics/x', '/a b', '/a?b', '', str_repeat('/', 257), 5, 1.5,
    ['path' => 'metrics'], ['path' => 7],
    ['allow' => ['10.0.0.0/33']], ['allow' => ['not an address']], ['allow' => '::1/129'], ['allow' => [1]],
    ['allow' => []], ['allow' => 42], ['allow' => ['10.0.0.0/8', '192.168.1.300']],
    ['token' => 123], ['token' => ['x']], ['token' => ''], ['token' => 'two words'], ['token' => true],
    ['listen' => '127.0.0.1'], ['listen' => '127.0.0.1:0'], ['listen' => '::1:9100'], ['listen' => 9100],
    ['listen' => 'host:65536'],
    ['pathh' => '/metrics'], [0 => '/metrics'],
];
foreach ($cases as $value) {
    try {
        new WebSocket\Server('127.0.0.1', 0, ['metrics' => $value]);
        echo "accepted\n";
    } catch (ValueError $e) {
        echo str_replace('WebSocket\Server::__construct(): Argument #3 ($options) ', '', $e->getMessage()), "\n";
    }
}
// Valid forms construct (the endpoint's own listener is not a numbered listener).
foreach ([null, false, true, '/metrics', '/', ['path' => '/m', 'allow' => ['127.0.0.1', '::1', '10.0.0.0/8'], 'token' => 's3cr3t'],
          ['allow' => '127.0.0.0/8'], ['token' => 'abc', 'path' => null, 'allow' => null]] as $value) {
    $s = new WebSocket\Server('127.0.0.1', 0, ['metrics' => $value]);
    echo gettype($s->getPort()), ' ';
}
echo "\n";
// A listener of its own that cannot bind is a WebSocket\Exception, like any listener.
$busy = new WebSocket\Server('127.0.0.1', 0);
try {
    new WebSocket\Server('127.0.0.1', 0, ['metrics' => ['listen' => '127.0.0.1:' . $busy->getPort()]]);
} catch (WebSocket\Exception $e) {
    echo get_class($e), ': ', str_replace((string) $busy->getPort(), 'PORT', $e->getMessage()), "\n";
}
// stats(true) keeps every key of stats() first, then adds the rest; stats() is unchanged.
$s = new WebSocket\Server('127.0.0.1', 0);
$plain = $s->stats();
$all = $s->stats(true);
var_dump(array_slice($all, 0, count($plain)) === $plain, count($plain), count($all));
var_dump($all['opened'], $all['memory_limit'], $all['broker_connected'], $all['timings']['handler_message']);
try {
    $s->stats([]);
} catch (TypeError $e) {
    echo $e->getMessage(), "\n";
}
--EXPECTF--
option "metrics" must be a path starting with "/" (visible ASCII, no "?" or "#", at most 256 bytes), "metrics" given
option "metrics" must be a path starting with "/" (visible ASCII, no "?" or "#", at most 256 bytes), "metrics/x" given
option "metrics" must be a path starting with "/" (visible ASCII, no "?" or "#", at most 256 bytes), "/a b" given
option "metrics" must be a path starting with "/" (visible ASCII, no "?" or "#", at most 256 bytes), "/a?b" given
option "metrics" must be a path starting with "/" (visible ASCII, no "?" or "#", at most 256 bytes), "" given
option "metrics" must be a path starting with "/" (visible ASCII, no "?" or "#", at most 256 bytes), "%s" given
option "metrics" must be a path, an array, a bool or null, int given
option "metrics" must be a path, an array, a bool or null, float given
option "metrics[path]" must be a path starting with "/" (visible ASCII, no "?" or "#", at most 256 bytes), "metrics" given
option "metrics[path]" must be of type string, int given
option "metrics[allow]" must list IP addresses or CIDR blocks ("10.0.0.0/8", "::1"), "10.0.0.0/33" is not one
option "metrics[allow]" must list IP addresses or CIDR blocks ("10.0.0.0/8", "::1"), "not an address" is not one
option "metrics[allow]" must list IP addresses or CIDR blocks ("10.0.0.0/8", "::1"), "::1/129" is not one
option "metrics[allow]" must list IP addresses or CIDR blocks as strings, int given
option "metrics[allow]" must list 1 to 256 IP addresses or CIDR blocks
option "metrics[allow]" must be a list of IP addresses or CIDR blocks, int given
option "metrics[allow]" must list IP addresses or CIDR blocks ("10.0.0.0/8", "::1"), "192.168.1.300" is not one
option "metrics[token]" must be a string of visible ASCII characters, int given
option "metrics[token]" must be a string of visible ASCII characters, array given
option "metrics[token]" must be 1 to 1024 visible ASCII characters
option "metrics[token]" must be 1 to 1024 visible ASCII characters
option "metrics[token]" must be a string of visible ASCII characters, bool given
option "metrics[listen]" must be "host:port" or "[IPv6 address]:port" with a port from 1 to 65535, "127.0.0.1" given
option "metrics[listen]" must be "host:port" or "[IPv6 address]:port" with a port from 1 to 65535, "127.0.0.1:0" given
option "metrics[listen]" must be "host:port" or "[IPv6 address]:port" with a port from 1 to 65535, "::1:9100" given
option "metrics[listen]" must be of type string, int given
option "metrics[listen]" must be "host:port" or "[IPv6 address]:port" with a port from 1 to 65535, "host:65536" given
option "metrics" contains unknown key "pathh" (path, listen, allow, token)
option "metrics" must be an array with string keys, found index 0
integer integer integer integer integer integer integer integer 
WebSocket\Exception: metrics endpoint: cannot listen on 127.0.0.1:PORT: Address already in use
bool(true)
int(11)
int(56)
int(0)
int(0)
int(0)
array(2) {
  ["count"]=>
  int(0)
  ["sum"]=>
  float(0)
}
WebSocket\Server::stats(): Argument #1 ($detailed) must be of type bool, array given
