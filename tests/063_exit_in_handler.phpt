--TEST--
Errors: exit() inside a handler ends the script cleanly with its status; nothing after run() executes
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
register_shutdown_function(fn () => out('SHUTDOWN FUNCTION'));
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', function (WebSocket\Connection $c, string $d) {
    out('MESSAGE', $d);
    $c->send('before exit');
    exit((int) $d);
});
$server->on('close', fn ($c, $code) => out('CLOSE', $code));
$server->on('error', fn ($e) => out('ERROR', get_class($e)));
ready($server);
try {
    $server->run();
} finally {
    out('FINALLY');
}
out('AFTER RUN');
PHP);
$a = WsClient::connect($w->port, '/a');
$b = WsClient::connect($w->port, '/b');
$a->sendText('3');
var_dump($w->wait());
// The connections end with the process.
$ra = $a->recvMessage();
$rb = $b->recvMessage();
var_dump($ra === null || $ra[0] !== WsClient::TEXT || $ra[1] === 'before exit', $rb === null || $rb[0] === WsClient::CLOSE);
echo $w->log(), $w->stderr;
--EXPECT--
int(3)
bool(true)
bool(true)
MESSAGE 3
SHUTDOWN FUNCTION
