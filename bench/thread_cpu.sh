#!/usr/bin/env bash
# CPU and context switches per thread of a running program, over a window of its
# steady state, from /proc (Linux only). Threads with the same name are summed.
#
# Usage: bench/thread_cpu.sh COMMAND [ARGS...]
#   e.g. bench/thread_cpu.sh target/release/scale --streams 100000 --secs 20
# WARM (seconds before the window, 7) and WINDOW (its length, 5) tune it; the
# window must end before the program does.
set -euo pipefail
"$@" >"${OUT:-/dev/null}" 2>&1 &
pid=$!
sleep "${WARM:-7}"
snapshot() {
    for task in /proc/"$pid"/task/*; do
        name=$(cat "$task/comm" 2>/dev/null) || continue
        ticks=$(awk '{print $14 + $15}' "$task/stat" 2>/dev/null) || continue
        switches=$(awk '/ctxt_switches/ {s += $2} END {print s}' "$task/status" 2>/dev/null) || continue
        printf '%s\t%s\t%s\n' "$name" "$ticks" "$switches"
    done
}
before=$(snapshot)
sleep "${WINDOW:-5}"
after=$(snapshot)
python3 - "$before" "$after" "${WINDOW:-5}" <<'PY'
import sys
from collections import defaultdict
def totals(text):
    sums = defaultdict(lambda: [0, 0])
    for line in text.splitlines():
        name, ticks, switches = line.split("\t")
        sums[name][0] += int(ticks)
        sums[name][1] += int(switches)
    return sums
before, after, window = totals(sys.argv[1]), totals(sys.argv[2]), float(sys.argv[3])
ticks_per_sec = 100  # USER_HZ
for name in sorted(after):
    cpu = (after[name][0] - before[name][0]) * 1000 / ticks_per_sec / window
    switches = (after[name][1] - before[name][1]) / window
    print(f"{name:20s} {cpu:8.1f} ms of CPU a second  {switches:8.0f} switches a second")
PY
wait "$pid"
