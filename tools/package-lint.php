<?php
/*
 * tools/package-lint.php - checks that the release metadata agree with the
 * sources.  Prints one line per problem and exits 1 if there is any.
 *
 *   version      package.xml's release and API versions, and a CHANGELOG.md section,
 *                match PHP_WEBSOCKET_VERSION (php_websocket.h)
 *   name         composer.json's php-ext.extension-name and package.xml's
 *                <providesextension> match PHP_NEW_EXTENSION (config.m4)
 *   composer     composer.json is what PIE needs: "type": "php-ext", a vendor/name,
 *                no "version" (PIE takes versions from git tags), the MIT license,
 *                require.php matching package.xml's minimum, one configure-option per
 *                user-facing config.m4 switch (the same ones package.xml offers), and
 *                Windows excluded exactly while config.w32 refuses to build
 *   arginfo      websocket_arginfo.h was generated from the current websocket.stub.php:
 *                its "Stub hash:" line is the SHA-1 gen_stub.php computes (of the stub
 *                with CRLF turned into LF)
 *   config.w32   compiles the same sources as config.m4
 *   docs         docs/API.md names every class, method and constant of the stub, every
 *                event and every option the binding accepts
 */

declare(strict_types=1);

namespace WebSocketTools;

use RuntimeException;

require __DIR__ . '/package-lib.php';

function check_version(array &$problems): void
{
	$version = version();
	$pkg = read_package_xml();
	if ($pkg === null) {
		$problems[] = 'package.xml is missing: run php tools/package-xml.php';
	} else {
		if ($pkg['version'] !== $version || $pkg['api'] !== $version) {
			$problems[] = "package.xml has release {$pkg['version']} / api {$pkg['api']}, php_websocket.h says $version: run php tools/package-xml.php";
		}
		if ($pkg['provides'] !== extension_name()) {
			$problems[] = "package.xml provides extension \"{$pkg['provides']}\", config.m4 builds \"" . extension_name() . '"';
		}
	}
	try {
		changelog_entry($version);
	} catch (RuntimeException $e) {
		$problems[] = $e->getMessage();
	}
}

function check_composer(array &$problems): void
{
	$json = json_decode(read('composer.json'), true);
	if (!is_array($json)) {
		$problems[] = 'composer.json is not valid JSON: ' . json_last_error_msg();
		return;
	}
	$ext = $json['php-ext'] ?? [];
	if (($json['type'] ?? null) !== 'php-ext') {
		$problems[] = 'composer.json: "type" must be "php-ext"';
	}
	if (!preg_match('#^[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$#', (string) ($json['name'] ?? ''))) {
		$problems[] = 'composer.json: "name" must be a Composer vendor/name';
	}
	if (array_key_exists('version', $json)) {
		$problems[] = 'composer.json: no "version" field: PIE and Packagist take the version from the git tag';
	}
	if (($json['license'] ?? null) !== 'MIT' || !str_starts_with(read('LICENSE'), 'MIT License')) {
		$problems[] = 'composer.json "license" must be "MIT", as LICENSE and package.xml say';
	}
	[$major, $minor] = explode('.', PHP_MIN);
	if (($json['require']['php'] ?? null) !== ">=$major.$minor") {
		$problems[] = "composer.json: require.php must be \">=$major.$minor\" (package.xml's minimum is " . PHP_MIN . ')';
	}
	if (($ext['extension-name'] ?? null) !== extension_name()) {
		$problems[] = 'composer.json: php-ext.extension-name must be "' . extension_name() . '" (PHP_NEW_EXTENSION in config.m4)';
	}
	$excluded = in_array('windows', $ext['os-families-exclude'] ?? [], true);
	if (windows_unsupported() && !$excluded) {
		$problems[] = 'composer.json: config.w32 refuses to build, so php-ext.os-families-exclude must list "windows"';
	} elseif (!windows_unsupported() && $excluded) {
		$problems[] = 'composer.json: config.w32 builds, so php-ext.os-families-exclude must not list "windows"';
	}
	foreach (['support-zts', 'support-nts'] as $k) {
		if (isset($ext[$k]) && !is_bool($ext[$k])) {
			$problems[] = "composer.json: php-ext.$k must be true or false";
		}
	}

	$want = [];
	foreach (user_switches() as $s) {
		$want[substr($s['flag'], 2)] = $s;
	}
	$have = [];
	foreach ($ext['configure-options'] ?? [] as $o) {
		$name = (string) ($o['name'] ?? '');
		$have[$name] = $o;
		if (!isset($want[$name])) {
			$problems[] = "composer.json: configure-option \"$name\" is not a user-facing switch of config.m4"
				. (in_array(preg_replace('/^(enable|disable|with|without)-/', '', $name), DEVELOPER_SWITCHES, true)
					? ' (it is a developer switch: see DEVELOPER_SWITCHES in tools/package-lib.php)' : '');
			continue;
		}
		if (trim((string) ($o['description'] ?? '')) === '') {
			$problems[] = "composer.json: configure-option \"$name\" needs a description";
		}
		if ((bool) ($o['needs-value'] ?? false) !== $want[$name]['needs_value']) {
			$problems[] = "composer.json: configure-option \"$name\" needs-value must be " . ($want[$name]['needs_value'] ? 'true' : 'false');
		}
	}
	foreach ($want as $name => $s) {
		if (!isset($have[$name])) {
			$problems[] = "composer.json: add the configure-option {\"name\": \"$name\", \"needs-value\": "
				. ($s['needs_value'] ? 'true' : 'false') . ", \"description\": \"{$s['help']}\"} (config.m4 has $s[flag])";
		}
	}
}

