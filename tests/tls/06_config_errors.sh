#!/usr/bin/env bash
# Every bad TLS configuration throws the right class with a useful message
# (see config_errors.php for the table): WebSocket\Exception naming the file
# and giving OpenSSL's reason for files that are missing, unreadable, of the
# wrong kind, a key that does not match the certificate, an encrypted key with
# a wrong or missing passphrase (success with the right one), bad ciphers;
# \ValueError for tls_key without tls_cert, tls_min_version "1.1",
# tls_verify_peer without tls_ca, and other bad values; the same through
# listen().
#
# The missing-passphrase case runs on a pseudo-terminal, as a server started
# from a shell would: it must fail, never ask for the passphrase on the
# terminal and wait.  The unreadable-key case (chmod 000) needs a user that
# file permissions stop: as root it runs as "nobody" (setpriv), or is skipped
# with a note when that is not possible.
source "$(dirname "$0")/common.bash"
make_certs
RUN=(php -d extension="$SO" tests/tls/config_errors.php)

cases=$(sed -n "s/^    '\([a-z0-9.-]*\)' => \[.*/\1/p" tests/tls/config_errors.php | grep -vx -e unreadable-key -e missing-passphrase)
[ "$(echo "$cases" | wc -l)" -gt 20 ] || fail "could not list the cases of config_errors.php"
rc=0
# shellcheck disable=SC2086
timeout 60 "${RUN[@]}" "$CERTS" $cases </dev/null || rc=1
timeout 60 "$PY" tests/tls/on_tty.py 30 "${RUN[@]}" "$CERTS" missing-passphrase || rc=1

if [ "$(id -u)" -ne 0 ]; then
	mkdir "$CERTS/unreadable"
	cp "$CERTS/server.key" "$CERTS/unreadable/server.key"
	chmod 000 "$CERTS/unreadable/server.key"
	timeout 60 "${RUN[@]}" "$CERTS" unreadable-key </dev/null || rc=1
else
	# Root reads any file: try it as nobody, with copies nobody may read.
	PERM=$(mktemp -d)
	trap 'rm -rf "$TMP" "$PERM"' EXIT
	chmod 755 "$PERM"
	mkdir -m 755 "$PERM/unreadable"
	install -m 644 "$CERTS/server.pem" "$PERM/server.pem"
	install -m 644 "$CERTS/server.key" "$PERM/server.key"
	install -m 000 "$CERTS/server.key" "$PERM/unreadable/server.key"
	NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	if "${NOBODY[@]}" php -d extension="$SO" -r 'exit(is_readable($argv[1]) ? 0 : 1);' "$PERM/server.pem" 2>/dev/null; then
		timeout 60 "${NOBODY[@]}" "${RUN[@]}" "$PERM" unreadable-key </dev/null || rc=1
	else
		echo "note: running as root and cannot run PHP as nobody: the unreadable-key case is skipped"
	fi
fi
[ "$rc" -eq 0 ] || fail "some configuration errors were not reported as expected (see above)"
echo "ok"
