--TEST--
Server with an unreachable broker: run() starts anyway, warns once, delivers locally, and stats(true) counts the dropped remote part
--EXTENSIONS--
websocket
--SKIPIF--
<?php
$r = new ReflectionExtension('websocket');
ob_start(); $r->info(); if (!str_contains(ob_get_clean(), 'hiredis')) die('skip built without Redis support');
?>
--FILE--
<?php
$s = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($s, false), ':'), 1);
fclose($s);
$server = new WebSocket\Server('127.0.0.1', 0, ['broker' => "redis://127.0.0.1:$port"]);
var_dump(isset($server->stats(true)['broker']));
$server->after(400, function () use ($server) {
    var_dump($server->publish('news', 'x'));     // no local subscriber: 0, the remote part is dropped
    $server->broadcast('y');
    $b = $server->stats(true)['broker'];
    echo json_encode($b), "\n";
    $c = $server->clusterStats();
    echo $c['broker']['dropped'], "\n";
    $server->stop();
});
$server->run();
echo $server->stats(true)['broker']['dropped'], "\n";
?>
--EXPECTF--
bool(true)

Warning: WebSocket\Server::run(): Redis broker at 127.0.0.1:%d unavailable (Connection refused): publications stay on this node until it is back; retrying in %s on line %d
int(0)
{"connected":false,"published":0,"received":0,"dropped":2,"invalid":0,"reconnects":0,"overflows":0,"channels":0}
2
2
