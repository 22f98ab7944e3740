#!/usr/bin/env bash
# The default clock's cost matrix: 100 ms pulses at 1,000 to 100,000 streams and
# 1 s pulses at 1,000 to 1,000,000, WheelClock on smol and on tokio against
# heartbeat-stream on tokio, in ROUNDS interleaved rounds, so that every ratio
# compares runs made minutes apart.
# Then 10,000 idle watchdogs at each interval, for their lateness.
#
# Usage: benches/scale_matrix.sh [CSV] [ROUNDS]     (defaults: target/scale-matrix.csv 3)
# With BEFORE=path/to/scale (the harness built at an earlier commit), the 100 ms
# rows also run that binary's WheelClock on smol, labelled `wheel-before`.
# Then: python3 benches/report.py CSV      (medians, ranges, ratios)
set -euo pipefail
csv=${1:-target/scale-matrix.csv}
rounds=${2:-3}
cargo build --release --all-features --example scale
scale=target/release/examples/scale
before_csv="$csv.before"
for round in $(seq "$rounds"); do
    for spec in "100 1000 10" "100 10000 10" "100 100000 10" \
                "1000 1000 15" "1000 10000 15" "1000 100000 15" "1000 1000000 15"; do
        read -r ms streams secs <<<"$spec"
        flags=(--interval-ms "$ms" --streams "$streams" --secs "$secs")
        "$scale" "${flags[@]}" --mode peer --csv "$csv"
        "$scale" "${flags[@]}" --clock wheel --executor smol --csv "$csv"
        "$scale" "${flags[@]}" --clock wheel --executor tokio --csv "$csv"
        if [ "$ms" = 100 ] && [ -n "${BEFORE:-}" ]; then
            "$BEFORE" "${flags[@]}" --clock wheel --executor smol --csv "$before_csv"
        fi
    done
    "$scale" --interval-ms 100 --streams 10000 --mode watchdog --clock wheel --executor smol --csv "$csv"
    "$scale" --interval-ms 1000 --streams 10000 --mode watchdog --clock wheel --executor smol --csv "$csv"
done
if [ -f "$before_csv" ]; then
    sed 's/^heartbeat,\([0-9]*\),wheel,/heartbeat,\1,wheel-before,/' "$before_csv" >>"$csv"
    rm "$before_csv"
fi
