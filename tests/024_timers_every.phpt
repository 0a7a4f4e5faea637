--TEST--
Server::every() repeats until clearTimer(), also from inside its own callback; clearTimer() ignores unknown ids
--EXTENSIONS--
websocket
--FILE--
<?php
$server = new WebSocket\Server('127.0.0.1', 0);
$self = 0;
$other = 0;
$selfId = 0;
$selfId = $server->every(2, function () use (&$self, &$selfId, $server) {
    if (++$self === 3) {
        $server->clearTimer($selfId);
        // Clearing it again, or ids that never existed, does nothing.
        $server->clearTimer($selfId);
    }
});
$otherId = $server->every(2, function () use (&$other) { $other++; });
// Stops the other timer once the first one has stopped itself.
$watch = $server->every(5, function () use (&$self, &$watch, $otherId, $server) {
    if ($self >= 3) {
        $server->clearTimer($otherId);
        $server->clearTimer($watch);
        // Long enough for several more periods of both cleared timers.
        $server->after(40, fn () => $server->stop());
    }
});
foreach ([0, -1, PHP_INT_MAX, 123456] as $unknown) {
    $server->clearTimer($unknown);
}
$server->run();
var_dump($self);
var_dump($other >= 3);
$frozen = $other;
$server->after(20, fn () => $server->stop());
$server->run();
var_dump($other === $frozen, $self);
--EXPECT--
int(3)
bool(true)
bool(true)
int(3)
