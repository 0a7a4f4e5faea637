--TEST--
HTTP: requests the "request" handler leaves unanswered fall back to document_root, then 404
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$root = sys_get_temp_dir() . '/ws-fallback-' . getmypid();
@mkdir($root);
file_put_contents("$root/page.txt", "static page\n");
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['document_root' => $argv[1]]);
$server->on('request', function (WebSocket\Request $r) {
    out('REQUEST', $r->path);
    if (str_starts_with($r->path, '/api/')) {
        $r->respond(200, json_encode(['path' => $r->path]), ['Content-Type' => 'application/json']);
    }
});
$server->on('open', fn ($c) => out('OPEN', $c->path));
ready($server);
$server->run();
PHP, [$root]);
foreach (['/api/items', '/page.txt', '/nope.txt'] as $path) {
    $r = ws_http_get($w->port, $path);
    echo $path, ' ', $r['status'], ' ', $r['headers']['content-type'], ' ', $r['body'], "\n";
    echo $w->waitFor('REQUEST'), "\n";
}
// An upgrade request does not go through the request handler.
$c = WsClient::connect($w->port, '/page.txt');
echo $w->waitFor('OPEN'), "\n";
$c->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
unlink("$root/page.txt");
rmdir($root);
--EXPECT--
/api/items 200 application/json {"path":"\/api\/items"}
REQUEST /api/items
/page.txt 200 text/plain; charset=utf-8 static page

REQUEST /page.txt
/nope.txt 404 text/plain; charset=utf-8 not found

REQUEST /nope.txt
OPEN /page.txt
int(0)
