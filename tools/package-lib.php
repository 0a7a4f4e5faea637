<?php
/*
 * tools/package-lib.php - what the packaging tools share: reading the
 * version, the configure switches and the source lists out of the build
 * files, the list of files in the repository, and which of them ship in the
 * PECL tarball with which role.
 *
 * Nothing here writes a file.  Every function that cannot do its job throws
 * a RuntimeException whose message is meant for the person running the tool.
 */

declare(strict_types=1);

namespace WebSocketTools;

use RuntimeException;

/* The oldest PHP the extension builds for (package.xml <min>, composer.json "php"). */
const PHP_MIN = '8.1.0';

/*
 * config.m4 switches that are for developers of the extension, not for the
 * people installing it: they stay out of package.xml and composer.json.
 * --enable-websocket-dev adds -Werror, which turns any new compiler warning
 * into a failed install; --enable-websocket-asan needs the sanitizer runtime
 * preloaded into PHP.  Any other switch in config.m4 is offered to users
 * automatically (TLS and compression switches included, when they arrive).
 */
const DEVELOPER_SWITCHES = ['websocket-dev', 'websocket-asan'];

/*
 * Which repository files ship in the PECL tarball, and with which role, as
 * [pattern, role, why].  The first matching pattern wins; role null means
 * "not shipped".  Patterns are fnmatch() globs where "*" does not cross "/"
 * and a trailing "/**" matches everything below a directory.  A file that
 * matches no pattern is an error, so a new kind of file is a deliberate
 * decision rather than a silent omission.
 */
const FILE_RULES = [
	// Repository machinery: never part of a release.  "." matches any path
	// with a segment that starts with a dot (.gitignore, .ci/run, .github/...).
	['.', null, 'dot files and directories (.gitignore, .ci/, CI and editor settings)'],
	['dev', null, 'the developer entry script (needs the git checkout)'],
	['tools/**', null, 'maintainer tools (this generator and its checks)'],
	['bench/**', null, 'benchmarks'],
	['core/bench/**', null, 'core micro-benchmarks'],
	['package.xml', null, 'pecl package writes its own copy into the tarball'],
	['composer.json', null, 'PIE metadata: PIE builds from the git archive, not from the PECL tarball'],
	['tests/package-check.sh', null, 'checks the repository (needs git and tools/), not an installed package'],

	// The plain-C tests, fuzz targets (with their seed corpus) and the makefile that runs them
	// (GNUmakefile: a hand-written file, not one of the generated Makefiles).
	['core/GNUmakefile', 'test', 'builds and runs the core tests and fuzzers'],
	['core/tests/**', 'test', 'core unit tests'],
	['core/fuzz/**', 'test', 'libFuzzer targets and seed corpus'],

	// What the build needs.
	['core/*.c', 'src', 'the Zend-free engine'],
	['core/*.h', 'src', 'the Zend-free engine'],
	['*.c', 'src', 'the binding'],
	['*.h', 'src', 'the binding (websocket_arginfo.h included)'],
	['config.m4', 'src', 'build configuration'],
	['config.w32', 'src', 'build configuration'],
	['Makefile.frag', 'src', 'build configuration'],
	['websocket.stub.php', 'src', 'the PHP API, source of websocket_arginfo.h'],

	// PHP tests (phpt and the scripts they share).
	['tests/**', 'test', 'PHP-level tests'],

	// Documentation.
	['*.md', 'doc', 'documentation (README.md, CHANGELOG.md, PROTOCOL.md, ...)'],
	['LICENSE', 'doc', 'the license'],
	['CREDITS', 'doc', 'the authors'],
	['docs/**', 'doc', 'documentation'],
	['examples/**', 'doc', 'runnable examples'],
];

/* The repository root (the parent of tools/). */
function root(): string
{
	return dirname(__DIR__);
}

function read(string $relative): string
{
	$path = root() . '/' . $relative;
	$text = @file_get_contents($path);
	if ($text === false) {
		throw new RuntimeException("cannot read $relative");
	}
	return $text;
}

/* PHP_WEBSOCKET_VERSION from php_websocket.h, the one place the version is defined. */
function version(): string
{
	if (!preg_match('/^#\s*define\s+PHP_WEBSOCKET_VERSION\s+"([^"]+)"/m', read('php_websocket.h'), $m)) {
		throw new RuntimeException('php_websocket.h does not define PHP_WEBSOCKET_VERSION');
	}
	if (!preg_match('/^\d+\.\d+\.\d+(?:(?:alpha|beta|RC|dev)\d*)?$/', $m[1])) {
		throw new RuntimeException("PHP_WEBSOCKET_VERSION \"{$m[1]}\" is not a PECL version (1.2.3, 1.2.3beta1, 1.2.3RC1)");
	}
	return $m[1];
}

