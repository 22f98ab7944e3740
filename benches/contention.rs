//! The default clock's shared lock under contention, on 1 thread and on 2 at
//! once: re-arming a timer for a later deadline and polling it with its waker
//! still registered (a watchdog re-armed by items does that), which moves it in
//! the schedule under the lock. A pulse no longer takes this path: the driver
//! took its waker, so the poll hands the new one over without the lock.
//!
//! Run with `cargo bench --bench contention`. It prints the median of five runs
//! of each, in nanoseconds per operation per thread and in operations a second
//! for all threads together. To also count the lock acquisitions per operation,
//! compile the counter in (a target dir of its own: the flag rebuilds every crate):
//! `RUSTFLAGS="--cfg futures_heartbeat_lock_counter" CARGO_TARGET_DIR=target/hooks
//! cargo bench --bench contention`.

use std::pin::Pin;
use std::sync::{Arc, Barrier};
use std::task::Context;
use std::time::{Duration, Instant};

use futures::task::noop_waker;
use futures_heartbeat::clock::{Clock, Timer, WheelClock, WheelTimer};

/// Timers per thread: each operation moves the next one, as many streams would.
const TIMERS: usize = 1_000;
const OPERATIONS: usize = 2_000_000;
const RUNS: usize = 5;

fn main() {
    // Criterion passes its own flags to every bench; this one has none.
    for threads in [1, 2] {
        let mut runs: Vec<(f64, f64)> = (0..RUNS).map(|_| run(threads)).collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (nanos_per_op, ops_per_sec) = runs[RUNS / 2];
        println!(
            "{threads} thread(s): {nanos_per_op:.0} ns per re-arm and poll per thread, \
             {:.1} M operations/s in all{}",
            ops_per_sec / 1e6,
            locks_note(threads)
        );
    }
}

/// `threads` threads each re-arm and poll their own timers; returns the median
/// thread's nanoseconds per operation and the operations a second of all.
fn run(threads: usize) -> (f64, f64) {
    let start = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let start = start.clone();
            std::thread::spawn(move || {
                let waker = noop_waker();
                let mut cx = Context::from_waker(&waker);
                // Ten seconds and more ahead: never fired during the run.
                let base = Instant::now() + Duration::from_secs(10);
                let mut timers: Vec<WheelTimer> =
                    (0..TIMERS).map(|_| WheelClock.timer_at(base)).collect();
                start.wait();
                let began = Instant::now();
                for op in 0..OPERATIONS {
                    let timer = &mut timers[op % TIMERS];
                    // A different second each time: the timer moves to another tick.
                    let deadline = base + Duration::from_secs(1 + (op / TIMERS % 50) as u64);
                    Pin::new(&mut *timer).reset(deadline);
                    assert!(Pin::new(&mut *timer).poll_expired(&mut cx).is_pending());
                }
                began.elapsed()
            })
        })
        .collect();
    let elapsed: Vec<Duration> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let slowest = elapsed.iter().max().unwrap().as_secs_f64();
    let mean = elapsed.iter().map(Duration::as_secs_f64).sum::<f64>() / threads as f64;
    (
        mean * 1e9 / OPERATIONS as f64,
        (threads * OPERATIONS) as f64 / slowest,
    )
}

#[cfg(futures_heartbeat_lock_counter)]
fn locks_note(threads: usize) -> String {
    let before = futures_heartbeat::clock::wheel_shared_lock_acquisitions();
    run(threads);
    let locks = futures_heartbeat::clock::wheel_shared_lock_acquisitions() - before;
    format!(
        ", {:.3} shared-lock acquisitions per operation",
        locks as f64 / (threads * OPERATIONS) as f64
    )
}

#[cfg(not(futures_heartbeat_lock_counter))]
fn locks_note(_threads: usize) -> String {
    String::new()
}
