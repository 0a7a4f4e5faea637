#!/usr/bin/env bash
# The chat room over https:// and wss:// in headless Chromium, with a test
# CA made here: two users join and talk, and the WebSocket handshake that
# Chromium made negotiated permessage-deflate (the response header is
# read through the DevTools protocol).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh

[ -x /usr/bin/chromium ] || { echo "Chromium is missing: apt-get install chromium"; exit 1; }
: "${NODE_PATH:=$PWD/.work/node/node_modules}"
export NODE_PATH

dir=$(mktemp -d)
trap 'stop_server >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
# A CA, and a server certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=ext-websocket test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/ext.cnf"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
	-extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null

start_server -d display_errors=stderr -d error_reporting=-1 examples/chat/server.php --host 127.0.0.1 --port 0 \
	--moderator-token tls-test --tls-cert "$dir/server.pem" --tls-key "$dir/server.key"
grep -q "^Chat room: https://127.0.0.1:$PORT\$" "$SERVER_OUT" || { echo "the chat did not announce an https URL"; cat "$SERVER_OUT"; exit 1; }

timeout 60 node tests/browser/chat-tls.test.js "$PORT" "$dir/ca.pem"
stop_server
if [ -s "$SERVER_ERR" ]; then
	echo "server stderr:"; cat "$SERVER_ERR"; exit 1
fi
