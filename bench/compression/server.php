<?php
// Echo server for bench/compression: "stats" on the path /stats answers with
// the byte counters (and resets the baseline), every other message is echoed.
$server = new WebSocket\Server('127.0.0.1', (int) ($argv[1] ?? 0), ['max_connections' => 0]);
$base = ['bytes_in' => 0, 'bytes_out' => 0];
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) use ($server, &$base) {
    if ($c->path === '/stats') {
        $st = $server->stats();
        $c->send(json_encode(['bytes_in' => $st['bytes_in'] - $base['bytes_in'], 'bytes_out' => $st['bytes_out'] - $base['bytes_out']]));
        $base = ['bytes_in' => $st['bytes_in'], 'bytes_out' => $st['bytes_out']];
        return;
    }
    $c->send($data, $binary);
});
echo "PORT=", $server->getPort(), "\n";
$server->run();
