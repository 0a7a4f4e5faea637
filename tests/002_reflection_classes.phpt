--TEST--
Reflection: classes are final, not instantiable by users, and implement what the stub says
--EXTENSIONS--
websocket
--FILE--
<?php
$stub = file_get_contents(dirname(__DIR__) . '/websocket.stub.php');
preg_match_all('/^(?:final )?class (\w+)/m', $stub, $m);
$ext = array_map(fn ($c) => substr($c, strlen('WebSocket\\')), (new ReflectionExtension('websocket'))->getClassNames());
sort($ext);
$declared = $m[1];
sort($declared);
var_dump($ext === $declared);
foreach (['Exception', 'Server', 'Connection', 'Request'] as $short) {
    $rc = new ReflectionClass("WebSocket\\$short");
    printf("%s final=%d instantiable=%d cloneable=%d parent=%s interfaces=%s\n",
        $rc->getName(), $rc->isFinal(), $rc->isInstantiable(), $rc->isCloneable(),
        $rc->getParentClass() ? $rc->getParentClass()->getName() : '-',
        implode(',', $rc->getInterfaceNames()) ?: '-');
}
var_dump(new WebSocket\Exception('x') instanceof RuntimeException);
$c = new ReflectionClassConstant(WebSocket\Connection::class, 'SENT');
var_dump($c->isPublic(), WebSocket\Connection::SENT, WebSocket\Connection::QUEUED, WebSocket\Connection::DROPPED);
--EXPECT--
bool(true)
WebSocket\Exception final=0 instantiable=1 cloneable=0 parent=RuntimeException interfaces=Stringable,Throwable
WebSocket\Server final=1 instantiable=1 cloneable=0 parent=- interfaces=Countable
WebSocket\Connection final=1 instantiable=0 cloneable=0 parent=- interfaces=-
WebSocket\Request final=1 instantiable=0 cloneable=0 parent=- interfaces=-
bool(true)
bool(true)
int(1)
int(2)
int(0)
