--TEST--
Reflection: every method's parameters, defaults and return type match the stub
--EXTENSIONS--
websocket
--FILE--
<?php
function sig(ReflectionMethod $m): string
{
    $params = [];
    foreach ($m->getParameters() as $p) {
        $s = ($p->getType() ?? 'mixed') . ' $' . $p->getName();
        if ($p->isDefaultValueAvailable()) {
            $d = $p->getDefaultValue();
            $s .= ' = ' . ($d === [] ? '[]' : var_export($d, true));
        }
        $params[] = $s;
    }
    $mods = implode(' ', Reflection::getModifierNames($m->getModifiers()));
    $ret = $m->hasReturnType() ? ': ' . $m->getReturnType() : '';
    return "$mods {$m->getName()}(" . implode(', ', $params) . ")$ret";
}
foreach (['Server', 'Connection', 'Request'] as $short) {
    $rc = new ReflectionClass("WebSocket\\$short");
    echo "class $short\n";
    foreach ($rc->getMethods() as $m) {
        echo '  ', sig($m), "\n";
    }
}
--EXPECT--
class Server
  public __construct(string $host = '0.0.0.0', int $port = 8080, array $options = [])
  public on(string $event, callable $handler): static
  public run(): void
  public stop(): void
  public broadcast(string $data, bool $binary = false, ?WebSocket\Connection $except = NULL): int
  public publish(string $topic, string $data, bool $binary = false, ?WebSocket\Connection $except = NULL): int
  public subscribers(string $topic): int
  public topics(): array
  public connections(): array
  public count(): int
  public getPort(): int
  public every(int $ms, callable $callback): int
  public after(int $ms, callable $callback): int
  public clearTimer(int $id): void
  public stats(): array
class Connection
  private __construct()
  public send(string $data, bool $binary = false): int
  public ping(string $payload = ''): bool
  public close(int $code = 1000, string $reason = ''): void
  public isOpen(): bool
  public bufferedAmount(): int
  public subscribe(string $topic): bool
  public unsubscribe(string $topic): bool
  public topics(): array
class Request
  private __construct()
  public header(string $name): ?string
  public respond(int $status, string $body = '', array $headers = []): void
  public setSubprotocol(string $protocol): void
  public setHeader(string $name, string $value): void
