//! The `websocket` example's client against its server, a real tokio-tungstenite
//! WebSocket on 127.0.0.1: killed and restarted, frozen,
//! frozen in the handshake, and quiet but healthy. In every case each update
//! arrives exactly once, in order. And a client that closes its subscription
//! shuts down cleanly.
//!
//! The server is this test binary run again as a child in the role of
//! `child_server_role`, with the example's server code (so that a test run alone
//! from a clean `target/` builds all it needs); the child is killed when its
//! test ends, whether the test passes or panics. The client runs the example's
//! client code on a thread of the test.
#![cfg(unix)] // freezing the server uses SIGSTOP

#[path = "../examples/websocket/client.rs"]
mod client;
#[path = "../examples/websocket/server.rs"]
mod server;
mod support;

use std::pin::pin;
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use futures_heartbeat::restart::Restart;
use support::child::{free_port, ChildServer};

const IDLE: Duration = Duration::from_millis(250);
const ACK: Duration = Duration::from_millis(250);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const EVERY: Duration = Duration::from_millis(20);
/// Far more than any check needs on a loaded machine; only a hang gets near it.
const GENEROUS: Duration = Duration::from_secs(5);
/// What a detection may take beyond its timeouts: the clock's lateness (at most
/// 1/20 of a timer's lead here), the wakeup and a loaded machine's scheduling.
const TOLERANCE: Duration = Duration::from_secs(1);
const SERVER_ARGS: &str = "FUTURES_HEARTBEAT_WEBSOCKET_SERVER";

/// Not a test: the entry point of the child server process. Run without the
/// environment variable, as in a normal test run, it returns at once.
#[test]
fn child_server_role() {
    let Ok(args) = std::env::var(SERVER_ARGS) else {
        return;
    };
    let mut pace = server::Pace {
        every: EVERY,
        quiet_every: None,
        quiet_for: Duration::ZERO,
    };
    let mut addr = "127.0.0.1:0".to_string();
    for arg in args.split_whitespace() {
        match arg.split_once('=') {
            Some(("addr", at)) => addr = at.to_string(),
            Some(("quiet_every", n)) => pace.quiet_every = Some(n.parse().unwrap()),
            Some(("quiet_ms", ms)) => pace.quiet_for = Duration::from_millis(ms.parse().unwrap()),
            _ => panic!("unknown server argument {arg}"),
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr.as_str()).await.unwrap();
        println!("listening {}", listener.local_addr().unwrap());
        server::serve(listener, pace, |line| println!("{line}")).await;
    });
}

fn start_server(args: &str) -> ChildServer {
    ChildServer::start("child_server_role", SERVER_ARGS, args)
}

/// What the client saw.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Up,
    Update(u64),
    Down(String),
    /// The stream ended (`None`).
    End,
}

/// What the client does at update `until`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum AtUntil {
    /// Drops the subscription.
    Stop,
    /// Closes it (`SinkExt::close`) and reads on to its end.
    Close,
}

/// The example's client on a thread of its own, until update `until` or `4 * GENEROUS`.
struct Subscriber {
    events: Receiver<(Instant, Seen)>,
    seen: Vec<Seen>,
    thread: Option<JoinHandle<()>>,
}

impl Subscriber {
    fn start(addr: &str, until: u64) -> Subscriber {
        Subscriber::start_with(addr, until, AtUntil::Stop)
    }

