--TEST--
Server::stop(): a no-op when not running; from a handler it makes run() return
--EXTENSIONS--
websocket
--FILE--
<?php
$server = new WebSocket\Server('127.0.0.1', 0);
$server->stop();
$server->stop();
echo "stop() before run() did nothing\n";
$calls = 0;
$server->every(1, function () use ($server, &$calls) {
    $calls++;
    $server->stop();
    // A second stop() while stopping is harmless.
    $server->stop();
    echo "stop requested\n";
});
$server->run();
echo "run returned after $calls call(s)\n";
$server->stop();
var_dump(count($server), $server->stats()['connections']);
--EXPECT--
stop() before run() did nothing
stop requested
run returned after 1 call(s)
int(0)
int(0)
