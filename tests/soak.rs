//! Soak: 10,000 heartbeat streams on the default clock for a minute, on a
//! two-thread executor (smol or tokio), fed items all along. Checks that every
//! stream's pulse k comes within a slack of `start + k * interval` after hundreds
//! of intervals (no drift), that no item is lost, and that every skipped pulse
//! (one that came more than a whole interval late) is explained by a stall of
//! the whole process, measured by a thread that does nothing but sleep 1 ms at a
//! time and note how late it wakes.
//!
//! Ignored by default (they take minutes of real time). Run them with
//!
//! ```sh
//! RUSTFLAGS="--cfg futures_heartbeat_lock_counter" CARGO_TARGET_DIR=target/hooks \
//!     cargo test --release --test soak -- --ignored --nocapture --test-threads 1
//! ```
//!
//! `--cfg futures_heartbeat_lock_counter` compiles in the scheduler's count of the
//! ticks it fired late, which the report sets beside the skips (a target dir of its
//! own, since the flag rebuilds every crate); without it, the soak runs and checks
//! the same, and reports no tick of the scheduler's.
//!
//! `SOAK_STREAMS`, `SOAK_SECS` and `SOAK_INTERVAL_MS` change the size of the
//! one-minute runs.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::StreamExt;
use futures_heartbeat::clock::{Clock, FuturesTimerClock, WheelClock};
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
    /// For each run of skipped pulses: from the first skipped grid point to the pulse that came.
    skip_windows: Vec<(Instant, Instant)>,
    latenesses: Vec<Duration>,
    late_after_many_intervals: Duration,
    items: u64,
    out_of_order: u64,
}

