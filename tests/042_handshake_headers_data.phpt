--TEST--
Handshake: setHeader() adds to the 101, $request->data becomes $conn->data, the Request is read-only after its handler
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$saved = null;
$server->on('handshake', function (WebSocket\Request $r) use (&$saved) {
    $r->setHeader('Set-Cookie', 'session=abc; HttpOnly');
    $r->setHeader('X-Server', 'phpt');
    foreach ([['Upgrade', 'h2c'], ['sec-websocket-accept', 'x'], ['Content-Length', '5'], ['Bad Name', 'v'], ['X-Evil', "a\r\nInjected: 1"]] as [$n, $v]) {
        try {
            $r->setHeader($n, $v);
        } catch (ValueError $e) {
            out('SETHEADER', $e->getMessage());
        }
    }
    $r->data = ['user' => 'alice', 'n' => 42];
    $saved = $r;
});
$server->on('open', function (WebSocket\Connection $c, WebSocket\Request $r) use (&$saved) {
    out('OPEN', json_encode($c->data), var_export($r === $saved, true), json_encode($r->data));
    $c->data['n']++;
    foreach ([fn () => $r->respond(200), fn () => $r->setHeader('X-Late', '1'), fn () => $r->setSubprotocol('x')] as $late) {
        try {
            $late();
        } catch (Error $e) {
            out('LATE', get_class($e), $e->getMessage());
        }
    }
});
$server->on('message', function (WebSocket\Connection $c) use (&$saved) {
    out('DATA', json_encode($c->data));
    try {
        $saved->respond(500);
    } catch (Error $e) {
        out('LATER', $e->getMessage());
    }
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$h = $c->response['headers'];
var_dump($h['set-cookie'], $h['x-server'], isset($h['x-late']), isset($h['injected']));
for ($i = 0; $i < 5; $i++) {
    echo $w->waitFor('SETHEADER'), "\n";
}
echo $w->waitFor('OPEN'), "\n";
for ($i = 0; $i < 3; $i++) {
    echo $w->waitFor('LATE'), "\n";
}
$c->sendText('x');
echo $w->waitFor('DATA'), "\n", $w->waitFor('LATER'), "\n";
$c->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
string(21) "session=abc; HttpOnly"
string(4) "phpt"
bool(false)
bool(false)
SETHEADER WebSocket\Request::setHeader(): Argument #1 ($name) must not be "Upgrade": the server sets it
SETHEADER WebSocket\Request::setHeader(): Argument #1 ($name) must not be "sec-websocket-accept": the server sets it
SETHEADER WebSocket\Request::setHeader(): Argument #1 ($name) must not be "Content-Length": the server sets it
SETHEADER WebSocket\Request::setHeader(): Argument #1 ($name) must be a valid header name
SETHEADER WebSocket\Request::setHeader(): Argument #2 ($value) must not contain control characters (CR, LF, NUL)
OPEN {"user":"alice","n":42} true {"user":"alice","n":42}
LATE Error WebSocket\Request::respond() cannot be used after the request was answered or its handler returned
LATE Error WebSocket\Request::setHeader() cannot be used after the request was answered or its handler returned
LATE Error WebSocket\Request::setSubprotocol() cannot be used after the request was answered or its handler returned
DATA {"user":"alice","n":43}
LATER WebSocket\Request::respond() cannot be used after the request was answered or its handler returned
int(0)
