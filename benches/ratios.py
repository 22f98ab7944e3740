#!/usr/bin/env python3
"""Prints ns/item and ratios from criterion's results of the `ready_path` bench.

Each adapter is compared with the bare stream on the same executor, and
`tokio-stream`'s `timeout` with ours, all from one run. With several result
directories (copies of target/criterion from repeated runs), it prints the
median and range of each figure over the runs.

Usage: python3 benches/ratios.py [CRITERION_DIR ...]   (default: target/criterion)
"""
import json
import os
import statistics
import sys

ITEMS = 10_000_000
GROUPS = ["ready", "pending-every-64"]


def load(root):
    figures = {}
    for group in GROUPS:
        base = os.path.join(root, group)
        if not os.path.isdir(base):
            continue
        for bench in sorted(os.listdir(base)):
            path = os.path.join(base, bench, "new", "estimates.json")
            if os.path.exists(path):
                with open(path) as f:
                    figures[(group, bench)] = json.load(f)["median"]["point_estimate"] / ITEMS
    return figures


def ratios(figures):
    rows = {}
    for (group, bench), ns in figures.items():
        executor = bench.split("_", 1)[0]
        bare = figures.get((group, f"{executor}_bare"))
        rows[(group, bench)] = {"ns": ns, "vs bare": ns / bare if bare else None}
        if bench.endswith("_watchdog_adaptive"):
            watchdog = figures.get((group, f"{executor}_watchdog"))
            rows[(group, bench)]["vs watchdog"] = ns / watchdog if watchdog else None
    for group in GROUPS:
        timeout = figures.get((group, "tokio_tokio-stream-timeout"))
        for bench in ("tokio_with_heartbeat", "tokio_watchdog"):
            if timeout and (group, bench) in figures:
                rows[(group, bench)]["tokio-stream timeout / this"] = timeout / figures[(group, bench)]
    return rows


def show(values, digits):
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


runs = [ratios(load(root)) for root in (sys.argv[1:] or ["target/criterion"])]
keys = sorted({key for run in runs for key in run}, key=lambda k: (GROUPS.index(k[0]), k[1]))
print(f"| stream | bench | ns/item | × bare (same executor) | tokio-stream `timeout` ÷ this | × watchdog |   ({len(runs)} run(s))")
print("|---|---|---|---|---|---|")
for key in keys:
    cells = [run.get(key, {}) for run in runs]
    print(f"| {key[0]} | {key[1].replace('_', ' / ', 1)} | {show([c.get('ns') for c in cells], 3)} "
          f"| {show([c.get('vs bare') for c in cells], 2)} | {show([c.get('tokio-stream timeout / this') for c in cells], 0)} "
          f"| {show([c.get('vs watchdog') for c in cells], 2)} |")
