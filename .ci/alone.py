#!/usr/bin/env python3
"""Runs every test of the suite alone, from a clean target directory.

A test that passes in the whole suite but not alone leans on something another
test did: a thread it started, a file it built, a clock it warmed up. This
builds, in an empty target directory, each test target separately with
`cargo test --no-run` (so nothing is built that the target does not ask for):
the library's unit tests, every file of tests/, and the tests of the bench/
member. It runs each test function in a process of its own with `--exact`.
Doc tests already run one program each; they run last, with `cargo test --doc`,
from the same target directory.

    python3 .ci/alone.py [--target-dir DIR] [--keep]

Prints one line per failure and a count; exits 1 if any test failed.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

FEATURES = ["--all-features"]
# The crate's test hooks, so that the tests that need them run too (they compile to
# nothing without); a target directory of its own anyway.
TEST_HOOKS = "--cfg futures_heartbeat_fault_injection --cfg futures_heartbeat_lock_counter"


def cargo(args, env, **kw):
    return subprocess.run(["cargo", *args], env=env, **kw)


def test_targets(root):
    return (["lib"] + sorted(p.stem for p in (root / "tests").glob("*.rs"))
            + ["bench:" + p.stem for p in sorted((root / "bench" / "tests").glob("*.rs"))])


def build(target, env):
    """Builds one test target; returns the path of its executable."""
    if target == "lib":
        args = ["test", *FEATURES, "--lib"]
    elif target.startswith("bench:"):
        args = ["test", "-p", "futures-heartbeat-bench", "--test", target[len("bench:"):]]
    else:
        args = ["test", *FEATURES, "--test", target]
    out = cargo([*args, "--no-run", "--message-format=json"], env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"{target}: does not build")
    for line in out.stdout.splitlines():
        msg = json.loads(line)
        name = {"lib": "futures_heartbeat"}.get(target, target.split(":")[-1])
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == name:
            return msg["executable"]
    raise SystemExit(f"{target}: no executable")


def list_tests(exe, env):
    out = subprocess.run([exe, "--list", "--format", "terse"], env=env,
                         capture_output=True, text=True, check=True)
    return [l[: -len(": test")] for l in out.stdout.splitlines() if l.endswith(": test")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target-dir", default="target/alone")
    parser.add_argument("--keep", action="store_true", help="do not empty the target directory first")
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    os.chdir(root)
    target_dir = pathlib.Path(args.target_dir).resolve()
    if not args.keep and target_dir.exists():
        shutil.rmtree(target_dir)
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir), RUSTFLAGS=TEST_HOOKS)

    failures, count, start = [], 0, time.time()
    for target in test_targets(root):
        exe = build(target, env)
        # Run from the package root, as `cargo test` does.
        package = root / "bench" if target.startswith("bench:") else root
        run_env = dict(env, CARGO_MANIFEST_DIR=str(package))
        for name in list_tests(exe, run_env):
            count += 1
            res = subprocess.run([exe, "--exact", name, "--test-threads", "1"], env=run_env,
                                 cwd=package, capture_output=True, text=True, timeout=600)
            if res.returncode != 0:
                failures.append(f"{target}::{name}")
                print(f"FAILED alone: {target}::{name}\n{res.stdout[-2000:]}{res.stderr[-2000:]}", flush=True)

    # Doc tests: each is already its own program; running them with a clean
    # target directory checks they lean on nothing built before.
    doc = cargo(["test", *FEATURES, "--doc"], env, capture_output=True, text=True)
    doc_passed = sum(int(w.split()[0]) for w in
                     __import__("re").findall(r"\d+ passed", doc.stdout))
    if doc.returncode != 0:
        failures.append("doc tests")
        print(doc.stdout[-4000:])
    print(f"{count} tests run alone, {doc_passed} doc tests, {len(failures)} failed, "
          f"{time.time() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
