--TEST--
GC: connections that reference themselves and the server through $data are collected with it
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
function scenario(): array
{
    $server = new WebSocket\Server('127.0.0.1', 0, ['shutdown_timeout' => 0.05]);
    $clients = [WsClient::pending($server->getPort(), '/a'), WsClient::pending($server->getPort(), '/b')];
    $conns = [];
    $server->on('open', function (WebSocket\Connection $conn) use ($server, &$conns) {
        // Cycles: connection -> data -> connection, connection -> data -> server.
        $conn->data = ['self' => $conn, 'server' => $server, 'handler' => fn () => $conn->send('x')];
        $conns[] = WeakReference::create($conn);
        if (count($server) === 2) {
            // Stop while both are still open: the server keeps their objects.
            $server->after(0, fn () => $server->stop());
        }
    });
    $server->run();
    return [WeakReference::create($server), $conns, $clients];
}
[$server, $conns, $clients] = scenario();
var_dump(count($conns));
gc_collect_cycles();
var_dump($server->get(), $conns[0]->get(), $conns[1]->get());

// A connection kept in $data of another server object that is still running.
$server = new WebSocket\Server('127.0.0.1', 0, ['shutdown_timeout' => 0.05]);
$client = WsClient::pending($server->getPort());
$ref = null;
$server->on('open', function (WebSocket\Connection $conn) use ($server, &$ref) {
    $conn->data = $conn;
    $ref = WeakReference::create($conn);
    gc_collect_cycles();
    // Alive while the server holds it.
    var_dump($ref->get() === $conn);
    $server->stop();
});
$server->run();
$server = null;
gc_collect_cycles();
var_dump($ref->get());
--EXPECT--
int(2)
NULL
NULL
NULL
bool(true)
NULL
