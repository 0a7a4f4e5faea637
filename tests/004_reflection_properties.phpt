--TEST--
Reflection: properties (types, readonly, defaults) and constants match websocket.stub.php
--EXTENSIONS--
websocket
--FILE--
<?php
$stub = file_get_contents(dirname(__DIR__) . '/websocket.stub.php');
$stub = preg_replace('/^<\?php/', '', $stub);
eval(preg_replace('/^namespace WebSocket;/m', 'namespace StubMirror;', $stub, 1));

function props(string $class): array
{
    $out = [];
    foreach ((new ReflectionClass($class))->getProperties() as $p) {
        if ($p->getDeclaringClass()->getName() !== $class) {
            continue;
        }
        $out[$p->getName()] = sprintf('%s %s $%s%s',
            implode(' ', Reflection::getModifierNames($p->getModifiers())), $p->getType(), $p->getName(),
            $p->hasDefaultValue() ? ' = ' . var_export($p->getDefaultValue(), true) : '');
    }
    ksort($out);
    return $out;
}
function constants(string $class): array
{
    $out = [];
    foreach ((new ReflectionClass($class))->getReflectionConstants() as $c) {
        $out[$c->getName()] = implode(' ', Reflection::getModifierNames($c->getModifiers()));
    }
    ksort($out);
    return $out;
}
foreach (['Exception', 'Server', 'Connection', 'Request'] as $short) {
    $diff = [];
    foreach (['props', 'constants'] as $fn) {
        $ext = $fn("WebSocket\\$short");
        $ref = $fn("StubMirror\\$short");
        foreach (array_diff_assoc($ref, $ext) as $s) {
            $diff[] = "  stub: $s";
        }
        foreach (array_diff_assoc($ext, $ref) as $s) {
            $diff[] = "  ext:  $s";
        }
    }
    echo $short, ': ', $diff ? "DIFFERS\n" . implode("\n", $diff) : 'matches the stub', "\n";
}
$conn = props(WebSocket\Connection::class);
echo $conn['id'], "\n", $conn['remoteAddress'], "\n", $conn['path'], "\n", $conn['subprotocol'], "\n", $conn['data'], "\n";
$req = props(WebSocket\Request::class);
foreach (['method', 'uri', 'path', 'query', 'headers', 'cookies', 'remoteAddress', 'subprotocols', 'data'] as $p) {
    echo $req[$p], "\n";
}
var_dump(props(WebSocket\Server::class));
var_dump(WebSocket\Connection::SENT, WebSocket\Connection::QUEUED, WebSocket\Connection::DROPPED);
--EXPECT--
Exception: matches the stub
Server: matches the stub
Connection: matches the stub
Request: matches the stub
public readonly int $id
public readonly string $remoteAddress
public readonly string $path
public readonly ?string $subprotocol
public mixed $data = NULL
public readonly string $method
public readonly string $uri
public readonly string $path
public readonly string $query
public readonly array $headers
public readonly array $cookies
public readonly string $remoteAddress
public readonly array $subprotocols
public mixed $data = NULL
array(0) {
}
int(1)
int(2)
int(0)
