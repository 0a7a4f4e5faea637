--TEST--
Extension: loaded, version, classes and phpinfo section
--EXTENSIONS--
websocket
--FILE--
<?php
var_dump(extension_loaded('websocket'));
$ext = new ReflectionExtension('websocket');
$header = file_get_contents(dirname(__DIR__) . '/php_websocket.h');
preg_match('/#define PHP_WEBSOCKET_VERSION "([^"]+)"/', $header, $m);
var_dump(phpversion('websocket') === $m[1], $ext->getVersion() === $m[1]);
var_dump($ext->getClassNames(), $ext->getFunctions(), $ext->getINIEntries());
ob_start();
$ext->info();
$info = ob_get_clean();
var_dump(str_contains($info, 'websocket support => enabled'));
var_dump(str_contains($info, 'Version => ' . $m[1]));
var_dump((bool) preg_match('/Redis broker => (enabled \(hiredis \d+\.\d+\.\d+\)|not built in)/', $info));
--EXPECT--
bool(true)
bool(true)
bool(true)
array(5) {
  [0]=>
  string(19) "WebSocket\Exception"
  [1]=>
  string(16) "WebSocket\Server"
  [2]=>
  string(20) "WebSocket\Connection"
  [3]=>
  string(17) "WebSocket\Request"
  [4]=>
  string(19) "WebSocket\Publisher"
}
array(0) {
}
array(0) {
}
bool(true)
bool(true)
bool(true)
