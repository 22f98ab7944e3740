//! The measuring tools answer their command line as the crate's examples do:
//! `--help` prints a usage text and succeeds, an unknown flag is refused with
//! the usage and exit code 2. Cargo builds the binaries before this test.
#![cfg(unix)]

use std::process::{Command, Output};

const TOOLS: [(&str, &str); 3] = [
    ("scale", env!("CARGO_BIN_EXE_scale")),
    ("phi_simulation", env!("CARGO_BIN_EXE_phi_simulation")),
    ("cost_probe", env!("CARGO_BIN_EXE_cost_probe")),
];

/// Both answers come from the argument parser, before a tool does anything else.
fn run(path: &str, arg: &str) -> Output {
    Command::new(path)
        .arg(arg)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {path}: {error}"))
}

#[test]
fn every_tool_prints_its_usage_for_help() {
    for (name, path) in TOOLS {
        let output = run(path, "--help");
        assert!(
            output.status.success(),
            "{name} --help: {:?}",
            output.status
        );
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("usage: cargo run --release -p futures-heartbeat-bench --bin"),
            "{name} --help printed {text:?}"
        );
    }
}

#[test]
fn every_tool_refuses_an_unknown_flag() {
    for (name, path) in TOOLS {
        let output = run(path, "--bogus");
        assert_eq!(output.status.code(), Some(2), "{name} --bogus");
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(
            text.contains("unknown argument \"--bogus\""),
            "{name}: {text:?}"
        );
        assert!(
            text.contains("usage:"),
            "{name} did not show its usage: {text:?}"
        );
    }
}
