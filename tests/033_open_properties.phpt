--TEST--
Events: open receives a Connection and the handshake Request with every property filled in
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('open', function (WebSocket\Connection $c, WebSocket\Request $r) {
    out(json_encode([
        'conn' => ['id' => $c->id, 'remoteAddress' => $c->remoteAddress, 'path' => $c->path,
                   'subprotocol' => $c->subprotocol, 'data' => $c->data],
        'req' => ['method' => $r->method, 'uri' => $r->uri, 'path' => $r->path, 'query' => $r->query,
                  'headers' => $r->headers, 'cookies' => $r->cookies, 'remoteAddress' => $r->remoteAddress,
                  'subprotocols' => $r->subprotocols, 'data' => $r->data],
        'header' => [$r->header('X-CUSTOM'), $r->header('x-custom'), $r->header('X-Dup'), $r->header('missing')],
        'isOpen' => $c->isOpen(),
    ]));
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port, '/chat/room?x=1&y=%20z', [
    'X-Custom' => '  padded value  ',
    'X-Dup' => ['one', 'two'],
    'Cookie' => 'a=1; b=hello%20world; a=2',
    'User-Agent' => 'phpt',
], ['v2.chat', 'v1.chat']);
$info = json_decode(substr($w->waitFor('{'), 0), true);
$local = stream_socket_get_name($c->socket(), false);
var_dump($info['conn']['remoteAddress'] === $local, $info['req']['remoteAddress'] === $local);
unset($info['conn']['remoteAddress'], $info['req']['remoteAddress']);
$key = $info['req']['headers']['sec-websocket-key'];
var_dump(strlen(base64_decode($key, true)));
$info['req']['headers']['sec-websocket-key'] = 'KEY';
$info['req']['headers']['host'] = str_replace((string) $w->port, 'PORT', $info['req']['headers']['host']);
var_export($info);
echo "\n";
// A second connection gets another id.
$d = WsClient::connect($w->port);
$info2 = json_decode($w->waitFor('{'), true);
var_dump($info2['conn']['id'] !== $info['conn']['id'], $info2['conn']['path'], $info2['req']['query'], $info2['req']['cookies']);
$c->close();
$d->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
bool(true)
bool(true)
int(16)
array (
  'conn' => 
  array (
    'id' => 1,
    'path' => '/chat/room',
    'subprotocol' => NULL,
    'data' => NULL,
  ),
  'req' => 
  array (
    'method' => 'GET',
    'uri' => '/chat/room?x=1&y=%20z',
    'path' => '/chat/room',
    'query' => 'x=1&y=%20z',
    'headers' => 
    array (
      'host' => '127.0.0.1:PORT',
      'upgrade' => 'websocket',
      'connection' => 'Upgrade',
      'sec-websocket-key' => 'KEY',
      'sec-websocket-version' => '13',
      'x-custom' => 'padded value',
      'x-dup' => 'one, two',
      'cookie' => 'a=1; b=hello%20world; a=2',
      'user-agent' => 'phpt',
      'sec-websocket-protocol' => 'v2.chat, v1.chat',
    ),
    'cookies' => 
    array (
      'a' => '1',
      'b' => 'hello world',
    ),
    'subprotocols' => 
    array (
      0 => 'v2.chat',
      1 => 'v1.chat',
    ),
    'data' => NULL,
  ),
  'header' => 
  array (
    0 => 'padded value',
    1 => 'padded value',
    2 => 'one, two',
    3 => NULL,
  ),
  'isOpen' => true,
)
bool(true)
string(1) "/"
string(0) ""
array(0) {
}
int(0)
