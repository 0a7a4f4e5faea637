#!/usr/bin/env bash
# Batched interest: one client subscribing to 10,000 topics costs the node one
# SUBSCRIBE per loop iteration that saw new topics (a few hundred: the server
# reads a bounded amount per connection and iteration), not 10,000 (Redis's
# own command statistics count them); closing it, likewise for UNSUBSCRIBE.
# Bounded output: with Redis stopped (SIGSTOP), a stream of 1 MiB publications
# passes the link's output cap (broker_buffer, 64 KiB here); the node drops the connection,
# counts an overflow, keeps serving, and relinks once Redis runs again.
source "$(dirname "$0")/common.bash"
need_node
start_redis
start_node "{\"broker\": \"redis://127.0.0.1:$REDIS_PORT\", \"max_message_size\": 2097152, \"broker_buffer\": 65536}"
url="ws://127.0.0.1:${NODE_PORTS[0]}"

cat >"$BR_TMP/batch.js" <<'JS'
const WebSocket = require('ws');
const [url, mode] = process.argv.slice(2);
const w = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 << 20 });
const inbox = [];
let waiter = null;
w.on('message', (d) => { const s = d.toString(); if (waiter && waiter.re.test(s)) { const f = waiter.f; waiter = null; f(s); } else inbox.push(s); });
const expect = (re) => { const i = inbox.findIndex((s) => re.test(s)); if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]); return new Promise((f) => { waiter = { re, f }; }); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
w.on('open', async () => {
  await expect(/^hello:/);
  if (mode === 'subscribe') {
    for (let i = 0; i < 10000; i++) w.send(`sub:topic-${i}`);
    await expect(/^subscribed:topic-9999$/);
    console.log('SUBSCRIBED');
    process.stdin.resume();
    process.stdin.on('end', () => { w.close(); process.exit(0); });
    return;
  }
  // mode "flood": 100 publications of 1 MiB while Redis is stopped, then report the counters.
  const big = 'x'.repeat(1 << 20);
  for (let i = 0; i < 100; i++) w.send(`pub:flood:${big}`);
  w.send('sub:ping');
  await expect(/^subscribed:ping$/);       // the loop still answers
  w.send('cluster');
  const c = JSON.parse((await expect(/^cluster:/)).slice(8));
  console.log('BROKER ' + JSON.stringify(c.broker));
  process.exit(0);
});
JS

# --- batching
redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null
fifo="$BR_TMP/ctl"
mkfifo "$fifo"
node "$BR_TMP/batch.js" "$url" subscribe <"$fifo" >"$BR_TMP/batch.out" 2>&1 &
EXTRA_PIDS=$!
exec 7>"$fifo"
wait_for '^SUBSCRIBED' "$BR_TMP/batch.out" 60
for _ in $(seq 1 100); do
	[ "$(redis-cli -p "$REDIS_PORT" PUBSUB NUMSUB ws:t:topic-9999 | tail -1)" = 1 ] && break
	sleep 0.05
done
n=$(redis-cli -p "$REDIS_PORT" PUBSUB NUMPAT >/dev/null; redis-cli -p "$REDIS_PORT" INFO commandstats | sed -n 's/^cmdstat_subscribe:calls=\([0-9]*\).*/\1/p')
chans=$(redis-cli -p "$REDIS_PORT" PUBSUB CHANNELS 'ws:t:*' | grep -c . || true)
echo "10000 topics: $chans channels subscribed with $n SUBSCRIBE commands"
[ "$chans" -eq 10000 ] || fail "expected 10000 channels, Redis has $chans"
[ "$n" -le 1000 ] || fail "$n SUBSCRIBE commands for 10000 topics: not batched"
exec 7>&-
wait "$EXTRA_PIDS" || true
EXTRA_PIDS=
for _ in $(seq 1 100); do
	[ "$(redis-cli -p "$REDIS_PORT" PUBSUB CHANNELS 'ws:t:*' | grep -c . || true)" -eq 0 ] && break
	sleep 0.05
done
u=$(redis-cli -p "$REDIS_PORT" INFO commandstats | sed -n 's/^cmdstat_unsubscribe:calls=\([0-9]*\).*/\1/p')
[ "$(redis-cli -p "$REDIS_PORT" PUBSUB CHANNELS 'ws:t:*' | grep -c . || true)" -eq 0 ] || fail "topics left subscribed after the client closed"
echo "unsubscribed with $u UNSUBSCRIBE commands"
[ "$u" -le 1000 ] || fail "$u UNSUBSCRIBE commands for 10000 topics: not batched"

# --- the output cap
kill -STOP "$REDIS_PID"
out=$(timeout 60 node "$BR_TMP/batch.js" "$url" flood) || { kill -CONT "$REDIS_PID"; fail "flood client: $out"; }
kill -CONT "$REDIS_PID"
echo "$out"
echo "$out" | grep -qE '"overflows":[1-9]' || fail "no overflow counted: $out"
echo "$out" | grep -qE '"dropped":[1-9]' || fail "nothing counted as dropped: $out"
# Relinked after Redis runs again (the broadcast channel is subscribed anew).
for i in $(seq 1 100); do
	[ "$(redis-cli -p "$REDIS_PORT" PUBSUB NUMSUB ws:broadcast | tail -1)" = 1 ] && break
	sleep 0.1
done
[ "$(redis-cli -p "$REDIS_PORT" PUBSUB NUMSUB ws:broadcast | tail -1)" = 1 ] || fail "the node did not relink after the overflow"
stop_nodes
echo "ok"
