#!/usr/bin/env bash
# examples/pubsub.php --redis on two ports shares one room across both
# servers, and examples/fpm-publish.php reaches the clients of both.
source "$(dirname "$0")/common.bash"
need_node
start_redis
declare -a PIDS=() PORTS=()
for i in 0 1; do
	php -d extension="$SO" examples/pubsub.php 0 --redis "redis://127.0.0.1:$REDIS_PORT" >"$BR_TMP/ex$i.out" 2>"$BR_TMP/ex$i.err" &
	PIDS+=("$!")
	EXTRA_PIDS="${EXTRA_PIDS:-} $!"
	wait_for '^PORT=' "$BR_TMP/ex$i.out"
	PORTS+=("$(sed -n 's/^PORT=//p' "$BR_TMP/ex$i.out")")
done
for _ in $(seq 1 100); do
	[ "$(redis-cli -p "$REDIS_PORT" PUBSUB NUMSUB ws:broadcast | tail -1)" = 2 ] && break
	sleep 0.05
done
cat >"$BR_TMP/ex.js" <<'JS'
const WebSocket = require('ws');
const { execFileSync } = require('child_process');
const [a, b, redisPort, so] = process.argv.slice(2);
const got = { A: [], B: [] };
const open = (url, name) => new Promise((res) => {
  const w = new WebSocket(url);
  w.on('message', (d) => got[name].push(d.toString()));
  w.on('open', () => res(w));
});
(async () => {
  const wa = await open(a, 'A'), wb = await open(b, 'B');
  for (let i = 0; i < 100; i++) {
    const n = +execFileSync('redis-cli', ['-p', redisPort, 'PUBSUB', 'NUMSUB', 'ws:t:all']).toString().trim().split('\n')[1];
    if (n === 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  wa.send('from A');   // (execFileSync blocks this loop: the two may arrive in either order)
  console.log(execFileSync('php', ['-d', 'extension=' + so, 'examples/fpm-publish.php', 'from fpm', `redis://127.0.0.1:${redisPort}`]).toString().trim());
  await new Promise((r) => setTimeout(r, 1000));
  const want = JSON.stringify(['from A', 'from fpm']);
  for (const k of ['A', 'B']) {
    if (JSON.stringify([...got[k]].sort()) !== want) { console.error(`${k} got ${JSON.stringify(got[k])}`); process.exit(1); }
  }
  console.log('examples ok');
  process.exit(0);
})();
JS
out=$(timeout 60 node "$BR_TMP/ex.js" "ws://127.0.0.1:${PORTS[0]}" "ws://127.0.0.1:${PORTS[1]}" "$REDIS_PORT" "$SO") || fail "client: $out"
echo "$out"
echo "$out" | grep -q '^published to 2 server(s)$' || fail "fpm-publish.php: $out"
for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || fail "an example server exited with status $?"; done
EXTRA_PIDS=
echo "ok"
