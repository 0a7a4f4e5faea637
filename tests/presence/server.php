<?php
/*
 * Test server for tests/presence/*.sh: presence, history and resume, with
 * or without workers.
 *
 *   php -d extension=websocket.so tests/presence/server.php [JSON-OPTIONS]
 *
 * Prints "PORT=<n>" before run().  Each worker prints "START <worker> <pid>";
 * every "join"/"leave" event prints "JOIN|LEAVE <topic> <conn> <info>
 * <owner worker> <firing worker>".  Every line is one write(2).
 * On open the client gets "hello:<worker>:<conn id>:<epoch>".  Commands:
 *   sub                      subscribe to "feed"; reply "subscribed"
 *   resume:<since>:<epoch>   Connection::resume("feed", ...); reply "resumed:<n>" or "resumed:gap"
 *   pub:<k>                  publish "m:<k>" to "feed" with id <k>; reply "ack:<k>"
 *   last                     reply "last:<id of the newest message in feed's history>"
 *   epoch                    reply "epoch:<historyEpoch('feed')>"
 *   node                     reply "node:<nodeId()>"
 *   nodes:<topic>            reply "nodes:" . JSON of info => node for the topic's members
 *   join:<topic>:<info>      reply "joined:<0|1>"
 *   leave:<topic>            reply "left:<0|1>"
 *   presence:<topic>         reply "presence:" . JSON list of [conn, info, worker], sorted by info
 */
function say(string $line): void
{
    fwrite(STDOUT, $line . "\n");
}
$options = isset($argv[1]) ? json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR) : [];
$server = new WebSocket\Server('127.0.0.1', (int) (getenv('WS_TEST_PORT') ?: 0), $options);
$server->on('workerStart', fn (int $id) => say("START $id " . getmypid()));
$server->on('open', function (WebSocket\Connection $c) use ($server) {
    $c->send("hello:{$server->workerId()}:{$c->id}:{$server->historyEpoch('feed')}");
});
$server->on('message', function (WebSocket\Connection $c, string $data) use ($server) {
    [$cmd, $a, $b] = explode(':', $data, 3) + [1 => '', 2 => ''];
    switch ($cmd) {
        case 'sub':
            $c->subscribe('feed');
            $c->send('subscribed');
            break;
        case 'resume':
            $n = $c->resume('feed', $a, $b === '' ? null : $b);
            $c->send('resumed:' . ($n ?? 'gap'));
            break;
        case 'pub':
            $server->publish('feed', "m:$a", id: $a);
            $c->send("ack:$a");
            break;
        case 'node':
            $c->send('node:' . $server->nodeId());
            break;
        case 'nodes':
            $c->send('nodes:' . json_encode(array_column($server->presence($a), 'node', 'info')));
            break;
        case 'epoch':
            $c->send('epoch:' . $server->historyEpoch('feed'));
            break;
        case 'last':
            $h = $server->history('feed', 1);
            $c->send('last:' . ($h ? $h[0]['id'] : ''));
            break;
        case 'join':
            $c->send('joined:' . (int) $c->join($a, $b));
            break;
        case 'leave':
            $c->send('left:' . (int) $c->leave($a));
            break;
        case 'presence':
            $m = array_map(fn ($r) => [$r['id'], $r['info'], $r['worker']], $server->presence($a));
            usort($m, fn ($x, $y) => strcmp($x[1], $y[1]));
            $c->send('presence:' . json_encode($m));
            break;
    }
});
foreach (['join' => 'JOIN', 'leave' => 'LEAVE'] as $event => $word) {
    $server->on($event, function (string $topic, int $conn, string $info, int $worker) use ($server, $word) {
        say("$word $topic $conn $info $worker {$server->workerId()}");
    });
}
say('PORT=' . $server->getPort());
$server->run();
say('STOPPED');
