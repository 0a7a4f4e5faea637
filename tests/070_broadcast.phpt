--TEST--
Server::broadcast(): reaches every open connection, or all but $except; returns the number of recipients
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('message', function (WebSocket\Connection $c, string $d, bool $binary) use ($server) {
    if ($d === 'all') {
        out('BROADCAST all', $server->broadcast("to all from {$c->path}"));
    } elseif ($d === 'others') {
        out('BROADCAST others', $server->broadcast("from {$c->path}", false, $c));
    } elseif ($binary) {
        out('BROADCAST binary', $server->broadcast($d, true, null));
    } else {
        $c->send("echo:$d");
    }
});
ready($server);
$server->run();
PHP);
$clients = [];
foreach (['a', 'b', 'c'] as $name) {
    $clients[$name] = WsClient::connect($w->port, "/$name");
    $w->waitFor("OPEN /$name");
}
// A closing connection is not counted.
$gone = WsClient::connect($w->port, '/gone');
$gone->close();

$clients['a']->sendText('all');
echo $w->waitFor('BROADCAST'), "\n";
foreach ($clients as $name => $c) {
    echo "$name: ", $c->recv(), "\n";
}
$clients['b']->sendText('others');
echo $w->waitFor('BROADCAST'), "\n";
// The sender gets its echo first, not the broadcast.
$clients['b']->sendText('x');
echo 'b: ', $clients['b']->recv(), "\n";
echo 'a: ', $clients['a']->recv(), "\n";
echo 'c: ', $clients['c']->recv(), "\n";
$clients['c']->sendBinary("\x00\xFF");
echo $w->waitFor('BROADCAST'), "\n";
foreach ($clients as $name => $c) {
    $m = $c->recvMessage();
    echo "$name: ", $m[0], ' ', bin2hex($m[1]), "\n";
    $c->close();
}
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
BROADCAST all 3
a: text:to all from /a
b: text:to all from /a
c: text:to all from /a
BROADCAST others 2
b: text:echo:x
a: text:from /b
c: text:from /b
BROADCAST binary 3
a: 2 00ff
b: 2 00ff
c: 2 00ff
int(0)
