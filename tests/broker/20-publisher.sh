#!/usr/bin/env bash
# WebSocket\Publisher from a plain PHP CLI process (no server in it) reaches
# the clients of both nodes, for publish() and broadcast(), text and binary
# flags; a message written by hand with redis-cli in the documented wire
# format (docs/BROKER.md) does too; a malformed one is dropped and counted.
source "$(dirname "$0")/common.bash"
need_node
start_redis
opts="{\"broker\": \"redis://127.0.0.1:$REDIS_PORT\"}"
start_node "$opts"
start_node "$opts"

out="$BR_TMP/client.out"
node tests/broker/broker_client.js listen "$(node_urls)" 40 news "from-php" "from-php-2" "bcast:from-php" "from-redis-cli" "crlf-ok" >"$out" 2>&1 &
CLIENT=$!
EXTRA_PIDS="$CLIENT"
wait_for '^READY' "$out"

php -d extension="$SO" -r '
$p = new WebSocket\Publisher($argv[1], ["timeout" => 2]);
$n = $p->publish("news", "from-php");
if ($n !== 2) { fwrite(STDERR, "publish reached $n nodes, expected 2\n"); exit(1); }
$p->publish("news", "from-php-2");           // the same connection, reused
$p->broadcast("bcast:from-php");
if ($p->publish("nobody-listens", "x") !== 0) { fwrite(STDERR, "a topic without subscribers must reach 0 nodes\n"); exit(1); }
echo "publisher ok\n";
' "redis://127.0.0.1:$REDIS_PORT" || fail "the Publisher script failed"

# The documented redis-cli forms (docs/BROKER.md).
[ "$(redis-cli -p "$REDIS_PORT" PUBLISH ws:t:news $'WS1 P T\nfrom-redis-cli')" = 2 ] || fail "redis-cli PUBLISH did not reach both nodes"
printf 'WS1 P T - 0\r\ncrlf-ok' | redis-cli -p "$REDIS_PORT" -x PUBLISH ws:t:news >/dev/null
# Malformed: no header line, unknown version.  Dropped, never delivered.
redis-cli -p "$REDIS_PORT" PUBLISH ws:t:news 'no header' >/dev/null
redis-cli -p "$REDIS_PORT" PUBLISH ws:t:news $'WS9 P T\nfuture' >/dev/null

wait "$CLIENT" || fail "clients: $(cat "$out")"
EXTRA_PIDS=
grep -q '^listen ok' "$out" || fail "clients: $(cat "$out")"
stop_nodes
echo "ok"
