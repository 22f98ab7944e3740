//! `WheelClock::host_on_async_io`: the default clock's ticks fired on async-io's
//! reactor, under no executor, under smol and under several tokio runtimes, one
//! of which shuts down; and a waker that panics there. A binary of its own: the
//! move is for the whole process.
#![cfg(all(feature = "async-io", target_os = "linux"))]

mod support;

use std::sync::{Arc, Mutex};
use std::task::Context;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use futures_heartbeat::clock::{Clock, Timer, WheelClock};
use futures_heartbeat::{Event, HeartbeatExt};
use support::wheel::{pending_timer, quietly, wait_for, waiting_timers, waker_with, within};

const PATIENCE: Duration = Duration::from_secs(10);

fn hosted() {
    WheelClock::host_on_async_io().expect("a timerfd on async-io's reactor");
    assert!(WheelClock::stats().hosted_on_reactor);
}

/// The names of the threads that woke a timer's task, for `count` timers due soon.
fn threads_that_fire(count: usize) -> Vec<String> {
    let woken_on = Arc::new(Mutex::new(Vec::new()));
    let mut timers = Vec::new();
    for i in 0..count {
        // Each armed just before its first poll, far enough ahead that a test
        // thread descheduled for a while still finds it pending.
        let deadline = Instant::now() + Duration::from_millis(20 + i as u64);
        let mut timer = Box::pin(WheelClock.timer_at(deadline));
        let woken_on = woken_on.clone();
        let waker = waker_with(move || {
            let name = std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_string();
            woken_on.lock().unwrap().push(name);
        });
        assert!(timer
            .as_mut()
            .poll_expired(&mut Context::from_waker(&waker))
            .is_pending());
        timers.push(timer);
    }
    wait_for(PATIENCE, "every timer woke its task", || {
        woken_on.lock().unwrap().len() == count
    });
    let names = woken_on.lock().unwrap().clone();
    names
}

#[test]
#[cfg_attr(miri, ignore = "a timerfd and real time")]
fn with_no_executor_the_reactors_own_thread_fires_the_ticks_not_the_schedulers() {
    hosted();
    // No executor runs async-io's reactor here: its own thread does (or the
    // thread of another test in this binary that runs `smol::block_on`).
    let names = threads_that_fire(20);
    assert!(
        names.iter().all(|name| name != "futures-heartbeat-wheel"),
        "fired by the scheduler's thread: {names:?}"
    );
    // Calling it again changes nothing.
    hosted();
}

#[test]
#[cfg_attr(miri, ignore = "a timerfd and real time")]
fn under_smol_the_ticks_fire_on_the_thread_that_runs_the_reactor() {
    hosted();
    let pulses = within(PATIENCE, || {
        smol::block_on(async {
            stream::pending::<()>()
                .with_heartbeat(Duration::from_millis(5))
                .take(5)
                .collect::<Vec<_>>()
                .await
        })
    });
    assert_eq!(pulses, vec![Event::Pulse; 5]);
}

#[test]
#[cfg_attr(miri, ignore = "a timerfd and real time")]
fn several_tokio_runtimes_keep_their_pulses_when_one_of_them_shuts_down() {
    hosted();
    within(PATIENCE, several_runtimes_one_shutting_down);
    assert!(WheelClock::stats().hosted_on_reactor);
}

fn several_runtimes_one_shutting_down() {
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    };
    let (first, second) = (runtime(), runtime());
    let pulsing = |runtime: &tokio::runtime::Runtime| {
        runtime.spawn(async {
            stream::pending::<()>()
                .with_heartbeat(Duration::from_millis(5))
                .take(20)
                .count()
                .await
        })
    };
    let on_first = pulsing(&first);
    let on_second = pulsing(&second);
    std::thread::sleep(Duration::from_millis(20));
    // Shut down with its stream mid-way: its timer is dropped with the task.
    first.shutdown_timeout(Duration::from_secs(1));
    assert!(futures::executor::block_on(on_first)
        .unwrap_err()
        .is_cancelled());
    assert_eq!(second.block_on(on_second).unwrap(), 20);
    // A stream started after the shutdown, on the surviving runtime and on none.
    assert_eq!(second.block_on(pulsing(&second)).unwrap(), 20);
    drop(second);
    let got = futures::executor::block_on(
        stream::pending::<()>()
            .with_heartbeat(Duration::from_millis(5))
            .take(3)
            .count(),
    );
    assert_eq!(got, 3);
}

#[test]
#[cfg_attr(miri, ignore = "a timerfd and real time")]
fn a_waker_that_panics_on_the_reactor_is_counted_and_the_others_are_still_woken() {
    hosted();
    let panics_before = WheelClock::stats().waker_panics;
    let waker = waker_with(|| panic!("a waker that panics"));
    quietly(|| {
        let _faulty = pending_timer(Duration::from_millis(5), &waker);
        let others = waiting_timers(20, Duration::from_millis(5));
        for other in &others {
            wait_for(PATIENCE, "a timer beside the faulty one fired", || {
                other.woken.get() == 1
            });
        }
        wait_for(PATIENCE, "the panic was counted", || {
            WheelClock::stats().waker_panics > panics_before
        });
    });
    // The reactor keeps the ticks: a panic is not a reason to leave it.
    assert!(WheelClock::stats().hosted_on_reactor);
    let names = threads_that_fire(5);
    assert!(
        names.iter().all(|name| name != "futures-heartbeat-wheel"),
        "{names:?}"
    );
}
