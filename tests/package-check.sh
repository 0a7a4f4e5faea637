#!/usr/bin/env bash
# tests/package-check.sh - is the tree releasable through PECL and PIE?
#
#   bash tests/package-check.sh        (./dev test runs it when it is executable)
#
# Steps, each reported as "ok" or "FAIL" with what went wrong:
#   1. package.xml     php tools/package-xml.php --check: package.xml lists exactly the
#                      shipped files (tracked plus untracked-but-not-ignored, filtered by
#                      the rules in tools/package-lib.php) and is what the generator
#                      writes today (version, notes, configure options)
#   2. metadata        php tools/package-lint.php: versions, composer.json for PIE,
#                      stub hash in websocket_arginfo.h, config.w32 sources, docs/API.md
#   3. pecl package    in a scratch copy holding only the files package.xml lists:
#                      must write websocket-VERSION.tgz
#   4. tarball build   the tarball, unpacked elsewhere, builds as pecl install builds it
#                      (phpize, configure, make; plus -Werror=implicit-function-declaration,
#                      which GCC 14 and Clang 16 make the default) and the module loads
#                      with every symbol bound at once (LD_BIND_NOW=1) and reports VERSION.
#                      This is pecl install minus copying into the system PHP, which
#                      needs root; it takes about ten seconds.
#
# Exits 0 only if every step passed.  Needs pecl (Debian: php-pear, which it
# installs with apt when missing and running as root, as ./dev does for its
# packages) and phpize (php8.2-dev); apart from that it writes nothing outside
# a temporary directory, which it removes.
#
# .gitignore ignores tests/*.sh (run-tests.php leftovers): this file is tracked
# with "git add -f", or through a "!tests/package-check.sh" exception.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

VERSION=$(sed -nE 's/^#[[:space:]]*define[[:space:]]+PHP_WEBSOCKET_VERSION[[:space:]]+"([^"]+)".*/\1/p' php_websocket.h)
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

FAILED=()
pass() { echo "ok   $1"; }
fail() {
	echo "FAIL $1"
	FAILED+=("$1")
	shift
	[ $# -eq 0 ] || printf '     %s\n' "$@"
}

# run NAME CMD...: runs CMD, passes if it exits 0, else fails with its output.
run() {
	local name="$1" out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name"
		echo "$out" | sed 's/^/     /'
	fi
}

need_pecl() {
	command -v pecl >/dev/null && return 0
	local sudo=
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null && sudo -n true 2>/dev/null || return 1
		sudo=sudo
	fi
	echo "     installing php-pear (for pecl)"
	$sudo apt-get update -qq >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq php-pear >/dev/null 2>&1
	command -v pecl >/dev/null
}

if [ -z "$VERSION" ]; then
	fail "version" "php_websocket.h does not define PHP_WEBSOCKET_VERSION"
	exit 1
fi
echo "package check of websocket $VERSION"

run "package.xml lists the shipped files and is up to date" php tools/package-xml.php --check
run "composer.json, versions, arginfo, config.w32 and docs agree with the sources" php tools/package-lint.php

TGZ="websocket-$VERSION.tgz"
if ! need_pecl; then
	fail "pecl package" "pecl is not installed: sudo apt-get install php-pear"
elif ! php tools/package-xml.php --list >"$SCRATCH/files" 2>"$SCRATCH/list.err"; then
	fail "pecl package" "$(cat "$SCRATCH/list.err")"
else
	mkdir -p "$SCRATCH/src"
	# Only what package.xml lists, so a file the build needs but the package lacks shows up below.
	if ! tar -cf - -T "$SCRATCH/files" package.xml | tar -xf - -C "$SCRATCH/src" 2>"$SCRATCH/copy.err"; then
		fail "pecl package" "cannot copy the listed files:" "$(cat "$SCRATCH/copy.err")"
	elif ! out=$(cd "$SCRATCH/src" && pecl package package.xml 2>&1) || [ ! -f "$SCRATCH/src/$TGZ" ]; then
		fail "pecl package" "no $TGZ was written:"
		echo "$out" | sed 's/^/     /'
	else
		pass "pecl package wrote $TGZ ($(du -k "$SCRATCH/src/$TGZ" | cut -f1) KiB)"

		BUILD="$SCRATCH/build"
		mkdir -p "$BUILD"
		LOG="$SCRATCH/build.log"
		if ! tar -xzf "$SCRATCH/src/$TGZ" -C "$BUILD" >"$LOG" 2>&1 \
			|| ! cd "$BUILD/websocket-$VERSION" \
			|| ! phpize >>"$LOG" 2>&1 \
			|| ! ./configure CFLAGS="-O2 -Werror=implicit-function-declaration" >>"$LOG" 2>&1 \
			|| ! make -j"$(nproc 2>/dev/null || echo 2)" >>"$LOG" 2>&1; then
			fail "tarball builds" "the build from $TGZ failed:"
			if grep -qE ': (fatal )?error:' "$LOG"; then
				grep -E ': (fatal )?error:' "$LOG" | sort -u | head -20 | sed "s#$BUILD/##; s/^/     /"
			else
				tail -15 "$LOG" | sed 's/^/     /'
			fi
		else
			got=$(LD_BIND_NOW=1 php -n -d extension="$PWD/modules/websocket.so" -r 'echo phpversion("websocket");' 2>&1)
			if [ "$got" = "$VERSION" ]; then
				pass "tarball builds and the module loads, reporting $VERSION"
			else
				fail "tarball builds and the module loads" "expected \"$VERSION\", got:" "$got"
			fi
		fi
		cd "$ROOT"
	fi
fi

echo
if [ ${#FAILED[@]} -eq 0 ]; then
	echo "package check: all passed"
	exit 0
fi
echo "package check: ${#FAILED[@]} failed:"
printf '  %s\n' "${FAILED[@]}"
exit 1
