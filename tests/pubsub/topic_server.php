<?php
/*
 * Pub/sub test server driven by text commands, for tests/pubsub/*.sh.
 *
 *   php -d extension=websocket.so tests/pubsub/topic_server.php [JSON-OPTIONS]
 *
 * Binds 127.0.0.1:0 and prints "PORT=<n>".  Commands (text messages) and
 * their replies to the sender:
 *   id                    -> "id:<connection id>"
 *   sub:<topic>           -> "subscribed:<topic>:<1 if newly subscribed, else 0>"
 *   unsub:<topic>         -> "unsubscribed:<topic>:<1 if it was subscribed, else 0>"
 *   pub:<topic>:<data>    -> publish(topic, data) to every subscriber, then "published:<recipients>"
 *   pubx:<topic>:<data>   -> the same with except = the sender
 *   count:<topic>         -> "count:<topic>:<subscribers(topic)>"
 *   topics                -> "topics:" . JSON of the sender's topics()
 *   alltopics             -> "alltopics:" . JSON of the server's topics()
 *   sync                  -> "synced" (everything queued before it was sent first)
 * A \ValueError or \TypeError thrown by a command is answered with
 * "error:<class>:<message>".  Binary messages "<topic>\n<data>" publish <data>
 * as binary to <topic> (no reply).
 *
 * Every close is published to the topic "monitor" as
 * "closed:<id>:<code>:<reason>" and logged on stdout as "CLOSE <id> <code> <reason>";
 * "STOPPED" is printed when run() returns.
 */
$options = isset($argv[1]) ? json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR) : [];
$server = new WebSocket\Server('127.0.0.1', 0, $options);

$server->on('message', function (WebSocket\Connection $c, string $data, bool $binary) use ($server) {
    if ($binary) {
        [$topic, $payload] = explode("\n", $data, 2) + [1 => ''];
        $server->publish($topic, $payload, true);
        return;
    }
    [$cmd, $topic, $payload] = explode(':', $data, 3) + [1 => '', 2 => ''];
    try {
        $reply = match ($cmd) {
            'id' => "id:{$c->id}",
            'sub' => "subscribed:$topic:" . (int) $c->subscribe($topic),
            'unsub' => "unsubscribed:$topic:" . (int) $c->unsubscribe($topic),
            'pub' => 'published:' . $server->publish($topic, $payload),
            'pubx' => 'published:' . $server->publish($topic, $payload, false, $c),
            'count' => "count:$topic:" . $server->subscribers($topic),
            'topics' => 'topics:' . json_encode($c->topics()),
            'alltopics' => 'alltopics:' . json_encode((object) $server->topics()),
            'sync' => 'synced',
        };
    } catch (\ValueError | \TypeError $e) {
        $reply = 'error:' . get_class($e) . ':' . $e->getMessage();
    }
    $c->send($reply);
});

$server->on('close', function (WebSocket\Connection $c, int $code, string $reason) use ($server) {
    echo "CLOSE {$c->id} $code $reason\n";
    $server->publish('monitor', "closed:{$c->id}:$code:$reason");
});

echo "PORT=", $server->getPort(), "\n";
$server->run();
echo "STOPPED\n";