async fn consume<C: Clock>(
    events: channel::Receiver<u64>,
    interval: Duration,
    expected_pulses: usize,
    clock: C,
) -> Seen {
    // Room for every pulse up front: 10,000 streams growing their vectors at the
    // same pulse would copy hundreds of megabytes at once and stall the executor.
    // SOAK_GROW_VECTORS=1 lets them grow, to reproduce that stall.
    let room = if env_or("SOAK_GROW_VECTORS", 0) == 1 {
        0
    } else {
        expected_pulses + 64
    };
    let mut seen = Seen {
        latenesses: Vec::with_capacity(room),
        ..Seen::default()
    };
    let start = Instant::now();
    let mut events = std::pin::pin!(events.with_heartbeat_on(interval, clock));
    let mut last_index = 0u32;
    while let Some(event) = events.next().await {
        match event {
            Event::Pulse => {
                let now = Instant::now();
                let since_start = now - start;
                let index = (since_start.as_nanos() / interval.as_nanos()) as u32;
                let lateness = since_start - interval * index;
                if index > last_index + 1 {
                    seen.skipped += u64::from(index - last_index - 1);
                    seen.skip_windows
                        .push((start + interval * (last_index + 1), now));
                }
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

/// What counts as a stall: a 1 ms sleep that wakes more than this late.
const STALL: Duration = Duration::from_millis(10);

/// A time the whole process stood still: a 1 ms sleep that woke `overrun` late.
#[derive(Debug, Clone, Copy)]
struct Stall {
    from: Instant,
    to: Instant,
}

impl Stall {
    fn overrun(&self) -> Duration {
        self.to - self.from
    }
}

/// The ticks the default clock's scheduler fired, by lateness (<1, 1-2, 2-4, ... ms),
/// if `--cfg futures_heartbeat_lock_counter` counts them.
fn tick_lateness_histogram() -> Option<Vec<u64>> {
    #[cfg(futures_heartbeat_lock_counter)]
    return Some(futures_heartbeat::clock::wheel_tick_lateness_histogram().to_vec());
    #[cfg(not(futures_heartbeat_lock_counter))]
    None
}

/// Sleeps 1 ms at a time until `stop`, recording every wakeup later than
/// `threshold`, and, alongside, when the scheduler's driver fired a tick late
/// by at least 16 ms (its own lateness histogram, with `--cfg futures_heartbeat_lock_counter`).
fn detect_stalls(
    stop: Arc<AtomicBool>,
    threshold: Duration,
) -> std::thread::JoinHandle<(Vec<Stall>, Vec<Instant>)> {
    std::thread::spawn(move || {
        const LATE_BUCKET: usize = 5; // ticks fired 16 ms late or more
        let late_ticks = || -> u64 {
            tick_lateness_histogram().map_or(0, |histogram| histogram[LATE_BUCKET..].iter().sum())
        };
        let (mut stalls, mut driver_late) = (Vec::new(), Vec::new());
        let mut late_before = late_ticks();
        while !stop.load(Ordering::Relaxed) {
            let asleep = Instant::now();
            std::thread::sleep(Duration::from_millis(1));
            let woke = Instant::now();
            if woke - asleep > threshold + Duration::from_millis(1) {
                stalls.push(Stall {
                    from: asleep + Duration::from_millis(1),
                    to: woke,
                });
            }
            let late_now = late_ticks();
            if late_now > late_before {
                driver_late.push(woke);
                late_before = late_now;
            }
        }
        (stalls, driver_late)
    })
}

/// A task on the executor under test that sleeps 1 ms at a time on a timer that is
/// not the clock under test (futures-timer's thread), recording every wakeup
/// later than `threshold`: how late the executor ran its tasks.
async fn probe_executor(stop: Arc<AtomicBool>, threshold: Duration) -> Vec<Stall> {
    let mut stalls = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let asleep = Instant::now();
        futures_timer::Delay::new(Duration::from_millis(1)).await;
        let woke = Instant::now();
        if woke - asleep > threshold + Duration::from_millis(1) {
            stalls.push(Stall {
                from: asleep + Duration::from_millis(1),
                to: woke,
            });
        }
    }
    stalls
}

#[derive(Clone, Copy, Debug)]
enum Executor {
    Smol,
    Tokio,
}

/// Runs `streams` heartbeats for `run_for`, feeding `feed_share` of the streams
/// an item every 10 ms, and checks and reports what they saw.
fn soak<C>(
    clock: C,
    executor: Executor,
    streams: usize,
    run_for: Duration,
    interval: Duration,
    feed_share: usize,
) where
    C: Clock + Clone + Send + 'static,
    C::Timer: Send,
{
    let slack = Duration::from_millis(50);
    let stop_detector = Arc::new(AtomicBool::new(false));
    let detector = detect_stalls(stop_detector.clone(), STALL);
    let stats_before = WheelClock::stats();
    let ticks_before = tick_lateness_histogram();
    let run_started = Instant::now();

    let expected_pulses = (run_for.as_nanos() / interval.as_nanos()) as u64;
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..streams).map(|_| channel::unbounded()).unzip();
    let produce = async move {
        let started = Instant::now();
        let mut sent = vec![0u64; senders.len()];
        let mut next = 0;
        while started.elapsed() < run_for {
            for _ in 0..(senders.len() + feed_share - 1) / feed_share {
                senders[next].send(sent[next]).await.unwrap();
                sent[next] += 1;
                next = (next + 1) % senders.len();
            }
            // The producer's own timer is not the clock under test.
            futures_timer::Delay::new(Duration::from_millis(10)).await;
        }
        sent // dropping the senders ends every stream
    };
    let (sent, seen, executor_stalls) = match executor {
        Executor::Smol => run_on_smol(
            receivers,
            interval,
            expected_pulses as usize,
            clock,
            produce,
        ),
        Executor::Tokio => run_on_tokio(
            receivers,
            interval,
            expected_pulses as usize,
            clock,
            produce,
        ),
    };
    stop_detector.store(true, Ordering::Relaxed);
    let (stalls, driver_late) = detector.join().unwrap();
    let stats = WheelClock::stats();
    let ticks_after = tick_lateness_histogram();

    let mut latenesses: Vec<Duration> = seen
        .iter()
        .flat_map(|s| s.latenesses.iter().copied())
        .collect();
    latenesses.sort();
    let quantile = |q: f64| latenesses[((latenesses.len() - 1) as f64 * q) as usize];
    let pulses_min = seen.iter().map(|s| s.pulses).min().unwrap();
    // A skipped pulse is checked above; every grid point has a pulse or a skip.
    let accounted_min = seen.iter().map(|s| s.pulses + s.skipped).min().unwrap();
    let skipped: u64 = seen.iter().map(|s| s.skipped).sum();
    let late_after_many = seen
        .iter()
        .map(|s| s.late_after_many_intervals)
        .max()
        .unwrap();
    let items: u64 = seen.iter().map(|s| s.items).sum();
    let out_of_order: u64 = seen.iter().map(|s| s.out_of_order).sum();

    // Each skip, with the longest process stall and any late driver tick in its window.
    let mut unexplained = 0;
    let mut windows: Vec<(Instant, Instant)> = seen
        .iter()
        .flat_map(|s| s.skip_windows.iter().copied())
        .collect();
    windows.sort();
    let mut reported = 0;
    for &(from, to) in &windows {
        let stall = stalls
            .iter()
            .filter(|stall| stall.from < to && stall.to > from)
            .map(Stall::overrun)
            .max()
            .unwrap_or_default();
        let executor_stall = executor_stalls
            .iter()
            .filter(|stall| stall.from < to && stall.to > from)
            .map(Stall::overrun)
            .max()
            .unwrap_or_default();
        let driver_was_late = driver_late.iter().any(|&at| at >= from && at <= to + slack);
        // A pulse more than a whole interval late needs the process, or the
        // executor's threads, to have stood still for a good part of that
        // interval, while the clock's driver was not late.
        let explained = stall.max(executor_stall) >= interval / 2;
        unexplained += usize::from(!explained);
        if reported < 10 || !explained {
            reported += 1;
            println!(
                "  skip at {:?} into the run, window {:?}: longest process stall in it {stall:?}, \
                 longest executor stall in it {executor_stall:?}, \
                 driver tick ≥16 ms late in it: {driver_was_late}{}",
                from.saturating_duration_since(run_started),
                to - from,
                if explained { "" } else { "  UNEXPLAINED" }
            );
        }
    }
    let longest_stall = stalls.iter().map(Stall::overrun).max().unwrap_or_default();
    let late_ticks = match (ticks_before, ticks_after) {
        (Some(before), Some(after)) => format!(
            "{:?}",
            after
                .iter()
                .zip(before)
                .map(|(after, before)| after - before)
                .collect::<Vec<_>>()
        ),
        _ => "not counted (--cfg futures_heartbeat_lock_counter)".to_owned(),
    };
    println!(
        "{executor:?}: {streams} streams, {run_for:?} at {interval:?}: pulses per stream min {pulses_min} \
         (expected ~{expected_pulses}), skipped {skipped} in {} windows ({unexplained} unexplained), \
         lateness p50 {:?} p99 {:?} max {:?}, max after 300 intervals {late_after_many:?}, \
         items {items} of {}, out of order {out_of_order}; process stalls over 10 ms: {}, longest {longest_stall:?}; \
         executor stalls over 10 ms: {}, longest {:?}; \
         driver ticks by lateness (<1, 1-2, 2-4, ... ms): {late_ticks}, max {:?}, \
         driver restarts {}, blocked drivers replaced {}",
        windows.len(),
        quantile(0.5),
        quantile(0.99),
        latenesses.last().unwrap(),
        sent.iter().sum::<u64>(),
        stalls.len(),
        executor_stalls.len(),
        executor_stalls.iter().map(Stall::overrun).max().unwrap_or_default(),
        stats.max_lateness,
        stats.driver_restarts - stats_before.driver_restarts,
        stats.blocked_drivers - stats_before.blocked_drivers,
    );
    assert_eq!(
        unexplained, 0,
        "pulses skipped with no stall of the process to explain them"
    );
    assert_eq!(items, sent.iter().sum::<u64>(), "items were lost");
    assert_eq!(out_of_order, 0);
    assert!(
        accounted_min + 2 >= expected_pulses,
        "a stream missed pulses"
    );
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

fn run_on_smol<C>(
    receivers: Vec<channel::Receiver<u64>>,
    interval: Duration,
    expected_pulses: usize,
    clock: C,
    produce: impl Future<Output = Vec<u64>> + Send + 'static,
) -> (Vec<u64>, Vec<Seen>, Vec<Stall>)
where
    C: Clock + Clone + Send + 'static,
    C::Timer: Send,
{
    let executor = Arc::new(smol::Executor::new());
    let (stop, stopped) = channel::bounded::<()>(1);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (executor, stopped) = (executor.clone(), stopped.clone());
            std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
        })
        .collect();
    let consumers: Vec<_> = receivers
        .into_iter()
        .map(|rx| executor.spawn(consume(rx, interval, expected_pulses, clock.clone())))
        .collect();
    let stop_probe = Arc::new(AtomicBool::new(false));
    let probe = executor.spawn(probe_executor(stop_probe.clone(), STALL));
    let sent = smol::block_on(executor.spawn(produce));
    stop_probe.store(true, Ordering::Relaxed);
    let executor_stalls = smol::block_on(probe);
    let seen = smol::block_on(futures::future::join_all(consumers));
    drop(stop);
    for thread in threads {
        let _ = thread.join().unwrap(); // the executor stops with an error once `stop` is dropped
    }
    (sent, seen, executor_stalls)
}

fn run_on_tokio<C>(
    receivers: Vec<channel::Receiver<u64>>,
    interval: Duration,
    expected_pulses: usize,
    clock: C,
    produce: impl Future<Output = Vec<u64>> + Send + 'static,
) -> (Vec<u64>, Vec<Seen>, Vec<Stall>)
where
    C: Clock + Clone + Send + 'static,
    C::Timer: Send,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let consumers: Vec<_> = receivers
        .into_iter()
        .map(|rx| runtime.spawn(consume(rx, interval, expected_pulses, clock.clone())))
        .collect();
    let stop_probe = Arc::new(AtomicBool::new(false));
    let probe = runtime.spawn(probe_executor(stop_probe.clone(), STALL));
    let sent = runtime.block_on(runtime.spawn(produce)).unwrap();
    stop_probe.store(true, Ordering::Relaxed);
    let executor_stalls = runtime.block_on(probe).unwrap();
    let seen = runtime
        .block_on(futures::future::try_join_all(consumers))
        .unwrap();
    (sent, seen, executor_stalls)
}

