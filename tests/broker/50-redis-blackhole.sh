#!/usr/bin/env bash
# A "Redis" that accepts connections and never answers (a Python socket that
# reads nothing): the server's loop never waits for it (a client's commands and
# local publications keep being answered within 500 ms, before and after the
# broker's timeout), the node warns once, and WebSocket\Publisher fails with a
# WebSocket\Exception after its timeout instead of hanging.
source "$(dirname "$0")/common.bash"
need_node
port=$(free_port)
"$PY" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
held = []
while True:
    c, _ = s.accept()
    held.append(c)   # never read, never answered
' "$port" &
EXTRA_PIDS=$!
for _ in $(seq 1 100); do "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break; sleep 0.05; done

start_node "{\"broker\": \"redis://127.0.0.1:$port\"}"
run_peer node tests/broker/broker_client.js echo "ws://127.0.0.1:${NODE_PORTS[0]}" 4
wait_for 'Redis broker at .* unavailable \(no answer from Redis within' "${NODE_ERRS[0]}" 10
[ "$(count_lines 'Redis broker at' "${NODE_ERRS[0]}")" -eq 1 ] || fail "expected one warning: $(cat "${NODE_ERRS[0]}")"

php -d extension="$SO" -r '
$p = new WebSocket\Publisher($argv[1], ["timeout" => 0.5]);
$t = microtime(true);
try {
    $p->publish("news", "x");
    echo "no exception\n";
    exit(1);
} catch (WebSocket\Exception $e) {
    $dt = microtime(true) - $t;
    echo get_class($e), ": ", $e->getMessage(), sprintf(" (%.2f s)\n", $dt);
    exit($dt < 2.0 && str_contains($e->getMessage(), "timed out") ? 0 : 1);
}
' "redis://127.0.0.1:$port" || fail "Publisher did not time out cleanly"
stop_nodes
echo "ok"
