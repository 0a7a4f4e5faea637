--TEST--
HTTP: document_root serves files with their Content-Type, index.html, 404, 405 and rejects path traversal
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$base = sys_get_temp_dir() . '/ws-docroot-' . getmypid();
$root = "$base/root";
@mkdir("$root/sub/deeper", 0777, true);
file_put_contents("$root/index.html", "<h1>home</h1>\n");
file_put_contents("$root/app.js", "console.log(1);\n");
file_put_contents("$root/style.CSS", "body{}\n");
file_put_contents("$root/data.bin", "\x00\x01");
file_put_contents("$root/sub/index.html", "<p>sub</p>\n");
file_put_contents("$root/sub/deeper/a b.txt", "spaced\n");
file_put_contents("$base/secret.txt", "top secret\n");
@symlink("$base/secret.txt", "$root/link.txt");

$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['document_root' => $argv[1]]);
ready($server);
$server->run();
PHP, [$root]);
$paths = ['/', '/index.html', '/app.js', '/style.CSS', '/data.bin', '/sub/', '/sub', '/sub/deeper/a%20b.txt',
          '/missing.html', '/sub/deeper/', '/../secret.txt', '/sub/../../secret.txt', '/%2e%2e/secret.txt',
          '/%2E%2E%2Fsecret.txt', '/sub/%2e%2e/index.html', '/./index.html', '/link.txt', '/%zz', '/a%00b', '/a%5c..%5csecret.txt',
          '/index.html?x=1'];
foreach ($paths as $path) {
    $r = ws_http_get($w->port, $path);
    printf("%-24s %d %-26s %s\n", $path, $r['status'], $r['headers']['content-type'] ?? '-', json_encode($r['body']));
}
// Other methods are refused; HEAD has the headers only.
$r = ws_http_get($w->port, '/index.html', 'POST');
echo $r['status'], ' ', $r['headers']['allow'] ?? '-', "\n";
$r = ws_http_get($w->port, '/index.html', 'HEAD');
echo $r['status'], ' ', $r['headers']['content-length'], ' ', json_encode($r['body']), "\n";
// A target that is not origin-form.
$r = ws_http_exchange($w->port, "GET http://127.0.0.1/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
echo $r['status'], "\n";
var_dump($w->stop());
echo $w->rest(), $w->stderr;
@unlink("$root/link.txt");
foreach (["$root/sub/deeper/a b.txt", "$root/sub/index.html", "$root/index.html", "$root/app.js", "$root/style.CSS",
          "$root/data.bin", "$base/secret.txt"] as $f) {
    @unlink($f);
}
@rmdir("$root/sub/deeper");
@rmdir("$root/sub");
@rmdir($root);
@rmdir($base);
--EXPECT--
/                        200 text/html; charset=utf-8   "<h1>home<\/h1>\n"
/index.html              200 text/html; charset=utf-8   "<h1>home<\/h1>\n"
/app.js                  200 text/javascript; charset=utf-8 "console.log(1);\n"
/style.CSS               200 text/css; charset=utf-8    "body{}\n"
/data.bin                200 application/octet-stream   "\u0000\u0001"
/sub/                    200 text/html; charset=utf-8   "<p>sub<\/p>\n"
/sub                     200 text/html; charset=utf-8   "<p>sub<\/p>\n"
/sub/deeper/a%20b.txt    200 text/plain; charset=utf-8  "spaced\n"
/missing.html            404 text/plain; charset=utf-8  "not found\n"
/sub/deeper/             404 text/plain; charset=utf-8  "not found\n"
/../secret.txt           404 text/plain; charset=utf-8  "not found\n"
/sub/../../secret.txt    404 text/plain; charset=utf-8  "not found\n"
/%2e%2e/secret.txt       404 text/plain; charset=utf-8  "not found\n"
/%2E%2E%2Fsecret.txt     404 text/plain; charset=utf-8  "not found\n"
/sub/%2e%2e/index.html   404 text/plain; charset=utf-8  "not found\n"
/./index.html            404 text/plain; charset=utf-8  "not found\n"
/link.txt                404 text/plain; charset=utf-8  "not found\n"
/%zz                     400 text/plain; charset=utf-8  "bad path\n"
/a%00b                   400 text/plain; charset=utf-8  "bad path\n"
/a%5c..%5csecret.txt     400 text/plain; charset=utf-8  "bad path\n"
/index.html?x=1          200 text/html; charset=utf-8   "<h1>home<\/h1>\n"
405 GET, HEAD
200 14 ""
200
int(0)
