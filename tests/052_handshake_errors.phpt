--TEST--
Handshake errors: bad upgrade requests get 400, 405, 426 or 431 and never reach a handler
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('handshake', fn ($r) => out('HANDSHAKE', $r->uri));
$server->on('open', fn ($c) => out('OPEN', $c->path));
$server->on('request', fn ($r) => out('REQUEST', $r->uri));
$server->on('message', function ($c) use ($server) {
    $s = $server->stats();
    out('STATS rejected', $s['handshakes_rejected'], 'connections', $s['connections'], 'pending', $s['pending']);
});
ready($server);
$server->run();
PHP);
$p = $w->port;
$cases = [
    'http/1.0' => ws_upgrade_request($p, '/', [], 'GET', 'HTTP/1.0'),
    'no version' => ws_upgrade_request($p, '/', ['Sec-WebSocket-Version' => null]),
    'version 8' => ws_upgrade_request($p, '/', ['Sec-WebSocket-Version' => '8']),
    'no key' => ws_upgrade_request($p, '/', ['Sec-WebSocket-Key' => null]),
    'key not base64' => ws_upgrade_request($p, '/', ['Sec-WebSocket-Key' => 'not base64!!']),
    'key 15 bytes' => ws_upgrade_request($p, '/', ['Sec-WebSocket-Key' => base64_encode(str_repeat('k', 15))]),
    'two keys' => ws_upgrade_request($p, '/', ['Sec-WebSocket-Key' => [base64_encode(random_bytes(16)), base64_encode(random_bytes(16))]]),
    'POST' => ws_upgrade_request($p, '/', [], 'POST'),
    'no host' => ws_upgrade_request($p, '/', ['Host' => null]),
    'no connection' => ws_upgrade_request($p, '/', ['Connection' => null]),
    'connection close' => ws_upgrade_request($p, '/', ['Connection' => 'close']),
    'with body' => ws_upgrade_request($p, '/', ['Content-Length' => '5']) . 'hello',
    'header too large' => ws_upgrade_request($p, '/', ['X-Big' => str_repeat('b', 9000)]),
    'too many headers' => ws_upgrade_request($p, '/', array_combine(
        array_map(fn ($i) => "X-H$i", range(1, 70)), array_fill(0, 70, 'v'))),
    'garbage' => "GARBAGE\r\n\r\n",
    'space before colon' => "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
];
foreach ($cases as $name => $raw) {
    $r = ws_http_exchange($p, $raw);
    $extra = array_intersect_key($r['headers'], ['sec-websocket-version' => 1, 'allow' => 1, 'upgrade' => 1]);
    printf("%-19s %d %s%s", $name, $r['status'], $extra ? json_encode($extra) . ' ' : '', $r['body']);
}
// Exactly at the default 8 KiB limit passes.
$req = ws_upgrade_request($p, '/fits', ['X-Pad' => '']);
$req = ws_upgrade_request($p, '/fits', ['X-Pad' => str_repeat('p', 8192 - strlen($req))]);
var_dump(strlen($req));
$s = ws_tcp_connect($p);
ws_write_all($s, $req);
$head = '';
while (!str_contains($head, "\r\n\r\n") && ($chunk = fread($s, 1)) !== '' && $chunk !== false) {
    $head .= $chunk;
}
echo strtok($head, "\r\n"), "\n";
echo $w->waitFor('HANDSHAKE'), "\n", $w->waitFor('OPEN'), "\n";
$c = WsClient::connect($p, '/stats');
$c->sendText('stats');
echo $w->waitFor('STATS'), "\n";
$c->close();
fclose($s);
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
http/1.0            400 HTTP version not supported for WebSocket (HTTP/1.1 required)
no version          426 {"upgrade":"websocket","sec-websocket-version":"13"} unsupported Sec-WebSocket-Version (13 required)
version 8           426 {"upgrade":"websocket","sec-websocket-version":"13"} unsupported Sec-WebSocket-Version (13 required)
no key              400 invalid Sec-WebSocket-Key
key not base64      400 invalid Sec-WebSocket-Key
key 15 bytes        400 invalid Sec-WebSocket-Key
two keys            400 invalid Sec-WebSocket-Key
POST                405 {"allow":"GET"} WebSocket upgrade requires GET
no host             400 missing Host header
no connection       400 not a WebSocket upgrade request
connection close    400 not a WebSocket upgrade request
with body           400 request body not supported
header too large    431 request header too large
too many headers    431 too many header fields
garbage             400 malformed HTTP request
space before colon  400 malformed HTTP request
int(8192)
HTTP/1.1 101 Switching Protocols
HANDSHAKE /fits
OPEN /fits
STATS rejected 16 connections 2 pending 0
int(0)
