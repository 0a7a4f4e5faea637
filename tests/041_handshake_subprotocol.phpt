--TEST--
Handshake: setSubprotocol() picks one of the offered subprotocols; others throw ValueError
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('handshake', function (WebSocket\Request $r) {
    out('OFFERED', implode(',', $r->subprotocols) ?: '-');
    foreach (['mqtt', 'CHAT', ''] as $bad) {
        try {
            $r->setSubprotocol($bad);
        } catch (ValueError $e) {
            out('REFUSED', "[$bad]", $e->getMessage());
        }
    }
    if ($r->subprotocols) {
        $r->setSubprotocol($r->subprotocols[count($r->subprotocols) - 1]);
    }
});
$server->on('open', fn ($c, $r) => out('OPEN', $c->subprotocol ?? 'null'));
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port, '/', [], ['chat', 'json.v2']);
var_dump($c->response['headers']['sec-websocket-protocol']);
echo $w->waitFor('OFFERED'), "\n";
echo $w->waitFor('REFUSED'), "\n", $w->waitFor('REFUSED'), "\n", $w->waitFor('REFUSED'), "\n";
echo $w->waitFor('OPEN'), "\n";
// Nothing offered, nothing chosen: no Sec-WebSocket-Protocol header.
$d = WsClient::connect($w->port);
var_dump(isset($d->response['headers']['sec-websocket-protocol']));
echo $w->waitFor('OFFERED'), "\n";
echo $w->waitFor('OPEN'), "\n";
$c->close();
$d->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
string(7) "json.v2"
OFFERED chat,json.v2
REFUSED [mqtt] WebSocket\Request::setSubprotocol(): Argument #1 ($protocol) must be one of the subprotocols the client offered
REFUSED [CHAT] WebSocket\Request::setSubprotocol(): Argument #1 ($protocol) must be one of the subprotocols the client offered
REFUSED [] WebSocket\Request::setSubprotocol(): Argument #1 ($protocol) must be one of the subprotocols the client offered
OPEN json.v2
bool(false)
OFFERED -
OPEN null
int(0)
