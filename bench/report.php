<?php
/*
 * bench/report.php - turns the RESULT lines gathered by bench/run.sh into the
 * table (stdout), bench/results/latest.json and bench/results/chart.svg.
 *
 *   php report.php RAW.jsonl LATEST.json CHART.svg MACHINE VERSIONS BUSY REPS DURATION QUICK RUNDIR [PEERS_JSON]
 *
 * Each figure is the median of the repetitions. Ratios compare our server
 * with the Node ws run of the same sitting, and with each optional peer
 * (uWebSockets, Swoole, Workerman) that ran in it; PEERS_JSON (from run.sh)
 * gives their versions and paths. The issue's figures for the
 * leading C++ server were measured on another machine: they are shown for
 * reference, and the "90% of the ceiling" targets scale them by the ratio of
 * Node's figure here to Node's figure in the issue.
 */

[, $rawPath, $jsonPath, $svgPath, $machine, $versions, $busy, $reps, $duration, $quick, $runDir, $peersJson] = $argv + array_fill(0, 12, '');
$peers = json_decode($peersJson ?: '{}', true) ?: [];

/* ---------------------------------------------------------------- scenario definitions */

// better: which direction is better; issue: figures of the issue's table
// (leading C++ server, Swoole, Workerman, Node ws), measured elsewhere.
$SCEN = [
    'echo' => [
        'title' => 'echo, 100 conns, 1 in flight, 32 B', 'metric' => 'msgs_per_s', 'unit' => 'msgs/s', 'better' => 'higher',
        'issue' => ['cpp' => 264000, 'swoole' => 201000, 'workerman' => 198000, 'node' => 123000],
        'target' => ['kind' => 'ceiling', 'share' => 0.90, 'text' => '>= 90% of the C++ ceiling'],
    ],
    'pipelined' => [
        'title' => 'echo, 100 conns, 16 in flight, 32 B', 'metric' => 'msgs_per_s', 'unit' => 'msgs/s', 'better' => 'higher',
        'issue' => ['cpp' => 3390000, 'swoole' => 211000, 'workerman' => 160000, 'node' => 141000],
        'target' => ['kind' => 'ratio', 'min' => 12, 'text' => '>= 12x Node ws'],
    ],
    'latency' => [
        'title' => 'echo, 1 conn, 1 in flight, p50 round trip', 'metric' => 'lat_us.p50', 'unit' => 'us', 'better' => 'lower',
        'issue' => ['cpp' => 74, 'swoole' => 74, 'workerman' => 81, 'node' => 80],
        'target' => ['kind' => 'ceiling', 'share' => 0.90, 'text' => '>= 90% of the C++ ceiling'],
    ],
    'large' => [
        'title' => 'echo, 10 conns, 64 KiB messages', 'metric' => 'bytes_per_s', 'unit' => 'GB/s', 'scale' => 1e-9, 'better' => 'higher',
        'issue' => ['cpp' => 3.2e9, 'swoole' => 2.7e9, 'workerman' => 0.84e9, 'node' => 0.40e9],
        'target' => ['kind' => 'ceiling', 'share' => 0.90, 'text' => '>= 90% of the C++ ceiling'],
    ],
    'idle' => [
        'title' => '10,000 idle connections, RSS per connection', 'metric' => 'rss_per_conn_bytes', 'unit' => 'B', 'better' => 'lower',
        'issue' => ['cpp' => 272, 'swoole' => 4900, 'workerman' => 6300, 'node' => 6200],
        'target' => ['kind' => 'absolute', 'max' => 1024, 'text' => '<= 1 KiB per connection'],
    ],
    'fanout' => [
        'title' => 'fan-out to 1,000 subscribers, deliveries/s', 'metric' => 'deliveries_per_s', 'unit' => 'deliveries/s', 'better' => 'higher',
        'issue' => ['cpp' => 4740000, 'swoole' => 340000, 'workerman' => 300000, 'node' => 240000],
        'target' => ['kind' => 'ratio', 'min' => 16, 'text' => '>= 16x Node ws'],
    ],
    'fanout10k' => [
        'title' => 'fan-out to 10,000 subscribers, deliveries/s', 'metric' => 'deliveries_per_s', 'unit' => 'deliveries/s', 'better' => 'higher',
        'issue' => null,
        'target' => null,
    ],
];
$SERVERS = ['ours' => 'ext-websocket', 'loop' => 'PHP loop', 'node' => 'Node ws', 'uws' => 'uWS', 'swoole' => 'Swoole', 'workerman' => 'Workerman'];
// the optional peers, in table order
$PEERS = ['uws', 'swoole', 'workerman'];

