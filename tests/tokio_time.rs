//! The default clock on tokio's time (feature `tokio`), as `DefaultClock`'s docs
//! state the rule: in a tokio runtime whose clock is paused, or was advanced
//! away from the real time, the adapters' timers are tokio's; everywhere else
//! they are the wheel's, on the real time.
//!
//! Real-time bounds are generous: "well under a second" is checked as under
//! five seconds, against the 30 s or the hour the real clock would take.
#![cfg(feature = "tokio")]

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use futures::{poll, FutureExt};
use futures_heartbeat::{Event, HeartbeatExt};

const WELL_UNDER: Duration = Duration::from_secs(5);

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn a_watchdog_of_30_s_on_a_paused_runtime_ends_in_virtual_time() {
    let real = Instant::now();
    paused_runtime().block_on(async {
        let virtual_start = tokio::time::Instant::now();
        let mut silent = stream::pending::<u8>().watchdog(Duration::from_secs(30));
        assert_eq!(silent.next().await, None);
        assert!(silent.timed_out());
        assert!(virtual_start.elapsed() >= Duration::from_secs(30));
    });
    assert!(real.elapsed() < WELL_UNDER, "took {:?}", real.elapsed());
}

#[test]
fn ten_pulses_of_1_s_on_a_paused_runtime_take_virtual_time() {
    let real = Instant::now();
    paused_runtime().block_on(async {
        let start = tokio::time::Instant::now();
        let pulses = stream::pending::<u8>()
            .with_heartbeat(Duration::from_secs(1))
            .take(10)
            .collect::<Vec<_>>()
            .await;
        assert_eq!(pulses, vec![Event::Pulse; 10]);
        // On the grid: the tenth pulse is due at 10 s, and tokio's timer rounds to 1 ms.
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_secs(10) && elapsed < Duration::from_millis(10_020),
            "{elapsed:?}"
        );
    });
    assert!(real.elapsed() < WELL_UNDER, "took {:?}", real.elapsed());
}

#[test]
fn tokio_advance_moves_the_default_adapters() {
    paused_runtime().block_on(async {
        let mut events = stream::pending::<u8>().with_heartbeat(Duration::from_secs(1));
        let mut keep_alive = stream::pending::<u8>().keep_alive(Duration::from_secs(2));
        assert!(
            poll!(events.next()).is_pending(),
            "the first poll starts the clock"
        );
        assert!(poll!(keep_alive.next()).is_pending());
        tokio::time::advance(Duration::from_millis(999)).await;
        assert!(poll!(events.next()).is_pending(), "not due before 1 s");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(events.next().now_or_never(), Some(Some(Event::Pulse)));
        assert!(poll!(keep_alive.next()).is_pending());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(keep_alive.next().now_or_never(), Some(Some(Event::Pulse)));
    });
}

#[test]
fn a_runtime_resumed_after_being_advanced_keeps_the_adapters_on_its_time() {
    let real = Instant::now();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::pause();
            tokio::time::advance(Duration::from_secs(3_600)).await;
            tokio::time::resume();
            // Tokio's clock now runs an hour ahead of the real one: on the real
            // clock, the first pulse would be an hour away.
            let mut events = stream::pending::<u8>().with_heartbeat(Duration::from_millis(20));
            assert_eq!(events.next().await, Some(Event::Pulse));
        });
    assert!(real.elapsed() < WELL_UNDER, "took {:?}", real.elapsed());
}

#[test]
fn a_stream_first_polled_on_a_real_time_runtime_outlives_it() {
    for runtime in [
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap(),
    ] {
        let mut events = runtime.block_on(async {
            let mut events = stream::pending::<u8>().with_heartbeat(Duration::from_millis(10));
            assert_eq!(events.next().await, Some(Event::Pulse));
            events
        });
        drop(runtime);
        // No runtime now: the wheel's scheduler still fires its timer.
        futures::executor::block_on(async {
            assert_eq!(events.next().await, Some(Event::Pulse));
        });
    }
}

#[test]
fn a_stream_on_a_paused_runtime_polled_after_it_shut_down_says_so() {
    let mut events = paused_runtime().block_on(async {
        let mut events = stream::pending::<u8>().with_heartbeat(Duration::from_secs(1));
        assert_eq!(events.next().await, Some(Event::Pulse));
        events
    });
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(events.next())
    }))
    .expect_err("a timer of a runtime that is gone cannot fire");
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("shut"), "an unclear panic: {message:?}");
}

#[test]
fn runtimes_of_every_kind_and_none_each_get_working_timers_in_one_process() {
    async fn three_pulses() {
        let pulses = stream::pending::<u8>()
            .with_heartbeat(Duration::from_millis(10))
            .take(3)
            .count()
            .await;
        assert_eq!(pulses, 3);
    }
    let threads = [
        std::thread::spawn(|| futures::executor::block_on(three_pulses())),
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap()
                .block_on(three_pulses())
        }),
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_time()
                .build()
                .unwrap()
                .block_on(three_pulses())
        }),
        std::thread::spawn(|| paused_runtime().block_on(three_pulses())),
    ];
    for thread in threads {
        thread.join().unwrap();
    }
}
