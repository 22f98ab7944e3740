//! Soak: 10,000 heartbeat streams for a minute on a two-thread smol executor, fed
//! items all along. Checks that every stream's pulse k comes within a slack of
//! `start + k * interval` after hundreds of intervals (no drift), that no pulse
//! is skipped and that no item is lost.
//!
//! Ignored by default (it takes a minute of real time). Run it with
//!
//! ```sh
//! cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! `SOAK_STREAMS`, `SOAK_SECS` and `SOAK_INTERVAL_MS` change its size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::StreamExt;
use futures_heartbeat::{Event, HeartbeatExt};
use smol::channel;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one stream saw.
#[derive(Default)]
struct Seen {
    pulses: u64,
    skipped: u64,
    latenesses: Vec<Duration>,
    late_after_many_intervals: Duration,
    items: u64,
    out_of_order: u64,
}

async fn consume(events: channel::Receiver<u64>, interval: Duration) -> Seen {
    let mut seen = Seen::default();
    let start = Instant::now();
    let mut events = std::pin::pin!(events.with_heartbeat(interval));
    let mut last_index = 0u128;
    while let Some(event) = events.next().await {
        match event {
            Event::Pulse => {
                let since_start = start.elapsed();
                let index = since_start.as_nanos() / interval.as_nanos();
                let lateness = since_start - interval * index as u32;
                seen.skipped += (index - last_index - 1) as u64;
                last_index = index;
                seen.pulses += 1;
                seen.latenesses.push(lateness);
                if index >= 300 {
                    seen.late_after_many_intervals = seen.late_after_many_intervals.max(lateness);
                }
            }
            Event::Item(n) => {
                seen.out_of_order += u64::from(n != seen.items);
                seen.items += 1;
            }
        }
    }
    seen
}

#[test]
#[ignore = "a minute of real time; run it with --ignored"]
fn ten_thousand_heartbeats_for_a_minute_keep_time_and_lose_nothing() {
    let streams = env_or("SOAK_STREAMS", 10_000) as usize;
    let run_for = Duration::from_secs(env_or("SOAK_SECS", 60));
    let interval = Duration::from_millis(env_or("SOAK_INTERVAL_MS", 100));
    let slack = Duration::from_millis(50);

    let executor = Arc::new(smol::Executor::new());
    let (stop, stopped) = channel::bounded::<()>(1);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (executor, stopped) = (executor.clone(), stopped.clone());
            std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
        })
        .collect();

    let (senders, consumers): (Vec<_>, Vec<_>) = (0..streams)
        .map(|_| {
            let (tx, rx) = channel::unbounded();
            (tx, executor.spawn(consume(rx, interval)))
        })
        .unzip();

    // The producer: an item to a hundredth of the streams every ten milliseconds.
    let sent = smol::block_on(executor.spawn(async move {
        let started = Instant::now();
        let mut sent = vec![0u64; senders.len()];
        let mut next = 0;
        while started.elapsed() < run_for {
            for _ in 0..senders.len().div_ceil(100) {
                senders[next].send(sent[next]).await.unwrap();
                sent[next] += 1;
                next = (next + 1) % senders.len();
            }
            smol::Timer::after(Duration::from_millis(10)).await;
        }
        sent // dropping the senders ends every stream
    }));
    let seen: Vec<Seen> = smol::block_on(futures::future::join_all(consumers));
    drop(stop);
    for thread in threads {
        let _ = thread.join().unwrap(); // the executor stops with an error once `stop` is dropped
    }

    let mut latenesses: Vec<Duration> = seen
        .iter()
        .flat_map(|s| s.latenesses.iter().copied())
        .collect();
    latenesses.sort();
    let quantile = |q: f64| latenesses[((latenesses.len() - 1) as f64 * q) as usize];
    let expected_pulses = (run_for.as_nanos() / interval.as_nanos()) as u64;
    let pulses_min = seen.iter().map(|s| s.pulses).min().unwrap();
    let skipped: u64 = seen.iter().map(|s| s.skipped).sum();
    let late_after_many = seen
        .iter()
        .map(|s| s.late_after_many_intervals)
        .max()
        .unwrap();
    let items: u64 = seen.iter().map(|s| s.items).sum();
    let out_of_order: u64 = seen.iter().map(|s| s.out_of_order).sum();
    println!(
        "{streams} streams, {run_for:?} at {interval:?}: pulses per stream min {pulses_min} (expected ~{expected_pulses}), \
         skipped {skipped}, lateness p50 {:?} p99 {:?} max {:?}, max after 300 intervals {late_after_many:?}, \
         items {items} of {}, out of order {out_of_order}",
        quantile(0.5),
        quantile(0.99),
        latenesses.last().unwrap(),
        sent.iter().sum::<u64>(),
    );
    assert_eq!(skipped, 0, "pulses were skipped for lateness");
    assert!(pulses_min + 2 >= expected_pulses, "a stream missed pulses");
    assert_eq!(items, sent.iter().sum::<u64>(), "items were lost");
    assert_eq!(out_of_order, 0);
    assert!(
        quantile(0.99) <= slack,
        "p99 lateness {:?} over {slack:?}",
        quantile(0.99)
    );
    assert!(
        late_after_many <= 4 * slack,
        "drift: {late_after_many:?} late after hundreds of intervals"
    );
}
