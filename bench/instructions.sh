#!/usr/bin/env bash
# Instructions per ready item and per idle pulse, counted by callgrind: figures
# that a loaded machine does not move, to compare this build with an earlier one
# while CPU time cannot be trusted. Each figure is (long run - short run) divided
# by the items or pulses between, so that start-up cancels out. Linux, valgrind.
#
# Usage: bench/instructions.sh [EARLIER_CHECKOUT ...]
#   EARLIER_CHECKOUT: a checkout of an earlier commit (git worktree add /tmp/before
#   1a8eb98), labelled by its commit: bench/src/bin/cost_probe.rs is built against
#   its crate too.
# Environment: FEATURES (the crate's features for both builds; none by default, as
# `cargo bench --bench ready_path` has), CELLS="streams:interval_ms ..." (idle
# cells, default "10000:1000 1000:100"), SECS="4 8" (the two idle lengths),
# ITEMS="1000000 3000000" (the two ready lengths), KINDS (the ready kinds, default
# "bare with_heartbeat watchdog both"; cost_probe --help lists them all).
# Profiles stay in target/instructions/ for bench/callgrind_diff.py, e.g.
#   python3 bench/callgrind_diff.py target/instructions/now-idle-10000-1000-{4,8}.out PULSES
set -euo pipefail
features=${FEATURES:-}
cells=${CELLS:-"10000:1000 1000:100"}
read -r short_secs long_secs <<<"${SECS:-4 8}"
read -r few_items many_items <<<"${ITEMS:-1000000 3000000}"
out=$(realpath -m "${CARGO_TARGET_DIR:-target}/instructions")
mkdir -p "$out"
probe_src=$(realpath bench/src/bin/cost_probe.rs)

# Builds the probe against the crate at $2, in a package of its own under $out,
# with that crate's lock file; prints the binary's path.
build_probe() {
    local label=$1 crate dir feature_list=""
    crate=$(realpath "$2")
    dir=$out/$label-crate
    for feature in $features; do
        feature_list+="\"$feature\", "
    done
    mkdir -p "$dir"
    cat >"$dir/Cargo.toml" <<MANIFEST
[package]
name = "cost-probe-$label"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
futures-heartbeat = { path = "$crate", features = [$feature_list] }
futures = "0.3.31"

[[bin]]
name = "cost_probe"
path = "$probe_src"

[workspace]

[profile.release]
debug = "line-tables-only" # function names by line; the code is the same
MANIFEST
    cp "$crate/Cargo.lock" "$dir/Cargo.lock"
    (cd "$dir" && CARGO_TARGET_DIR=target cargo build --release --quiet) >&2
    echo "$dir/target/release/cost_probe"
}

builds=("now:$(build_probe now .)")
for earlier in "$@"; do
    label=$(git -C "$earlier" rev-parse --short HEAD)
    builds+=("$label:$(build_probe "$label" "$earlier")")
done

# Instructions a run of the probe executed, and what it printed (items or pulses).
count() {
    local profile=$1
    shift
    local printed instructions
    printed=$(valgrind --tool=callgrind --callgrind-out-file="$profile" "$@" 2>"$profile.log")
    instructions=$(grep -oE 'Collected : [0-9]+' "$profile.log" | grep -oE '[0-9]+')
    echo "$instructions $printed"
}

for build in "${builds[@]}"; do
    label=${build%%:*}
    probe=${build#*:}
    for kind in ${KINDS:-bare with_heartbeat watchdog both}; do
        read -r i1 n1 <<<"$(count "$out/$label-ready-$kind-1.out" "$probe" ready --kind "$kind" --items "$few_items")"
        read -r i2 n2 <<<"$(count "$out/$label-ready-$kind-2.out" "$probe" ready --kind "$kind" --items "$many_items")"
        awk -v l="$label" -v k="$kind" -v i="$((i2 - i1))" -v n="$((n2 - n1))" \
            'BEGIN { printf "%-7s ready %-15s %8.2f instructions per item\n", l, k, i / n }'
    done
    for cell in $cells; do
        IFS=: read -r streams ms <<<"$cell"
        base=$out/$label-idle-$streams-$ms
        read -r i1 n1 <<<"$(count "$base-$short_secs.out" "$probe" idle --streams "$streams" --interval-ms "$ms" --secs "$short_secs")"
        read -r i2 n2 <<<"$(count "$base-$long_secs.out" "$probe" idle --streams "$streams" --interval-ms "$ms" --secs "$long_secs")"
        awk -v l="$label" -v s="$streams" -v m="$ms" -v i="$((i2 - i1))" -v n="$((n2 - n1))" \
            'BEGIN { printf "%-7s idle %7d streams every %5d ms %8.1f instructions per pulse (%d pulses)\n", l, s, m, i / n, n }'
    done
done
