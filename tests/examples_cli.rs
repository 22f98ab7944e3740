//! The examples behave like tools: `--help` prints a usage text and succeeds; an
//! unknown flag, a flag without its value or a malformed value is refused with a
//! message and exit code 2.
//!
//! The test builds the examples it runs (see `support/examples.rs`), so that it
//! passes alone from a clean `target/` too.
#![cfg(unix)]

mod support;

use std::process::{Command, Output};
use std::time::Duration;

use support::examples::{example, output_within, EXAMPLES};

/// `--help` and a refused flag exit before doing anything.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn run(name: &str, args: &[&str]) -> Output {
    let mut command = Command::new(example(name));
    command.args(args);
    output_within(command, RUN_LIMIT)
}

#[test]
#[cfg_attr(miri, ignore = "runs processes")]
fn every_example_prints_its_usage_for_help() {
    for name in EXAMPLES {
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
    for name in EXAMPLES {
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
