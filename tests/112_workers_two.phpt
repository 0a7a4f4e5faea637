--TEST--
Workers: two workers under one supervisor: publish() reaches subscribers on both, clusterStats() sees both, SIGTERM stops all with 1001 and run() returns once
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['workers' => 2]);
$server->on('workerStart', fn (int $id) => out('START', $id));
$server->on('workerStop', fn (int $id) => out('STOP', $id));
$server->on('open', function (WebSocket\Connection $c) use ($server) {
    $c->subscribe('room');
    $c->send('worker ' . $server->workerId());
});
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    if ($d === 'cluster') {
        $cs = $server->clusterStats();
        $c->send(count($cs['workers']) . ' workers, ' . $cs['connections'] . ' connections, room ' . ($cs['topics']['room'] ?? 0));
        return;
    }
    $server->publish('room', $d);
});
$server->on('close', fn (WebSocket\Connection $c, int $code) => out('CLOSE', $code));
ready($server);
$server->run();
out('STOPPED');
PHP, [], 30.0);
$w->waitForCount('START', 2, 30.0);
// Connect until both workers hold a client (the kernel places connections; the test reads where).
$by = [];
for ($i = 0; $i < 200 && count($by) < 2; $i++) {
    $c = WsClient::connect($w->port);
    $by[$c->recvMessage()[1]][] = $c;
}
ksort($by);
echo implode(', ', array_keys($by)), "\n";
$all = array_merge(...array_values($by));
$first = $by['worker 0'][0];
$first->sendText('hello everyone');
$ok = 0;
foreach ($all as $c) {
    $ok += $c->recvMessage()[1] === 'hello everyone';
}
var_dump($ok === count($all));
// The cluster view is refreshed every second: ask until it has caught up.
$deadline = microtime(true) + 10;
do {
    usleep(200000);
    $first->sendText('cluster');
    $view = $first->recvMessage()[1];
} while ($view !== '2 workers, ' . count($all) . ' connections, room ' . count($all) && microtime(true) < $deadline);
var_dump($view === '2 workers, ' . count($all) . ' connections, room ' . count($all));
var_dump($w->stop());
$codes = [];
foreach ($all as $c) {
    $f = $c->readFrame();
    $codes[] = $f ? unpack('n', $f[2])[1] : 0;
}
var_dump(array_unique($codes));
$log = $w->rest();
var_dump(substr_count($log, 'CLOSE 1001') === count($all), substr_count($log, 'STOP '), substr_count($log, 'STOPPED'));
?>
--EXPECT--
worker 0, worker 1
bool(true)
bool(true)
int(0)
array(1) {
  [0]=>
  int(1001)
}
bool(true)
int(2)
int(1)
