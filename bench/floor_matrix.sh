#!/usr/bin/env bash
# How far the default clock is from the floor: at 100 ms pulses and 1,000 to
# 100,000 streams (or INTERVAL_MS and STREAMS, e.g. INTERVAL_MS=1000
# STREAMS="100000 1000000"), WheelClock and heartbeat-stream beside the scale harness's
# floor clocks (bench/src/bin/scale/floor_clock.rs), the least a timer can do at the
# wheel's precision, fired by its own thread (`floor`), by a task on the
# executor's reactor (`floor-hosted`), or inside async-io's reactor with no task
# (`floor-inline`, smol only). ROUNDS interleaved rounds. Linux only.
#
# Usage: bench/floor_matrix.sh [CSV] [ROUNDS]     (defaults: target/floor-matrix.csv 3)
# Then: python3 bench/report.py CSV
set -euo pipefail
csv=${1:-target/floor-matrix.csv}
rounds=${2:-3}
cargo build --release -p futures-heartbeat-bench --bin scale
scale=${CARGO_TARGET_DIR:-target}/release/scale
for round in $(seq "$rounds"); do
    for streams in ${STREAMS:-1000 10000 100000}; do
        flags=(--interval-ms "${INTERVAL_MS:-100}" --streams "$streams" --secs 10 --csv "$csv")
        "$scale" "${flags[@]}" --mode peer
        for clock in wheel floor floor-hosted floor-inline; do
            "$scale" "${flags[@]}" --clock "$clock" --executor smol
        done
        for clock in wheel floor floor-hosted; do
            "$scale" "${flags[@]}" --clock "$clock" --executor tokio
        done
    done
done
