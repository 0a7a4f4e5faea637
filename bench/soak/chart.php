<?php
/*
 * bench/soak/chart.php - draws bench/results/soak.svg from soak.json (written
 * by bench/soak/soak.py): the server's RSS, its open descriptors (with its
 * open connections) and the memory the engine tracks, one panel each, over
 * the minutes of the run; the warm-up is shaded and the bound a later sample
 * must stay under is the dashed red line.
 *
 *   php -n bench/soak/chart.php SOAK.json SOAK.svg
 */

declare(strict_types=1);

[, $jsonPath, $svgPath] = $argv + ['', '', ''];
if ($jsonPath === '' || $svgPath === '') {
    fwrite(STDERR, "usage: php chart.php SOAK.json SOAK.svg\n");
    exit(2);
}
$doc = json_decode((string) file_get_contents($jsonPath), true, 512, JSON_THROW_ON_ERROR);
$samples = $doc['samples'];
$base = $doc['baseline'];
$h = static fn (string $s): string => htmlspecialchars($s, ENT_XML1 | ENT_QUOTES);

$W = 980;
$left = 90;
$right = 40;
$top = 76;
$panelH = 170;
$gap = 48;
$panels = [
    [
        'title' => 'server RSS (MiB)',
        'series' => [['RSS', '#2f6fb5', fn ($s) => $s['rss_kib'] / 1024]],
        'bound' => $base ? ($base['rss_kib'] + max($base['rss_kib'] * 0.10, 8 * 1024)) / 1024 : null,
    ],
    [
        'title' => 'open descriptors of the server (grey: its open WebSocket connections)',
        'series' => [
            ['descriptors', '#2f6fb5', fn ($s) => $s['fds']],
            ['connections', '#9aa5b1', fn ($s) => $s['connections']],
        ],
        'bound' => $base ? $base['fds'] + 16 : null,
    ],
    [
        'title' => 'memory the engine tracks (stats() memory_bytes, KiB)',
        'series' => [['memory_bytes', '#2f6fb5', fn ($s) => $s['memory_bytes'] / 1024]],
        'bound' => null,
    ],
];
$H = $top + count($panels) * ($panelH + $gap) + 20;
$maxMin = max(1, (int) max(array_column($samples, 'minute')));
$x = static fn (float $m): float => $left + ($W - $left - $right) * $m / $maxMin;

/* A round step for about five grid lines up to $max. */
function grid_step(float $max): float
{
    $raw = max($max, 1e-9) / 5;
    $p = 10 ** floor(log10($raw));
    foreach ([1, 2, 5, 10] as $m) {
        if ($m * $p >= $raw) {
            return $m * $p;
        }
    }
    return 10 * $p;
}

$svg = [];
$svg[] = sprintf('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">', $W, $H, $W, $H);
$svg[] = sprintf('<rect width="%d" height="%d" fill="#ffffff"/>', $W, $H);
$verdict = $doc['verdict'] === 'pass' ? 'pass' : 'FAIL';
$svg[] = sprintf('<text x="16" y="24" font-size="17" font-weight="bold">Soak: %d minutes of mixed load - %s</text>', $doc['minutes'], $verdict);
$svg[] = sprintf('<text x="16" y="44" fill="#555">%s</text>', $h($doc['date'] . ' - ' . $doc['machine']));
$svg[] = sprintf('<text x="16" y="62" fill="#555">%s</text>', $h('warm-up ' . $doc['warmup_minutes'] . ' min (shaded); dashed red: the bound after it (RSS ' . $doc['bounds']['rss'] . ', descriptors ' . $doc['bounds']['fds'] . ')'));

foreach ($panels as $i => $p) {
    $y0 = $top + $i * ($panelH + $gap) + 20;
    $max = 0.0;
    foreach ($p['series'] as [, , $f]) {
        foreach ($samples as $s) {
            $max = max($max, (float) $f($s));
        }
    }
    if ($p['bound'] !== null) {
        $max = max($max, (float) $p['bound']);
    }
    $step = grid_step($max * 1.1);
    $ymax = $step * ceil($max * 1.1 / $step);
    $y = static fn (float $v): float => $y0 + $panelH - $panelH * $v / $ymax;
    $svg[] = sprintf('<text x="16" y="%d" font-weight="bold">%s</text>', $y0 - 8, $h($p['title']));
    $svg[] = sprintf('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#f2f2f2"/>', $x(0), $y0, $x((float) $doc['warmup_minutes']) - $x(0), $panelH);
    for ($v = 0.0; $v <= $ymax + $step / 2; $v += $step) {
        $svg[] = sprintf('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1"/>', $left, $y($v), $W - $right, $y($v), $v == 0.0 ? '#333' : '#ddd');
        $svg[] = sprintf('<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>', $left - 6, $y($v) + 4, $h(rtrim(rtrim(number_format($v, 1, '.', ''), '0'), '.')));
    }
    $tick = max(1, (int) grid_step((float) $maxMin));
    for ($m = 0; $m <= $maxMin; $m += $tick) {
        $svg[] = sprintf('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee" stroke-width="1"/>', $x($m), $y0, $x($m), $y0 + $panelH);
        $svg[] = sprintf('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%d</text>', $x($m), $y0 + $panelH + 16, $m);
    }
    if ($p['bound'] !== null) {
        $svg[] = sprintf('<line x1="%.1f" y1="%.1f" x2="%d" y2="%.1f" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6,4"/>', $x((float) $doc['warmup_minutes']), $y((float) $p['bound']), $W - $right, $y((float) $p['bound']));
    }
    foreach ($p['series'] as [$name, $color, $f]) {
        $pts = [];
        foreach ($samples as $s) {
            $pts[] = sprintf('%.1f,%.1f', $x((float) $s['minute']), $y((float) $f($s)));
        }
        $svg[] = sprintf('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>', $color, implode(' ', $pts));
        foreach ($samples as $s) {
            $svg[] = sprintf('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>', $x((float) $s['minute']), $y((float) $f($s)), $color);
        }
    }
}
$svg[] = sprintf('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">minutes</text>', ($left + $W - $right) / 2, $H - 8);
$svg[] = '</svg>';
file_put_contents($svgPath, implode("\n", $svg) . "\n");
