#!/usr/bin/env bash
# Malformed handshakes (HTTP/1.0, missing or unsupported version, bad keys,
# other methods, broken header lines, a 64 KiB header, too many headers, TLS
# on the plain port, ...) each get the right 4xx and never a 101, within 3 s,
# and the server then closes the connection.  None of them opens a
# connection; the canary keeps getting its echoes.
source "$(dirname "$0")/common.bash"

serve "$ECHO_SERVER"
start_canary
"$PY" "$ABUSE/handshake_junk.py" "$PORT" || fail "malformed handshakes"
finish_canary
stop_server_ok
[ "$(grep -c '^OPEN ' "$SERVER_OUT")" = 1 ] || fail "a malformed handshake opened a connection"
echo "PASS handshake junk"
