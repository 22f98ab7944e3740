#!/usr/bin/env python3
"""Summarises the scale harness's CSV (see bench/scale.sh and
bench/scale_matrix.sh): a Markdown table of medians and ranges per
configuration, each configuration's median CPU as a ratio to heartbeat-stream's
at the same interval and stream count and to the floor's and the earlier build's
(`wheel-before`) on the same executor, the marginal memory per stream (the
slope between 10,000 and 100,000 streams), and an SVG chart of CPU and p99
lateness against the number of streams, one line per time source, for each
pulse interval in the file (`chart.svg` for 100 ms, `chart-1000ms.svg` for others).

Usage: python3 bench/report.py target/scale.csv [chart.svg]
"""
import csv
import math
import statistics
import sys
from collections import defaultdict

FIELDS = ["mode", "streams", "clock", "executor", "deadlines", "interval_ms", "cores", "bytes_per_stream",
          "peak_rss", "delivered", "expected", "skipped", "p50_ms", "p99_ms", "max_ms",
          "us_per_pulse", "switches_per_sec"]


def load(path):
    groups = defaultdict(list)
    with open(path) as f:
        for row in csv.reader(f):
            record = dict(zip(FIELDS, row))
            key = (record["mode"], record["clock"], record["executor"], record["deadlines"],
                   int(record["interval_ms"]), int(record["streams"]))
            groups[key].append(record)
    return groups


def spread(values, digits):
    values = sorted(values)
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({values[0]:.{digits}f}–{values[-1]:.{digits}f})"


