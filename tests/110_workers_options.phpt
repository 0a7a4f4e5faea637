--TEST--
Workers: option validation, workerId()/workerCount() before run(), misuse of reload() and sendToWorkers()
--EXTENSIONS--
websocket
--FILE--
<?php
foreach ([0, -1, 1025, 'x', 1.5, '2', null] as $bad) {
    try {
        new WebSocket\Server('127.0.0.1', 0, ['workers' => $bad]);
        echo "accepted ", var_export($bad, true), "\n";
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
foreach (['reload_window' => -1, 'bus_buffer' => 1000] as $k => $bad) {
    try {
        new WebSocket\Server('127.0.0.1', 0, [$k => $bad]);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
$s = new WebSocket\Server('127.0.0.1', 0, ['workers' => 3, 'reload_window' => 0.5, 'bus_buffer' => 1 << 20]);
var_dump($s->workerId(), $s->workerCount());
$auto = new WebSocket\Server('127.0.0.1', 0, ['workers' => 'auto']);
var_dump($auto->workerCount() >= 1);
foreach (['reload' => [], 'sendToWorkers' => ['x']] as $m => $args) {
    try {
        $s->$m(...$args);
    } catch (Error $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
$one = new WebSocket\Server('127.0.0.1', 0);
var_dump($one->workerId(), $one->workerCount());
$cs = $one->clusterStats();
var_dump(array_keys($cs), count($cs['workers']), $cs['workers'][0]['pid'] === getmypid());
?>
--EXPECT--
WebSocket\Server::__construct(): Argument #3 ($options) option "workers" must be an integer between 1 and 1024, or "auto"
WebSocket\Server::__construct(): Argument #3 ($options) option "workers" must be an integer between 1 and 1024, or "auto"
WebSocket\Server::__construct(): Argument #3 ($options) option "workers" must be an integer between 1 and 1024, or "auto"
WebSocket\Server::__construct(): Argument #3 ($options) option "workers" must be an integer between 1 and 1024, or "auto"
WebSocket\Server::__construct(): Argument #3 ($options) option "workers" must be an integer between 1 and 1024, or "auto"
WebSocket\Server::__construct(): Argument #3 ($options) option "workers" must be an integer between 1 and 1024, or "auto"
WebSocket\Server::__construct(): Argument #3 ($options) option "workers" must be an integer between 1 and 1024, or "auto"
WebSocket\Server::__construct(): Argument #3 ($options) option "reload_window" must be between 0 and 4000000 seconds
WebSocket\Server::__construct(): Argument #3 ($options) option "bus_buffer" must be between 65536 and 9223372036854775807
int(0)
int(3)
bool(true)
Error: WebSocket\Server::reload() needs workers (the "workers" option) and a running server
Error: WebSocket\Server::sendToWorkers() needs a running server (call it from a handler)
int(0)
int(1)
array(4) {
  [0]=>
  string(11) "connections"
  [1]=>
  string(11) "bus_dropped"
  [2]=>
  string(7) "workers"
  [3]=>
  string(6) "topics"
}
int(1)
bool(true)
