#!/usr/bin/env bash
# The default clock's cost matrix, against the floor and the peer: 100 ms pulses
# at 1,000, 10,000 and 100,000 streams and 1 s pulses at 100,000 and 1,000,000,
# the default clock (`--clock default`) and the floor (`--clock floor`, a timer
# that does the least it can at the same precision, bench/src/bin/scale/floor_clock.rs)
# on smol and on tokio, and heartbeat-stream on tokio, in ROUNDS interleaved
# rounds, so that every ratio compares runs made minutes apart. Linux only.
#
# Usage: bench/scale_matrix.sh [CSV] [ROUNDS]     (defaults: target/scale-matrix.csv 3)
# With BEFORE=path/to/scale (the harness built at an earlier commit), every cell
# also runs that binary's WheelClock on smol and on tokio, labelled `wheel-before`.
# With CELLS="ms:streams:secs ...", other cells; with CLOCKS="default floor
# floor-hosted", other clocks of this build (default: "default floor"). Then:
# python3 bench/report.py CSV
set -euo pipefail
csv=${1:-target/scale-matrix.csv}
rounds=${2:-3}
cells=${CELLS:-"100:1000:10 100:10000:10 100:100000:10 1000:100000:15 1000:1000000:15"}
clocks=${CLOCKS:-"default floor"}
cargo build --release -p futures-heartbeat-bench --bin scale
scale=${CARGO_TARGET_DIR:-target}/release/scale
before_csv="$csv.before"
for round in $(seq "$rounds"); do
    for cell in $cells; do
        IFS=: read -r ms streams secs <<<"$cell"
        flags=(--interval-ms "$ms" --streams "$streams" --secs "$secs")
        "$scale" "${flags[@]}" --mode peer --csv "$csv"
        for executor in smol tokio; do
            for clock in $clocks; do
                "$scale" "${flags[@]}" --clock "$clock" --executor "$executor" --csv "$csv"
            done
            if [ -n "${BEFORE:-}" ]; then
                "$BEFORE" "${flags[@]}" --clock wheel --executor "$executor" --csv "$before_csv"
            fi
        done
    done
done
if [ -f "$before_csv" ]; then
    sed 's/^heartbeat,\([0-9]*\),wheel,/heartbeat,\1,wheel-before,/' "$before_csv" >>"$csv"
    rm "$before_csv"
fi
