#!/usr/bin/env bash
# Checks the library with the declared minimum Rust version (`rust-version` in
# Cargo.toml), for the default features and for every optional feature.
#
# The dev-dependencies (test and bench tools) are not part of the promise and
# need newer compilers, so the check runs on a copy of the manifest without them,
# with dependencies resolved for that Rust version, as `cargo` does for a user on
# it (`CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback`).
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
rustup toolchain install "$msrv" --profile minimal --no-self-update

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r src README.md "$work"/
python3 - "$work/Cargo.toml" <<'PY'
import re, sys
manifest = open("Cargo.toml").read()
# Drop every dev-dependency table, bench, example and the lints table (newer than the MSRV's cargo),
# and the workspace table: the copy is the library alone, without the measuring tools (bench/).
sections = re.split(r"(?m)^(?=\[)", manifest)
keep = [s for s in sections
        if not re.match(r"\[(\[bench\]|\[example\]|lints|workspace|.*dev-dependencies)", s)]
open(sys.argv[1], "w").write("".join(keep))
PY
cd "$work"
CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback cargo generate-lockfile -q
# The lockfile format of the current cargo; the old one reads version 3.
sed -i 's/^version = 4$/version = 3/' Cargo.lock

cargo "+$msrv" check -q --lib
echo "msrv $msrv: default features OK"
for feature in async-io tokio serde tracing; do
    cargo "+$msrv" check -q --lib --features "$feature"
    echo "msrv $msrv: feature $feature OK"
done