/*
 * PEAR stability of a version: an explicit suffix decides (alpha, beta,
 * RC = beta, dev = devel); otherwise 0.x is beta and 1.0 onwards stable.
 */
function stability(string $version): string
{
	if (preg_match('/(alpha|beta|RC|dev)\d*$/', $version, $m)) {
		return ['alpha' => 'alpha', 'beta' => 'beta', 'RC' => 'beta', 'dev' => 'devel'][$m[1]];
	}
	return str_starts_with($version, '0.') ? 'beta' : 'stable';
}

/*
 * Splits the arguments of an m4 macro call that starts at $text[$open] (the
 * opening parenthesis).  Square brackets quote, so commas inside them do not
 * separate; one level of outer quoting is removed from every argument.
 * Returns the arguments and sets $end to the offset after the closing
 * parenthesis.
 */
function m4_args(string $text, int $open, ?int &$end = null): array
{
	$args = [];
	$cur = '';
	$quote = 0;
	$paren = 0;
	for ($i = $open + 1, $n = strlen($text); $i < $n; $i++) {
		$ch = $text[$i];
		if ($ch === '[') {
			$quote++;
		} elseif ($ch === ']') {
			$quote--;
		} elseif ($quote === 0 && $ch === '(') {
			$paren++;
		} elseif ($quote === 0 && $ch === ')') {
			if ($paren === 0) {
				$args[] = $cur;
				$end = $i + 1;
				return array_map('WebSocketTools\m4_unquote', $args);
			}
			$paren--;
		} elseif ($quote === 0 && $paren === 0 && $ch === ',') {
			$args[] = $cur;
			$cur = '';
			continue;
		}
		$cur .= $ch;
	}
	throw new RuntimeException('config.m4: unbalanced macro call');
}

function m4_unquote(string $arg): string
{
	$arg = trim($arg);
	if (strlen($arg) >= 2 && $arg[0] === '[' && $arg[-1] === ']') {
		$arg = substr($arg, 1, -1);
	}
	return trim($arg);
}

/* Every call of $macro in $text, as argument lists. */
function m4_calls(string $text, string $macro): array
{
	$calls = [];
	$offset = 0;
	while (preg_match('/\b' . preg_quote($macro, '/') . '\s*\(/', $text, $m, PREG_OFFSET_CAPTURE, $offset)) {
		$open = $m[0][1] + strlen($m[0][0]) - 1;
		$calls[] = m4_args($text, $open, $end);
		$offset = $end;
	}
	return $calls;
}

/* config.m4 without its dnl comments. */
function config_m4(): string
{
	return preg_replace('/^\s*dnl\b.*$/m', '', read('config.m4'));
}

/* config.w32 stops with ERROR("... not supported ...") while there is no Windows port. */
function windows_unsupported(): bool
{
	return preg_match('/\bERROR\s*\(\s*"[^"]*not supported/i', read('config.w32')) === 1;
}

/* The extension name: the first argument of PHP_NEW_EXTENSION in config.m4. */
function extension_name(): string
{
	$calls = m4_calls(config_m4(), 'PHP_NEW_EXTENSION');
	if (count($calls) !== 1 || $calls[0][0] === '') {
		throw new RuntimeException('config.m4 must call PHP_NEW_EXTENSION exactly once');
	}
	return $calls[0][0];
}

/*
 * Every PHP_ARG_ENABLE / PHP_ARG_WITH of config.m4 as
 * ['kind' => 'enable'|'with', 'arg' => 'websocket-poll', 'default' => 'no',
 *  'prompt' => 'whether to ...', 'flag' => '--enable-websocket-poll',
 *  'needs_value' => bool, 'help' => 'text after the flag in ./configure --help'].
 */
function config_switches(): array
{
	$text = config_m4();
	$switches = [];
	foreach (['enable' => 'PHP_ARG_ENABLE', 'with' => 'PHP_ARG_WITH'] as $kind => $macro) {
		foreach (m4_calls($text, $macro) as $args) {
			$arg = $args[0];
			$default = ($args[3] ?? '') !== '' ? $args[3] : 'no';
			$flag = '--' . ($default === 'no' ? $kind : ($kind === 'enable' ? 'disable' : 'without')) . "-$arg";
			$help = '';
			$needs_value = false;
			if (isset($args[2]) && ($p = strpos($args[2], 'AS_HELP_STRING')) !== false) {
				$open = strpos($args[2], '(', $p);
				$h = m4_args($args[2], $open);
				// The help's own spelling of the flag wins: it is what ./configure --help shows.
				if (preg_match('/^(--[a-z0-9-]+)(=?)/', $h[0], $fm)) {
					$flag = $fm[1];
					$needs_value = $fm[2] === '=';
				}
				$help = preg_replace('/\s+/', ' ', $h[1] ?? '');
			}
			$switches[] = [
				'kind' => $kind,
				'arg' => $arg,
				'default' => $default,
				'prompt' => preg_replace('/\s+/', ' ', $args[1] ?? $arg),
				'flag' => $flag,
				'needs_value' => $needs_value,
				'help' => $help,
			];
		}
	}
	usort($switches, fn($a, $b) => strcmp($a['arg'], $b['arg']));
	return $switches;
}