    fn start_with(addr: &str, until: u64, at_until: AtUntil) -> Subscriber {
        let settings = client::Settings {
            idle: IDLE,
            ack_timeout: ACK,
            connect_timeout: CONNECT_TIMEOUT,
        };
        let url = format!("ws://{addr}");
        let (tx, events) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let subscription = async {
                let mut updates = pin!(client::updates(url, settings));
                let mut closed = false;
                while let Some(event) = updates.next().await {
                    let seen = match event {
                        Restart::Item(frame) => match client::update_number(&frame) {
                            Some(n) => Seen::Update(n),
                            None => continue,
                        },
                        Restart::Up { .. } => Seen::Up,
                        Restart::Down { cause, .. } | Restart::GaveUp { cause, .. } => {
                            Seen::Down(cause.to_string())
                        }
                        other => panic!("an event this test does not know: {other:?}"),
                    };
                    let last = seen == Seen::Update(until) && !closed;
                    if tx.send((Instant::now(), seen)).is_err() {
                        return;
                    }
                    if last {
                        match at_until {
                            AtUntil::Stop => return,
                            AtUntil::Close => {
                                updates.close().await.expect("closing never fails");
                                closed = true;
                            }
                        }
                    }
                }
                let _ = tx.send((Instant::now(), Seen::End));
            };
            // The timeout's timer needs the runtime: made inside it.
            let _ =
                runtime.block_on(async { tokio::time::timeout(4 * GENEROUS, subscription).await });
        });
        Subscriber {
            events,
            seen: Vec::new(),
            thread: Some(thread),
        }
    }

    /// Waits for an event that satisfies `wanted`, and says when it came; panics after `GENEROUS`.
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&Seen) -> bool) -> Instant {
        let deadline = Instant::now() + GENEROUS;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok((at, seen)) = self.events.recv_timeout(left) else {
                panic!("the client never saw {what}; it saw {:?}", self.seen);
            };
            self.seen.push(seen.clone());
            if wanted(&seen) {
                return at;
            }
        }
    }

    /// Waits for the client to reach its last update, and returns all it saw.
    fn finish(mut self) -> Vec<Seen> {
        self.thread.take().unwrap().join().unwrap();
        self.seen
            .extend(self.events.try_iter().map(|(_, seen)| seen));
        std::mem::take(&mut self.seen)
    }
}

fn update(n: u64) -> impl Fn(&Seen) -> bool {
    move |seen| *seen == Seen::Update(n)
}

fn is_down(seen: &Seen) -> bool {
    matches!(seen, Seen::Down(_))
}