fn one_minute(executor: Executor) {
    let streams = env_or("SOAK_STREAMS", 10_000) as usize;
    let run_for = Duration::from_secs(env_or("SOAK_SECS", 60));
    let interval = Duration::from_millis(env_or("SOAK_INTERVAL_MS", 100));
    // SOAK_CLOCK=futures-timer runs the same load on another clock, to tell the
    // wheel's faults from the executor's.
    match std::env::var("SOAK_CLOCK").as_deref() {
        Ok("futures-timer") => soak(FuturesTimerClock, executor, streams, run_for, interval, 100),
        _ => soak(WheelClock, executor, streams, run_for, interval, 100),
    }
}

#[test]
#[ignore = "a minute of real time; run it with --ignored"]
fn ten_thousand_heartbeats_for_a_minute_on_smol_keep_time_and_lose_nothing() {
    one_minute(Executor::Smol);
}

#[test]
#[ignore = "a minute of real time; run it with --ignored"]
fn ten_thousand_heartbeats_for_a_minute_on_tokio_keep_time_and_lose_nothing() {
    one_minute(Executor::Tokio);
}

#[test]
#[ignore = "ten minutes of real time; run it with --ignored"]
fn ten_minutes_of_items_and_pulses_mixed_on_smol() {
    // A tenth of the streams get an item every 10 ms: about a thousand items per
    // stream over the run, between their pulses.
    soak(
        WheelClock,
        Executor::Smol,
        10_000,
        Duration::from_secs(600),
        Duration::from_millis(100),
        10,
    );
}
