--TEST--
GC: a server referenced by its own handlers and timers is collected, whether it ran or not
--EXTENSIONS--
websocket
--FILE--
<?php
function make(bool $run): WeakReference
{
    $server = new WebSocket\Server('127.0.0.1', 0);
    $server->on('message', function ($c, $d) use ($server) { $server->broadcast($d); });
    $server->on('close', [new class ($server) {
        public function __construct(public WebSocket\Server $s) {}
    }, '__construct']);
    $server->every(1000, function () use ($server) { $server->count(); });
    if ($run) {
        $server->after(0, fn () => $server->stop());
        $server->run();
    }
    return WeakReference::create($server);
}
foreach ([false, true] as $run) {
    $ref = make($run);
    var_dump($ref->get() !== null);
    gc_collect_cycles();
    var_dump($ref->get());
}
// The port is free again once the server is gone.
$s = new WebSocket\Server('127.0.0.1', 0);
$port = $s->getPort();
$s->on('open', function () use ($s) {});
unset($s);
gc_collect_cycles();
$again = new WebSocket\Server('127.0.0.1', $port);
var_dump($again->getPort() === $port);
--EXPECT--
bool(true)
NULL
bool(true)
NULL
bool(true)
