//! Heartbeats over a real TCP connection to a real server process, on 127.0.0.1.
//!
//! The server is this test binary run again as a child, in the role of
//! `child_server_role` (see there), serving with the `tcp` example's protocol.
//! The child is killed when its test ends, whether the test passes or panics.
#![cfg(unix)] // freezing the server uses SIGSTOP

#[path = "../examples/tcp/protocol.rs"]
mod protocol;
mod support;

use std::time::{Duration, Instant};

use protocol::{Outcome, ServerOptions};
use support::child::{free_port, ChildServer};

const PULSE: Duration = Duration::from_millis(50);
const TIMEOUT: Duration = Duration::from_millis(250);
/// Far more than any check needs on a loaded machine; only a hang gets near it.
const GENEROUS: Duration = Duration::from_secs(5);
const SERVER_ARGS: &str = "FUTURES_HEARTBEAT_TCP_SERVER";

/// Not a test: the entry point of the child server process. Run without the
/// environment variable, as in a normal test run, it returns at once.
#[test]
fn child_server_role() {
    let Ok(args) = std::env::var(SERVER_ARGS) else {
        return;
    };
    let mut options = ServerOptions {
        pulse_interval: PULSE,
        item_every: Some(Duration::from_millis(20)),
        items: None,
        malformed_after: None,
        drop_after: None,
        forever: false,
    };
    let mut addr = "127.0.0.1:0".to_string();
    for arg in args.split_whitespace() {
        match arg.split_once('=') {
            Some(("addr", at)) => addr = at.to_string(),
            Some(("items", n)) => options.items = Some(n.parse().unwrap()),
            Some(("malformed_after", n)) => options.malformed_after = Some(n.parse().unwrap()),
            _ if arg == "idle" => options.item_every = None,
            _ if arg == "forever" => options.forever = true,
            _ => panic!("unknown server argument {arg}"),
        }
    }
    smol::block_on(async {
        let listener = smol::net::TcpListener::bind(addr.as_str()).await.unwrap();
        println!("listening {}", listener.local_addr().unwrap());
        protocol::serve(listener, options, |line| println!("{line}"))
            .await
            .unwrap();
    });
}

/// A server child process, in the role of `child_server_role`.
struct Server;

impl Server {
    fn start(args: &str) -> ChildServer {
        ChildServer::start("child_server_role", SERVER_ARGS, args)
    }
}

/// Watches `server` from this thread for at most `watch_for`, with the test's timeout.
fn watch(server: &ChildServer, watch_for: Duration) -> protocol::Report {
    smol::block_on(protocol::watch(
        &server.addr,
        TIMEOUT,
        Some(watch_for),
        |_| {},
    ))
    .unwrap()
}

/// Watches `server` from a thread; `act` runs once the client has seen `items_first` items.
fn watch_and(
    server: &ChildServer,
    items_first: usize,
    act: impl FnOnce(),
) -> (protocol::Report, Instant) {
    let addr = server.addr.clone();
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let client = std::thread::spawn(move || {
        let mut seen = 0;
        smol::block_on(protocol::watch(
            &addr,
            TIMEOUT,
            Some(4 * GENEROUS),
            move |_| {
                seen += 1;
                if seen == items_first {
                    let _ = seen_tx.send(());
                }
            },
        ))
        .unwrap()
    });
    seen_rx
        .recv_timeout(GENEROUS)
        .expect("the client saw too few items");
    act();
    let acted = Instant::now();
    (client.join().unwrap(), acted)
}

#[test]
fn a_healthy_idle_server_is_not_timed_out() {
    let server = Server::start("idle");
    let watch_for = 6 * TIMEOUT;
    let report = watch(&server, watch_for);
    assert!(
        matches!(report.outcome, Outcome::StillAlive),
        "{:?}",
        report.outcome
    );
    assert!(report.items.is_empty());
    assert!(
        report.pulses >= 3,
        "only {} pulses in {watch_for:?}",
        report.pulses
    );
}

#[test]
fn a_server_that_finishes_ends_cleanly() {
    let server = Server::start("items=5");
    let report = watch(&server, GENEROUS);
    assert!(
        matches!(report.outcome, Outcome::Ended),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.items, [0, 1, 2, 3, 4]);
}

#[test]
fn a_frozen_server_times_out_and_no_item_sent_before_the_freeze_is_lost() {
    let server = Server::start("");
    let (report, frozen) = watch_and(&server, 5, || server.signal("-STOP"));
    assert!(
        matches!(report.outcome, Outcome::TimedOut),
        "{:?}",
        report.outcome
    );
    let waited = report.at - frozen;
    assert!(
        waited < TIMEOUT + GENEROUS,
        "detected only after {waited:?}"
    );

    std::thread::sleep(Duration::from_millis(100)); // let the pipe reader catch up with the last lines
    let sent = server.sent_items();
    assert!(sent.len() >= 5);
    let lost: Vec<&u64> = sent
        .iter()
        .filter(|item| !report.items.contains(item))
        .collect();
    assert!(
        lost.is_empty(),
        "items sent before the freeze were lost: {lost:?}"
    );
}

