--TEST--
Presence on one process: join with info, presence() lists every member, join/leave events fire after the call (not inside it), once per change, a changed info is a join, close leaves at once, and argument errors
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$names = [];
$server->on('open', function (WebSocket\Connection $c) use (&$names) { $names[$c->id] = 'c' . count($names); });
$server->on('join', function (string $topic, int $id, string $info, int $worker) use (&$names) { out('JOIN', $topic, $names[$id], $info, $worker); });
$server->on('leave', function (string $topic, int $id, string $info, int $worker) use (&$names) { out('LEAVE', $topic, $names[$id], $info, $worker); });
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server, &$names) {
    [$cmd, $topic, $info] = explode(' ', $d, 3) + [1 => '', 2 => ''];
    switch ($cmd) {
        case 'join':
            out('CALL join', $names[$c->id], var_export($c->join($topic, $info), true));
            out('CALL done');
            break;
        case 'leave':
            out('CALL leave', $names[$c->id], var_export($c->leave($topic), true));
            break;
        case 'who':
            $m = array_map(fn ($r) => $names[$r['id']] . '=' . $r['info'] . '@' . $r['worker'], $server->presence($topic));
            sort($m);
            out('WHO', $topic, implode(' ', $m));
            break;
        case 'node':
            out('NODE', json_encode($server->nodeId()), json_encode(array_column($server->presence('room'), 'node')));
            break;
        case 'errors':
            foreach ([fn () => $c->join(''), fn () => $c->join('t', str_repeat('x', 4097)), fn () => $c->leave(''), fn () => $server->presence('')] as $f) {
                try { $f(); out('NO ERROR'); } catch (ValueError $e) { out('ERR', $e->getMessage()); }
            }
            break;
    }
});
ready($server);
$server->run();
PHP);
$a = WsClient::connect($w->port);
$b = WsClient::connect($w->port);
$a->sendText('join room alice');
echo $w->waitFor('CALL join'), "\n", $w->waitFor('CALL done'), "\n", $w->waitFor('JOIN'), "\n";
$a->sendText('join room alice');
echo $w->waitFor('CALL join'), "\n";
$b->sendText('join room bob');
echo $w->waitFor('JOIN'), "\n";
$b->sendText('join lobby');
echo $w->waitFor('JOIN'), "\n";
$a->sendText('who room');
echo $w->waitFor('WHO'), "\n";
$a->sendText('node');
echo $w->waitFor('NODE'), "\n";
$a->sendText('join room alice2');
echo $w->waitFor('CALL join'), "\n", $w->waitFor('JOIN'), "\n";
$a->sendText('leave room');
echo $w->waitFor('CALL leave'), "\n", $w->waitFor('LEAVE'), "\n";
$a->sendText('leave room');
echo $w->waitFor('CALL leave'), "\n";
$a->sendText('who room');
echo $w->waitFor('WHO'), "\n";
$b->close();
echo $w->waitFor('LEAVE'), "\n", $w->waitFor('LEAVE'), "\n";
$a->sendText('who room');
echo $w->waitFor('WHO'), "\n";
$a->sendText('who lobby');
echo $w->waitFor('WHO'), "\n";
$a->sendText('errors');
for ($i = 0; $i < 4; $i++) { echo $w->waitFor('ERR'), "\n"; }
$a->close();
var_dump($w->stop());
echo $w->rest();
?>
--EXPECT--
CALL join c0 true
CALL done
JOIN room c0 alice 0
CALL join c0 false
JOIN room c1 bob 0
JOIN lobby c1  0
WHO room c0=alice@0 c1=bob@0
NODE "" ["",""]
CALL join c0 false
JOIN room c0 alice2 0
CALL leave c0 true
LEAVE room c0 alice2 0
CALL leave c0 false
WHO room c1=bob@0
LEAVE room c1 bob 0
LEAVE lobby c1  0
WHO room 
WHO lobby 
ERR WebSocket\Connection::join(): Argument #1 ($topic) must be between 1 and 256 bytes long
ERR WebSocket\Connection::join(): Argument #2 ($info) must be at most 4096 bytes
ERR WebSocket\Connection::leave(): Argument #1 ($topic) must be between 1 and 256 bytes long
ERR WebSocket\Server::presence(): Argument #1 ($topic) must be between 1 and 256 bytes long
int(0)
