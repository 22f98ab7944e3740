//! The heartbeat pattern of *Concurrency in Go* (ch. 5), on smol.
//!
//! A worker task produces a result every two seconds and pulses every second;
//! it sends each over a channel of its own, as the Go program does, so that a
//! pulse never waits behind a result. The consumer watches the two as one
//! stream: it prints `pulse` and `results <second>`, and gives up on the worker
//! after two seconds with neither. The worker stops by itself after about 11 s.
//!
//! With `--hang`, the worker gets stuck after its third result, and the
//! consumer's watchdog ends the stream two seconds later.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example heartbeat
//! cargo run --example heartbeat -- --hang
//! ```

#[path = "support/args.rs"]
mod args;

use std::pin::pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::{Event, HeartbeatExt};
use smol::channel::{self, Receiver, Sender};
use smol::Timer;

const PULSE_INTERVAL: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(2);
const WORK_FOR: Duration = Duration::from_secs(11);

const USAGE: &str = "\
The heartbeat pattern of Concurrency in Go: a worker pulses while it works; its
consumer gives up after two seconds with neither a pulse nor a result.

usage: cargo run --example heartbeat [-- --hang]

  --hang   the worker gets stuck after its third result: see the watchdog fire
  --help   this text";

fn main() {
    let hang = args::Args::parse(USAGE, &[], &["--hang"], &[]).has("--hang");
    // Two channels, as in Go: on one shared channel, a pulse that fell due while
    // a result still waited in it would be dropped. A result waits in its
    // channel's slot, not in the worker, which goes on pulsing meanwhile.
    let (pulses_in, pulses_out) = channel::bounded(1);
    let (results_in, results_out) = channel::bounded(1);
    smol::block_on(async {
        let worker = smol::spawn(worker(pulses_in, results_in, hang));
        consume(pulses_out, results_out).await;
        drop(worker); // cancels a hung worker
    });
}

/// The worker's results: the current second, every other pulse, for `WORK_FOR`.
fn work_results() -> impl Stream<Item = u64> {
    Timer::interval(2 * PULSE_INTERVAL)
        .map(|_| wall_clock_second())
        .take_until(Timer::after(WORK_FOR))
}

async fn worker(pulses: Sender<()>, results: Sender<u64>, hang: bool) {
    let mut pulsing = work_results().with_heartbeat(PULSE_INTERVAL);
    let mut results_sent = 0;
    while let Some(event) = pulsing.next().await {
        match event {
            // A pulse nobody is ready for is dropped, as with Go's non-blocking send.
            Event::Pulse => drop(pulses.try_send(())),
            Event::Item(second) => {
                if results.send(second).await.is_err() {
                    return; // the consumer is gone
                }
                results_sent += 1;
            }
        }
        if hang && results_sent == 3 {
            eprintln!("(worker: stuck on something that never comes; no more pulses)");
            std::future::pending::<()>().await;
        }
    }
    // Dropping the senders closes both channels: the consumer sees a clean end.
}

async fn consume(pulses: Receiver<()>, results: Receiver<u64>) {
    // Both channels as one stream, as Go's `select` reads them; it ends when both are closed.
    let events = stream::select(pulses.map(|()| Event::Pulse), results.map(Event::Item));
    // async-channel's receiver must stay pinned, and so must what wraps it.
    let mut events = pin!(events.watchdog(TIMEOUT));
    while let Some(event) = events.next().await {
        match event {
            Event::Pulse => println!("pulse"),
            Event::Item(second) => println!("results {second}"),
        }
    }
    if events.timed_out() {
        println!(
            "watchdog: no pulse and no result for {TIMEOUT:?}: the worker is unhealthy, giving up"
        );
    } else {
        println!("worker finished");
    }
}

fn wall_clock_second() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    since_epoch.as_secs() % 60
}