/* SHA-1 of the stub as build/gen_stub.php computes it (computeStubHash()). */
function stub_hash(string $stub): string
{
	return sha1(str_replace("\r\n", "\n", $stub));
}

function check_arginfo(array &$problems): void
{
	$want = stub_hash(read('websocket.stub.php'));
	if (!preg_match('/\* Stub hash: ([0-9a-f]+) \*/', read('websocket_arginfo.h'), $m)) {
		$problems[] = 'websocket_arginfo.h has no "Stub hash:" line: regenerate it with ./dev stubs';
	} elseif ($m[1] !== $want) {
		$problems[] = "websocket_arginfo.h is stale (stub hash {$m[1]}, websocket.stub.php hashes to $want): regenerate it with ./dev stubs";
	}
}

function check_w32(array &$problems): void
{
	$m4 = m4_sources();
	$w32 = w32_sources();
	foreach (array_diff($m4, $w32) as $f) {
		$problems[] = "config.w32 does not compile $f (config.m4 does)";
	}
	foreach (array_diff($w32, $m4) as $f) {
		$problems[] = "config.w32 compiles $f, config.m4 does not";
	}
	foreach ($m4 as $f) {
		if (!is_file(root() . "/$f")) {
			$problems[] = "config.m4 compiles $f, which does not exist";
		}
	}
	if (!preg_match('/\bARG_ENABLE\s*\(\s*"' . preg_quote(extension_name(), '/') . '"/', read('config.w32'))) {
		$problems[] = 'config.w32 has no ARG_ENABLE("' . extension_name() . '", ...)';
	}
}

/* What docs/API.md must mention: the stub's API, the events and the options of the binding. */
function check_docs(array &$problems): void
{
	$doc = read('docs/API.md');
	$stub = read('websocket.stub.php');
	$names = [];
	$class = null;
	foreach (preg_split('/\n/', $stub) as $line) {
		if (preg_match('/^\s*(?:final\s+|abstract\s+)?class\s+(\w+)/', $line, $m)) {
			$class = $m[1];
			$names[] = $class;
		} elseif ($class !== null && preg_match('/^\s*public\s+(?:static\s+)?function\s+(\w+)/', $line, $m) && $m[1] !== '__construct') {
			$names[] = "$class::$m[1]()";
		} elseif ($class !== null && preg_match('/^\s*public\s+const\s+(\w+)/', $line, $m)) {
			$names[] = "$class::$m[1]";
		} elseif ($class !== null && preg_match('/^\s*public\s+(?:readonly\s+)?[?\w|\\\\]+\s+\$(\w+)/', $line, $m)) {
			$names[] = "\$$m[1]";
		}
	}
	foreach ($names as $n) {
		if (!str_contains($doc, $n)) {
			$problems[] = "docs/API.md does not mention $n (websocket.stub.php)";
		}
	}
	$server_c = read('websocket_server.c');
	if (preg_match('/php_websocket_event_names\[[^\]]*\]\s*=\s*\{([^}]*)\}/', $server_c, $m)) {
		preg_match_all('/"(\w+)"/', $m[1], $ev);
		foreach ($ev[1] as $e) {
			if (!str_contains($doc, "\"$e\"")) {
				$problems[] = "docs/API.md does not describe the \"$e\" event (websocket_server.c)";
			}
		}
	}
	// Options are matched with key_is(key, "name"), or listed in a "..._keys[]" table of names.
	preg_match_all('/key_is\(key,\s*"(\w+)"\)/', $server_c, $opts);
	$names = $opts[1];
	preg_match_all('/_keys\[\]\s*=\s*\{([^}]*)\}/', $server_c, $tables);
	foreach ($tables[1] as $t) {
		preg_match_all('/"(\w+)"/', $t, $m);
		array_push($names, ...$m[1]);
	}
	foreach (array_unique($names) as $o) {
		if (!str_contains($doc, "`$o`")) {
			$problems[] = "docs/API.md does not describe the option `$o` (websocket_server.c)";
		}
	}
}

function main(): int
{
	$problems = [];
	foreach (['check_version', 'check_composer', 'check_arginfo', 'check_w32', 'check_docs'] as $check) {
		try {
			('WebSocketTools\\' . $check)($problems);
		} catch (RuntimeException $e) {
			$problems[] = $e->getMessage();
		}
	}
	foreach ($problems as $p) {
		fwrite(STDERR, "package-lint: $p\n");
	}
	if (!$problems) {
		echo 'package-lint: version ', version(), ', composer.json, arginfo, config.w32 and docs/API.md agree with the sources', "\n";
	}
	return $problems ? 1 : 0;
}

exit(main());
