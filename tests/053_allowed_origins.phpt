--TEST--
Handshake: allowed_origins answers 403 to other origins, accepts listed ones (case-insensitively) and requests without Origin
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['allowed_origins' => ['https://good.example', 'http://127.0.0.1:8000']]);
$server->on('handshake', fn ($r) => out('HANDSHAKE', $r->header('origin') ?? '-'));
$server->on('open', fn ($c, $r) => out('OPEN', $r->header('origin') ?? '-'));
ready($server);
$server->run();
PHP);
foreach (['https://good.example', 'HTTPS://GOOD.EXAMPLE', 'http://127.0.0.1:8000', null,
          'https://evil.example', 'https://good.example.evil', 'https://good.example:443', 'null', ''] as $origin) {
    $headers = $origin === null ? [] : ['Origin' => $origin];
    try {
        $c = WsClient::connect($w->port, '/', $headers);
        echo str_pad(var_export($origin, true), 30), ' 101 ', $w->waitFor('OPEN'), "\n";
        $c->close();
    } catch (WsHandshakeFailed $e) {
        echo str_pad(var_export($origin, true), 30), ' ', $e->response['status'], ' ', $e->response['body'];
    }
}
var_dump($w->stop());
// Refused origins never reach the handshake handler.
echo $w->rest(), $w->stderr;
--EXPECT--
'https://good.example'         101 OPEN https://good.example
'HTTPS://GOOD.EXAMPLE'         101 OPEN HTTPS://GOOD.EXAMPLE
'http://127.0.0.1:8000'        101 OPEN http://127.0.0.1:8000
NULL                           101 OPEN -
'https://evil.example'         403 origin not allowed
'https://good.example.evil'    403 origin not allowed
'https://good.example:443'     403 origin not allowed
'null'                         403 origin not allowed
''                             403 origin not allowed
int(0)
