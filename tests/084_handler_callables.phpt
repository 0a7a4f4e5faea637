--TEST--
Handlers: any callable works (closure, method array, static method string, invokable, __call, first-class), and a handler may replace itself
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
final class Handlers
{
    public function __construct(private WebSocket\Server $server) {}
    public function method(WebSocket\Connection $c): void
    {
        echo "method {$c->path}\n";
        $this->server->on('open', 'Handlers::staticMethod');
    }
    public static function staticMethod(WebSocket\Connection $c): void
    {
        echo "static {$c->path}\n";
        $GLOBALS['server']->on('open', new Invokable());
    }
    public function __call(string $name, array $args): void
    {
        echo "__call $name {$args[0]->path}\n";
        $GLOBALS['server']->stop();
    }
}
final class Invokable
{
    public function __invoke(WebSocket\Connection $c): void
    {
        echo "invokable {$c->path}\n";
        $GLOBALS['server']->on('open', open_function(...));
    }
}
function open_function(WebSocket\Connection $c): void
{
    echo "function {$c->path}\n";
    $GLOBALS['server']->on('open', function (WebSocket\Connection $c) {
        echo "closure {$c->path}\n";
        // A __call trampoline.
        $GLOBALS['server']->on('open', [$GLOBALS['handlers'], 'magic']);
    });
}
$server = new WebSocket\Server('127.0.0.1', 0, ['shutdown_timeout' => 0.05]);
$handlers = new Handlers($server);
$server->on('open', [$handlers, 'method']);
// Each client is only accepted after the previous one opened, so the order is fixed.
$port = $server->getPort();
$n = 0;
$clients = [WsClient::pending($port, '/1')];
$server->on('handshake', function () use (&$clients, &$n, $port) {
    $n++;
    if ($n < 6) {
        $clients[] = WsClient::pending($port, '/' . ($n + 1));
    }
});
$server->run();
echo count($clients), " clients\n";
--EXPECT--
method /1
static /2
invokable /3
function /4
closure /5
__call magic /6
6 clients
