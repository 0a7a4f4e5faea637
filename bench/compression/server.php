<?php
// Echo server for bench/compression: "stats" on the path /stats answers with
// the byte counters (and resets the baseline), every other message is echoed.
//   php server.php PORT [JSON-OPTIONS]   (options merged over max_connections => 0)
$options = ['max_connections' => 0] + (isset($argv[2]) ? json_decode($argv[2], true, 512, JSON_THROW_ON_ERROR) : []);
$server = new WebSocket\Server('127.0.0.1', (int) ($argv[1] ?? 0), $options);
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
