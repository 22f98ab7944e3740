//! Heartbeats across a TCP connection: a server streams results with pulses, a
//! client watches the connection and tells a clean end from a dead, hung or
//! misbehaving server. The wire format is in `protocol.rs`: one text line a frame.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example tcp                 # both roles in one process, on 127.0.0.1
//! cargo run --example tcp -- server       # then, in another terminal:
//! cargo run --example tcp -- client
//! ```
//!
//! Server flags: `--addr`, `--pulse-ms`, `--item-ms`, `--items N`, `--idle` (pulses only),
//! `--malformed-after N`, `--forever` (serve client after client). Client flags: `--addr`,
//! `--timeout-ms`, `--watch-ms`. Stop the server with Ctrl-Z while a client watches, and
//! the client reports the hang after its timeout.

mod protocol;

use std::time::Duration;

use protocol::{Outcome, ServerOptions};
use smol::net::TcpListener;

const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// `--name value` from the command line.
fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn millis(name: &str, default: u64) -> Duration {
    Duration::from_millis(flag(name).and_then(|v| v.parse().ok()).unwrap_or(default))
}

fn has(name: &str) -> bool {
    std::env::args().any(|arg| arg == name)
}

fn server_options() -> ServerOptions {
    let defaults = ServerOptions::default();
    ServerOptions {
        pulse_interval: millis("--pulse-ms", defaults.pulse_interval.as_millis() as u64),
        item_every: (!has("--idle")).then(|| millis("--item-ms", 500)),
        items: match flag("--items") {
            Some(n) => n.parse().ok(),
            None if has("--idle") || has("--forever") => None,
            None => defaults.items,
        },
        malformed_after: flag("--malformed-after").and_then(|n| n.parse().ok()),
        forever: has("--forever"),
    }
}

async fn run_server(listener: TcpListener) -> std::io::Result<()> {
    println!("server: listening on {}", listener.local_addr()?);
    protocol::serve(listener, server_options(), |line| {
        println!("server: {line}")
    })
    .await
}

async fn run_client(addr: &str) -> std::io::Result<()> {
    let timeout = millis("--timeout-ms", 1000);
    let watch_for = flag("--watch-ms").map(|_| millis("--watch-ms", 0));
    let report = protocol::watch(addr, timeout, watch_for, |item| {
        println!("client: got {item}")
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

fn main() -> std::io::Result<()> {
    let addr = flag("--addr").unwrap_or_else(|| DEFAULT_ADDR.to_string());
    smol::block_on(async {
        match std::env::args().nth(1).as_deref() {
            Some("server") => run_server(TcpListener::bind(&addr).await?).await,
            Some("client") => run_client(&addr).await,
            _ => {
                // Both roles, on a port the system picks.
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let addr = listener.local_addr()?.to_string();
                let server = smol::spawn(run_server(listener));
                run_client(&addr).await?;
                server.await
            }
        }
    })
}
