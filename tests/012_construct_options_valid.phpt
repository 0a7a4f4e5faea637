--TEST--
Server::__construct(): every option accepts valid values; low_water_mark and max_frame_size relations
--EXTENSIONS--
websocket
--FILE--
<?php
$all = [
    'max_message_size' => 1 << 20,
    'max_frame_size' => 65536,
    'max_header_size' => 256,
    'handshake_timeout' => 0.5,
    'idle_timeout' => 0,
    'ping_interval' => 0,
    'pong_timeout' => 1,
    'close_timeout' => 0.001,
    'shutdown_timeout' => 0,
    'max_connections' => 0,
    'max_connections_per_ip' => 3,
    'max_buffered_amount' => 1024,
    'low_water_mark' => 1024,
    'backpressure' => 'drop',
    'max_memory' => 0,
    'subprotocols' => ['chat', 'v2.json', 'x-custom_1'],
    'allowed_origins' => ['https://a.example', 'http://127.0.0.1:8000'],
    'document_root' => __DIR__,
    'backlog' => 1,
];
$s = new WebSocket\Server('127.0.0.1', 0, $all);
var_dump($s->getPort() > 0);
foreach ([['backpressure' => 'close'], ['document_root' => null], ['subprotocols' => []], ['allowed_origins' => []],
          ['max_frame_size' => 0], ['handshake_timeout' => 4000000], ['max_header_size' => 1048576]] as $opt) {
    new WebSocket\Server('127.0.0.1', 0, $opt);
}
echo "accepted\n";
function attempt(array $opts): void
{
    try {
        new WebSocket\Server('127.0.0.1', 0, $opts);
        echo "accepted\n";
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
attempt(['max_buffered_amount' => 2048, 'low_water_mark' => 2049]);
attempt(['max_buffered_amount' => 2048, 'low_water_mark' => 2048]);
// The default max_buffered_amount (4 MiB) bounds low_water_mark too.
attempt(['low_water_mark' => 4 * 1024 * 1024 + 1]);
attempt(['max_message_size' => 1000, 'max_frame_size' => 1001]);
attempt(['max_message_size' => 1000, 'max_frame_size' => 1000]);
attempt(['max_frame_size' => 16 * 1024 * 1024 + 1]);
--EXPECT--
bool(true)
accepted
WebSocket\Server::__construct(): Argument #3 ($options) option "low_water_mark" must not exceed "max_buffered_amount"
accepted
WebSocket\Server::__construct(): Argument #3 ($options) option "low_water_mark" must not exceed "max_buffered_amount"
WebSocket\Server::__construct(): Argument #3 ($options) option "max_frame_size" must not exceed "max_message_size"
accepted
WebSocket\Server::__construct(): Argument #3 ($options) option "max_frame_size" must not exceed "max_message_size"
