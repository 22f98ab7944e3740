//! Heartbeats across a TCP connection: a server streams numbered results with
//! pulses; a client watches one connection and tells a clean end from a dead,
//! hung or misbehaving server; a subscriber keeps its subscription through all of
//! that, reconnecting with backoff and resuming after the last result it got. The
//! wire format is in `protocol.rs`: one text line a frame.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example tcp                 # a flaky server and a subscriber, in one process
//! cargo run --example tcp -- server --forever   # then, in another terminal:
//! cargo run --example tcp -- subscriber   # or: -- client
//! ```
//!
//! Server flags: `--addr`, `--pulse-ms`, `--item-ms`, `--items N`, `--idle` (pulses only),
//! `--malformed-after N`, `--drop-after N` (hang up after N results a connection),
//! `--forever` (serve every client). Client and subscriber flags: `--addr`,
//! `--timeout-ms`, `--watch-ms` (client), `--until N` (subscriber: stop at result N).
//! Stop the server with Ctrl-Z while a client watches, and the client reports the
//! hang after its timeout; a subscriber reconnects instead, and resumes when the
//! server comes back (`fg`), or when you start a new one.

#[path = "../support/args.rs"]
mod args;
mod protocol;

use std::time::Duration;

use protocol::{Outcome, ServerOptions};
use smol::net::TcpListener;

const DEFAULT_ADDR: &str = "127.0.0.1:7878";

const USAGE: &str = "\
Heartbeats across TCP: a server, a client that watches one connection, and a
subscriber that keeps its subscription through hangs, deaths and restarts.

usage: cargo run --example tcp [-- ROLE] [FLAGS]

roles:
  (none)       a server that hangs up every 4 results, and a subscriber, in one process
  server       serve on --addr
  client       watch one connection to --addr
  subscriber   keep a subscription to --addr

server flags: --pulse-ms MS (100), --item-ms MS (500), --items N (10), --idle,
              --malformed-after N, --drop-after N, --forever
client flags: --timeout-ms MS (1000), --watch-ms MS
subscriber flags: --timeout-ms MS (1000), --until N
all: --addr HOST:PORT (127.0.0.1:7878), --help";

fn parse_args() -> args::Args {
    args::Args::parse(
        USAGE,
        &[
            "--addr",
            "--pulse-ms",
            "--item-ms",
            "--items",
            "--malformed-after",
            "--drop-after",
            "--timeout-ms",
            "--watch-ms",
            "--until",
        ],
        &["--idle", "--forever"],
        &["server", "client", "subscriber"],
    )
}

fn millis(args: &args::Args, name: &str, default: u64) -> Duration {
    Duration::from_millis(args.parsed(name).unwrap_or(default))
}

fn server_options(args: &args::Args) -> ServerOptions {
    let defaults = ServerOptions::default();
    ServerOptions {
        pulse_interval: millis(
            args,
            "--pulse-ms",
            defaults.pulse_interval.as_millis() as u64,
        ),
        item_every: (!args.has("--idle")).then(|| millis(args, "--item-ms", 500)),
        items: match args.parsed("--items") {
            Some(n) => Some(n),
            None if args.has("--idle") || args.has("--forever") => None,
            None => defaults.items,
        },
        malformed_after: args.parsed("--malformed-after"),
        drop_after: args.parsed("--drop-after"),
        forever: args.has("--forever"),
    }
}

async fn run_server(args: &args::Args, listener: TcpListener) -> std::io::Result<()> {
    println!("server: listening on {}", listener.local_addr()?);
    protocol::serve(listener, server_options(args), |line| {
        println!("server: {line}")
    })
    .await
}

async fn run_client(args: &args::Args, addr: &str) -> std::io::Result<()> {
    let timeout = millis(args, "--timeout-ms", 1000);
    let watch_for = args.parsed("--watch-ms").map(Duration::from_millis);
    let report = protocol::watch(addr, timeout, watch_for, |seq| {
        println!("client: got result {seq}")
    })
    .await?;
    let verdict = match report.outcome {
        Outcome::Ended => "the server finished cleanly".to_string(),
        Outcome::Closed => {
            "the server closed the connection without finishing: it died".to_string()
        }
        Outcome::TimedOut => format!("no pulse and no result for {timeout:?}: the server hung"),
        Outcome::Malformed(what) => format!("the server sent garbage ({what})"),
        Outcome::Failed(error) => format!("the connection failed: {error}"),
        Outcome::StillAlive => "stopped watching; the server was alive".to_string(),
    };
    println!(
        "client: {} results, {} pulses; {verdict}",
        report.items.len(),
        report.pulses
    );
    Ok(())
}

async fn run_subscriber(args: &args::Args, addr: &str) -> std::io::Result<()> {
    let timeout = millis(args, "--timeout-ms", 1000);
    let until: Option<u64> = args.parsed("--until");
    let done = |seen: &protocol::Subscription| {
        until.is_some_and(|until| seen.items.last().is_some_and(|(seq, _)| *seq >= until))
    };
    let seen =
        protocol::subscribe(addr, timeout, done, |line| println!("subscriber: {line}")).await;
    let numbers: Vec<u64> = seen.items.iter().map(|(seq, _)| *seq).collect();
    let in_order = numbers.iter().copied().eq(0..numbers.len() as u64);
    println!(
        "subscriber: {} results over {} connections, {} restarts; {}{}",
        numbers.len(),
        seen.connections,
        seen.restarts.len(),
        if in_order {
            "every result once, in order"
        } else {
            "RESULTS LOST OR REPEATED"
        },
        if seen.ended {
            "; the server finished"
        } else {
            ""
        },
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args = parse_args();
    let addr = args.value("--addr").unwrap_or(DEFAULT_ADDR).to_string();
    smol::block_on(async {
        match args.role() {
            Some("server") => run_server(&args, TcpListener::bind(&addr).await?).await,
            Some("client") => run_client(&args, &addr).await,
            Some("subscriber") => run_subscriber(&args, &addr).await,
            _ => {
                // A server that hangs up after every 4 results, and a subscriber that
                // gets all 10 anyway; on a port the system picks.
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let addr = listener.local_addr()?.to_string();
                let options = ServerOptions {
                    drop_after: Some(4),
                    forever: true,
                    item_every: Some(Duration::from_millis(100)),
                    ..ServerOptions::default()
                };
                println!("server: listening on {addr}, hanging up after every 4 results");
                let _server = smol::spawn(protocol::serve(listener, options, |line| {
                    println!("server: {line}")
                }));
                run_subscriber(&args, &addr).await
            }
        }
    })
}
