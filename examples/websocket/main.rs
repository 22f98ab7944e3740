//! A WebSocket subscription that keeps itself alive, on tokio-tungstenite: the
//! server sends numbered updates from `?from=n` on; the client pings the server
//! when the line is idle (on the socket's own write half, through `try_probe`),
//! reconnects with backoff when it fails, falls silent or hangs in the
//! handshake, and resumes after the last update it got: each update once, in order.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example websocket -- server      # then, in another terminal:
//! cargo run --example websocket -- client
//! ```
//!
//! Stop the server with Ctrl-Z while the client runs: the client's ping goes
//! unanswered and it reconnects, then resumes when the server comes back (`fg`).
//! With `--until N`, the client closes the subscription at update N: the
//! WebSocket's close handshake runs, the updates already on their way are
//! printed, and the client ends without reconnecting.

#[path = "../support/args.rs"]
mod args;
mod client;
mod server;

use std::pin::pin;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use futures_heartbeat::restart::Restart;

const USAGE: &str = "\
A WebSocket subscription that pings when idle, reconnects and resumes.

usage: cargo run --example websocket -- ROLE [FLAGS]

roles:
  server   send numbered updates on --addr
  client   subscribe to the server on --addr

server flags: --every-ms MS (200), --quiet-every N, --quiet-ms MS (2000)
client flags: --idle-ms MS (1000), --ack-ms MS (1000), --connect-timeout-ms MS (2000), --until N
all: --addr HOST:PORT (127.0.0.1:9001), --help";

fn main() {
    let args = args::Args::parse(
        USAGE,
        &[
            "--addr",
            "--every-ms",
            "--quiet-every",
            "--quiet-ms",
            "--idle-ms",
            "--ack-ms",
            "--connect-timeout-ms",
            "--until",
        ],
        &[],
        &["server", "client"],
    );
    let millis = |name, default| Duration::from_millis(args.parsed(name).unwrap_or(default));
    let addr = args.value("--addr").unwrap_or("127.0.0.1:9001").to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.role() {
        Some("server") => runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
            println!("listening {}", listener.local_addr().unwrap());
            let pace = server::Pace {
                every: millis("--every-ms", 200),
                quiet_every: args.parsed("--quiet-every"),
                quiet_for: millis("--quiet-ms", 2000),
            };
            server::serve(listener, pace, |line| println!("{line}")).await;
        }),
        Some("client") => runtime.block_on(async {
            let settings = client::Settings {
                idle: millis("--idle-ms", 1000),
                ack_timeout: millis("--ack-ms", 1000),
                connect_timeout: millis("--connect-timeout-ms", 2000),
            };
            let until: Option<u64> = args.parsed("--until");
            let mut updates = pin!(client::updates(format!("ws://{addr}"), settings));
            let mut closed = false;
            while let Some(event) = updates.next().await {
                match event {
                    Restart::Item(frame) => match client::update_number(&frame) {
                        Some(n) => {
                            println!("update {n}");
                            if Some(n) == until && !closed {
                                println!("closing");
                                // Never an error: a close that fails on the socket
                                // ends the subscription all the same.
                                let _ = updates.close().await;
                                closed = true;
                            }
                        }
                        None => println!("frame {frame:?}"),
                    },
                    Restart::Up { attempt, downtime } => {
                        println!("up (attempt {attempt}, down {downtime:?})")
                    }
                    Restart::Down {
                        cause, retry_in, ..
                    } => println!("down: {cause}; retry in {retry_in:?}"),
                    Restart::GaveUp { cause, .. } => println!("gave up: {cause}"),
                    _ => {} // events a later release may add
                }
            }
            println!("ended");
        }),
        _ => args.refuse("a role is needed: server or client"),
    }
}
