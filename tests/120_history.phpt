--TEST--
History and resume on one process: bounds by size, rules by topic and prefix, ids, resume after an id (exactly the messages after it, then live), a gap for an unknown id or another epoch, and option errors
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';

foreach ([
    ['history' => -1],
    ['history' => 'lots'],
    ['history' => ['size' => 5, 'colour' => 1]],
    ['history' => ['topics' => ['' => 5]]],
    ['history' => ['topics' => ['a' => ['size' => 'x']]]],
    ['history' => ['topics' => ['a' => ['ttl' => -5]]]],
] as $o) {
    try {
        new WebSocket\Server('127.0.0.1', 0, $o);
        echo "accepted\n";
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}

$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['history' => ['size' => 3, 'topics' => ['none' => 0, 'room:*' => 5]]]);
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    [$cmd, $arg] = explode(' ', $d, 2) + [1 => ''];
    switch ($cmd) {
        case 'publish':
            for ($i = 1; $i <= 6; $i++) {
                $server->publish('t', "t$i", id: "id$i");
                $server->publish('room:1', "r$i", id: "r$i");
                $server->publish('none', "n$i", id: "n$i");
            }
            $server->publish('t', 'unlabelled');
            out('T', json_encode(array_column($server->history('t'), 'data')));
            out('T2', json_encode(array_map(fn ($e) => [$e['id'], $e['seq'], $e['binary']], $server->history('t', 2))));
            out('ROOM', json_encode(array_column($server->history('room:1'), 'id')));
            out('NONE', json_encode($server->history('none')), json_encode($server->history('never')));
            $e = $server->history('t', 1)[0];
            out('TIME', abs($e['time'] - microtime(true)) < 60 ? 'now' : 'wrong');
            break;
        case 'resume':
            [$topic, $since, $epoch] = explode(' ', $arg) + [2 => null];
            $n = $c->resume($topic, $since, $epoch === 'mine' ? $server->historyEpoch() : $epoch);
            out('RESUME', $since, var_export($n, true));
            $c->send('resumed ' . var_export($n, true));
            break;
        case 'live':
            $server->publish('t', 'live', id: 'live');
            break;
        case 'errors':
            foreach ([fn () => $server->publish('t', 'x', id: ''), fn () => $server->publish('t', 'x', id: str_repeat('i', 256)),
                fn () => $c->resume('t', ''), fn () => $server->history('t', -1), fn () => $server->history('')] as $f) {
                try { $f(); out('NO ERROR'); } catch (ValueError $e) { out('ERR', $e->getMessage()); }
            }
            out('EPOCH', preg_match('/^[0-9a-f]{16}$/D', $server->historyEpoch()) ? '16 hex digits' : 'wrong');
            break;
    }
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$c->sendText('publish');
echo $w->waitFor('T '), "\n", $w->waitFor('T2'), "\n", $w->waitFor('ROOM'), "\n", $w->waitFor('NONE'), "\n", $w->waitFor('TIME'), "\n";
$c->sendText('resume t id5');
echo $w->waitFor('RESUME'), "\n";
for ($i = 0; $i < 3; $i++) { echo $c->recvMessage()[1], "\n"; }
$c->sendText('live');
echo $c->recvMessage()[1], "\n";
$d = WsClient::connect($w->port);
foreach (['t id1', 't nothing', 't id6 ffffffffffffffff', 't id6 mine', 'none n6', 'room:1 r2'] as $q) {
    $d->sendText("resume $q");
    echo $w->waitFor('RESUME'), "\n";
    while (!str_starts_with($m = $d->recvMessage()[1], 'resumed')) {
        echo "  replayed $m\n";
    }
}
$c->sendText('errors');
for ($i = 0; $i < 5; $i++) { echo $w->waitFor('ERR'), "\n"; }
echo $w->waitFor('EPOCH'), "\n";
$c->close();
$d->close();
var_dump($w->stop());
?>
--EXPECT--
WebSocket\Server::__construct(): Argument #3 ($options) option "history": the size must be between 0 and 10000000 messages
WebSocket\Server::__construct(): Argument #3 ($options) option "history" must be an int, an array or null, string given
WebSocket\Server::__construct(): Argument #3 ($options) option "history" takes the keys "size", "ttl" and "topics", not "colour"
WebSocket\Server::__construct(): Argument #3 ($options) option "history": each key of "topics" must be a topic or a "prefix*" of 1 to 256 bytes
WebSocket\Server::__construct(): Argument #3 ($options) option "history": "topics"["a"]["size"] must be of type int, string given
WebSocket\Server::__construct(): Argument #3 ($options) option "history": "topics"["a"]["ttl"] must be between 0 and 3153600000
T ["t5","t6","unlabelled"]
T2 [["id6",6,false],[null,7,false]]
ROOM ["r2","r3","r4","r5","r6"]
NONE [] []
TIME now
RESUME id5 2
t6
unlabelled
resumed 2
live
RESUME id1 NULL
RESUME nothing NULL
RESUME id6 NULL
RESUME id6 2
  replayed unlabelled
  replayed live
RESUME n6 NULL
RESUME r2 4
  replayed r3
  replayed r4
  replayed r5
  replayed r6
ERR WebSocket\Server::publish(): Argument #5 ($id) must be a message id of 1 to 255 bytes, or null
ERR WebSocket\Server::publish(): Argument #5 ($id) must be a message id of 1 to 255 bytes, or null
ERR WebSocket\Connection::resume(): Argument #2 ($since) must be a message id of 1 to 255 bytes
ERR WebSocket\Server::history(): Argument #2 ($limit) must be 0 (all) or more
ERR WebSocket\Server::history(): Argument #1 ($topic) must be between 1 and 256 bytes long
EPOCH 16 hex digits
int(0)