/*
 * The switches a user installing the extension may set: all of config.m4's
 * except the extension's own (phpize builds force it on) and
 * DEVELOPER_SWITCHES.
 */
function user_switches(): array
{
	$name = extension_name();
	return array_values(array_filter(config_switches(),
		fn($s) => $s['arg'] !== $name && !in_array($s['arg'], DEVELOPER_SWITCHES, true)));
}

/*
 * The sources config.m4 compiles: PHP_NEW_EXTENSION's list with shell
 * variables expanded.  Assignments are evaluated in order whatever the
 * conditions around them, so a source appended under an option
 * (WS_CORE_SOURCES="$WS_CORE_SOURCES core/ws_tls.c") is counted: the result
 * is every source the extension can be built from.
 */
function m4_sources(): array
{
	$text = config_m4();
	$vars = [];
	$expand = function (string $s) use (&$vars): string {
		return preg_replace_callback('/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/',
			fn($m) => $vars[$m[1]] ?? '', $s);
	};
	preg_match_all('/^\s*([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"/m', $text, $all, PREG_SET_ORDER);
	foreach ($all as $m) {
		$vars[$m[1]] = $expand($m[2]);
	}
	$calls = m4_calls($text, 'PHP_NEW_EXTENSION');
	$list = preg_split('/\s+/', trim($expand($calls[0][1] ?? '')), -1, PREG_SPLIT_NO_EMPTY);
	$list = array_values(array_filter($list, fn($f) => str_ends_with($f, '.c')));
	sort($list);
	return array_values(array_unique($list));
}

/*
 * The sources config.w32 compiles: EXTENSION()'s list plus every
 * ADD_SOURCES(configure_module_dirname + "\\dir", list), with "var NAME =
 * ..." and "NAME += ..." string variables (literals and names joined by +)
 * evaluated in order, whatever the conditions around them.
 */
function w32_sources(): array
{
	$text = preg_replace('#^\s*//.*$#m', '', read('config.w32'));
	$vars = ['configure_module_dirname' => ''];
	$eval = function (string $expr) use (&$vars): string {
		$out = '';
		foreach (preg_split('/\s*\+\s*/', trim($expr)) as $part) {
			if (preg_match('/^"((?:[^"\\\\]|\\\\.)*)"$/', $part, $m)) {
				$out .= stripcslashes($m[1]);
			} elseif (preg_match('/^[A-Za-z_][A-Za-z0-9_]*$/', $part)) {
				$out .= $vars[$part] ?? '';
			}
		}
		return $out;
	};
	preg_match_all('/^\s*(?:var\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\+?)=\s*([^;]+);/m', $text, $all, PREG_SET_ORDER);
	foreach ($all as $m) {
		if (str_contains($m[3], '"')) {
			$vars[$m[1]] = ($m[2] === '+' ? ($vars[$m[1]] ?? '') : '') . $eval($m[3]);
		}
	}
	$list = [];
	$split = fn(string $s) => preg_split('/\s+/', trim($s), -1, PREG_SPLIT_NO_EMPTY);
	if (preg_match('/\bEXTENSION\s*\(\s*"[^"]+"\s*,\s*([^,]+),/', $text, $m)) {
		foreach ($split($eval($m[1])) as $f) {
			$list[] = $f;
		}
	}
	preg_match_all('/\bADD_SOURCES\s*\(\s*([^,]+),\s*([^,]+),/', $text, $adds, PREG_SET_ORDER);
	foreach ($adds as $m) {
		$dir = trim(str_replace('\\', '/', $eval($m[1])), '/');
		foreach ($split($eval($m[2])) as $f) {
			$list[] = ($dir === '' ? '' : "$dir/") . $f;
		}
	}
	sort($list);
	return array_values(array_unique($list));
}

/*
 * The files of the repository: tracked ones plus untracked ones that are
 * not ignored (so a new file counts before it is committed), as paths
 * relative to the root, sorted.  Tracked files deleted from the working
 * tree are left out.
 */
