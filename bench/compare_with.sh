#!/usr/bin/env bash
# This build against an earlier commit, in CPU time, for a machine with nothing
# else to do: the scale matrix and the ready-path bench, both builds in turn in
# every round, so that each ratio compares runs made minutes apart.
#
# 1. Checks the earlier commit out in a worktree of its own (OUT/before-src) and
#    builds its scale harness (examples/scale.rs up to the commits that moved it,
#    bench/ after), with the features this build's harness has.
# 2. bench/scale_matrix.sh with BEFORE set, ROUNDS rounds: every cell (CELLS, by
#    default 100 ms pulses at 1,000, 10,000 and 100,000 streams and 1 s pulses at
#    100,000 and 1,000,000) runs the peer, then on smol and on tokio each clock of
#    CLOCKS (default: the default clock, the floor, and the floor fired from the
#    executor's own reactor, which bounds what firing the default clock's ticks
#    from the runtime's timer driver could save), then the earlier build's wheel.
# 3. The criterion ready_path bench (BENCH_FILTER: bare, with_heartbeat,
#    watchdog and both on futures::executor), the earlier build then this one,
#    ROUNDS times, each run's results kept.
# 4. The figures: bench/report.py (medians, ratios to the peer, the floor and the
#    earlier build, the charts) and benches/ratios.py for each build's runs.
#
# Usage: bench/compare_with.sh [COMMIT] [OUT] [ROUNDS]   (defaults: 1a8eb98 target/compare 3)
# About 45 minutes with the defaults. A quick look that it all runs:
#   CELLS="100:200:2" BENCH_ARGS="--warm-up-time 0.1 --measurement-time 0.1" bench/compare_with.sh 1a8eb98 target/compare-tiny 1
# SKIP_SCALE=1 or SKIP_BENCH=1 leaves a part out; BEFORE_SRC=DIR uses a checkout of
# COMMIT that exists already. Linux only (the harness reads /proc).
set -euo pipefail
commit=${1:-1a8eb98}
out=$(realpath -m "${2:-target/compare}")
rounds=${3:-3}
filter=${BENCH_FILTER:-'^ready/futures/(bare|with_heartbeat|watchdog|watchdog\+with_heartbeat)$'}
read -r -a bench_args <<<"${BENCH_ARGS:-}"
here=$(pwd)
before=$(realpath -m "${BEFORE_SRC:-$out/before-src}")
mkdir -p "$out"

if [ ! -d "$before" ]; then
    git worktree add --detach "$before" "$commit"
fi
if [ "$(git -C "$before" rev-parse HEAD)" != "$(git rev-parse "$commit^{commit}")" ]; then
    echo "$before is not at $commit" >&2
    exit 1
fi
if [ -f "$before/examples/scale.rs" ]; then
    (cd "$before" && cargo build --release --features async-io,tokio --example scale)
    before_scale=$before/target/release/examples/scale
else
    (cd "$before" && cargo build --release -p futures-heartbeat-bench --bin scale)
    before_scale=$before/target/release/scale
fi

if [ -z "${SKIP_SCALE:-}" ]; then
    rm -f "$out/matrix.csv"
    BEFORE=$before_scale CLOCKS=${CLOCKS:-"default floor floor-hosted"} \
        bench/scale_matrix.sh "$out/matrix.csv" "$rounds"
fi

if [ -z "${SKIP_BENCH:-}" ]; then
    for round in $(seq "$rounds"); do
        for build in before now; do
            dir=$here
            [ "$build" = before ] && dir=$before
            (cd "$dir" && rm -rf target/criterion &&
                cargo bench --bench ready_path -- "$filter" "${bench_args[@]}")
            rm -rf "$out/criterion-$build-$round"
            cp -r "$dir/target/criterion" "$out/criterion-$build-$round"
        done
    done
fi

if [ -f "$out/matrix.csv" ]; then
    python3 bench/report.py "$out/matrix.csv" "$out/chart.svg" | tee "$out/matrix.md"
fi
for build in before now; do
    runs=("$out"/criterion-"$build"-*)
    if [ -d "${runs[0]}" ]; then
        echo
        echo "ready path, $build ($([ "$build" = before ] && echo "$commit" || git rev-parse --short HEAD)):"
        python3 benches/ratios.py "${runs[@]}" | tee "$out/ready-$build.md"
    fi
done
