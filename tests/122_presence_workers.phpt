--TEST--
Presence and history with two workers: a join on one worker is seen on the other, history and resume work on either (the supervisor orders both), a closed connection leaves everywhere, and SIGTERM stops all (also run under Valgrind: the supervisor's and the workers' state is freed)
--EXTENSIONS--
websocket
--INI--
pcre.jit=0
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['workers' => 2, 'history' => 10]);
$server->on('workerStart', fn (int $id) => out('START', $id));
$server->on('open', fn (WebSocket\Connection $c) => $c->send('worker ' . $server->workerId()));
$server->on('join', fn (string $t, int $id, string $info, int $wk) => out('JOIN', $t, $info, $wk, $server->workerId()));
$server->on('leave', fn (string $t, int $id, string $info, int $wk) => out('LEAVE', $t, $info, $wk, $server->workerId()));
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    [$cmd, $arg] = explode(' ', $d, 2) + [1 => ''];
    switch ($cmd) {
        case 'join':
            $c->join('room', $arg);
            break;
        case 'who':
            $m = array_column($server->presence('room'), 'info');
            sort($m);
            $c->send('who ' . implode(',', $m));
            break;
        case 'pub':
            $server->publish('room', "msg $arg", id: $arg);
            break;
        case 'history':
            $c->send('history ' . implode(',', array_column($server->history('room'), 'id')));
            break;
        case 'resume':
            $c->send('resumed ' . var_export($c->resume('room', $arg, $server->historyEpoch()), true));
            break;
    }
});
ready($server);
$server->run();
out('STOPPED');
PHP, [], 30.0);
$w->waitForCount('START', 2, 30.0);
$by = [];
for ($i = 0; $i < 200 && (count($by['worker 0'] ?? []) < 1 || count($by['worker 1'] ?? []) < 2); $i++) {
    $c = WsClient::connect($w->port);
    $by[$c->recvMessage()[1]][] = $c;
}
[$a] = $by['worker 0'];
[$b, $b2] = $by['worker 1'];
$a->sendText('join alice');
$b->sendText('join bob');
// Ask a worker until its view has caught up (one bus trip), within a deadline.
function until(WsClient $c, string $ask, string $want): string
{
    $deadline = microtime(true) + 10;
    do {
        $c->sendText($ask);
        $got = $c->recvMessage()[1];
    } while ($got !== $want && microtime(true) < $deadline && usleep(20000) === null);
    return $got;
}
echo until($a, 'who', 'who alice,bob'), "\n", until($b, 'who', 'who alice,bob'), "\n";
for ($i = 1; $i <= 12; $i++) {
    $a->sendText("pub m$i");
}
echo until($b2, 'history', 'history m3,m4,m5,m6,m7,m8,m9,m10,m11,m12'), "\n";
// $b2 (worker 1) resumes after m9 and gets m10..m12, then the live m13 published on worker 0.
$b2->sendText('resume m9');
for ($i = 0; $i < 4; $i++) {
    echo $b2->recvMessage()[1], "\n";
}
$a->sendText('pub m13');
echo $b2->recvMessage()[1], "\n";
$b2->sendText('resume m1');
echo $b2->recvMessage()[1], "\n";
$b->close();
echo until($a, 'who', 'who alice'), "\n";
var_dump($w->stop());
$log = $w->rest();
preg_match_all('/^(JOIN|LEAVE) room (\w+) (\d) (\d)$/m', $log, $m, PREG_SET_ORDER);
$events = array_map(fn ($e) => "$e[1] $e[2] owned by $e[3], reported by $e[4]", $m);
sort($events); // two processes write the log: their lines interleave in any order
echo implode("\n", $events), "\n";
?>
--EXPECT--
who alice,bob
who alice,bob
history m3,m4,m5,m6,m7,m8,m9,m10,m11,m12
msg m10
msg m11
msg m12
resumed 3
msg m13
resumed NULL
who alice
int(0)
JOIN alice owned by 0, reported by 0
JOIN bob owned by 1, reported by 1
LEAVE alice owned by 0, reported by 0
LEAVE bob owned by 1, reported by 1
