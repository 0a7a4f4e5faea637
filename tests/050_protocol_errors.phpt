--TEST--
Protocol errors: malformed frames close the connection with 1002 or 1007, and the close event reports the same code
--EXTENSIONS--
websocket
--FILE--
<?php
require __DIR__ . '/ws_client.inc';
require __DIR__ . '/server_worker.inc';
$w = new ServerWorker(<<<'PHP'
$server = new WebSocket\Server('127.0.0.1', 0);
$server->on('message', fn ($c, $d, $b) => out('MESSAGE', $c->path, bin2hex($d)));
$server->on('close', fn ($c, $code, $reason) => out('CLOSE', $c->path, $code, $reason));
ready($server);
$server->run();
PHP);
$F = fn (int $op, string $payload, bool $fin = true, int $rsv = 0, bool $mask = true) => WsClient::frame($op, $payload, $fin, $rsv, $mask);
$cases = [
    'unmasked' => $F(WsClient::TEXT, 'hi', true, 0, false),
    'bad-utf8' => $F(WsClient::TEXT, "ok \xC3\x28"),
    'overlong-utf8' => $F(WsClient::TEXT, "\xC0\xAF"),
    'surrogate-utf8' => $F(WsClient::TEXT, "\xED\xA0\x80"),
    'truncated-utf8' => $F(WsClient::TEXT, "a\xE2\x82", false) . $F(WsClient::CONT, 'b'),
    'close-code-999' => $F(WsClient::CLOSE, pack('n', 999)),
    'close-code-1005' => $F(WsClient::CLOSE, pack('n', 1005)),
    'close-code-1006' => $F(WsClient::CLOSE, pack('n', 1006)),
    'close-code-2000' => $F(WsClient::CLOSE, pack('n', 2000)),
    'close-1-byte' => $F(WsClient::CLOSE, "\x03"),
    'close-bad-reason' => $F(WsClient::CLOSE, pack('n', 1000) . "\xFF"),
    'ping-no-fin' => $F(WsClient::PING, 'x', false),
    'ping-126-bytes' => $F(WsClient::PING, str_repeat('p', 126)),
    'opcode-3' => $F(3, 'x'),
    'opcode-11' => $F(11, ''),
    'rsv1' => $F(WsClient::TEXT, 'x', true, 4),
    'rsv2' => $F(WsClient::BINARY, 'x', true, 2),
    'rsv3' => $F(WsClient::TEXT, 'x', true, 1),
    'lone-continuation' => $F(WsClient::CONT, 'x'),
    'text-inside-fragmented' => $F(WsClient::TEXT, 'a', false) . $F(WsClient::TEXT, 'b'),
    'length-msb-set' => "\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x01abcd",
];
foreach ($cases as $name => $bytes) {
    $c = WsClient::connect($w->port, "/$name");
    $c->writeRaw($bytes);
    $reply = $c->expectClose();
    printf("%-24s client=%s  server=%s\n", $name, $reply ? implode(' ', $reply) : 'none', $w->waitFor('CLOSE'));
}
var_dump($w->stop());
// No message reached the handler.
echo $w->rest(), $w->stderr;
--EXPECT--
unmasked                 client=1002 client frame is not masked  server=CLOSE /unmasked 1002 client frame is not masked
bad-utf8                 client=1007 invalid UTF-8 in text  server=CLOSE /bad-utf8 1007 invalid UTF-8 in text
overlong-utf8            client=1007 invalid UTF-8 in text  server=CLOSE /overlong-utf8 1007 invalid UTF-8 in text
surrogate-utf8           client=1007 invalid UTF-8 in text  server=CLOSE /surrogate-utf8 1007 invalid UTF-8 in text
truncated-utf8           client=1007 invalid UTF-8 in text  server=CLOSE /truncated-utf8 1007 invalid UTF-8 in text
close-code-999           client=1002 invalid close code  server=CLOSE /close-code-999 1002 invalid close code
close-code-1005          client=1002 invalid close code  server=CLOSE /close-code-1005 1002 invalid close code
close-code-1006          client=1002 invalid close code  server=CLOSE /close-code-1006 1002 invalid close code
close-code-2000          client=1002 invalid close code  server=CLOSE /close-code-2000 1002 invalid close code
close-1-byte             client=1002 close frame with a 1-byte payload  server=CLOSE /close-1-byte 1002 close frame with a 1-byte payload
close-bad-reason         client=1007 invalid UTF-8 in text  server=CLOSE /close-bad-reason 1007 invalid UTF-8 in text
ping-no-fin              client=1002 fragmented control frame  server=CLOSE /ping-no-fin 1002 fragmented control frame
ping-126-bytes           client=1002 control frame payload longer than 125 bytes  server=CLOSE /ping-126-bytes 1002 control frame payload longer than 125 bytes
opcode-3                 client=1002 reserved opcode  server=CLOSE /opcode-3 1002 reserved opcode
opcode-11                client=1002 reserved opcode  server=CLOSE /opcode-11 1002 reserved opcode
rsv1                     client=1002 reserved bits set without a negotiated extension  server=CLOSE /rsv1 1002 reserved bits set without a negotiated extension
rsv2                     client=1002 reserved bits set without a negotiated extension  server=CLOSE /rsv2 1002 reserved bits set without a negotiated extension
rsv3                     client=1002 reserved bits set without a negotiated extension  server=CLOSE /rsv3 1002 reserved bits set without a negotiated extension
lone-continuation        client=1002 continuation frame without a message in progress  server=CLOSE /lone-continuation 1002 continuation frame without a message in progress
text-inside-fragmented   client=1002 new data frame inside a fragmented message  server=CLOSE /text-inside-fragmented 1002 new data frame inside a fragmented message
length-msb-set           client=1002 64-bit payload length with the most significant bit set  server=CLOSE /length-msb-set 1002 64-bit payload length with the most significant bit set
int(0)
