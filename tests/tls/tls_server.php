<?php
/*
 * The server of the TLS tests.
 *
 *   php -d extension=websocket.so tests/tls/tls_server.php OPTIONS-JSON [LISTENERS-JSON]
 *
 * Binds 127.0.0.1:0 with the constructor OPTIONS (tls_* and any other
 * option), then adds one listener on 127.0.0.1:0 per element of the
 * LISTENERS list (each an object of tls_* options; {} is a ws:// listener).
 * Prints "PORT<i>=<n>" for every listener i >= 1, then "PORT=<n>" for the
 * first one (tests/lib/server.sh waits for that line).
 *
 * Logs "OPEN <id> <path>", "CLOSE <id> <code> <reason>" and "STOPPED".
 * Messages:
 *   "broadcast:<text>" broadcasts <text> to every connection and answers
 *                      "sent:<n>" to the sender (n = recipients);
 *   "reload"           calls reloadTls() and answers "reloaded", or
 *                      "reload-failed:<class>:<message>";
 *   "count"            answers "count:<open connections>";
 *   anything else is echoed with its type.
 */
$options = json_decode($argv[1] ?? '{}', true, 512, JSON_THROW_ON_ERROR);
$listeners = json_decode($argv[2] ?? '[]', true, 512, JSON_THROW_ON_ERROR);

$server = new WebSocket\Server('127.0.0.1', 0, $options);
foreach ($listeners as $l) {
    $server->listen('127.0.0.1', 0, $l);
}

$server->on('open', function (WebSocket\Connection $c, WebSocket\Request $r) {
    echo "OPEN {$c->id} {$c->path}\n";
    // What the Request says about the TLS layer (asserted by 07_versions_client_certs.sh).
    echo "TLS {$c->id} secure=", var_export($r->secure, true), " subject=", $r->clientSubject ?? '-', "\n";
});
$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) use ($server) {
    if (!$binary && str_starts_with($data, 'broadcast:')) {
        $n = $server->broadcast(substr($data, 10));
        $c->send("sent:$n");
        return;
    }
    if (!$binary && $data === 'reload') {
        try {
            $server->reloadTls();
            $c->send('reloaded');
        } catch (Throwable $e) {
            $c->send('reload-failed:' . get_class($e) . ':' . $e->getMessage());
        }
        return;
    }
    if (!$binary && $data === 'count') {
        $c->send('count:' . count($server));
        return;
    }
    $c->send($data, $binary);
});
$server->on('close', function (WebSocket\Connection $c, int $code, string $reason) {
    echo "CLOSE {$c->id} $code $reason\n";
});

for ($i = 1; $i <= count($listeners); $i++) {
    echo "PORT$i=", $server->getPort($i), "\n";
}
echo "PORT=", $server->getPort(), "\n";
$server->run();
echo "STOPPED\n";
