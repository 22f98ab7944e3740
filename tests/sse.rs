//! The `sse` example, run as a user runs it (its binary built by the test through
//! cargo): a Server-Sent Events client against a server that falls quiet with
//! keep-alive comments, hangs up once and stalls once, on 127.0.0.1.
//!
//! Silence counted on the bytes under the parser keeps the quiet but healthy
//! server and catches the stall; counted on the parsed events, it drops the
//! server in every quiet spell. Either way, resuming by `Last-Event-ID` loses
//! and repeats nothing.
#![cfg(unix)]

mod support;

use std::process::Command;
use std::time::Duration;

use support::examples::{example, output_within};

/// Events every 20 ms; quiet spells of 1.5 s after events 5 and 10, with a
/// comment every 100 ms; a hang-up after event 7, a stall after event 12; the
/// client's silence limit 500 ms, well above the comments' gap and well below
/// the quiet spells.
const PACE: [&str; 8] = [
    "--every-ms",
    "20",
    "--quiet-ms",
    "1500",
    "--comment-ms",
    "100",
    "--silence-ms",
    "500",
];
/// The run takes about 4 s; only a hang gets near this.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// What the client printed, in order.
#[derive(Debug, PartialEq)]
enum Seen {
    Update(u64),
    Down(String),
}

/// Runs the example, server and client in one process, with `more` flags.
fn run_sse(more: &[&str]) -> Vec<Seen> {
    let mut command = Command::new(example("sse"));
    command.args(PACE).args(more);
    let output = output_within(command, RUN_LIMIT);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the example failed: {stdout}");
    assert!(
        stdout.contains("client: 15 events; every event once, in order"),
        "{stdout}"
    );
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("client: "))
        .filter_map(|line| {
            if let Some(down) = line.strip_prefix("down: ") {
                return Some(Seen::Down(down.to_string()));
            }
            let number = line.strip_prefix("update ")?.split(' ').next()?;
            Some(Seen::Update(number.parse().ok()?))
        })
        .collect()
}

fn updates(seen: &[Seen]) -> Vec<u64> {
    seen.iter()
        .filter_map(|seen| match seen {
            Seen::Update(n) => Some(*n),
            Seen::Down(_) => None,
        })
        .collect()
}

/// The causes of the restarts between update `n` and the next.
fn downs_after(seen: &[Seen], n: u64) -> Vec<&str> {
    let after = seen
        .iter()
        .position(|seen| *seen == Seen::Update(n))
        .unwrap_or_else(|| panic!("no update {n}: {seen:?}"));
    seen[after + 1..]
        .iter()
        .map_while(|seen| match seen {
            Seen::Down(cause) => Some(cause.as_str()),
            Seen::Update(_) => None,
        })
        .collect()
}

#[test]
#[cfg_attr(miri, ignore = "runs processes")]
fn silence_on_the_bytes_keeps_a_quiet_server_and_catches_a_stall() {
    let seen = run_sse(&[]);

    assert_eq!(updates(&seen), (1..=15).collect::<Vec<_>>(), "{seen:?}");
    // The comments kept both quiet spells alive.
    assert_eq!(downs_after(&seen, 5), Vec::<&str>::new(), "{seen:?}");
    assert_eq!(downs_after(&seen, 10), Vec::<&str>::new(), "{seen:?}");
    assert!(
        downs_after(&seen, 7)
            .first()
            .is_some_and(|cause| cause.starts_with("the source ended")),
        "the hang-up: {seen:?}"
    );
    // The bytes' watchdog, inside `connect`, reported as a silence, not a failure.
    assert!(
        downs_after(&seen, 12).first().is_some_and(
            |cause| cause.starts_with("the source went silent: sse bytes: no item for 500ms")
        ),
        "the stall: {seen:?}"
    );
    let downs = seen.iter().filter(|seen| matches!(seen, Seen::Down(_)));
    assert_eq!(downs.count(), 2, "restarts for nothing: {seen:?}");
}

#[test]
#[cfg_attr(miri, ignore = "runs processes")]
fn silence_on_the_events_drops_a_quiet_server_in_every_quiet_spell() {
    let seen = run_sse(&["--silence-on", "events"]);

    assert_eq!(updates(&seen), (1..=15).collect::<Vec<_>>(), "{seen:?}");
    for quiet_after in [5, 10] {
        assert!(
            downs_after(&seen, quiet_after)
                .first()
                .is_some_and(|cause| cause.starts_with("the source went silent")),
            "the quiet spell after {quiet_after}: {seen:?}"
        );
    }
}