def table(groups):
    print("| mode | time source | executor | deadlines | interval ms | streams | runs | CPU, cores | µs/pulse | switches/s | bytes/stream | delivered/expected | skipped | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(groups, key=lambda k: (k[0], k[3], k[4], k[5], k[1], k[2])):
        rows = groups[key]
        mode, clock, executor, deadlines, interval, streams = key
        col = lambda name: [float(r[name]) for r in rows]
        optional = lambda name, digits: "—" if mode == "watchdog" or rows[0].get(name) is None else spread(col(name), digits)
        delivered = sum(int(r["delivered"]) for r in rows)
        expected = sum(int(r["expected"]) for r in rows)
        skipped = sum(int(r["skipped"]) for r in rows)
        # A watchdog run lasts one timeout: too short for a CPU figure, so none is shown.
        cores = "—" if mode == "watchdog" else spread(col('cores'), 3)
        print(f"| {mode} | {clock} | {executor} | {deadlines} | {interval} | {streams:,} | {len(rows)} | {cores} "
              f"| {optional('us_per_pulse', 2)} | {optional('switches_per_sec', 0)} "
              f"| {spread(col('bytes_per_stream'), 0)} | {delivered:,}/{expected:,} | {skipped} "
              f"| {spread(col('p50_ms'), 2)} | {spread(col('p99_ms'), 2)} | {spread(col('max_ms'), 1)} |")


def median(rows, name):
    return statistics.median(float(r[name]) for r in rows)


def ratios(groups):
    """Each heartbeat configuration's median CPU over the peer's, same interval and count."""
    peers = {(k[4], k[5]): median(rows, "cores") for k, rows in groups.items()
             if k[0] == "peer" and k[3] == "spread"}
    print("\n| time source | executor | interval ms | streams | CPU / heartbeat-stream's |")
    print("|---|---|---|---|---|")
    for key in sorted(groups, key=lambda k: (k[4], k[5], k[1], k[2])):
        mode, clock, executor, deadlines, interval, streams = key
        if mode != "heartbeat" or deadlines != "spread" or (interval, streams) not in peers:
            continue
        ratio = median(groups[key], "cores") / peers[(interval, streams)]
        print(f"| {clock} | {executor} | {interval} | {streams:,} | {ratio:.2f} |")


def against_floor_and_before(groups):
    """Each clock's median CPU over the floor's and the earlier build's (`wheel-before`,
    from bench/scale_matrix.sh with BEFORE) on the same executor, interval and count."""
    cells = defaultdict(dict)
    for (mode, clock, executor, deadlines, interval, streams), rows in groups.items():
        if mode == "heartbeat" and deadlines == "spread":
            cells[(interval, streams, executor)][clock] = median(rows, "cores")
    if not any("floor" in clocks for clocks in cells.values()):
        return
    print("\n| interval ms | streams | executor | time source | CPU / the floor's | CPU / wheel-before's |")
    print("|---|---|---|---|---|---|")
    for (interval, streams, executor), clocks in sorted(cells.items()):
        floor, before = clocks.get("floor"), clocks.get("wheel-before")
        for clock, cores in sorted(clocks.items()):
            if clock == "floor":
                continue
            over = lambda reference: f"{cores / reference:.2f}" if reference else "—"
            print(f"| {interval} | {streams:,} | {executor} | {clock} | {over(floor)} | {over(before)} |")


def marginal_memory(groups):
    """Bytes each stream adds: the slope of resident growth between 10,000 and 100,000 streams."""
    print("\n| mode | time source | executor | interval ms | bytes per added stream (10k→100k) |")
    print("|---|---|---|---|---|")
    for key in sorted(groups):
        mode, clock, executor, deadlines, interval, streams = key
        big = (mode, clock, executor, deadlines, interval, 100_000)
        if streams != 10_000 or deadlines != "spread" or big not in groups:
            continue
        grown = lambda k, n: median(groups[k], "bytes_per_stream") * n
        slope = (grown(big, 100_000) - grown(key, 10_000)) / 90_000
        print(f"| {mode} | {clock} | {executor} | {interval} | {slope:.0f} |")


def chart(groups, path, interval=100):
    series = defaultdict(dict)
    for (mode, clock, executor, deadlines, at, streams), rows in groups.items():
        if mode in ("heartbeat", "peer") and deadlines == "spread" and at == interval:
            name = "heartbeat-stream (tokio)" if mode == "peer" else f"{clock} on {executor}"
            series[name][streams] = (statistics.median(float(r["cores"]) for r in rows),
                                     statistics.median(float(r["p99_ms"]) for r in rows))
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf",
               "#e377c2", "#7f7f7f", "#bcbd22", "#000000"]
    width, height, pad = 460, 320, 60
    counts = sorted({n for s in series.values() for n in s})
    if not counts:
        return
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width}" height="{height + 110}" '
           f'font-family="sans-serif" font-size="12">', '<rect width="100%" height="100%" fill="white"/>']
    panels = [(f"CPU (cores, log scale), {interval} ms pulses", 0), (f"p99 lateness (ms, log scale), {interval} ms pulses", 1)]
    for panel, (title, index) in enumerate(panels):
        x0 = panel * width
        values = [v[index] for s in series.values() for v in s.values() if v[index] > 0]
        # Log scales on both axes: the figures span two orders of magnitude.
        lo_v, hi_v = math.log10(min(values) / 1.3), math.log10(max(values) * 1.3)
        lo_n, hi_n = math.log10(counts[0]), math.log10(counts[-1])
        px = lambda n: x0 + pad + (math.log10(n) - lo_n) / max(hi_n - lo_n, 1e-9) * (width - 2 * pad)
        py = lambda v: height - pad + 20 - (math.log10(max(v, 1e-9)) - lo_v) / (hi_v - lo_v) * (height - 2 * pad)
        top = 10 ** hi_v
        svg.append(f'<text x="{x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">{title}</text>')
        bottom = 10 ** lo_v
        svg.append(f'<line x1="{x0 + pad}" y1="{py(bottom)}" x2="{x0 + width - pad}" y2="{py(bottom)}" stroke="black"/>')
        svg.append(f'<line x1="{x0 + pad}" y1="{py(bottom)}" x2="{x0 + pad}" y2="{py(top)}" stroke="black"/>')
        for n in counts:
            svg.append(f'<text x="{px(n)}" y="{py(bottom) + 16}" text-anchor="middle">{n:,}</text>')
        svg.append(f'<text x="{x0 + width / 2}" y="{py(bottom) + 32}" text-anchor="middle">streams (log scale)</text>')
        for k in range(5):
            v = 10 ** (lo_v + (hi_v - lo_v) * k / 4)
            svg.append(f'<text x="{x0 + pad - 6}" y="{py(v) + 4}" text-anchor="end">{v:.3g}</text>')
        for colour, (name, points) in zip(colours, sorted(series.items())):
            coords = " ".join(f"{px(n):.1f},{py(points[n][index]):.1f}" for n in sorted(points))
            svg.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for n in sorted(points):
                svg.append(f'<circle cx="{px(n):.1f}" cy="{py(points[n][index]):.1f}" r="3" fill="{colour}"/>')
    for row, (colour, name) in enumerate(zip(colours, sorted(series))):
        x, y = 20 + (row % 3) * 300, height + 60 + (row // 3) * 20
        svg.append(f'<rect x="{x}" y="{y - 10}" width="14" height="4" fill="{colour}"/>')
        svg.append(f'<text x="{x + 20}" y="{y - 5}">{name}</text>')
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")
    print(f"\nchart written to {path}")


groups = load(sys.argv[1])
table(groups)
ratios(groups)
against_floor_and_before(groups)
marginal_memory(groups)
if len(sys.argv) > 2:
    for interval in sorted({k[4] for k in groups}):
        path = sys.argv[2] if interval == 100 else sys.argv[2].replace(".svg", f"-{interval}ms.svg")
        chart(groups, path, interval)
