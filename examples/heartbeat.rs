//! The heartbeat pattern of *Concurrency in Go* (ch. 5), on smol.
//!
//! A worker task produces a result every two seconds and pulses every second;
//! it sends both over a channel. The consumer prints `pulse` and
//! `results <second>`, and gives up on the worker after two seconds with
//! neither. The worker stops by itself after about 11 s.
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

use futures::stream::{Stream, StreamExt};
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
    let (events_in, events_out) = channel::bounded(1);
    smol::block_on(async {
        let worker = smol::spawn(worker(events_in, hang));
        consume(events_out).await;
        drop(worker); // cancels a hung worker
    });
}

/// The worker's results: the current second, every other pulse, for `WORK_FOR`.
fn results() -> impl Stream<Item = u64> {
    Timer::interval(2 * PULSE_INTERVAL)
        .map(|_| wall_clock_second())
        .take_until(Timer::after(WORK_FOR))
}

async fn worker(events: Sender<Event<u64>>, hang: bool) {
    let mut pulsing = results().with_heartbeat(PULSE_INTERVAL);
    let mut results_sent = 0;
    while let Some(event) = pulsing.next().await {
        match event {
            // A pulse nobody is ready for is dropped, as with Go's non-blocking send.
            Event::Pulse => drop(events.try_send(Event::Pulse)),
            Event::Item(second) => {
                if events.send(Event::Item(second)).await.is_err() {
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
    // Dropping `events` closes the channel: the consumer sees a clean end.
}

async fn consume(events: Receiver<Event<u64>>) {
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
