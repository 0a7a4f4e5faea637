#!/usr/bin/env bash
# Every bad TLS configuration throws the right class with a useful message
# (see config_errors.php for the table): WebSocket\Exception naming the file
# and giving OpenSSL's reason for files that are missing, unreadable, of the
# wrong kind, a key that does not match the certificate, an encrypted key with
# a wrong or missing passphrase (success with the right one), bad ciphers;
# \ValueError for tls_key without tls_cert, tls_min_version "1.1",
# tls_verify_peer without tls_ca, and other bad values; the same through
# listen().  It runs on a pseudo-terminal: with an encrypted key and no
# passphrase the server must fail, never ask on the terminal.
#
# The unreadable-key case (chmod 000) needs a user that file permissions
# stop: as root it runs as "nobody" (setpriv), or is skipped with a note when
# that is not possible.
source "$(dirname "$0")/common.bash"
make_certs

if [ "$(id -u)" -ne 0 ]; then
	mkdir "$CERTS/unreadable"
	cp "$CERTS/server.key" "$CERTS/unreadable/server.key"
	chmod 000 "$CERTS/unreadable/server.key"
	run_peer "$PY" tests/tls/on_tty.py 60 php -d extension="$SO" tests/tls/config_errors.php "$CERTS"
else
	cases=$(sed -n "s/^    '\([a-z0-9.-]*\)' => \[.*/\1/p" tests/tls/config_errors.php | grep -vx unreadable-key)
	[ "$(echo "$cases" | wc -l)" -gt 20 ] || fail "could not list the cases of config_errors.php"
	# shellcheck disable=SC2086
	run_peer "$PY" tests/tls/on_tty.py 60 php -d extension="$SO" tests/tls/config_errors.php "$CERTS" $cases
	# Root reads any file: try the unreadable key as nobody, from a directory nobody can enter.
	PERM=$(mktemp -d)
	trap 'stop_server >/dev/null 2>&1 || true; rm -rf "$TMP" "$PERM"' EXIT
	chmod 755 "$PERM"
	mkdir -m 755 "$PERM/unreadable"
	cp "$CERTS/server.pem" "$PERM/server.pem"
	cp "$CERTS/server.key" "$PERM/server.key"
	cp "$CERTS/server.key" "$PERM/unreadable/server.key"
	chmod 644 "$PERM/server.pem" "$PERM/server.key"
	chmod 000 "$PERM/unreadable/server.key"
	if setpriv --reuid=65534 --regid=65534 --clear-groups php -d extension="$SO" -r 'exit(is_readable($argv[1]) ? 0 : 1);' "$PERM/server.pem" 2>/dev/null; then
		run_peer setpriv --reuid=65534 --regid=65534 --clear-groups \
			php -d extension="$SO" tests/tls/config_errors.php "$PERM" unreadable-key
	else
		echo "note: running as root and cannot run PHP as nobody: the unreadable-key case is skipped"
	fi
fi
echo "ok"
