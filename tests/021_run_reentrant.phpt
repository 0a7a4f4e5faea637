--TEST--
Server::run(): calling run() from a handler throws Error, for the same and for another server
--EXTENSIONS--
websocket
--FILE--
<?php
$a = new WebSocket\Server('127.0.0.1', 0);
$b = new WebSocket\Server('127.0.0.1', 0);
$a->after(0, function () use ($a, $b) {
    foreach ([$a, $b] as $s) {
        try {
            $s->run();
            echo "no exception\n";
        } catch (Error $e) {
            echo get_class($e), ': ', $e->getMessage(), "\n";
        }
    }
    $a->stop();
});
$a->run();
echo "run returned\n";
// Once run() returned, both servers can run again.
$b->after(1, function () use ($b) {
    echo "b runs\n";
    $b->stop();
});
$b->run();
$a->after(1, function () use ($a) {
    echo "a runs again\n";
    $a->stop();
});
$a->run();
echo "done\n";
--EXPECT--
Error: WebSocket\Server::run() must not be called recursively (a server is already running)
Error: WebSocket\Server::run() must not be called recursively (a server is already running)
run returned
b runs
a runs again
done
