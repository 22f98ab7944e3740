#!/usr/bin/env bash
# Runs the scale harness over stream counts and time sources, ROUNDS times, appending to CSV.
# Usage: bench/scale.sh [CSV] [ROUNDS] [SECS]     (defaults: target/scale.csv 3 10)
# Then: python3 bench/report.py target/scale.csv   (medians, ranges, and the chart)
set -euo pipefail
csv=${1:-target/scale.csv}
rounds=${2:-3}
secs=${3:-10}
cargo build --release -p futures-heartbeat-bench --bin scale
scale=${CARGO_TARGET_DIR:-target}/release/scale
for round in $(seq "$rounds"); do
    for streams in 1000 10000 100000; do
        "$scale" --streams "$streams" --secs "$secs" --mode peer --csv "$csv"
        "$scale" --streams "$streams" --secs "$secs" --clock tokio --executor tokio --csv "$csv"
        "$scale" --streams "$streams" --secs "$secs" --clock wheel --executor tokio --csv "$csv"
        "$scale" --streams "$streams" --secs "$secs" --clock wheel --executor smol --csv "$csv"
        "$scale" --streams "$streams" --secs "$secs" --clock futures-timer --executor smol --csv "$csv"
        "$scale" --streams "$streams" --secs "$secs" --clock async-io --executor smol --csv "$csv"
    done
    "$scale" --streams 100000 --secs "$secs" --clock wheel --executor smol --deadlines aligned --csv "$csv"
    "$scale" --streams 100000 --secs "$secs" --clock futures-timer --executor smol --deadlines aligned --csv "$csv"
    "$scale" --streams 100000 --secs "$secs" --clock async-io --executor smol --deadlines aligned --csv "$csv"
    "$scale" --streams 100000 --secs "$secs" --mode peer --deadlines aligned --csv "$csv"
    "$scale" --streams 10000 --interval-ms 100 --mode watchdog --clock wheel --executor smol --csv "$csv"
    "$scale" --streams 10000 --interval-ms 100 --mode watchdog --clock async-io --executor smol --csv "$csv"
    "$scale" --streams 10000 --interval-ms 100 --mode watchdog --clock tokio --executor tokio --csv "$csv"
done
