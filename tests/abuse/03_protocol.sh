#!/usr/bin/env bash
# Invalid frames (unmasked, reserved opcodes, RSV bits without an extension,
# fragmented or oversized control frames, continuation errors, bad close
# payloads) are closed with 1002; invalid UTF-8 in text messages (also split
# across fragments, refused before the message completes) and in a close
# reason with 1007.  The canary keeps getting its echoes.
source "$(dirname "$0")/common.bash"

serve "$ECHO_SERVER"
start_canary
"$PY" "$ABUSE/protocol.py" "$PORT" "$SERVER_OUT" frames utf8 || fail "protocol violations"
finish_canary
stop_server_ok
echo "PASS protocol"
