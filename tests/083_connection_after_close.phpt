--TEST--
Connection: a Connection kept after its close event stays readable and every method reports it closed
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$kept = null;
$server->on('open', function (WebSocket\Connection $c) use (&$kept) {
    $c->subscribe('t');
    $c->data = 'state';
    $kept = $c;
});
$server->on('close', function (WebSocket\Connection $c) use ($server, &$kept) {
    // Closed means unsubscribed too, as for count() and connections().
    out('CLOSE', var_export($c === $kept, true), json_encode($c->topics()), $server->subscribers('t'), json_encode($server->topics()));
    $server->after(0, function () use (&$kept, $server) {
        $c = $kept;
        out('PROPS', $c->id, $c->path, $c->data, var_export(str_starts_with($c->remoteAddress, '127.0.0.1:'), true));
        out('METHODS', var_export($c->isOpen(), true), $c->send('x'), $c->send('x', true), var_export($c->ping(), true),
            var_export($c->subscribe('u'), true), var_export($c->unsubscribe('t'), true),
            json_encode($c->topics()), count($server), json_encode($server->topics()));
        $c->close(1000, 'again');
        try {
            $c->send("\xFF");
        } catch (ValueError $e) {
            out('VALIDATION STILL APPLIES');
        }
        out('DONE');
    });
});
ready($server);
$server->run();
PHP);
$c = WsClient::connect($w->port, '/kept');
$c->close(1000);
echo $w->waitFor('CLOSE'), "\n", $w->waitFor('PROPS'), "\n", $w->waitFor('METHODS'), "\n";
echo $w->waitFor('VALIDATION'), "\n", $w->waitFor('DONE'), "\n";
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
CLOSE true [] 0 []
PROPS 1 /kept state true
METHODS false 0 0 false false false [] 0 []
VALIDATION STILL APPLIES
DONE
int(0)