function repository_files(): array
{
	$root = root();
	if (!is_dir("$root/.git") && !is_file("$root/.git")) {
		throw new RuntimeException("$root is not a git checkout: the file list comes from git ls-files");
	}
	$cmd = 'git -C ' . escapeshellarg($root) . ' ls-files -z --cached --others --exclude-standard';
	$out = shell_exec($cmd);
	if (!is_string($out)) {
		throw new RuntimeException("cannot run: $cmd");
	}
	$files = [];
	foreach (explode("\0", $out) as $f) {
		if ($f !== '' && is_file("$root/$f")) {
			$files[$f] = true;
		}
	}
	$files = array_keys($files);
	sort($files, SORT_STRING);
	return $files;
}

function glob_match(string $pattern, string $path): bool
{
	if (str_ends_with($pattern, '/**')) {
		return str_starts_with($path, substr($pattern, 0, -2));
	}
	return fnmatch($pattern, $path, FNM_PATHNAME);
}

/* [role or null, why] for a repository file; throws for a file no rule covers. */
function classify(string $path): array
{
	foreach (FILE_RULES as [$pattern, $role, $why]) {
		if ($pattern === '.' ? preg_match('#(^|/)\.#', $path) === 1 : glob_match($pattern, $path)) {
			return [$role, $why];
		}
	}
	throw new RuntimeException("no packaging rule covers \"$path\": add one to FILE_RULES in tools/package-lib.php");
}

/* Shipped files: path => role, sorted by path. */
function shipped_files(): array
{
	$out = [];
	$unknown = [];
	foreach (repository_files() as $f) {
		try {
			[$role] = classify($f);
		} catch (RuntimeException $e) {
			$unknown[] = $e->getMessage();
			continue;
		}
		if ($role !== null) {
			$out[$f] = $role;
		}
	}
	if ($unknown) {
		throw new RuntimeException(implode("\n", $unknown));
	}
	return $out;
}

/*
 * The CHANGELOG.md section of a version: ['date' => 'YYYY-MM-DD' or null
 * when "Unreleased", 'notes' => the section's text].
 */
function changelog_entry(string $version): array
{
	$text = str_replace("\r\n", "\n", read('CHANGELOG.md'));
	$re = '/^## \[' . preg_quote($version, '/') . '\](?:\s*-\s*(\S+))?[^\n]*\n(.*?)(?=^## |\z)/ms';
	if (!preg_match($re, $text, $m)) {
		throw new RuntimeException("CHANGELOG.md has no \"## [$version] - YYYY-MM-DD\" (or \"- Unreleased\") section");
	}
	$date = null;
	if (preg_match('/^\d{4}-\d{2}-\d{2}$/', $m[1] ?? '')) {
		$date = $m[1];
	} elseif (strcasecmp($m[1] ?? '', 'Unreleased') !== 0) {
		throw new RuntimeException("CHANGELOG.md: the [$version] heading must end in \"- YYYY-MM-DD\" or \"- Unreleased\"");
	}
	// Link reference definitions ("[0.1.0]: https://...") belong to the file, not the section.
	$notes = preg_replace('/^\[[^\]]+\]:\s*\S+\s*$/m', '', $m[2]);
	return ['date' => $date, 'notes' => trim($notes)];
}

/* package.xml parsed: ['version' => ..., 'date' => ..., 'files' => [path => role], ...]; null if absent. */
function read_package_xml(): ?array
{
	$path = root() . '/package.xml';
	if (!is_file($path)) {
		return null;
	}
	$prev = libxml_use_internal_errors(true);
	$xml = simplexml_load_file($path);
	libxml_use_internal_errors($prev);
	if ($xml === false) {
		throw new RuntimeException('package.xml is not well-formed XML');
	}
	$xml->registerXPathNamespace('p', 'http://pear.php.net/dtd/package-2.0');
	$files = [];
	$walk = function ($dir, string $prefix) use (&$walk, &$files) {
		foreach ($dir->children('http://pear.php.net/dtd/package-2.0') as $child) {
			// Attributes carry no namespace: read them outside the package one.
			$attr = $child->attributes();
			$name = (string) $attr['name'];
			if ($child->getName() === 'dir') {
				$walk($child, ($name === '/' ? '' : $prefix . trim($name, '/') . '/'));
			} elseif ($child->getName() === 'file') {
				$files[$prefix . $name] = (string) $attr['role'];
			}
		}
	};
	$p = $xml->children('http://pear.php.net/dtd/package-2.0');
	if (isset($p->contents)) {
		$walk($p->contents, '');
	}
	ksort($files, SORT_STRING);
	return [
		'name' => (string) $p->name,
		'version' => (string) $p->version->release,
		'api' => (string) $p->version->api,
		'date' => (string) $p->date,
		'provides' => (string) $p->providesextension,
		'files' => $files,
	];
}
