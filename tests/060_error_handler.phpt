--TEST--
Errors: with an "error" handler, a throwing handler closes only its connection with 1011 and the server goes on
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('error', function (Throwable $e, ?WebSocket\Connection $c) {
    out('ERROR', get_class($e), $e->getMessage(), $c === null ? 'null' : "conn {$c->path}", $c?->isOpen() ? 'open' : 'not-open');
});
$server->on('handshake', function (WebSocket\Request $r) {
    if ($r->path === '/handshake-throws') {
        throw new LogicException('in handshake');
    }
});
$server->on('request', function (WebSocket\Request $r) {
    throw new InvalidArgumentException('in request');
});
$server->on('open', function (WebSocket\Connection $c) {
    if ($c->path === '/open-throws') {
        throw new DomainException('in open');
    }
});
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    if ($d === 'boom') {
        $c->send('before the exception');
        throw new RuntimeException('in message');
    }
    if ($d === 'timer') {
        $server->after(0, function () {
            throw new UnexpectedValueException('in timer');
        });
        return;
    }
    if ($d === 'type error') {
        strlen();
    }
    $c->send("echo:$d");
});
$server->on('close', function (WebSocket\Connection $c, int $code) {
    out('CLOSE', $c->path, $code);
    if ($c->path === '/close-throws') {
        throw new OverflowException('in close');
    }
});
ready($server);
$server->run();
out('RUN RETURNED');
PHP);
$a = WsClient::connect($w->port, '/a');
$b = WsClient::connect($w->port, '/b');
$a->sendText('boom');
var_dump($a->recv());
var_dump($a->expectClose());
echo $w->waitFor('ERROR'), "\n", $w->waitFor('CLOSE'), "\n";
// The other client is unaffected, and new ones are still served.
$b->sendText('hi');
var_dump($b->recv());
$b->sendText('type error');
var_dump($b->expectClose());
echo $w->waitFor('ERROR'), "\n", $w->waitFor('CLOSE'), "\n";
$c = WsClient::connect($w->port, '/open-throws');
var_dump($c->expectClose());
echo $w->waitFor('ERROR'), "\n", $w->waitFor('CLOSE'), "\n";
try {
    WsClient::connect($w->port, '/handshake-throws');
} catch (WsHandshakeFailed $e) {
    echo $e->response['status'], ' ', $e->response['body'];
}
echo $w->waitFor('ERROR'), "\n";
$r = ws_http_get($w->port, '/plain');
echo $r['status'], ' ', $r['body'], $w->waitFor('ERROR'), "\n";
$d = WsClient::connect($w->port, '/close-throws');
$d->close(4000);
// (Which connection argument a throwing close handler reports is not asserted.)
echo $w->waitFor('CLOSE'), "\n", implode(' ', array_slice(explode(' ', $w->waitFor('ERROR')), 0, 4)), "\n";
$e = WsClient::connect($w->port, '/timer');
$e->sendText('timer');
echo $w->waitFor('ERROR'), "\n";
$e->sendText('still served');
var_dump($e->recv());
$e->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
string(25) "text:before the exception"
array(2) {
  [0]=>
  int(1011)
  [1]=>
  string(14) "internal error"
}
ERROR RuntimeException in message conn /a open
CLOSE /a 1011
string(12) "text:echo:hi"
array(2) {
  [0]=>
  int(1011)
  [1]=>
  string(14) "internal error"
}
ERROR ArgumentCountError strlen() expects exactly 1 argument, 0 given conn /b open
CLOSE /b 1011
array(2) {
  [0]=>
  int(1011)
  [1]=>
  string(14) "internal error"
}
ERROR DomainException in open conn /open-throws open
CLOSE /open-throws 1011
500 internal server error
ERROR LogicException in handshake null not-open
500 internal server error
ERROR InvalidArgumentException in request null not-open
CLOSE /close-throws 4000
ERROR OverflowException in close
ERROR UnexpectedValueException in timer null not-open
string(22) "text:echo:still served"
int(0)
CLOSE /timer 1000
RUN RETURNED
