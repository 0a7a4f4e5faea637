--TEST--
Errors: exceptions from timers escape run(); an error handler that throws makes run() rethrow its exception
--EXTENSIONS--
websocket
--FILE--
<?php
$server = new WebSocket\Server('127.0.0.1', 0);
$after = 0;
$server->after(0, function () {
    throw new RuntimeException('from a timer');
});
$server->after(0, function () use (&$after) {
    $after++;
});
try {
    $server->run();
    echo "returned\n";
} catch (RuntimeException $e) {
    echo get_class($e), ': ', $e->getMessage(), ' at line ', $e->getLine(), "\n";
}
// No other handler ran after the exception.
var_dump($after);

$server = new WebSocket\Server('127.0.0.1', 0);
$calls = [];
$server->on('error', function (Throwable $e, ?WebSocket\Connection $c) use (&$calls) {
    $calls[] = $e->getMessage();
    throw new LogicException('from the error handler', 0, $e);
});
$server->after(0, function () {
    throw new RuntimeException('first');
});
try {
    $server->run();
    echo "returned\n";
} catch (Throwable $e) {
    echo get_class($e), ': ', $e->getMessage(), ' previous: ', $e->getPrevious()?->getMessage(), "\n";
}
var_dump($calls);

// An error handler that handles the exception keeps the server running.
$server = new WebSocket\Server('127.0.0.1', 0);
$log = [];
$server->on('error', function (Throwable $e, ?WebSocket\Connection $c) use (&$log) {
    $log[] = 'handled ' . $e->getMessage() . ' conn=' . var_export($c, true);
});
$n = 0;
$id = $server->every(1, function () use (&$n, &$log, $server, &$id) {
    $n++;
    if ($n < 3) {
        throw new RuntimeException("tick $n");
    }
    $log[] = 'tick 3 ran';
    $server->clearTimer($id);
    $server->stop();
});
$server->run();
echo implode("\n", $log), "\n";
--EXPECT--
RuntimeException: from a timer at line 5
int(0)
LogicException: from the error handler previous: first
array(1) {
  [0]=>
  string(5) "first"
}
handled tick 1 conn=NULL
handled tick 2 conn=NULL
tick 3 ran
