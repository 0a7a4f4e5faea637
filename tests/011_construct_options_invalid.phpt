--TEST--
Server::__construct(): every option rejects a bad type and a bad value with a ValueError naming it
--EXTENSIONS--
websocket
--FILE--
<?php
$file = __FILE__;
$cases = [
    ['max_message_size', 'big'], ['max_message_size', 0], ['max_message_size', -5],
    ['max_frame_size', 1.5], ['max_frame_size', -1],
    ['max_header_size', null], ['max_header_size', 255], ['max_header_size', 1048577],
    ['handshake_timeout', '10'], ['handshake_timeout', 0], ['handshake_timeout', -1], ['handshake_timeout', NAN], ['handshake_timeout', 4000000.5],
    ['idle_timeout', true], ['idle_timeout', -0.5], ['idle_timeout', INF],
    ['ping_interval', []], ['ping_interval', -1],
    ['pong_timeout', 'x'], ['pong_timeout', 0],
    ['close_timeout', null], ['close_timeout', 0.0],
    ['shutdown_timeout', false], ['shutdown_timeout', -0.001],
    ['max_connections', '10'], ['max_connections', -1],
    ['max_connections_per_ip', 1.0], ['max_connections_per_ip', -1],
    ['max_buffered_amount', '1M'], ['max_buffered_amount', 1023],
    ['low_water_mark', null], ['low_water_mark', -1],
    ['backpressure', 1], ['backpressure', 'block'], ['backpressure', 'CLOSE'],
    ['max_memory', 1.5], ['max_memory', -1],
    ['backlog', '5'], ['backlog', 0], ['backlog', 65536],
    ['subprotocols', 'chat'], ['subprotocols', ['chat', 'two words']], ['subprotocols', ['']], ['subprotocols', [7]], ['subprotocols', ['a,b']],
    ['allowed_origins', 'https://a.example'], ['allowed_origins', ["https://a.example\r\nX: y"]], ['allowed_origins', ['']],
    ['document_root', 5], ['document_root', __DIR__ . '/no/such/dir'], ['document_root', $file], ['document_root', ''],
];
foreach ($cases as [$name, $value]) {
    try {
        new WebSocket\Server('127.0.0.1', 0, [$name => $value]);
        echo "$name: accepted\n";
    } catch (ValueError $e) {
        echo str_replace([__DIR__, 'WebSocket\Server::__construct(): Argument #3 ($options) '], ['DIR', ''], $e->getMessage()), "\n";
    }
}
--EXPECT--
option "max_message_size" must be of type int, string given
option "max_message_size" must be between 1 and 9223372036854775807
option "max_message_size" must be between 1 and 9223372036854775807
option "max_frame_size" must be of type int, float given
option "max_frame_size" must be between 0 and 9223372036854775807
option "max_header_size" must be of type int, null given
option "max_header_size" must be between 256 and 1048576
option "max_header_size" must be between 256 and 1048576
option "handshake_timeout" must be a number of seconds (int or float), string given
option "handshake_timeout" must be at least 0.001 seconds
option "handshake_timeout" must be between 0 and 4000000 seconds
option "handshake_timeout" must be between 0 and 4000000 seconds
option "handshake_timeout" must be between 0 and 4000000 seconds
option "idle_timeout" must be a number of seconds (int or float), bool given
option "idle_timeout" must be between 0 and 4000000 seconds
option "idle_timeout" must be between 0 and 4000000 seconds
option "ping_interval" must be a number of seconds (int or float), array given
option "ping_interval" must be between 0 and 4000000 seconds
option "pong_timeout" must be a number of seconds (int or float), string given
option "pong_timeout" must be at least 0.001 seconds
option "close_timeout" must be a number of seconds (int or float), null given
option "close_timeout" must be at least 0.001 seconds
option "shutdown_timeout" must be a number of seconds (int or float), bool given
option "shutdown_timeout" must be between 0 and 4000000 seconds
option "max_connections" must be of type int, string given
option "max_connections" must be between 0 and 9223372036854775807
option "max_connections_per_ip" must be of type int, float given
option "max_connections_per_ip" must be between 0 and 9223372036854775807
option "max_buffered_amount" must be of type int, string given
option "max_buffered_amount" must be between 1024 and 9223372036854775807
option "low_water_mark" must be of type int, null given
option "low_water_mark" must be between 0 and 9223372036854775807
option "backpressure" must be "close" or "drop"
option "backpressure" must be "close" or "drop"
option "backpressure" must be "close" or "drop"
option "max_memory" must be of type int, float given
option "max_memory" must be between 0 and 9223372036854775807
option "backlog" must be of type int, string given
option "backlog" must be between 1 and 65535
option "backlog" must be between 1 and 65535
option "subprotocols" must be a list of strings, string given
option "subprotocols" must contain only non-empty token strings (RFC 7230)
option "subprotocols" must contain only non-empty token strings (RFC 7230)
option "subprotocols" must contain only non-empty token strings (RFC 7230)
option "subprotocols" must contain only non-empty token strings (RFC 7230)
option "allowed_origins" must be a list of strings, string given
option "allowed_origins" must contain only non-empty strings without control characters
option "allowed_origins" must contain only non-empty strings without control characters
option "document_root" must be a directory path or null, int given
option "document_root" must be an existing directory, "DIR/no/such/dir" is not
option "document_root" must be an existing directory, "DIR/011_construct_options_invalid.php" is not
option "document_root" must be an existing directory, "" is not
