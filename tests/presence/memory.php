<?php
/*
 * tests/presence/40-memory.sh: 100,000 publications of 1 KiB on a topic that
 * keeps 1,000 messages, and on one that keeps 10 seconds' worth of at most
 * 100,000.  Prints the RSS before and after, in KiB, and what the histories hold.
 */
function rss(): int
{
    preg_match('/^VmRSS:\s+(\d+)/m', file_get_contents('/proc/self/status'), $m);
    return (int) $m[1];
}
$server = new WebSocket\Server('127.0.0.1', 0, ['history' => ['size' => 1000, 'topics' => ['aged' => ['size' => 100000, 'ttl' => 1]]]]);
$payload = str_repeat('x', 1024);
for ($i = 0; $i < 2000; $i++) { // warm up: the ring and the allocator reach their steady size
    $server->publish('bounded', $payload, id: "w$i");
}
$before = rss();
for ($i = 1; $i <= 100000; $i++) {
    $server->publish('bounded', $payload, id: "m$i");
}
$after = rss();
$h = $server->history('bounded');
echo "RSS_BEFORE $before\nRSS_AFTER $after\nKEPT ", count($h), " FIRST {$h[0]['id']} LAST {$h[count($h) - 1]['id']}\n";
// The age bound: what is older than the ttl goes.
for ($i = 1; $i <= 3000; $i++) {
    $server->publish('aged', $payload, id: "a$i");
}
echo "AGED_NOW ", count($server->history('aged')), "\n";
$t = microtime(true);
while (count($server->history('aged')) > 0 && microtime(true) - $t < 5) {
    usleep(100000);
}
echo "AGED_LATER ", count($server->history('aged')), " after ", microtime(true) - $t >= 0.9 ? 'the ttl' : 'too soon', "\n";
echo "STATS ", json_encode($server->stats(true)['history_entries'] ?? null), "\n";
