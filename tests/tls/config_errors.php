<?php
/*
 * Every bad TLS configuration, at construction and in listen():
 *
 *   php -d extension=websocket.so tests/tls/config_errors.php CERTS-DIR [CASE...]
 *
 * Each case must throw exactly the expected class with a message containing
 * every expected part (file name and OpenSSL's reason).  Prints one line per
 * case and exits 1 if any failed.  With CASE arguments, runs only those.
 */
$d = $argv[1];
$only = array_slice($argv, 2);
$ok = ['tls_cert' => "$d/server.pem", 'tls_key' => "$d/server.key"];
$E = WebSocket\Exception::class;
$V = ValueError::class;

// name => [options, expected class (null: no exception), message parts, listen() instead of the constructor]
$cases = [
    'missing-cert' => [['tls_cert' => "$d/missing.pem"] + $ok, $E,
        ["cannot load certificate $d/missing.pem", 'No such file or directory']],
    'missing-key' => [['tls_key' => "$d/missing.key"] + $ok, $E,
        ["cannot load private key $d/missing.key", 'No such file or directory']],
    'missing-ca' => [['tls_ca' => "$d/missing-ca.pem"] + $ok, $E,
        ["cannot load CA file $d/missing-ca.pem", 'No such file or directory']],
    'unreadable-key' => [['tls_key' => "$d/unreadable/server.key"] + $ok, $E,
        ["$d/unreadable/server.key", 'Permission denied']],
    'key-mismatch' => [['tls_key' => "$d/other.key"] + $ok, $E,
        ["$d/other.key", 'key values mismatch']],
    'key-as-cert' => [['tls_cert' => "$d/server.key"] + $ok, $E,
        ["cannot load certificate $d/server.key", 'no start line']],
    // OpenSSL 3 decodes keys through its decoder framework, which words this as
    // "unsupported (No supported data to decode...)" rather than 1.1's "no start line".
    'cert-as-key' => [['tls_key' => "$d/server.pem"] + $ok, $E,
        ["cannot load private key $d/server.pem", 'No supported data to decode']],
    'wrong-passphrase' => [['tls_key' => "$d/enc.key", 'tls_key_passphrase' => 'wrong'] + $ok, $E,
        ["cannot load private key $d/enc.key", 'bad decrypt']],
    'missing-passphrase' => [['tls_key' => "$d/enc.key"] + $ok, $E,
        ["cannot load private key $d/enc.key", 'bad decrypt']],
    'right-passphrase' => [['tls_key' => "$d/enc.key", 'tls_key_passphrase' => 'correct horse'] + $ok, null, []],
    'expired-cert-loads' => [['tls_cert' => "$d/expired.pem", 'tls_key' => "$d/expired.key"], null, []],
    'wrong-host-cert-loads' => [['tls_cert' => "$d/wronghost.pem", 'tls_key' => "$d/wronghost.key"], null, []],
    'bad-ciphers' => [['tls_ciphers' => 'NO-SUCH-CIPHER'] + $ok, $E,
        ['tls_ciphers', 'NO-SUCH-CIPHER', 'no cipher match']],
    'key-without-cert' => [['tls_key' => "$d/server.key"], $V,
        ['Argument #3 ($options)', '"tls_cert" and "tls_key" must be given together']],
    'cert-without-key' => [['tls_cert' => "$d/server.pem"], $V,
        ['"tls_cert" and "tls_key" must be given together']],
    'min-version-1.1' => [['tls_min_version' => '1.1'] + $ok, $V,
        ['option "tls_min_version" must be "1.2" or "1.3"']],
    'min-version-float' => [['tls_min_version' => 1.3] + $ok, $V,
        ['option "tls_min_version" must be "1.2" or "1.3"']],
    'verify-peer-without-ca' => [['tls_verify_peer' => true] + $ok, $V,
        ['option "tls_verify_peer" needs "tls_ca"']],
    'verify-peer-not-bool' => [['tls_verify_peer' => 'yes', 'tls_ca' => "$d/ca.pem"] + $ok, $V,
        ['option "tls_verify_peer" must be of type bool, string given']],
    'empty-cert-path' => [['tls_cert' => ''] + $ok, $V,
        ['option "tls_cert" must be a non-empty string']],
    'unknown-tls-option' => [['tls_certificate' => "$d/server.pem"] + $ok, $V,
        ['contains unknown option "tls_certificate"']],
    'listen-missing-cert' => [['tls_cert' => "$d/missing.pem"] + $ok, $E,
        ["cannot load certificate $d/missing.pem", 'No such file or directory'], true],
    'listen-key-mismatch' => [['tls_key' => "$d/other.key"] + $ok, $E,
        ["$d/other.key", 'key values mismatch'], true],
    'listen-min-version-1.1' => [['tls_min_version' => '1.1'] + $ok, $V,
        ['WebSocket\Server::listen(): Argument #3 ($options) option "tls_min_version" must be "1.2" or "1.3"'], true],
    'listen-non-tls-option' => [['max_message_size' => 10] + $ok, $V,
        ['contains unknown option "max_message_size" (only tls_* options can be set per listener)'], true],
    'listen-ok' => [$ok, null, [], true],
];

$failed = 0;
foreach ($cases as $name => [$opts, $class, $parts]) {
    if ($only && !in_array($name, $only, true)) {
        continue;
    }
    $viaListen = $cases[$name][3] ?? false;
    $got = null;
    try {
        if ($viaListen) {
            $s = new WebSocket\Server('127.0.0.1', 0);
            $s->listen('127.0.0.1', 0, $opts);
            $port = $s->getPort(1);
        } else {
            $s = new WebSocket\Server('127.0.0.1', 0, $opts);
            $port = $s->getPort();
        }
        $port > 0 or throw new LogicException("no port bound");
    } catch (Throwable $e) {
        $got = $e;
    }
    $problem = null;
    if ($class === null) {
        if ($got) {
            $problem = 'threw ' . get_class($got) . ': ' . $got->getMessage();
        }
    } elseif ($got === null) {
        $problem = "did not throw (expected $class)";
    } elseif (get_class($got) !== $class) {
        $problem = 'threw ' . get_class($got) . " instead of $class: " . $got->getMessage();
    } else {
        foreach ($parts as $p) {
            if (!str_contains($got->getMessage(), $p)) {
                $problem = "message \"{$got->getMessage()}\" lacks \"$p\"";
                break;
            }
        }
    }
    if ($problem) {
        $failed++;
        echo "FAIL $name: $problem\n";
    } else {
        echo "ok   $name", $got ? ': ' . get_class($got) . ': ' . $got->getMessage() : ': accepted', "\n";
    }
    unset($s);
}
exit($failed ? 1 : 0);
