--TEST--
Connection::close() and send(): code, reason and UTF-8 validation
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $data) {
    $try = function (callable $fn) {
        try {
            $r = $fn();
            out('OK', var_export($r, true));
        } catch (Throwable $e) {
            out(get_class($e) . ':', $e->getMessage());
        }
    };
    foreach ([-1, 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65536] as $code) {
        $try(fn () => $c->close($code));
    }
    $try(fn () => $c->close(1000, str_repeat('r', 124)));
    $try(fn () => $c->close(1000, str_repeat('é', 62)));
    $try(fn () => $c->close(1000, "bad \xC0\xAF"));
    $try(fn () => $c->send("\xFF"));
    $try(fn () => $c->send("ok \xED\xA0\x80"));
    $try(fn () => $c->send("\xF4\x90\x80\x80"));
    $try(fn () => $c->send("\xFF\xFE", true));
    $try(fn () => $c->send("\u{10FFFF} fine"));
    out('STILL OPEN', var_export($c->isOpen(), true));
    foreach ([1000, 1001, 1002, 1003, 1007, 1014, 3000, 4999] as $code) {
        $try(fn () => $c->close($code, 'valid'));
    }
    out('DONE');
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port);
$c->sendText('go');
foreach ([$c->recvMessage(), $c->recvMessage()] as [$op, $data]) {
    echo $op, ' ', bin2hex($data), "\n";
}
var_dump($c->expectClose());
$w->waitFor('DONE');
var_dump($w->stop());
echo $w->log(), $w->stderr;
--EXPECT--
2 fffe
1 f48fbfbf2066696e65
array(2) {
  [0]=>
  int(1000)
  [1]=>
  string(5) "valid"
}
int(0)
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, -1 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 0 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 999 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 1004 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 1005 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 1006 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 1015 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 1016 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 2999 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 5000 given
ValueError: WebSocket\Connection::close(): Argument #1 ($code) must be 1000-1003, 1007-1014 or 3000-4999, 65536 given
ValueError: WebSocket\Connection::close(): Argument #2 ($reason) must be at most 123 bytes long
ValueError: WebSocket\Connection::close(): Argument #2 ($reason) must be at most 123 bytes long
ValueError: WebSocket\Connection::close(): Argument #2 ($reason) must be valid UTF-8
ValueError: WebSocket\Connection::send(): Argument #1 ($data) must be valid UTF-8 when sent as text (pass $binary = true for arbitrary bytes)
ValueError: WebSocket\Connection::send(): Argument #1 ($data) must be valid UTF-8 when sent as text (pass $binary = true for arbitrary bytes)
ValueError: WebSocket\Connection::send(): Argument #1 ($data) must be valid UTF-8 when sent as text (pass $binary = true for arbitrary bytes)
OK 1
OK 1
STILL OPEN true
OK NULL
OK NULL
OK NULL
OK NULL
OK NULL
OK NULL
OK NULL
OK NULL
DONE
