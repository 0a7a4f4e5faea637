--TEST--
Reflection: every method's parameters, defaults and return type match websocket.stub.php
--EXTENSIONS--
websocket
--FILE--
<?php
// The stub, loaded under another namespace, is the reference.
$stub = file_get_contents(dirname(__DIR__) . '/websocket.stub.php');
$stub = preg_replace('/^<\?php/', '', $stub);
$stub = preg_replace('/^namespace WebSocket;/m', 'namespace StubMirror;', $stub, 1, $count);
var_dump($count);
eval($stub);

function sig(ReflectionMethod $m): string
{
    $params = [];
    foreach ($m->getParameters() as $p) {
        $s = ($p->getType() ?? 'mixed') . ' $' . $p->getName();
        if ($p->isOptional()) {
            $d = $p->isDefaultValueAvailable() ? $p->getDefaultValue() : '?';
            $s .= ' = ' . ($d === [] ? '[]' : var_export($d, true));
        }
        if ($p->isPassedByReference()) {
            $s = '&' . $s;
        }
        $params[] = $s;
    }
    $mods = implode(' ', Reflection::getModifierNames($m->getModifiers()));
    $ret = $m->hasReturnType() ? ': ' . $m->getReturnType() : '';
    return str_replace('StubMirror\\', 'WebSocket\\', "$mods {$m->getName()}(" . implode(', ', $params) . ")$ret");
}
function sigs(string $class): array
{
    $out = [];
    foreach ((new ReflectionClass($class))->getMethods() as $m) {
        if ($m->getDeclaringClass()->getName() === $class) {
            $out[$m->getName()] = sig($m);
        }
    }
    ksort($out);
    return $out;
}
foreach (['Exception', 'Server', 'Connection', 'Request'] as $short) {
    $ext = sigs("WebSocket\\$short");
    $ref = sigs("StubMirror\\$short");
    $missing = array_diff_assoc($ref, $ext);
    $extra = array_diff_assoc($ext, $ref);
    echo $short, ': ', ($missing || $extra) ? 'DIFFERS' : 'matches the stub', "\n";
    foreach ($missing as $s) {
        echo "  stub: $s\n";
    }
    foreach ($extra as $s) {
        echo "  ext:  $s\n";
    }
}
// The API the tests of this directory rely on.
$server = sigs(WebSocket\Server::class);
foreach (['__construct', 'on', 'run', 'stop', 'broadcast', 'publish', 'subscribers', 'topics', 'connections', 'count',
          'getPort', 'every', 'after', 'clearTimer', 'stats'] as $m) {
    isset($server[$m]) or print("Server::$m missing\n");
}
echo $server['__construct'], "\n", $server['on'], "\n", $server['broadcast'], "\n";
$conn = sigs(WebSocket\Connection::class);
echo $conn['__construct'], "\n", $conn['send'], "\n", $conn['close'], "\n", $conn['ping'], "\n";
$req = sigs(WebSocket\Request::class);
echo $req['__construct'], "\n", $req['respond'], "\n";
--EXPECT--
int(1)
Exception: matches the stub
Server: matches the stub
Connection: matches the stub
Request: matches the stub
public __construct(string $host = '0.0.0.0', int $port = 8080, array $options = [])
public on(string $event, callable $handler): static
public broadcast(string $data, bool $binary = false, ?WebSocket\Connection $except = NULL): int
private __construct()
public send(string $data, bool $binary = false): int
public close(int $code = 1000, string $reason = ''): void
public ping(string $payload = ''): bool
private __construct()
public respond(int $status, string $body = '', array $headers = []): void
