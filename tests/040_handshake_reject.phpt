--TEST--
Handshake: Request::respond() in the handshake handler refuses the upgrade with the given status, body and headers
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('handshake', function (WebSocket\Request $r) {
    out('HANDSHAKE', $r->uri, $r->header('authorization') ?? '-');
    if ($r->header('Authorization') !== 'Bearer good') {
        $r->respond(401, "who are you?\n", ['WWW-Authenticate' => 'Bearer realm="ws"', 'X-Attempt' => 1]);
        try {
            $r->respond(500);
        } catch (Error $e) {
            out('SECOND RESPOND', $e->getMessage());
        }
    }
});
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('message', function ($c, $d) use ($server) {
    $s = $server->stats();
    out('STATS', $s['handshakes_rejected'], $s['accepted'], $s['connections']);
});
ready($server);
$server->run();
PHP);
try {
    WsClient::connect($w->port, '/secret');
    echo "connected\n";
} catch (WsHandshakeFailed $e) {
    $r = $e->response;
    echo $r['status'], "\n";
    var_dump($r['body'], $r['headers']['www-authenticate'], $r['headers']['x-attempt'],
        $r['headers']['content-type'], $r['headers']['content-length'], $r['headers']['connection'],
        isset($r['headers']['upgrade']), isset($r['headers']['sec-websocket-accept']));
}
echo $w->waitFor('HANDSHAKE'), "\n", $w->waitFor('SECOND RESPOND'), "\n";
$c = WsClient::connect($w->port, '/secret', ['Authorization' => 'Bearer good']);
echo $w->waitFor('HANDSHAKE'), "\n", $w->waitFor('OPEN'), "\n";
$c->sendText('stats');
echo $w->waitFor('STATS'), "\n";
$c->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
401
string(13) "who are you?
"
string(17) "Bearer realm="ws""
string(1) "1"
string(25) "text/plain; charset=utf-8"
string(2) "13"
string(5) "close"
bool(false)
bool(false)
HANDSHAKE /secret -
SECOND RESPOND WebSocket\Request::respond() cannot be used after the request was answered or its handler returned
HANDSHAKE /secret Bearer good
OPEN /secret
STATS 1 2 1
int(0)