/* ---------------------------------------------------------------- read */

$runs = [];
foreach (file($rawPath, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
    $r = json_decode($line, true);
    if (is_array($r)) {
        $runs[] = $r;
    }
}

function metric(array $result, string $path): ?float
{
    $v = $result;
    foreach (explode('.', $path) as $k) {
        if (!is_array($v) || !array_key_exists($k, $v)) {
            return null;
        }
        $v = $v[$k];
    }
    return is_numeric($v) ? (float) $v : null;
}

function median(array $xs): ?float
{
    $xs = array_values(array_filter($xs, fn ($x) => $x !== null));
    if (!$xs) {
        return null;
    }
    sort($xs);
    $n = count($xs);
    return $n % 2 ? $xs[intdiv($n, 2)] : ($xs[$n / 2 - 1] + $xs[$n / 2]) / 2;
}

/* ---------------------------------------------------------------- aggregate */

$out = [];
$notes = [];
foreach ($peers['notes'] ?? [] as $n) {
    $notes[] = $n;
}
foreach ($SCEN as $name => $def) {
    $servers = [];
    foreach ($SERVERS as $kind => $label) {
        $mine = array_values(array_filter($runs, fn ($r) => $r['scenario'] === $name && $r['server'] === $kind));
        if (!$mine) {
            continue;
        }
        $vals = [];
        $cpu = ['server_cpu' => [], 'loadgen_cpu' => [], 'other_cpu' => []];
        $lat = ['p50' => [], 'p99' => [], 'p999' => []];
        $issues = [];
        foreach ($mine as $r) {
            $res = $r['result'] ?? null;
            if (!is_array($res)) {
                $issues[] = "rep {$r['rep']}: no result (" . trim($r['error'] ?? '?') . ')';
                continue;
            }
            $v = metric($res, $def['metric']);
            if ($v !== null && $v >= 0) {
                $vals[] = $v;
            }
            foreach ($cpu as $k => $_) {
                if (isset($res[$k]) && $res[$k] >= 0) {
                    $cpu[$k][] = $res[$k];
                }
            }
            foreach ($lat as $k => $_) {
                if (isset($res['lat_us'][$k])) {
                    $lat[$k][] = $res['lat_us'][$k];
                }
            }
            foreach (['errors', 'lost', 'missing', 'failed', 'closed', 'eof', 'closed_by_server'] as $k) {
                if (!empty($res[$k])) {
                    $issues[] = "rep {$r['rep']}: $k {$res[$k]}";
                }
            }
            if (!empty($res['undelivered'])) {
                $issues[] = "rep {$r['rep']}: {$res['undelivered']} deliveries were still on their way when the run stopped waiting for them (5 s)";
            }
            if (!empty($res['close_codes'])) {
                $codes = [];
                foreach ($res['close_codes'] as $code => $n) {
                    $codes[] = "$code x$n";
                }
                $issues[] = "rep {$r['rep']}: close frames from the server: " . implode(', ', $codes);
            }
            if (isset($res['synced']) && !$res['synced']) {
                $issues[] = "rep {$r['rep']}: the probe did not reach every subscriber";
            }
            if (($res['mode'] ?? '') === 'connections' && ($res['ok'] ?? 0) < ($res['target'] ?? 0)) {
                $issues[] = "rep {$r['rep']}: only {$res['ok']} of {$res['target']} connections opened";
            }
            if (($r['server_alive'] ?? true) === false) {
                $issues[] = "rep {$r['rep']}: the server had exited by the end of the run";
            }
            if (isset($res['other_cpu']) && $res['other_cpu'] > 0.15) {
                $issues[] = sprintf('rep %d: other processes used %.0f%% of a CPU during the run (noisy)', $r['rep'], 100 * $res['other_cpu']);
            }
        }
        $m = median($vals);
        $servers[$kind] = [
            'median' => $m,
            'runs' => $vals,
            'server_cpu' => median($cpu['server_cpu']),
            'loadgen_cpu' => median($cpu['loadgen_cpu']),
            'other_cpu' => median($cpu['other_cpu']),
            'lat_us' => array_filter(array_map('median', $lat), fn ($x) => $x !== null),
        ];
        foreach ($issues as $i) {
            $notes[] = "$name / {$SERVERS[$kind]}: $i";
        }
        $sc = $servers[$kind]['server_cpu'];
        $gc = $servers[$kind]['loadgen_cpu'];
        if ($sc !== null && $gc !== null && $gc > 0.9 && $sc < 0.85) {
            $notes[] = sprintf('%s / %s: the load generator was the bottleneck (its CPU %.0f%%, the server\'s %.0f%%)', $name, $SERVERS[$kind], 100 * $gc, 100 * $sc);
        }
    }
    if (!$servers) {
        continue;
    }
    // advantage: > 1 means ours is better, whichever the direction
    $adv = function (?float $ours, ?float $other) use ($def): ?float {
        if ($ours === null || $other === null || $ours <= 0 || $other <= 0) {
            return null;
        }
        return $def['better'] === 'higher' ? $ours / $other : $other / $ours;
    };
    $ours = $servers['ours']['median'] ?? null;
    $node = $servers['node']['median'] ?? null;
    $loop = $servers['loop']['median'] ?? null;
    $entry = [
        'title' => $def['title'],
        'metric' => $def['metric'],
        'unit' => $def['unit'],
        'better' => $def['better'],
        'servers' => $servers,
        'ours_vs_node' => $adv($ours, $node),
        'ours_vs_loop' => $loop !== null ? $adv($ours, $loop) : null,
    ];
    // the same factor against each optional peer that ran (ours_vs_uws, ...)
    foreach ($PEERS as $p) {
        if (isset($servers[$p])) {
            $entry["ours_vs_$p"] = $adv($ours, $servers[$p]['median']);
        }
    }
    if ($def['issue']) {
        $entry['issue_reference'] = $def['issue'];
        $entry['issue_cpp_vs_node'] = $adv($def['issue']['cpp'], $def['issue']['node']);
    }
    $t = $def['target'];
    if ($t) {
        $target = ['text' => $t['text']];
        if ($t['kind'] === 'ratio') {
            $target['min_vs_node'] = $t['min'];
            $target['met'] = $entry['ours_vs_node'] !== null ? $entry['ours_vs_node'] >= $t['min'] : null;
        } elseif ($t['kind'] === 'absolute') {
            $target['max'] = $t['max'];
            $target['met'] = $ours !== null ? $ours <= $t['max'] : null;
            if ($node !== null) {
                // where the target falls on the "times better than Node" scale (for the chart)
                $target['as_factor_over_node'] = $def['better'] === 'higher' ? $t['max'] / $node : $node / $t['max'];
            }
        } else {
            // The ceiling is the C++ figure of the issue, scaled to this machine
            // by how Node ws did here compared with the issue's Node figure.
            $cppAdv = $adv($def['issue']['cpp'], $def['issue']['node']);
            $target['min_vs_node'] = $t['share'] * $cppAdv;
            $target['met'] = $entry['ours_vs_node'] !== null ? $entry['ours_vs_node'] >= $target['min_vs_node'] : null;
            if ($node !== null) {
                $ceiling = $def['issue']['cpp'] * $node / $def['issue']['node'];
                $target['ceiling_estimate_here'] = $ceiling;
                $target['share_of_ceiling'] = $ours !== null ? ($def['better'] === 'higher' ? $ours / $ceiling : $ceiling / $ours) : null;
            }
            $target['share_of_issue_cpp_figure'] = $ours !== null
                ? ($def['better'] === 'higher' ? $ours / $def['issue']['cpp'] : $def['issue']['cpp'] / $ours) : null;
        }
        $entry['target'] = $target;
    }
    $out[$name] = $entry;
}

/* ---------------------------------------------------------------- table */

function fmt(?float $v, array $def): string
{
    if ($v === null) {
        return '-';
    }
    $v *= $def['scale'] ?? 1;
    switch ($def['unit']) {
        case 'us':
            return sprintf('%.0f µs', $v);
        case 'B':
            return $v >= 10240 ? sprintf('%.1f KiB', $v / 1024) : sprintf('%.0f B', $v);
        case 'GB/s':
            return sprintf('%.2f GB/s', $v);
        default:
            if ($v >= 1e6) {
                return sprintf('%.2fM', $v / 1e6);
            }
            return sprintf('%.0fk', $v / 1e3);
    }
}

function ulen(string $s): int
{
    return (int) preg_match_all('/./us', $s);
}

function fx(?float $x): string
{
    if ($x === null) {
        return '-';
    }
    return $x >= 10 ? sprintf('%.1fx', $x) : sprintf('%.2fx', $x);
}

$date = gmdate('Y-m-d H:i') . ' UTC';
// columns for the optional peers that ran in this sitting
$present = array_values(array_filter($PEERS, function ($p) use ($out) {
    foreach ($out as $e) {
        if (isset($e['servers'][$p])) {
            return true;
        }
    }
    return false;
}));
$rows = [];
$rows[] = array_merge(['scenario', 'ext-websocket', 'PHP loop', 'Node ws'], array_map(fn ($p) => $SERVERS[$p], $present),
    ['ours vs Node'], array_map(fn ($p) => 'ours vs ' . $SERVERS[$p], $present),
    ['target', 'met', 'issue: C++ / Node (other machine)']);
foreach ($out as $name => $e) {
    $def = $SCEN[$name];
    $s = $e['servers'];
    $t = $e['target'] ?? null;
    $targetText = '-';
    $met = '-';
    if ($t) {
        $targetText = $t['text'];
        if (isset($t['min_vs_node']) && ($def['target']['kind'] ?? '') === 'ceiling') {
            $targetText .= sprintf(' (%s Node here)', fx($t['min_vs_node']));
        }
        $met = $t['met'] === null ? '?' : ($t['met'] ? 'yes' : 'NO');
    }
    $issue = $def['issue'] ? fmt($def['issue']['cpp'], $def) . ' / ' . fmt($def['issue']['node'], $def) : '-';
    $vsNode = fx($e['ours_vs_node']);
    if ($e['ours_vs_loop'] !== null) {
        $vsNode .= ' (' . fx($e['ours_vs_loop']) . ' PHP loop)';
    }
    $rows[] = array_merge(
        [
            $e['title'],
            fmt($s['ours']['median'] ?? null, $def),
            isset($s['loop']) ? fmt($s['loop']['median'], $def) : '',
            fmt($s['node']['median'] ?? null, $def),
        ],
        // a peer left out of a scenario (Workerman on select() at 10,000) shows "skipped"
        array_map(fn ($p) => isset($s[$p]) ? fmt($s[$p]['median'], $def) : 'skipped', $present),
        [$vsNode],
        array_map(fn ($p) => isset($s[$p]) ? fx($e["ours_vs_$p"] ?? null) : '-', $present),
        [$targetText, $met, $issue]
    );
}

$md = '| ' . implode(' | ', $rows[0]) . " |\n|" . str_repeat('---|', count($rows[0])) . "\n";
foreach (array_slice($rows, 1) as $r) {
    $md .= '| ' . implode(' | ', $r) . " |\n";
}

// The ceiling rows, spelled out: share of the scaled estimate, and of the raw figure.
$ceilingLines = [];
foreach ($out as $name => $e) {
    $t = $e['target'] ?? null;
    if (!$t || !isset($t['share_of_issue_cpp_figure'])) {
        continue;
    }
    $def = $SCEN[$name];
    $ceilingLines[] = sprintf('%s: ours %s = %s of the C++ ceiling scaled to this machine (%s), %s of the issue\'s raw C++ figure (%s, other machine)',
        $e['title'], fmt($e['servers']['ours']['median'] ?? null, $def),
        isset($t['share_of_ceiling']) && $t['share_of_ceiling'] !== null ? sprintf('%.0f%%', 100 * $t['share_of_ceiling']) : '-',
        isset($t['ceiling_estimate_here']) ? fmt($t['ceiling_estimate_here'], $def) : '-',
        $t['share_of_issue_cpp_figure'] !== null ? sprintf('%.0f%%', 100 * $t['share_of_issue_cpp_figure']) : '-',
        fmt($def['issue']['cpp'], $def));
}
if ($ceilingLines) {
    $md .= "\n" . implode("\n", array_map(fn ($l) => "- $l", $ceilingLines)) . "\n";
}

$header = sprintf("%s, %s; %s; %s repetition(s) of %s s, median%s", $date, $machine, $versions, $reps, $duration, $quick === '1' ? ' (--quick)' : '');
echo "\n", $header, "\n\n";
// a plain-text rendering for the terminal
$w = [];
foreach ($rows as $r) {
    foreach ($r as $i => $c) {
        $w[$i] = max($w[$i] ?? 0, ulen($c));
    }
}
foreach ($rows as $k => $r) {
    $line = '';
    foreach ($r as $i => $c) {
        $line .= $c . str_repeat(' ', $w[$i] - ulen($c)) . '  ';
    }
    echo rtrim($line), "\n";
    if ($k === 0) {
        echo str_repeat('-', array_sum($w) + 2 * (count($w) - 1)), "\n";
    }
}
echo "\n\"ours vs X\" is a factor where above 1 means ext-websocket did better (more per second, or fewer µs/bytes).\n";
foreach ($PEERS as $p) {
    if (!empty($peers[$p]['present'])) {
        echo "  {$SERVERS[$p]}: {$peers[$p]['version']} ({$peers[$p]['path']})\n";
    }
}
echo "Ceiling targets: the issue's C++ figure scaled by Node here / Node in the issue; 90% of it, as a factor over Node.\n";
foreach ($ceilingLines as $l) {
    echo "  $l\n";
}
foreach ($out as $name => $e) {
    $s = $e['servers'];
    $parts = [];
    foreach ($s as $kind => $d) {
        $p = sprintf('%s: server CPU %s, loadgen CPU %s', $SERVERS[$kind],
            $d['server_cpu'] === null ? '-' : sprintf('%.0f%%', 100 * $d['server_cpu']),
            $d['loadgen_cpu'] === null ? '-' : sprintf('%.0f%%', 100 * $d['loadgen_cpu']));
        if (!empty($d['lat_us']) && $name !== 'latency') {
            $p .= sprintf(', latency p50/p99 %.0f/%.0f µs', $d['lat_us']['p50'] ?? 0, $d['lat_us']['p99'] ?? 0);
        } elseif (!empty($d['lat_us'])) {
            $p .= sprintf(', p99 %.0f µs, p99.9 %.0f µs', $d['lat_us']['p99'] ?? 0, $d['lat_us']['p999'] ?? 0);
        }
        $parts[] = $p;
    }
    echo "  $name: ", implode('; ', $parts), "\n";
}
if ($notes) {
    echo "\nNotes:\n";
    foreach ($notes as $n) {
        echo "  - $n\n";
    }
}
$logNotes = [];
foreach (glob(rtrim($runDir, '/') . '/server-*.log') ?: [] as $log) {
    // Workerman's master announces its start and each signal ("Workerman[file] ..."):
    // not a problem to report.
    $lines = array_filter(file($log, FILE_IGNORE_NEW_LINES) ?: [], fn ($l) => $l !== ''
        && !str_starts_with($l, '--- port') && !str_contains($l, 'listening on')
        && !preg_match('/^Workerman\[[^\]]*\] (start in|received signal|stopping|has been stopped|Stopping)/', $l));
    if ($lines) {
        $logNotes[basename($log)] = array_slice(array_values($lines), 0, 5);
    }
}
if ($logNotes) {
    echo "\nServer output besides the start line (bench/.run/):\n";
    foreach ($logNotes as $f => $ls) {
        foreach ($ls as $l) {
            echo "  $f: ", substr($l, 0, 200), "\n";
        }
    }
}

/* ---------------------------------------------------------------- latest.json */

$doc = [
    'date' => gmdate('c'),
    'machine' => $machine,
    'versions' => $versions,
    'peers' => array_intersect_key($peers, array_flip($PEERS)),
    'quick' => $quick === '1',
    'repetitions' => (int) $reps,
    'duration_s' => (float) $duration,
    'machine_busy_before_pct' => (int) $busy,
    'placement' => 'server on CPU 0, load generator on CPU 1 (taskset)',
    'scenarios' => $out,
    'table_markdown' => $md,
    'notes' => $notes,
    'server_output' => $logNotes,
    'runs' => $runs,
];
file_put_contents($jsonPath, json_encode($doc, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION) . "\n");

// the same table in Markdown, for the README
file_put_contents(dirname($jsonPath) . '/latest.md', "Measured $header.\n\n" . $md);

/* ---------------------------------------------------------------- chart.svg */

// One row per scenario: bars of "times better than Node ws" on a log scale,
// for ext-websocket and (fan-out) the PHP loop, with the target marked.
$h = static fn (string $s): string => htmlspecialchars($s, ENT_XML1 | ENT_QUOTES);
$W = 980;
$left = 330;
$right = 40;
$top = 70;
$rowH = 58;
$rowsSvg = array_filter($out, fn ($e) => $e['ours_vs_node'] !== null);
$H = $top + $rowH * max(1, count($rowsSvg)) + 60;
$maxF = 2;
$minF = 1;
foreach ($rowsSvg as $e) {
    $maxF = max($maxF, $e['ours_vs_node'] ?? 0, $e['target']['min_vs_node'] ?? 0);
    $minF = min($minF, $e['ours_vs_node'] ?? 1);
}
$lmin = max(-4, floor(log($minF / 1.3, 2)));
$lmax = ceil(log($maxF * 1.3, 2));
$x = static fn (float $f): float => $left + ($W - $left - $right) * (log(max($f, 2 ** $lmin), 2) - $lmin) / ($lmax - $lmin);

$svg = [];
$svg[] = sprintf('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">', $W, $H, $W, $H);
$svg[] = sprintf('<rect width="%d" height="%d" fill="#ffffff"/>', $W, $H);
$svg[] = sprintf('<text x="%d" y="24" font-size="17" font-weight="bold">ext-websocket vs Node ws: how many times better (log scale)</text>', 16);
$svg[] = sprintf('<text x="%d" y="44" fill="#555">%s</text>', 16, $h($date . ' - ' . $machine . ($quick === '1' ? ' - quick run' : '')));
// grid
for ($l = (int) $lmin; $l <= $lmax; $l++) {
    $f = 2 ** $l;
    $gx = $x($f);
    $svg[] = sprintf('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1"/>', $gx, $top - 8, $gx, $H - 45, $f == 1 ? '#333' : '#ddd');
    $svg[] = sprintf('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>', $gx, $H - 28, $f < 1 ? '1/' . (1 / $f) . 'x' : $f . 'x');
}
$svg[] = sprintf('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">1x = Node ws in the same sitting; red tick = target; orange bar = target missed; grey = PHP loop</text>', ($left + $W - $right) / 2, $H - 10);
$i = 0;
foreach ($rowsSvg as $name => $e) {
    $def = $SCEN[$name];
    $y0 = $top + $i * $rowH;
    $svg[] = sprintf('<text x="%d" y="%d" font-weight="bold">%s</text>', 16, $y0 + 16, $h($def['title']));
    $s = $e['servers'];
    $sub = 'ours ' . fmt($s['ours']['median'] ?? null, $def) . ', Node ' . fmt($s['node']['median'] ?? null, $def);
    if (isset($s['loop'])) {
        $sub .= ', PHP loop ' . fmt($s['loop']['median'], $def);
    }
    $svg[] = sprintf('<text x="%d" y="%d" fill="#555">%s</text>', 16, $y0 + 34, $h($sub));
    $missed = isset($e['target']['met']) && $e['target']['met'] === false;
    $bars = [['ext-websocket', $e['ours_vs_node'], $missed ? '#e07b24' : '#2f6fb5']];
    if (isset($s['loop']) && isset($s['node']['median']) && $s['loop']['median']) {
        $loopAdv = $def['better'] === 'higher' ? $s['loop']['median'] / $s['node']['median'] : $s['node']['median'] / $s['loop']['median'];
        $bars[] = ['PHP loop', $loopAdv, '#9aa5b1'];
    }
    $bh = count($bars) > 1 ? 18 : 26;
    $tick = $e['target']['min_vs_node'] ?? $e['target']['as_factor_over_node'] ?? null;
    foreach ($bars as $j => [$label, $f, $color]) {
        $by = $y0 + 4 + $j * ($bh + 4);
        $x1 = $x(1);
        $x2 = $x($f);
        $tx = $tick !== null ? $x($tick) : 0;
        $lx = max($x1, $x2, $tx > $x2 && $tx - $x2 < 40 ? $tx : 0) + 6;
        $svg[] = sprintf('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>', min($x1, $x2), $by, abs($x2 - $x1), $bh, $color);
        $svg[] = sprintf('<text x="%.1f" y="%d" fill="#222">%s %s</text>', $lx, $by + $bh - 5, $h(fx($f)), $h($label === 'PHP loop' ? '(PHP loop)' : ''));
    }
    if ($tick !== null) {
        $tx = $x($tick);
        $svg[] = sprintf('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d62728" stroke-width="3"/>', $tx, $y0, $tx, $y0 + $rowH - 14);
    }
    $i++;
}
$svg[] = '</svg>';
file_put_contents($svgPath, implode("\n", $svg) . "\n");

echo "\nwrote ", $jsonPath, " and ", $svgPath, "\n";
