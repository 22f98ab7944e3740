//! What a pulse costs in shared locks on the default clock, counted. A binary of
//! its own: the counter and the scheduler are the process's, and other tests
//! would add to them.
//!
//! The counter exists only with `--cfg futures_heartbeat_lock_counter`; without
//! it this file compiles to nothing. Run it as `.ci/run` does, with both test
//! hooks and every feature, in a target dir of its own (the flags rebuild every
//! crate; the same flags reuse the build):
//!
//! ```sh
//! RUSTFLAGS="--cfg futures_heartbeat_fault_injection --cfg futures_heartbeat_lock_counter" \
//!     CARGO_TARGET_DIR=target/hooks cargo test --all-features --test wheel_lock_counts
//! ```
#![cfg(futures_heartbeat_lock_counter)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures_heartbeat::clock::{wheel_shared_lock_acquisitions, wheel_ticks_fired};
use futures_heartbeat::{Event, HeartbeatExt};

const STREAMS: usize = 1_000;
const INTERVAL: Duration = Duration::from_millis(100);

#[test]
#[cfg_attr(miri, ignore = "measures the scheduler in real time")]
fn a_pulse_takes_no_shared_lock_and_a_tick_one_in_the_steady_state() {
    let executor = smol::LocalExecutor::new();
    let pulses = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..STREAMS)
        .map(|index| {
            let pulses = pulses.clone();
            executor.spawn(async move {
                // Phases spread over the interval, as independent streams' are.
                smol::Timer::after(INTERVAL * index as u32 / STREAMS as u32).await;
                let mut events = futures::stream::pending::<()>().with_heartbeat(INTERVAL);
                while let Some(Event::Pulse) = events.next().await {
                    pulses.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    smol::block_on(executor.run(async {
        // Past the first pulse of every stream: the timers exist and have fired once.
        smol::Timer::after(INTERVAL * 3).await;
        let (locks_before, pulses_before, ticks_before) = counts(&pulses);
        smol::Timer::after(INTERVAL * 10).await;
        let (locks_after, pulses_after, ticks_after) = counts(&pulses);

        let locks = locks_after - locks_before;
        let pulses = pulses_after - pulses_before;
        let ticks = ticks_after - ticks_before;
        let per_pulse = locks as f64 / pulses as f64;
        eprintln!(
            "{pulses} pulses, {ticks} ticks fired, {locks} shared-lock acquisitions: \
             {per_pulse:.3} per pulse"
        );
        assert!(
            pulses >= STREAMS as u64 * 5,
            "too few pulses to count: {pulses}"
        );
        // One per tick fired (the driver's), and a little for the rare pulse
        // that finds its waker still registered (polled between its two ticks) or
        // the driver asleep past its new tick. The poll after a pulse hands its
        // waker over without the lock.
        assert!(
            locks <= ticks + pulses / 100,
            "{locks} acquisitions for {pulses} pulses and {ticks} ticks"
        );
        assert!(
            locks < pulses,
            "not under one acquisition per pulse: {locks} for {pulses}"
        );
    }));
    drop(tasks);
}

fn counts(pulses: &AtomicU64) -> (u64, u64, u64) {
    (
        wheel_shared_lock_acquisitions(),
        pulses.load(Ordering::Relaxed),
        wheel_ticks_fired(),
    )
}
