--TEST--
Server::__construct(): the "broker" and "broker_prefix" options reject a bad URL or prefix with a ValueError naming the key
--EXTENSIONS--
websocket
--FILE--
<?php
$urls = [
    'http://127.0.0.1', 'redis://', 'redis://:6379', 'redis://host:0', 'redis://host:70000', 'redis://host:abc',
    'redis://host/db', 'redis://host/1?x=1', 'redis://[::1', 'unix://relative.sock', 'unix:///s.sock?db=x',
    'redis://u:p%zz@host', 'rediss://127.0.0.1', "redis://a\0b", 42, ['redis://x'],
];
foreach ($urls as $url) {
    try {
        new WebSocket\Server('127.0.0.1', 0, ['broker' => $url]);
        echo "accepted\n";
    } catch (ValueError $e) {
        echo str_replace('WebSocket\Server::__construct(): Argument #3 ($options) ', '', $e->getMessage()), "\n";
    }
}
foreach (['', str_repeat('p', 65), 'a b', 'x*', 7] as $prefix) {
    try {
        new WebSocket\Server('127.0.0.1', 0, ['broker_prefix' => $prefix]);
        echo "accepted\n";
    } catch (ValueError $e) {
        echo str_replace('WebSocket\Server::__construct(): Argument #3 ($options) ', '', $e->getMessage()), "\n";
    }
}
// Valid forms construct without connecting (the link starts with run()).
foreach (['redis://127.0.0.1', 'redis://127.0.0.1:6390/2', 'redis://user:p%40ss@localhost:1', 'redis://:secret@[::1]:7000',
          'unix:///run/redis/redis.sock', 'redis+unix:///tmp/r.sock?db=3', null] as $url) {
    $s = new WebSocket\Server('127.0.0.1', 0, ['broker' => $url, 'broker_prefix' => 'app-1:prod']);
    echo gettype($s->getPort()), ' ';
}
echo "\n";
?>
--EXPECT--
option "broker" is not a valid Redis URL: the broker URL must start with redis://, rediss://, unix:// or redis+unix://
option "broker" is not a valid Redis URL: the broker URL needs a host (redis://host[:port][/db])
option "broker" is not a valid Redis URL: the broker URL needs a host (redis://host[:port][/db])
option "broker" is not a valid Redis URL: the port of the broker URL must be 1 to 65535
option "broker" is not a valid Redis URL: the port of the broker URL must be 1 to 65535
option "broker" is not a valid Redis URL: the port of the broker URL must be 1 to 65535
option "broker" is not a valid Redis URL: the path of the broker URL must be a database number (redis://host:port/0)
option "broker" is not a valid Redis URL: unexpected query or fragment in the broker URL
option "broker" is not a valid Redis URL: unterminated [IPv6] host in the broker URL
option "broker" is not a valid Redis URL: a unix broker URL needs an absolute path (unix:///path/to/redis.sock)
option "broker" is not a valid Redis URL: the only query a unix broker URL takes is ?db=N
option "broker" is not a valid Redis URL: the user or password of the broker URL is too long or badly escaped
option "broker" is not a valid Redis URL: rediss:// needs hiredis built with TLS (hiredis_ssl), which this build does not use
option "broker" is not a valid Redis URL: it contains NUL
option "broker" must be a Redis URL or null, int given
option "broker" must be a Redis URL or null, array given
option "broker_prefix" must be 1 to 64 letters, digits, '_', '.', ':' or '-'
option "broker_prefix" must be 1 to 64 letters, digits, '_', '.', ':' or '-'
option "broker_prefix" must be 1 to 64 letters, digits, '_', '.', ':' or '-'
option "broker_prefix" must be 1 to 64 letters, digits, '_', '.', ':' or '-'
option "broker_prefix" must be 1 to 64 letters, digits, '_', '.', ':' or '-'
integer integer integer integer integer integer integer 
