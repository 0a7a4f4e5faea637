<?php
/*
 * bench/peers/workerman-peer.php MODE PORT WORKERMAN_DIR - the Workerman peer of
 * examples/echo.php (MODE echo) and examples/pubsub.php (MODE pubsub), for
 * bench/run.sh.
 *
 *   php [-d extension=/path/to/event.so] bench/peers/workerman-peer.php echo|pubsub PORT /path/to/workerman
 *
 * One worker process (count = 1; Workerman always keeps a master process
 * beside it, which only supervises: bench/run.sh measures the worker), plain
 * ws:// on 127.0.0.1, no compression (Workerman's websocket protocol has
 * permessage-deflate only when asked for). With the pecl "event" extension
 * loaded Workerman uses its libevent loop; without it, select(), which cannot
 * watch more than 1,024 descriptors.
 *
 * echo: every message goes back to its sender. pubsub: every message goes to
 * every connection, the sender included, by looping over the worker's
 * connections (Workerman has no topics; this is how its manual broadcasts).
 * Workerman's onMessage does not say whether a frame was text or binary: the
 * load generator sends binary frames only, so every connection answers in
 * binary.
 *
 * WORKERMAN_DIR is Workerman 5.x: either a project where composer installed it
 * (WORKERMAN_DIR/vendor/autoload.php is used), or a checkout of Workerman
 * itself. Workerman 5 needs the workerman/coroutine package even without
 * coroutines (Worker::run() calls Coroutine\Context::destroy()): for a bare
 * checkout, give a checkout of it as COROUTINE_DIR (or have it in
 * WORKERMAN_DIR/vendor/workerman/coroutine); a small autoloader then stands in
 * for composer's.
 */
declare(strict_types=1);

use Workerman\Connection\TcpConnection;
use Workerman\Protocols\Websocket;
use Workerman\Worker;

[$mode, $port, $dir, $coroutineDir] = array_slice($argv, 1) + [null, null, null, null];
if (!in_array($mode, ['echo', 'pubsub'], true) || (int) $port <= 0 || !is_dir((string) $dir)) {
    fwrite(STDERR, "usage: php bench/peers/workerman-peer.php echo|pubsub PORT WORKERMAN_DIR [COROUTINE_DIR]\n");
    exit(2);
}
$port = (int) $port;

if (is_file("$dir/vendor/autoload.php")) {
    require "$dir/vendor/autoload.php";
} else {
    $coroutineDir = $coroutineDir ?: "$dir/vendor/workerman/coroutine";
    // PSR-4, as the two packages' composer.json say: Workerman\ in Workerman's
    // src/, Workerman\Coroutine\ (and the class Workerman\Coroutine) in the
    // coroutine package's src/.
    spl_autoload_register(static function (string $class) use ($dir, $coroutineDir): void {
        $rel = str_replace('\\', '/', substr($class, strlen('Workerman\\')));
        if (!str_starts_with($class, 'Workerman\\')) {
            return;
        }
        $candidates = str_starts_with($class, 'Workerman\\Coroutine')
            ? ["$coroutineDir/src/" . preg_replace('~^Coroutine/~', '', $rel) . '.php', "$coroutineDir/src/$rel.php"]
            : ["$dir/src/$rel.php"];
        foreach ($candidates as $file) {
            if (is_file($file)) {
                require $file;
                return;
            }
        }
    });
}
if (!class_exists(Worker::class)) {
    fwrite(STDERR, "workerman-peer: no Workerman in $dir\n");
    exit(2);
}
if (!class_exists(Workerman\Coroutine\Context::class)) {
    fwrite(STDERR, "workerman-peer: Workerman needs workerman/coroutine: give its checkout as COROUTINE_DIR\n");
    exit(2);
}

// Workerman reads its command from $argv: start in the foreground, quietly.
$argv = [$argv[0], 'start', '-q'];
$state = sys_get_temp_dir() . "/workerman-peer-$port";
Worker::$pidFile = "$state.pid";
Worker::$statusFile = "$state.status";
Worker::$logFile = "$state.log";
// The same room as the other peers: messages and queues up to 16 MiB.
TcpConnection::$defaultMaxPackageSize = 16 * 1024 * 1024;
TcpConnection::$defaultMaxSendBufferSize = 16 * 1024 * 1024;

$worker = new Worker("websocket://127.0.0.1:$port");
$worker->count = 1;
$worker->name = "workerman-peer-$mode";

$worker->onWebSocketConnect = static function (TcpConnection $conn): void {
    $conn->websocketType = Websocket::BINARY_TYPE_ARRAYBUFFER;
};

if ($mode === 'echo') {
    $worker->onMessage = static function (TcpConnection $conn, string $data): void {
        $conn->send($data);
    };
} else {
    $worker->onMessage = static function (TcpConnection $conn, string $data) use ($worker): void {
        foreach ($worker->connections as $c) {
            $c->send($data);
        }
    };
}

$worker->onWorkerStart = static function () use ($mode, $port): void {
    fprintf(STDERR, "workerman-peer %s (Workerman %s, %s) listening on ws://127.0.0.1:%d\n",
        $mode, Worker::VERSION, (new ReflectionClass(Worker::getEventLoop()))->getShortName(), $port);
};

Worker::runAll();
