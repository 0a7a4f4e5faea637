--TEST--
Handshake: the subprotocols option selects the first subprotocol the client offers that the server speaks
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['subprotocols' => ['chat', 'superchat', 'json']]);
$server->on('handshake', function (WebSocket\Request $r) {
    if ($r->header('X-Override') !== null) {
        $r->setSubprotocol($r->header('X-Override'));
    }
});
$server->on('open', fn ($c, $r) => out('OPEN', $c->subprotocol ?? 'null', implode(',', $r->subprotocols) ?: '-'));
ready($server);
$server->run();
PHP);
foreach ([[['superchat', 'chat'], []], [['mqtt', 'json'], []], [['mqtt'], []], [[], []],
          [['Chat'], []], [['chat', 'mqtt'], ['X-Override' => 'mqtt']]] as [$offer, $headers]) {
    $c = WsClient::connect($w->port, '/', $headers, $offer);
    printf("%-16s -> header=%-9s %s\n", implode(',', $offer) ?: '(none)',
        $c->response['headers']['sec-websocket-protocol'] ?? '(none)', $w->waitFor('OPEN'));
    $c->close();
}
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
superchat,chat   -> header=superchat OPEN superchat superchat,chat
mqtt,json        -> header=json      OPEN json mqtt,json
mqtt             -> header=(none)    OPEN null mqtt
(none)           -> header=(none)    OPEN null -
Chat             -> header=(none)    OPEN null Chat
chat,mqtt        -> header=mqtt      OPEN mqtt chat,mqtt
int(0)
