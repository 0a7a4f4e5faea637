--TEST--
Extension: every symbol the shared object needs resolves when loaded with immediate binding
--EXTENSIONS--
websocket
--SKIPIF--
<?php
if (PHP_OS_FAMILY !== 'Linux') {
    die('skip LD_BIND_NOW is a glibc/ELF loader feature');
}
require __DIR__ . '/server_worker.inc';
if (!ServerWorker::extensionArgs()) {
    die('skip the extension is not a shared object of this build');
}
?>
--FILE--
<?php
require __DIR__ . '/server_worker.inc';
// A lazily bound symbol that does not exist only fails when first called
// (killing the process); LD_BIND_NOW makes the loader resolve all at load.
$cmd = array_merge([PHP_BINARY], ServerWorker::extensionArgs(), ['-d', 'display_errors=stderr', '-r',
    'echo extension_loaded("websocket") ? "loaded" : "not loaded", "\n";']);
$env = getenv();
$env['LD_BIND_NOW'] = '1';
$p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
$out = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
$rc = proc_close($p);
echo $out, preg_replace('/^.*(undefined symbol: [^\s),]+).*$/s', "$1\n", $err);
var_dump($rc);
--EXPECT--
loaded
int(0)
