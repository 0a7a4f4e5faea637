--TEST--
Server: binds the IPv6 loopback ::1 and reports "[::1]:port" addresses
--EXTENSIONS--
websocket
--SKIPIF--
<?php
$s = @stream_socket_server('tcp://[::1]:0', $errno, $errstr);
if ($s === false) {
    die("skip IPv6 loopback ::1 is not available: $errstr");
}
?>
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
$server = new WebSocket\Server('::1', 0, ['shutdown_timeout' => 0.05]);
$port = $server->getPort();
var_dump($port > 0);
$client = WsClient::pending($port, '/v6', [], '::1');
$server->on('open', function (WebSocket\Connection $conn, WebSocket\Request $req) use ($server, $port) {
    $local = stream_socket_get_name($GLOBALS['client']->socket(), false);
    var_dump($conn->remoteAddress === $local, $req->remoteAddress === $local);
    var_dump($req->header('Host') === "[::1]:$port");
    echo $conn->path, "\n";
    $server->stop();
});
$server->run();
$client->finishHandshake();
echo $client->recv(), "\n";
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
/v6
close:1001:server shutting down
