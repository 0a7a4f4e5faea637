# tests/tls/common.bash - helpers shared by the TLS shell tests (sourced, not
# a test itself: ./dev test runs only *.sh).
#
#   source "$(dirname "$0")/common.bash"
#
# Moves to the repository root, sources tests/lib/server.sh, and offers
# make_certs (a fresh PKI for one test run), fail/expect helpers and the
# peers' paths.  Every test creates its own temporary directory ($TMP) that
# is removed on exit.

set -euo pipefail
TLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$TLS_DIR/../.."
# shellcheck source=../lib/server.sh
source tests/lib/server.sh

# PY, NODE_PATH, fail, need_python, need_node and run_peer come from tests/lib/server.sh.
TMP=$(mktemp -d)
# server.sh installed an EXIT trap that stops the server; keep it and remove $TMP too.
trap 'stop_server >/dev/null 2>&1 || true; rm -rf "$TMP"; rm -f "${SERVER_OUT:-}" "${SERVER_ERR:-}"' EXIT

# expect_contains HAYSTACK NEEDLE WHAT: NEEDLE is a substring of HAYSTACK.
expect_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: expected to contain '$2', got: $1" ;;
	esac
}

# server_alive: the server process we started is still running.
server_alive() {
	[ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null
}

# finish_server: stops the server gracefully (SIGTERM); it must exit 0 and
# print STOPPED, with nothing on stderr unless ALLOW_STDERR=1.  Its output
# files are removed then (kept when a check fails, for the log).
finish_server() {
	local rc=0
	stop_server || rc=$?
	[ "$rc" -eq 0 ] || fail "server exited with status $rc"
	grep -qx STOPPED "$SERVER_OUT" || fail "the server did not print STOPPED"
	if [ "${ALLOW_STDERR:-0}" != 1 ] && [ -s "$SERVER_ERR" ]; then
		fail "server wrote to stderr: $(head -5 "$SERVER_ERR")"
	fi
	rm -f "$SERVER_OUT" "$SERVER_ERR"
}

# ---------------------------------------------------------------- certificates

# ossl ARGS...: openssl with its chatter kept out of the test log unless it fails.
ossl() {
	local out
	out=$(openssl "$@" 2>&1) || { echo "$out" >&2; fail "openssl $1 failed"; }
}

# new_key FILE: a fresh P-256 key (unencrypted PEM).
new_key() {
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# sign_cert NAME CN SAN EKU [START END]: $CERTS/NAME.key + $CERTS/NAME.pem,
# signed by the test CA; START/END (YYYYMMDDHHMMSSZ) set the validity,
# default: from yesterday for 30 days.
sign_cert() {
	local name=$1 cn=$2 san=$3 eku=$4 start=${5:-} end=${6:-}
	local d=$CERTS
	new_key "$d/$name.key"
	ossl req -new -key "$d/$name.key" -subj "/CN=$cn" -out "$d/$name.csr"
	cat >"$d/$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=$eku
${san:+subjectAltName=$san}
EXT
	[ -n "$start" ] || start=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
	[ -n "$end" ] || end=$(date -u -d '30 days' +%Y%m%d%H%M%SZ)
	ossl ca -batch -config "$d/ca.cnf" -notext -extfile "$d/$name.ext" \
		-startdate "$start" -enddate "$end" -in "$d/$name.csr" -out "$d/$name.pem"
}

# make_certs: a PKI in $CERTS ($TMP/certs):
#   ca.pem/ca.key            the test CA
#   server.pem/server.key    127.0.0.1 + localhost, CN=server-A
#   serverB.pem/serverB.key  127.0.0.1 + localhost, CN=server-B (for reloads)
#   expired.pem/expired.key  127.0.0.1 + localhost, valid 2020-2021 only
#   wronghost.pem/.key       wrong.example only
#   client.pem/client.key    a client certificate (clientAuth) signed by the CA
#   rogue.pem/rogue.key      a self-signed client certificate (not by the CA)
#   enc.key                  server.key encrypted with the passphrase in $PASSPHRASE
#   other.key                a key that matches no certificate
make_certs() {
	CERTS=$TMP/certs
	PASSPHRASE='correct horse'
	mkdir -p "$CERTS/db"
	: >"$CERTS/db/index.txt"
	echo 1000 >"$CERTS/db/serial"
	cat >"$CERTS/ca.cnf" <<CNF
[ ca ]
default_ca = testca
[ testca ]
dir = $CERTS
database = \$dir/db/index.txt
serial = \$dir/db/serial
new_certs_dir = \$dir/db
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
CNF
	new_key "$CERTS/ca.key"
	ossl req -x509 -new -key "$CERTS/ca.key" -subj "/CN=ext-websocket test CA" -days 30 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$CERTS/ca.pem"
	sign_cert server server-A "IP:127.0.0.1,DNS:localhost" serverAuth
	sign_cert serverB server-B "IP:127.0.0.1,DNS:localhost" serverAuth
	sign_cert expired server-expired "IP:127.0.0.1,DNS:localhost" serverAuth 20200101000000Z 20210101000000Z
	sign_cert wronghost wrong.example "DNS:wrong.example" serverAuth
	sign_cert client test-client "" clientAuth
	new_key "$CERTS/rogue.key"
	ossl req -x509 -new -key "$CERTS/rogue.key" -subj "/CN=rogue-client" -days 30 \
		-addext "extendedKeyUsage=clientAuth" -out "$CERTS/rogue.pem"
	ossl pkey -in "$CERTS/server.key" -aes256 -passout "pass:$PASSPHRASE" -out "$CERTS/enc.key"
	new_key "$CERTS/other.key"
}