#[test]
fn a_killed_server_ends_the_stream_without_a_timeout() {
    let server = Server::start("");
    let (report, killed) = watch_and(&server, 5, || server.signal("-KILL"));
    // Closed, not TimedOut: the end came from the connection, before the watchdog's timeout.
    assert!(
        matches!(report.outcome, Outcome::Closed),
        "{:?}",
        report.outcome
    );
    assert!(report.at - killed < GENEROUS);
}

#[test]
fn malformed_frames_give_a_clear_error() {
    let server = Server::start("malformed_after=3");
    let report = watch(&server, GENEROUS);
    match report.outcome {
        Outcome::Malformed(what) => assert!(what.contains("this is not a frame"), "{what}"),
        other => panic!("expected a malformed frame, got {other:?}"),
    }
    assert_eq!(report.items.len(), 3);
}

/// Freezes one server twenty times, a new connection each time, and measures how
/// long after `SIGSTOP` plus the timeout the client's watchdog ended the stream.
/// Negative figures are possible: silence counts from the last frame, which came before the freeze.
#[test]
fn detection_delay_over_twenty_freezes() {
    let server = Server::start("forever");
    let mut delays_ms = Vec::new();
    for _ in 0..20 {
        let (report, frozen) = watch_and(&server, 3, || server.signal("-STOP"));
        assert!(
            matches!(report.outcome, Outcome::TimedOut),
            "{:?}",
            report.outcome
        );
        let after_stop = report.at - frozen;
        assert!(
            after_stop < TIMEOUT + GENEROUS,
            "detected only after {after_stop:?}"
        );
        delays_ms.push(after_stop.as_secs_f64() * 1e3 - TIMEOUT.as_secs_f64() * 1e3);
        server.signal("-CONT");
    }
    delays_ms.sort_by(f64::total_cmp);
    println!(
        "detection delay (watchdog end - SIGSTOP - {TIMEOUT:?}) over {} freezes, pulse {PULSE:?}: \
         min {:.1} ms, median {:.1} ms, max {:.1} ms",
        delays_ms.len(),
        delays_ms[0],
        delays_ms[delays_ms.len() / 2],
        delays_ms[delays_ms.len() - 1],
    );
}

/// Waits for a subscriber's event line that satisfies `wanted`, or panics after `GENEROUS`.
fn wait_for_event(
    events: &std::sync::mpsc::Receiver<String>,
    what: &str,
    wanted: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + GENEROUS;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(line) if wanted(&line) => return,
            Ok(_) => {}
            Err(_) => panic!("the subscriber never reported {what}"),
        }
    }
}

#[test]
fn a_subscription_survives_freeze_kill_and_restart_losing_and_repeating_nothing() {
    let addr = format!("127.0.0.1:{}", free_port());
    let first = Server::start(&format!("addr={addr} forever"));
    let (events_tx, events) = std::sync::mpsc::channel();
    let subscriber = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            let done = |seen: &protocol::Subscription| seen.items.len() >= 60;
            smol::block_on(protocol::subscribe(&addr, TIMEOUT, done, move |line| {
                let _ = events_tx.send(line);
            }))
        })
    };
    let got = |n: u64| move |line: &str| line.starts_with(&format!("got {n}:"));

    // Frozen: no pulse, no result; the watchdog ends the connection and the
    // subscriber keeps trying, then resumes when the server thaws.
    wait_for_event(&events, "result 10", got(10));
    first.signal("-STOP");
    wait_for_event(&events, "a restart for silence", |line| {
        line.starts_with("lost:") && line.contains("the source went silent")
    });
    first.signal("-CONT");
    wait_for_event(&events, "result 25", got(25));

    // Killed: the connection drops; connecting fails until a new server listens on the port.
    first.signal("-KILL");
    wait_for_event(&events, "a refused connection", |line| {
        line.starts_with("lost: connecting failed")
    });
    let second = Server::start(&format!("addr={addr} forever"));
    let seen = subscriber.join().unwrap();

    let numbers: Vec<u64> = seen.items.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        numbers,
        (0..60).collect::<Vec<u64>>(),
        "results lost, repeated or out of order"
    );
    assert!(seen
        .items
        .iter()
        .all(|(seq, text)| *text == format!("result {seq}")));
    let said = |what: &str| {
        seen.restarts
            .iter()
            .filter(|cause| cause.contains(what))
            .count()
    };
    assert!(
        said("the source went silent") >= 1,
        "no restart for silence: {:?}",
        seen.restarts
    );
    // The watchdog's silence is a restart of its own kind, not a failure.
    let dropped = seen
        .restarts
        .iter()
        .filter(|cause| cause.starts_with("the source failed"));
    assert!(
        dropped.count() >= 1,
        "no restart for the killed server's dropped connection: {:?}",
        seen.restarts
    );
    assert!(said("connecting failed") >= 1, "{:?}", seen.restarts);
    assert!(
        !second.sent_items().is_empty(),
        "the restarted server served nothing"
    );
    println!(
        "{} results over {} connections; restarts: {:?}",
        numbers.len(),
        seen.connections,
        seen.restarts
    );
}
