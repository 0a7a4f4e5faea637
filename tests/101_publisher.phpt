--TEST--
WebSocket\Publisher: argument errors, an unreachable Redis, the wire format on the channel, one reused connection, reconnect after Redis restarts
--EXTENSIONS--
websocket
--SKIPIF--
<?php
if (!trim((string) shell_exec('command -v redis-server'))) die('skip redis-server is not installed');
$r = new ReflectionExtension('websocket');
ob_start(); $r->info(); if (!str_contains(ob_get_clean(), 'hiredis')) die('skip built without Redis support');
?>
--FILE--
<?php
function err(callable $f): void {
    try { $f(); echo "no exception\n"; }
    catch (Throwable $e) { echo get_class($e), ': ', preg_replace('/127\.0\.0\.1:\d+/', '127.0.0.1:PORT', $e->getMessage()), "\n"; }
}
err(fn () => new WebSocket\Publisher('http://x'));
err(fn () => new WebSocket\Publisher('redis://127.0.0.1', ['timeout' => 0]));
err(fn () => new WebSocket\Publisher('redis://127.0.0.1', ['timeout' => 'x']));
err(fn () => new WebSocket\Publisher('redis://127.0.0.1', ['prefix' => 'a b']));
err(fn () => new WebSocket\Publisher('redis://127.0.0.1', ['tls' => true]));
err(fn () => (new WebSocket\Publisher('redis://127.0.0.1'))->publish('', 'x'));
err(fn () => clone new WebSocket\Publisher('redis://127.0.0.1'));
err(fn () => serialize(new WebSocket\Publisher('redis://127.0.0.1')));

$s = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($s, false), ':'), 1);
fclose($s);
err(fn () => (new WebSocket\Publisher("redis://127.0.0.1:$port"))->publish('news', 'x'));

function redis(int $port) {
    $p = proc_open(['redis-server', '--port', (string) $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
    for ($i = 0; $i < 100 && trim((string) shell_exec("redis-cli -p $port PING 2>/dev/null")) !== 'PONG'; $i++) usleep(50000);
    return $p;
}
$r = redis($port);
$sub = proc_open(['redis-cli', '-p', (string) $port, 'SUBSCRIBE', 'app:t:news', 'app:broadcast'], [1 => ['pipe', 'w']], $pipes);
$lines = [];
while (count($lines) < 6 && ($l = fgets($pipes[1])) !== false) $lines[] = rtrim($l, "\n");
echo implode(' ', $lines), "\n";

$p = new WebSocket\Publisher("redis://127.0.0.1:$port", ['prefix' => 'app', 'timeout' => 1.5]);
var_dump($p->publish('news', 'hello'), $p->publish('news', "two\nlines", true), $p->broadcast('to all'), $p->publish('other', 'x'));
for ($i = 0; $i < 13; $i++) echo rtrim(fgets($pipes[1]), "\n"), in_array($i, [3, 8, 12]) ? "\n" : ' | ';
echo "publishing connections: ", substr_count((string) shell_exec("redis-cli -p $port CLIENT LIST"), 'cmd=publish'), "\n";
proc_terminate($sub, SIGKILL);
proc_close($sub);

proc_terminate($r, SIGKILL);
proc_close($r);
err(fn () => $p->publish('news', 'while down'));
$r = redis($port);
var_dump($p->publish('news', 'after restart'));
proc_terminate($r, SIGKILL);
proc_close($r);
?>
--EXPECT--
ValueError: WebSocket\Publisher::__construct(): Argument #1 ($url) is not a valid broker URL: the broker URL must start with redis://, rediss://, unix:// or redis+unix://
ValueError: WebSocket\Publisher::__construct(): Argument #2 ($options) option "timeout" must be a number of seconds between 0.001 and 3600
ValueError: WebSocket\Publisher::__construct(): Argument #2 ($options) option "timeout" must be a number of seconds between 0.001 and 3600
ValueError: WebSocket\Publisher::__construct(): Argument #2 ($options) option "prefix" must be 1 to 64 letters, digits, '_', '.', ':' or '-'
ValueError: WebSocket\Publisher::__construct(): Argument #2 ($options) contains unknown option "tls"
ValueError: WebSocket\Publisher::publish(): Argument #1 ($topic) must be 1 to 256 bytes
Error: Trying to clone an uncloneable object of class WebSocket\Publisher
Exception: Serialization of 'WebSocket\Publisher' is not allowed
WebSocket\Exception: Redis at 127.0.0.1:PORT: connect failed: Connection refused
subscribe app:t:news 1 subscribe app:broadcast 2
int(1)
int(1)
int(1)
int(0)
message | app:t:news | WS1 P T - 0 | hello
message | app:t:news | WS1 P B - 0 | two | lines
message | app:broadcast | WS1 B T - 0 | to all
publishing connections: 1
WebSocket\Exception: Redis at 127.0.0.1:PORT: connect failed: Connection refused
int(0)
