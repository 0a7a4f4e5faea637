--TEST--
Server::after(): one-shot timers fire once, in deadline order, only while the server runs
--EXTENSIONS--
websocket
--FILE--
<?php
$start = hrtime(true);
$server = new WebSocket\Server('127.0.0.1', 0);
$log = [];
$ids = [];
$ids[] = $server->after(30, function () use (&$log) { $log[] = 'c30'; });
$ids[] = $server->after(10, function () use (&$log) { $log[] = 'b10'; });
$ids[] = $server->after(0, function () use (&$log) { $log[] = 'a0'; });
$ids[] = $server->after(60, function () use (&$log, $server) {
    $log[] = 'stop60';
    $server->stop();
});
var_dump(count(array_unique($ids)) === 4, min($ids) > 0);
echo "before run: ", implode(',', $log) ?: 'nothing', "\n";
$server->run();
$elapsed = (hrtime(true) - $start) / 1e6;
echo "after run: ", implode(',', $log), "\n";
// The stop timer cannot fire before its 60 ms are up (1 ms clock granularity aside).
var_dump($elapsed >= 55);
// A new run() does not fire the spent timers again.
$server->after(0, function () use ($server, &$log) {
    $log[] = 'second run';
    $server->stop();
});
$server->run();
echo implode(',', $log), "\n";
// A timer added but never run is never called.
$server->after(0, function () { echo "must not be called\n"; });
echo "end\n";
--EXPECT--
bool(true)
bool(true)
before run: nothing
after run: a0,b10,c30,stop60
bool(true)
a0,b10,c30,stop60,second run
end
