--TEST--
Reflection: classes are final, not instantiable by users, and implement what the stub says
--EXTENSIONS--
websocket
--FILE--
<?php
foreach (['Exception', 'Server', 'Connection', 'Request'] as $short) {
    $rc = new ReflectionClass("WebSocket\\$short");
    printf("%s final=%d instantiable=%d cloneable=%d parent=%s interfaces=%s\n",
        $rc->getName(), $rc->isFinal(), $rc->isInstantiable(), $rc->isCloneable(),
        $rc->getParentClass() ? $rc->getParentClass()->getName() : '-',
        implode(',', $rc->getInterfaceNames()) ?: '-');
}
var_dump(new WebSocket\Exception('x') instanceof RuntimeException);
$rc = new ReflectionClass(WebSocket\Connection::class);
var_dump($rc->getConstants());
foreach ($rc->getReflectionConstants() as $c) {
    echo $c->getName(), ' public=', (int) $c->isPublic(), ' final=', (int) $c->isFinal(), "\n";
}
var_dump(WebSocket\Connection::SENT, WebSocket\Connection::QUEUED, WebSocket\Connection::DROPPED);
var_dump((new ReflectionClass(WebSocket\Server::class))->getConstants());
var_dump((new ReflectionClass(WebSocket\Request::class))->getConstants());
--EXPECT--
WebSocket\Exception final=0 instantiable=1 cloneable=0 parent=RuntimeException interfaces=Stringable,Throwable
WebSocket\Server final=1 instantiable=1 cloneable=0 parent=- interfaces=Countable
WebSocket\Connection final=1 instantiable=0 cloneable=0 parent=- interfaces=-
WebSocket\Request final=1 instantiable=0 cloneable=0 parent=- interfaces=-
bool(true)
array(3) {
  ["SENT"]=>
  int(1)
  ["QUEUED"]=>
  int(2)
  ["DROPPED"]=>
  int(0)
}
SENT public=1 final=0
QUEUED public=1 final=0
DROPPED public=1 final=0
int(1)
int(2)
int(0)
array(0) {
}
array(0) {
}
