--TEST--
Server with a real Redis broker: connects in the background, receives a Publisher's broadcast once and skips its own publications when they come back
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
$s = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($s, false), ':'), 1);
fclose($s);
$redis = proc_open(['redis-server', '--port', (string) $port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
for ($i = 0; $i < 100 && trim((string) shell_exec("redis-cli -p $port PING 2>/dev/null")) !== 'PONG'; $i++) usleep(50000);

$server = new WebSocket\Server('127.0.0.1', 0, ['broker' => "redis://127.0.0.1:$port", 'broker_prefix' => 't103']);
$server->on('workerMessage', fn (string $data, int $from) => print("workerMessage $data from $from\n"));
$step = 0;
$deadline = microtime(true) + 20;
$server->every(50, function () use ($server, $port, &$step, $deadline) {
    $b = $server->stats(true)['broker'];
    if (microtime(true) > $deadline) {
        echo "timed out at step $step: ", json_encode($b), "\n";
        $server->stop();
        return;
    }
    switch ($step) {
        case 0:
            if (!$b['connected'] || $b['channels'] < 2) return; // broadcast and presence
            echo "connected, channels ", $b['channels'], "\n";
            $p = new WebSocket\Publisher("redis://127.0.0.1:$port", ['prefix' => 't103']);
            echo "broadcast reached ", $p->broadcast('from outside'), " node\n";
            $server->sendToWorkers('mine');           // comes back from Redis and is skipped
            $server->publish('news', 'own');
            $step = 1;
            return;
        case 1:
            if ($b['received'] < 1) return;
            echo "received ", $b['received'], ", published ", $b['published'], ", dropped ", $b['dropped'], "\n";
            $chans = explode("\n", trim((string) shell_exec("redis-cli -p $port PUBSUB CHANNELS 't103:*'")));
            sort($chans);
            echo implode("\n", $chans), "\n";
            $server->stop();
    }
});
$server->run();
proc_terminate($redis, SIGKILL);
proc_close($redis);
echo "done\n";
?>
--EXPECT--
connected, channels 2
broadcast reached 1 node
workerMessage mine from 0
received 1, published 2, dropped 0
t103:broadcast
t103:presence
done
