//! The examples behave like tools: `--help` prints a usage text and succeeds; an
//! unknown flag, a flag without its value or a malformed value is refused with a
//! message and exit code 2. `cargo test` builds the examples beside this binary.
#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    deps.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

fn run(name: &str, args: &[&str]) -> Output {
    Command::new(example(name))
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run example {name}: {error}"))
}

fn examples() -> Vec<&'static str> {
    vec!["heartbeat", "supervisor", "tcp", "web_client", "websocket"]
}

#[test]
#[cfg_attr(miri, ignore = "runs processes")]
fn every_example_prints_its_usage_for_help() {
    for name in examples() {
        let output = run(name, &["--help"]);
        assert!(
            output.status.success(),
            "{name} --help: {:?}",
            output.status
        );
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("usage: cargo run"),
            "{name} --help printed {text:?}"
        );
    }
}

#[test]
#[cfg_attr(miri, ignore = "runs processes")]
fn every_example_refuses_an_unknown_flag() {
    for name in examples() {
        let output = run(name, &["--bogus"]);
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

#[test]
#[cfg_attr(miri, ignore = "runs processes")]
fn a_flag_without_its_value_or_with_a_bad_one_is_refused() {
    let output = run("supervisor", &["--seed"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--seed needs a value"));

    let output = run("supervisor", &["--seed", "seven"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--seed \"seven\" is not valid"));
}