/// Asserts that the updates seen are 1 to `until`, each once, in order.
fn assert_each_update_once_in_order(seen: &[Seen], until: u64) {
    let numbers: Vec<u64> = seen
        .iter()
        .filter_map(|seen| match seen {
            Seen::Update(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(
        numbers,
        (1..=until).collect::<Vec<_>>(),
        "updates lost, repeated or out of order; the client saw {seen:?}"
    );
}

fn downs(seen: &[Seen]) -> Vec<&str> {
    seen.iter()
        .filter_map(|seen| match seen {
            Seen::Down(cause) => Some(cause.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_killed_server_restarted_on_the_same_port_is_reconnected_and_resumed() {
    let addr = format!("127.0.0.1:{}", free_port());
    let first = start_server(&format!("addr={addr}"));
    let mut client = Subscriber::start(&addr, 40);
    client.wait_for("update 10", update(10));
    first.signal("-KILL");
    let killed = Instant::now();
    let detected = client.wait_for("the lost connection", is_down);
    let took = detected.saturating_duration_since(killed);
    let _second = start_server(&format!("addr={addr}"));
    let seen = client.finish();

    assert_each_update_once_in_order(&seen, 40);
    let downs = downs(&seen);
    assert!(
        downs[0].starts_with("the source failed") || downs[0] == "the source ended",
        "the kill was not seen as a lost connection: {downs:?}"
    );
    assert!(!downs[0].contains("went silent"), "{downs:?}");
    assert!(
        took < TOLERANCE,
        "the kill was detected only after {took:?}"
    );
    println!("websocket: kill detected after {:.1} ms", ms(took));
}

#[test]
fn a_frozen_server_is_detected_within_idle_plus_ack_timeout() {
    let server = start_server("");
    let mut client = Subscriber::start(&server.addr, 40);
    client.wait_for("update 10", update(10));
    server.freeze();
    let frozen = Instant::now();
    let detected = client.wait_for("the unanswered ping", is_down);
    let took = detected.saturating_duration_since(frozen);
    server.signal("-CONT");
    let seen = client.finish();

    assert_each_update_once_in_order(&seen, 40);
    let downs = downs(&seen);
    // A silence that names the ping and both its limits, through tungstenite's error.
    assert_eq!(
        downs[0],
        format!("the source went silent: no answer to a ping within {ACK:?} after {IDLE:?} idle"),
        "the freeze was not detected by the probe: {downs:?}"
    );
    assert!(
        took < IDLE + ACK + TOLERANCE,
        "the freeze was detected only after {took:?}"
    );
    println!(
        "websocket: freeze detected after {:.1} ms (idle {IDLE:?} + ack timeout {ACK:?})",
        ms(took)
    );
}

#[test]
fn a_handshake_that_hangs_ends_on_the_connect_timeout() {
    let server = start_server("");
    server.freeze(); // the kernel still accepts TCP connections; nobody answers the handshake
    let started = Instant::now();
    let mut client = Subscriber::start(&server.addr, 20);
    let detected = client.wait_for("the connect timeout", is_down);
    let took = detected.saturating_duration_since(started);
    server.signal("-CONT");
    let seen = client.finish();

    assert_each_update_once_in_order(&seen, 20);
    let downs = downs(&seen);
    assert_eq!(
        downs.first(),
        Some(&"connecting timed out"),
        "the client saw {seen:?}"
    );
    assert!(
        took >= CONNECT_TIMEOUT,
        "gave up on the handshake after {took:?}"
    );
    assert!(
        took < CONNECT_TIMEOUT + TOLERANCE,
        "the hanging handshake ended only after {took:?}"
    );
    println!(
        "websocket: hanging handshake ended after {:.1} ms (connect timeout {CONNECT_TIMEOUT:?})",
        ms(took)
    );
}

#[test]
fn a_quiet_but_healthy_server_that_answers_pings_is_never_dropped() {
    let quiet = 4 * IDLE;
    let server = start_server(&format!("quiet_every=5 quiet_ms={}", quiet.as_millis()));
    let client = Subscriber::start(&server.addr, 12); // two quiet spells
    let seen = client.finish();

    assert_each_update_once_in_order(&seen, 12);
    assert_eq!(
        downs(&seen),
        Vec::<&str>::new(),
        "a healthy server was dropped"
    );
    assert_eq!(seen.iter().filter(|seen| **seen == Seen::Up).count(), 1);
    std::thread::sleep(Duration::from_millis(100)); // let the pipe reader catch up with the last lines
    let pings = server
        .said()
        .iter()
        .filter(|line| *line == "pinged")
        .count();
    assert!(
        pings >= 2,
        "only {pings} pings in two quiet spells of {quiet:?}"
    );
    println!("websocket: {pings} pings answered in two quiet spells of {quiet:?}, no reconnect");
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

#[test]
fn a_client_that_closes_mid_stream_shuts_down_cleanly_and_does_not_reconnect() {
    let server = start_server("");
    let mut client = Subscriber::start_with(&server.addr, 10, AtUntil::Close);
    let closed = client.wait_for("update 10", update(10));
    let ended = client.wait_for("the end after the close", |seen| *seen == Seen::End);
    let took = ended.saturating_duration_since(closed);
    let seen = client.finish();

    assert_eq!(
        downs(&seen),
        Vec::<&str>::new(),
        "the close was reported as {seen:?}"
    );
    assert_eq!(
        seen.iter().filter(|seen| **seen == Seen::Up).count(),
        1,
        "the client reconnected: {seen:?}"
    );
    let numbers: Vec<u64> = seen
        .iter()
        .filter_map(|seen| match seen {
            Seen::Update(n) => Some(*n),
            _ => None,
        })
        .collect();
    let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
    assert_eq!(numbers, expected, "updates lost, repeated or out of order");
    assert!(
        numbers.len() >= 10,
        "updates before the close were lost: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&Seen::End));
    assert!(
        took < ACK + TOLERANCE,
        "the close took {took:?} to end the stream"
    );
    std::thread::sleep(Duration::from_millis(100)); // let the pipe reader catch up with the last lines
    let said = server.said();
    let count = |line: &str| said.iter().filter(|said| *said == line).count();
    assert_eq!(count("connected"), 1, "the server saw {said:?}");
    assert_eq!(count("closed by client"), 1, "no clean close: {said:?}");
    assert!(
        !said.iter().any(|line| line.starts_with("lost")),
        "the server lost the connection instead: {said:?}"
    );
    println!(
        "websocket: closed after update 10, ended {:.1} ms later with {} updates",
        ms(took),
        numbers.len()
    );
}
