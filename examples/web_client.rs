//! A web client's liveness loop, as it runs in a browser: the WebSocket API has no
//! ping frames, so the client sends application-level pings on the socket when the
//! line has been idle (a `probe`), and gives the server up when it answers neither
//! with data nor with a pong.
//!
//! Two channels joined into a `Duplex` stand in for the socket (in a browser, a
//! stream of the socket's `message` events and a sink that calls `send`), and a
//! task for the server: it sends a few updates, answers pings for a while, then
//! freezes without closing the connection, the failure a browser cannot see
//! without heartbeats.
//!
//! Run it natively, or build it for the browser:
//!
//! ```sh
//! cargo run --example web_client
//! cargo build --example web_client --target wasm32-unknown-unknown
//! ```
//!
//! In the browser it logs to the console (load the `.wasm` with the JavaScript that
//! `wasm-bindgen --target web` generates for it).

#[cfg(not(target_arch = "wasm32"))]
#[path = "support/args.rs"]
mod args;

use std::time::Duration;

use futures::channel::mpsc;
use futures::stream::StreamExt;
use futures_heartbeat::{Duplex, HeartbeatExt};
use futures_timer::Delay;

/// Ping after this long without a message from the server.
const IDLE: Duration = Duration::from_millis(300);
/// How long a pong may take.
const REPLY_TIMEOUT: Duration = Duration::from_millis(200);

#[derive(Debug)]
enum FromServer {
    Update(u32),
    Pong,
}

/// The application-level ping, a message like any other to the socket.
#[derive(Debug)]
struct Ping;

/// The server: three updates, pongs for a second and a half, then frozen.
async fn server(
    to_client: mpsc::UnboundedSender<FromServer>,
    mut pings: mpsc::UnboundedReceiver<Ping>,
) {
    for n in 1..=3 {
        Delay::new(Duration::from_millis(100)).await;
        let _ = to_client.unbounded_send(FromServer::Update(n));
    }
    let answering = futures::future::select(
        Box::pin(async {
            while pings.next().await.is_some() {
                log("server: ping, pong");
                let _ = to_client.unbounded_send(FromServer::Pong);
            }
        }),
        Delay::new(Duration::from_millis(1500)),
    );
    answering.await;
    log("server: frozen (the connection stays open)");
    futures::future::pending::<()>().await; // keeps the socket open, silent
}

/// The client: pings when idle, ends the connection when the server stops answering.
async fn client(
    from_server: mpsc::UnboundedReceiver<FromServer>,
    to_server: mpsc::UnboundedSender<Ping>,
) {
    let mut socket = Duplex::new(from_server, to_server)
        .probe(IDLE, || Ping)
        .ack_timeout(REPLY_TIMEOUT)
        .control_frames(|message| matches!(message, FromServer::Pong));
    while let Some(message) = socket.next().await {
        if let FromServer::Update(n) = message {
            log(&format!("client: update {n}"));
        }
    }
    if socket.timed_out() {
        log(&format!(
            "client: no answer within {:?} of a ping: the server is gone; reconnect here",
            REPLY_TIMEOUT
        ));
    }
}

async fn run() {
    let (to_client, from_server) = mpsc::unbounded();
    let (to_server, pings) = mpsc::unbounded();
    let server = server(to_client, pings);
    let client = client(from_server, to_server);
    futures::future::select(Box::pin(server), Box::pin(client)).await;
}

#[cfg(not(target_arch = "wasm32"))]
fn log(line: &str) {
    println!("{line}");
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    const USAGE: &str = "\
A web client's liveness loop: pings when idle, gives up on a silent server.

usage: cargo run --example web_client
       cargo build --example web_client --target wasm32-unknown-unknown

  --help   this text";
    args::Args::parse(USAGE, &[], &[], &[]);
    futures::executor::block_on(run());
}

#[cfg(target_arch = "wasm32")]
use browser::log;

// wasm-bindgen, which the browser build needs, needs Rust 1.81 itself.
#[cfg(target_arch = "wasm32")]
#[clippy::msrv = "1.81"]
mod browser {
    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = console)]
        pub(crate) fn log(line: &str);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    wasm_bindgen_futures::spawn_local(run());
}
