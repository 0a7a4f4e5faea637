--TEST--
Reflection: properties, types, readonly flags and defaults match the stub
--EXTENSIONS--
websocket
--FILE--
<?php
foreach (['Server', 'Connection', 'Request'] as $short) {
    $rc = new ReflectionClass("WebSocket\\$short");
    echo "class $short\n";
    foreach ($rc->getProperties() as $p) {
        printf("  %s %s $%s%s\n",
            implode(' ', Reflection::getModifierNames($p->getModifiers())),
            $p->getType(),
            $p->getName(),
            $p->hasDefaultValue() ? ' = ' . var_export($p->getDefaultValue(), true) : '');
    }
}
// Readonly properties cannot be initialised from outside either.
$rp = new ReflectionProperty(WebSocket\Connection::class, 'id');
var_dump($rp->isReadOnly(), $rp->isPromoted());
--EXPECT--
class Server
class Connection
  public readonly int $id
  public readonly string $remoteAddress
  public readonly string $path
  public readonly ?string $subprotocol
  public mixed $data = NULL
class Request
  public readonly string $method
  public readonly string $uri
  public readonly string $path
  public readonly string $query
  public readonly array $headers
  public readonly array $cookies
  public readonly string $remoteAddress
  public readonly array $subprotocols
  public mixed $data = NULL
bool(true)
bool(false)
