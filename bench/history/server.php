<?php
/*
 * bench/history/run.sh's server: one process, options from argv[1] (JSON).
 * Prints "PORT=<n>" and "READY" once it serves (with the broker: once
 * Redis's histories are loaded, which is when it accepts).  Commands:
 *   sub                 subscribe to "feed"; reply "subscribed"
 *   burst:<from>:<n>    publish n messages "m:<k>" (ids <k>) to "feed", in one
 *                       handler call; reply "sent"
 *   resume:<since>      Connection::resume("feed", since); reply "resumed:<n>"
 */
$options = json_decode($argv[1] ?? '{}', true, 512, JSON_THROW_ON_ERROR);
$server = new WebSocket\Server('127.0.0.1', 0, $options + ['max_buffered_amount' => 64 << 20]);
$server->on('message', function (WebSocket\Connection $c, string $d) use ($server) {
    $p = explode(':', $d);
    switch ($p[0]) {
        case 'sub':
            $c->subscribe('feed');
            $c->send('subscribed');
            break;
        case 'burst':
            for ($k = (int) $p[1], $end = $k + (int) $p[2]; $k < $end; $k++) {
                $server->publish('feed', "m:$k", id: (string) $k);
            }
            $c->send('sent');
            break;
        case 'resume':
            $c->send('resumed:' . ($c->resume('feed', $p[1]) ?? 'gap'));
            break;
    }
});
fwrite(STDOUT, 'PORT=' . $server->getPort() . "\n");
$server->run();
