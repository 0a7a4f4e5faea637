--TEST--
Metrics endpoint: known traffic read back from /metrics (both formats) and from stats(true); a scrape never reaches the request handler
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0, ['metrics' => '/metrics', 'allowed_origins' => ['https://ok.example']]);
$server->on('message', function (WebSocket\Connection $c, string $d, bool $binary) use ($server) {
    if ($d === 'stats') {
        out('STATS', json_encode($server->stats(true)));
        return;
    }
    $c->send($d, $binary);
});
$server->on('request', fn (WebSocket\Request $r) => out('REQUEST', $r->path));
ready($server);
$server->run();
PHP);

/* name{labels} => value for every sample line */
function samples(string $body): array
{
    $out = [];
    foreach (explode("\n", $body) as $line) {
        if ($line !== '' && $line[0] !== '#') {
            [$k, $v] = explode(' ', $line, 2);
            $out[$k] = $v;
        }
    }
    return $out;
}

$a = WsClient::connect($w->port, '/a');
$a->sendText('hello');
$a->recv();
$a->sendBinary('12345678');
$a->recv();
$a->writeFrame(WsClient::PING, 'p');
var_dump($a->readFrame()[0] === WsClient::PONG);
$b = WsClient::connect($w->port, '/b');
$b->close(1000);
try {
    WsClient::connect($w->port, '/', ['Origin' => 'https://evil.example']);
} catch (WsHandshakeFailed $e) {
    echo $e->response['status'], "\n";
}
ws_http_get($w->port, '/other');
echo $w->waitFor('REQUEST'), "\n";

$r = ws_http_get($w->port, '/metrics');
echo $r['status'], ' ', $r['headers']['content-type'], "\n";
$m = samples($r['body']);
foreach (['websocket_connections_accepted_total', 'websocket_connections_opened_total',
          'websocket_handshakes_refused_total{status="403"}', 'websocket_closes_total{side="peer",code="1000"}',
          'websocket_messages_received_total{type="text"}', 'websocket_messages_received_total{type="binary"}',
          'websocket_messages_sent_total{type="binary"}', 'websocket_received_bytes_total{type="text"}',
          'websocket_received_bytes_total{type="binary"}', 'websocket_pings_received_total', 'websocket_pongs_sent_total',
          'websocket_open_connections', 'websocket_handler_duration_seconds_count{event="open"}',
          'websocket_handshake_duration_seconds_count'] as $k) {
    echo $k, ' ', $m[$k] ?? 'missing', "\n";
}

$r = ws_http_get($w->port, '/metrics', 'GET', ['Accept' => 'application/openmetrics-text; version=1.0.0']);
echo $r['status'], ' ', $r['headers']['content-type'], ' ', json_encode(substr($r['body'], -6)), "\n";
$m = samples($r['body']);
echo $m['websocket_metrics_scrapes_total{result="text"}'], ' ', $m['websocket_metrics_scrapes_total{result="openmetrics"}'], "\n";
$r = ws_http_get($w->port, '/metrics', 'HEAD');
echo $r['status'], ' ', strlen($r['body']), "\n";

$a->sendText('stats');
$s = json_decode(substr($w->waitFor('STATS'), 6), true);
var_dump($s['opened'], $s['handshakes_refused'], $s['closes_by_side'], $s['metrics_scrapes_text'] + $s['metrics_scrapes_openmetrics'],
    $s['messages_in_text'] + $s['messages_in_binary'] === $s['messages_in'], $s['pings_in'], $s['pongs_out'],
    $s['timings']['handshake']['count']);
$a->close();
var_dump($w->stop());
echo $w->rest(), $w->stderr;
--EXPECT--
bool(true)
403
REQUEST /other
200 text/plain; version=0.0.4; charset=utf-8
websocket_connections_accepted_total 5
websocket_connections_opened_total 2
websocket_handshakes_refused_total{status="403"} 1
websocket_closes_total{side="peer",code="1000"} 1
websocket_messages_received_total{type="text"} 1
websocket_messages_received_total{type="binary"} 1
websocket_messages_sent_total{type="binary"} 1
websocket_received_bytes_total{type="text"} 5
websocket_received_bytes_total{type="binary"} 8
websocket_pings_received_total 1
websocket_pongs_sent_total 1
websocket_open_connections 1
websocket_handler_duration_seconds_count{event="open"} 2
websocket_handshake_duration_seconds_count 2
200 application/openmetrics-text; version=1.0.0; charset=utf-8 "# EOF\n"
1 0
200 0
int(2)
array(1) {
  [403]=>
  int(1)
}
array(2) {
  ["peer"]=>
  array(1) {
    [1000]=>
    int(1)
  }
  ["server"]=>
  array(0) {
  }
}
int(3)
bool(true)
int(1)
int(1)
int(2)
int(0)
