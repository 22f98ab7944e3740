#!/usr/bin/env bash
# Runs the README's test command N times in a row (default 10) with two busy
# loops beside it, as on a shared, overloaded CI machine, and stops at the first
# failure. A test that fails here fails for a reason other than a bug in the
# crate only if it is flaky: docs/reliability.md says what the suite promises.
#
#   bash .ci/loaded_suite.sh [N]
#
# The log of each run is kept in target/loaded-suite/run-K.log.
set -uo pipefail
runs=${1:-10}
logs=target/loaded-suite
mkdir -p "$logs"

cargo test --all-features --no-run >/dev/null 2>&1 || { echo "the suite does not build"; exit 1; }

busy=()
for _ in 1 2; do
    (while :; do :; done) &
    busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT

for k in $(seq 1 "$runs"); do
    start=$(date +%s)
    if cargo test --all-features >"$logs/run-$k.log" 2>&1; then
        passed=$(grep -o '[0-9]* passed' "$logs/run-$k.log" | awk '{s += $1} END {print s}')
        echo "run $k of $runs: ok, $passed tests passed, $(( $(date +%s) - start )) s"
    else
        echo "run $k of $runs: FAILED after $(( $(date +%s) - start )) s; see $logs/run-$k.log:"
        grep -E '^(test .* FAILED|failures:|---- )' "$logs/run-$k.log" | head -20
        exit 1
    fi
done
echo "all $runs runs passed under two busy loops"
