<?php
/*
 * Multi-worker test server for tests/workers/*.sh.
 *
 *   php -d extension=websocket.so tests/workers/worker_server.php [JSON-OPTIONS]
 *
 * Binds 127.0.0.1:0, prints "PORT=<n>" (in the supervisor, before run()).
 * Each worker logs on stdout "START <worker> <pid>", "STOP <worker>",
 * "OPEN <id> <worker>" and "CLOSE <id> <code> <worker>", each line in one
 * write(2), so that the lines of two workers never interleave.
 * On open the client receives "hello:<worker>:<id>".  Commands (text):
 *   sub:<topic>          subscribe, reply "subscribed:<topic>"
 *   pub:<topic>:<data>   publish to the topic (the sender, if subscribed, gets it too)
 *   bcast:<data>         broadcast to every connection of every worker
 *   wm:<data>            sendToWorkers(); every worker then broadcasts "wm:<its id>:<data>:<from>"
 *   cluster              reply "cluster:" . JSON of clusterStats()
 *   crash                the worker kills itself with SIGKILL (posix not needed: exit via a fatal error)
 * A version marker read from the file named by $WS_TEST_VERSION_FILE (if set)
 * is sent after hello as "version:<text>", so a reload test can see new code.
 */
$options = isset($argv[1]) ? json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR) : [];
$server = new WebSocket\Server('127.0.0.1', 0, $options);
function say(string $line): void
{
    fwrite(STDOUT, $line . "\n");
}
$versionFile = getenv('WS_TEST_VERSION_FILE') ?: null;
$version = $versionFile ? trim((string) @file_get_contents($versionFile)) : '';

$server->on('workerStart', function (int $id) use ($server) {
    say("START $id " . getmypid());
    if (getenv('WS_TEST_FAIL_START') === (string) $id) {
        throw new RuntimeException("worker $id refuses to start");
    }
});
$server->on('workerStop', fn (int $id) => say("STOP $id"));
$server->on('open', function (WebSocket\Connection $c) use ($server, $version) {
    say("OPEN {$c->id} {$server->workerId()}");
    $c->send("hello:{$server->workerId()}:{$c->id}");
    if ($version !== '') {
        $c->send("version:$version");
    }
});
$server->on('close', function (WebSocket\Connection $c, int $code) use ($server) {
    say("CLOSE {$c->id} $code {$server->workerId()}");
});
$server->on('message', function (WebSocket\Connection $c, string $data) use ($server) {
    [$cmd, $a, $b] = explode(':', $data, 3) + [1 => '', 2 => ''];
    switch ($cmd) {
        case 'sub':
            $c->subscribe($a);
            $c->send("subscribed:$a");
            break;
        case 'pub':
            $server->publish($a, $b);
            break;
        case 'bcast':
            $server->broadcast("bcast:" . $a . ($b !== '' ? ":$b" : ''));
            break;
        case 'wm':
            $server->sendToWorkers($a);
            break;
        case 'cluster':
            $c->send('cluster:' . json_encode($server->clusterStats()));
            break;
        case 'crash':
            posix_kill(getmypid(), SIGKILL);
            break;
    }
});
$server->on('workerMessage', function (string $data, int $from) use ($server) {
    $server->broadcast("wm:{$server->workerId()}:$data:$from");
});
say("PORT=" . $server->getPort());
$server->run();
say("STOPPED");
