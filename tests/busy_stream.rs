//! A busy stream pulses on every real clock, in real time, with the heartbeat
//! the only timer of its process.
//!
//! The rule under test is the heartbeat's H4 (`HeartbeatExt::with_heartbeat`): a
//! ready item goes before a due pulse, but a due pulse waits at most
//! `MAX_ITEMS_BEFORE_PULSE` items, so a stream that is always ready still pulses
//! on its grid. It must hold on the clock itself, not thanks to other timers
//! that happen to keep a scheduler awake; so this binary has one test, which
//! runs its cases one after the other, each with a single timer.
//!
//! Bounds are generous: about 50 pulses are due in each second of 20 ms pulses,
//! and a case passes with a third of them. A starved heartbeat gives one or none.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::clock::{Clock, DefaultClock, FuturesTimerClock};
use futures_heartbeat::{Event, HeartbeatExt, MAX_ITEMS_BEFORE_PULSE};

const INTERVAL: Duration = Duration::from_millis(20);
const RUN_FOR: Duration = Duration::from_secs(1);
/// A third of the 50 pulses due in `RUN_FOR`.
const AT_LEAST: usize = 16;

/// Polls `events` without ever letting it be pending for `RUN_FOR`, and counts the pulses.
async fn pulses_in_a_second<T>(events: impl Stream<Item = Event<T>>) -> usize {
    let mut events = std::pin::pin!(events);
    let start = Instant::now();
    let mut pulses = 0;
    let mut items = 0u64;
    while let Some(event) = events.next().await {
        match event {
            Event::Pulse => pulses += 1,
            Event::Item(_) => items += 1,
        }
        // The test's own clock read, every 1,024 events, not the adapter's.
        if (items + pulses as u64) % 1_024 == 0 && start.elapsed() >= RUN_FOR {
            break;
        }
    }
    pulses
}

/// After the consumer was away for longer than an interval, the due pulse comes
/// within `MAX_ITEMS_BEFORE_PULSE` ready items, five times in a row.
async fn a_pulse_due_while_away_comes_within_the_item_limit<T>(
    name: &str,
    events: impl Stream<Item = Event<T>>,
) {
    let mut events = std::pin::pin!(events);
    // Run until the first pulse: the timer has been re-armed after a pulse since.
    while !matches!(events.next().await, Some(Event::Pulse)) {}
    for round in 0..5 {
        // The consumer is away, blocking its thread: a pulse falls due meanwhile.
        std::thread::sleep(INTERVAL * 2);
        let mut within = None;
        for seen in 0..=MAX_ITEMS_BEFORE_PULSE {
            if matches!(events.next().await, Some(Event::Pulse)) {
                within = Some(seen);
                break;
            }
        }
        assert!(
            within.is_some(),
            "{name}, round {round}: no pulse among the {} events after a stall of {:?}",
            MAX_ITEMS_BEFORE_PULSE + 1,
            INTERVAL * 2
        );
    }
}

/// A bounded channel that a producer thread keeps full.
fn full_channel() -> (smol::channel::Receiver<u64>, std::thread::JoinHandle<()>) {
    let (tx, rx) = smol::channel::bounded(16);
    let producer = std::thread::spawn(move || {
        let mut n = 0u64;
        while tx.send_blocking(n).is_ok() {
            n += 1;
        }
    });
    (rx, producer)
}

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// The three cases on `clock`, each run to its end by `block_on` before the next starts.
fn busy_streams_pulse_on<C>(name: &'static str, clock: C, block_on: impl Fn(LocalFuture))
where
    C: Clock + Clone + 'static,
{
    let on = clock.clone();
    block_on(Box::pin(async move {
        let pulses = pulses_in_a_second(stream::iter(0u64..).with_heartbeat_on(INTERVAL, on)).await;
        assert!(
            pulses >= AT_LEAST,
            "{name}: an always-ready stream pulsed {pulses} times in {RUN_FOR:?} of {INTERVAL:?} pulses"
        );
    }));

    let on = clock.clone();
    block_on(Box::pin(async move {
        let (rx, producer) = full_channel();
        let pulses = pulses_in_a_second(rx.with_heartbeat_on(INTERVAL, on)).await;
        // Dropping the receiver closes the channel and ends the producer.
        producer.join().unwrap();
        assert!(
            pulses >= AT_LEAST,
            "{name}: a consumer of a full channel got {pulses} pulses in {RUN_FOR:?} of {INTERVAL:?} pulses"
        );
    }));

    block_on(Box::pin(async move {
        a_pulse_due_while_away_comes_within_the_item_limit(
            name,
            stream::iter(0u64..).with_heartbeat_on(INTERVAL, clock),
        )
        .await;
    }));
}

#[test]
fn a_busy_stream_pulses_on_its_grid_on_every_real_clock_alone_in_its_process() {
    busy_streams_pulse_on("the default clock", DefaultClock, smol::block_on);
    busy_streams_pulse_on("FuturesTimerClock", FuturesTimerClock, smol::block_on);
    #[cfg(feature = "async-io")]
    busy_streams_pulse_on(
        "AsyncIoClock",
        futures_heartbeat::clock::AsyncIoClock,
        smol::block_on,
    );
    #[cfg(feature = "tokio")]
    {
        // A runtime whose idle workers run its time driver while this thread is busy.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        busy_streams_pulse_on(
            "TokioClock",
            futures_heartbeat::clock::TokioClock,
            |future| runtime.block_on(future),
        );
    }
}
