--TEST--
HTTP: plain requests go to the "request" handler and are answered with respond()
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('request', function (WebSocket\Request $r) {
    out('REQUEST', $r->method, $r->uri, $r->path, "[{$r->query}]", json_encode($r->cookies), $r->header('X-Test') ?? '-',
        json_encode($r->subprotocols));
    try {
        $r->setSubprotocol('x');
    } catch (Error $e) {
        out('SUBPROTOCOL', $e->getMessage());
    }
    switch ($r->path) {
        case '/hello':
            $r->respond(200, "hello {$r->query}\n", ['Content-Type' => 'text/html', 'X-Served-By' => 'phpt']);
            break;
        case '/empty':
            $r->respond(204);
            break;
        case '/bad':
            foreach ([[199], [600], [200, '', ['Content-Length' => '1']], [200, '', ['connection' => 'keep-alive']],
                      [200, '', ['X-Split' => "a\r\nb"]], [200, '', ['bad name' => 'v']], [200, '', [0 => 'v']]] as $args) {
                try {
                    $r->respond(...$args);
                } catch (ValueError $e) {
                    out('INVALID', $e->getMessage());
                }
            }
            $r->respond(599, 'custom');
            break;
        default:
            // Not answered: 404 (there is no document_root).
            break;
    }
});
$server->on('open', fn () => out('OPEN'));
ready($server);
$server->run();
PHP);
$r = ws_http_get($w->port, '/hello?name=x', 'GET', ['X-Test' => 'yes', 'Cookie' => 'c=%C3%A9']);
echo $r['status'], ' ', $r['headers']['content-type'], ' ', $r['headers']['x-served-by'], ' ', $r['headers']['content-length'], ' ', $r['body'];
echo $w->waitFor('REQUEST'), "\n", $w->waitFor('SUBPROTOCOL'), "\n";
$r = ws_http_get($w->port, '/empty', 'DELETE');
echo $r['status'], ' [', $r['body'], "]\n";
echo $w->waitFor('REQUEST'), "\n";
$r = ws_http_get($w->port, '/bad');
echo $r['status'], ' ', $r['body'], "\n";
for ($i = 0; $i < 7; $i++) {
    echo $w->waitFor('INVALID'), "\n";
}
$r = ws_http_get($w->port, '/nothing');
echo $r['status'], ' ', $r['body'];
// HEAD: the headers of the response without its body.
$r = ws_http_get($w->port, '/hello?head', 'HEAD');
echo $r['status'], ' ', $r['headers']['content-length'], ' [', $r['body'], "]\n";
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
200 text/html phpt 13 hello name=x
REQUEST GET /hello?name=x /hello [name=x] {"c":"\u00e9"} yes []
SUBPROTOCOL WebSocket\Request::setSubprotocol() can only be used in a "handshake" handler
204 []
REQUEST DELETE /empty /empty [] [] - []
599 custom
INVALID WebSocket\Request::respond(): Argument #1 ($status) must be between 200 and 599
INVALID WebSocket\Request::respond(): Argument #1 ($status) must be between 200 and 599
INVALID WebSocket\Request::respond(): Argument #3 ($headers) must not set "Content-Length": the server sets it
INVALID WebSocket\Request::respond(): Argument #3 ($headers) must not set "connection": the server sets it
INVALID WebSocket\Request::respond(): Argument #3 ($headers) header "X-Split" must not contain control characters (CR, LF, NUL)
INVALID WebSocket\Request::respond(): Argument #3 ($headers) must map header names (tokens) to values
INVALID WebSocket\Request::respond(): Argument #3 ($headers) must map header names (tokens) to values
404 not found
200 11 []
int(0)
REQUEST GET /nothing /nothing [] [] - []
SUBPROTOCOL WebSocket\Request::setSubprotocol() can only be used in a "handshake" handler
REQUEST HEAD /hello?head /hello [head] [] - []
SUBPROTOCOL WebSocket\Request::setSubprotocol() can only be used in a "handshake" handler
