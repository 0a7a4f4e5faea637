--TEST--
Topics: subscribe/unsubscribe/topics() on connections, publish/subscribers/topics() on the server, name validation
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    [$cmd, $arg] = explode(' ', $d, 2) + [1 => ''];
    switch ($cmd) {
        case 'sub':
            out('SUB', $c->path, $arg, var_export($c->subscribe($arg), true), json_encode($c->topics()));
            break;
        case 'unsub':
            out('UNSUB', $c->path, $arg, var_export($c->unsubscribe($arg), true), json_encode($c->topics()));
            break;
        case 'pub':
            out('PUB', $arg, $server->publish($arg, "[$arg] from {$c->path}"));
            break;
        case 'pubx':
            out('PUBX', $arg, $server->publish($arg, "[$arg] not to {$c->path}", false, $c));
            break;
        case 'info':
            // The order of Server::topics() is not specified.
            $topics = $server->topics();
            ksort($topics);
            out('INFO', json_encode($topics), $server->subscribers('news'), $server->subscribers('none'));
            break;
        case 'invalid':
            foreach (['', str_repeat('t', 257)] as $t) {
                foreach (['subscribe', 'unsubscribe'] as $m) {
                    try {
                        $c->$m($t);
                    } catch (ValueError $e) {
                        out('INVALID', $e->getMessage());
                    }
                }
            }
            out('LONG', var_export($c->subscribe(str_repeat('t', 256)), true), var_export($c->unsubscribe(str_repeat('t', 256)), true));
            break;
    }
});
$server->on('close', function (WebSocket\Connection $c) use ($server) {
    out('CLOSED', $c->path, var_export($c->subscribe('late'), true));
});
ready($server);
$server->run();
PHP);
$a = WsClient::connect($w->port, '/a');
$b = WsClient::connect($w->port, '/b');
$c = WsClient::connect($w->port, '/c');
$cmd = function (WsClient $cl, string $text, string $expect) use ($w) {
    $cl->sendText($text);
    echo $w->waitFor($expect), "\n";
};
$cmd($a, 'sub news', 'SUB');
$cmd($a, 'sub sport', 'SUB');
$cmd($a, 'sub news', 'SUB');
$cmd($b, 'sub news', 'SUB');
$cmd($b, 'sub ünïcode topic', 'SUB');
$cmd($c, 'info', 'INFO');
$cmd($c, 'pub news', 'PUB');
echo 'a: ', $a->recv(), "\n", 'b: ', $b->recv(), "\n";
$cmd($a, 'pubx news', 'PUBX');
echo 'b: ', $b->recv(), "\n";
$cmd($c, 'pub nobody', 'PUB');
$cmd($a, 'unsub news', 'UNSUB');
$cmd($a, 'unsub news', 'UNSUB');
$cmd($a, 'unsub never', 'UNSUB');
$cmd($c, 'info', 'INFO');
$cmd($c, 'pub news', 'PUB');
echo 'b: ', $b->recv(), "\n";
$c->sendText('invalid');
for ($i = 0; $i < 4; $i++) {
    echo $w->waitFor('INVALID'), "\n";
}
echo $w->waitFor('LONG'), "\n";
$b->close();
echo $w->waitFor('CLOSED'), "\n";
$cmd($c, 'info', 'INFO');
$a->close();
echo $w->waitFor('CLOSED'), "\n";
$c->sendText('pub sport');
echo $w->waitFor('PUB'), "\n";
// c never received a message it was not subscribed to.
$c->sendText('sub last');
echo $w->waitFor('SUB'), "\n";
$c->sendText('pub last');
echo $w->waitFor('PUB'), "\n";
echo 'c: ', $c->recv(), "\n";
$c->close();
echo $w->waitFor('CLOSED'), "\n";
$d = WsClient::connect($w->port, '/d');
$cmd($d, 'info', 'INFO');
$d->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
SUB /a news true ["news"]
SUB /a sport true ["news","sport"]
SUB /a news false ["news","sport"]
SUB /b news true ["news"]
SUB /b ünïcode topic true ["news","\u00fcn\u00efcode topic"]
INFO {"news":2,"sport":1,"\u00fcn\u00efcode topic":1} 2 0
PUB news 2
a: text:[news] from /c
b: text:[news] from /c
PUBX news 1
b: text:[news] not to /a
PUB nobody 0
UNSUB /a news true ["sport"]
UNSUB /a news false ["sport"]
UNSUB /a never false ["sport"]
INFO {"news":1,"sport":1,"\u00fcn\u00efcode topic":1} 1 0
PUB news 1
b: text:[news] from /c
INVALID WebSocket\Connection::subscribe(): Argument #1 ($topic) must be between 1 and 256 bytes long
INVALID WebSocket\Connection::unsubscribe(): Argument #1 ($topic) must be between 1 and 256 bytes long
INVALID WebSocket\Connection::subscribe(): Argument #1 ($topic) must be between 1 and 256 bytes long
INVALID WebSocket\Connection::unsubscribe(): Argument #1 ($topic) must be between 1 and 256 bytes long
LONG true true
CLOSED /b false
INFO {"sport":1} 0 0
CLOSED /a false
PUB sport 0
SUB /c last true ["last"]
PUB last 1
c: text:[last] from /c
CLOSED /c false
INFO [] 0 0
int(0)
CLOSED /d false
