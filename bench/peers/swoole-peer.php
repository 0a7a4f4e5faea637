<?php
/*
 * bench/peers/swoole-peer.php MODE PORT - the Swoole peer of examples/echo.php
 * (MODE echo) and examples/pubsub.php (MODE pubsub), for bench/run.sh.
 *
 *   php -d extension=/path/to/swoole.so bench/peers/swoole-peer.php echo|pubsub PORT
 *
 * Swoole\WebSocket\Server in SWOOLE_BASE mode with one worker and no task
 * workers, so that one process does everything (no manager or reactor
 * threads beside it), plain ws:// on 127.0.0.1, permessage-deflate off.
 * Messages and output buffers up to 16 MiB, as the Node ws peer allows.
 * Everything else is Swoole's default (coroutines included).
 *
 * echo: every frame goes back to its sender with its opcode. pubsub: every
 * message goes to every established connection, the sender included, by
 * looping over $server->connections (Swoole has no topics; this is how its
 * manual broadcasts).
 */
declare(strict_types=1);

use Swoole\WebSocket\Frame;
use Swoole\WebSocket\Server;

[$mode, $port] = array_slice($argv, 1) + [null, null];
if (!in_array($mode, ['echo', 'pubsub'], true) || (int) $port <= 0) {
    fwrite(STDERR, "usage: php -d extension=swoole.so bench/peers/swoole-peer.php echo|pubsub PORT\n");
    exit(2);
}
if (!extension_loaded('swoole')) {
    fwrite(STDERR, "swoole-peer: the swoole extension is not loaded\n");
    exit(2);
}
$port = (int) $port;

$server = new Server('127.0.0.1', $port, SWOOLE_BASE);
$server->set([
    'worker_num' => 1,
    'task_worker_num' => 0,
    'websocket_compression' => false,
    'package_max_length' => 16 * 1024 * 1024,
    'buffer_output_size' => 16 * 1024 * 1024,
    'socket_buffer_size' => 16 * 1024 * 1024,
    'log_level' => SWOOLE_LOG_WARNING,
]);

if ($mode === 'echo') {
    $server->on('message', static function (Server $server, Frame $frame): void {
        $server->push($frame->fd, $frame->data, $frame->opcode);
    });
} else {
    $server->on('message', static function (Server $server, Frame $frame): void {
        foreach ($server->connections as $fd) {
            if ($server->isEstablished($fd)) {
                $server->push($fd, $frame->data, $frame->opcode);
            }
        }
    });
}

$server->on('workerStart', static function () use ($mode, $port): void {
    fprintf(STDERR, "swoole-peer %s (Swoole %s, SWOOLE_BASE, pid %d) listening on ws://127.0.0.1:%d\n",
        $mode, SWOOLE_VERSION, getmypid(), $port);
});

$server->start();
