//! The default clock's scheduler runs every waiting task's waker on its own
//! thread: code the crate does not own. Whatever that code does when woken or
//! dropped, the other timers of the process keep firing.
//!
//! Faults that hold up the whole scheduler (a blocking waker) or break its
//! thread (injected faults) have test binaries of their own: `wheel_*`.
#![cfg_attr(miri, allow(unused))]

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use futures_heartbeat::clock::{Clock, Timer, WheelClock, WheelTimer};
use support::wheel::{pending_timer, pulses_arrive, quietly, wait_for, waiting_timers, waker_with};

const PATIENCE: Duration = Duration::from_secs(10);

#[test]
#[cfg_attr(miri, ignore = "waits for the scheduler in real time")]
fn a_waker_that_panics_when_woken_is_counted_and_every_other_timer_still_fires() {
    let before = WheelClock::stats().waker_panics;
    let others_before = waiting_timers(20, Duration::from_millis(5));
    let panics = waker_with(|| panic!("a faulty executor's waker"));
    let _bad = pending_timer(Duration::from_millis(5), &panics);
    let others_after = waiting_timers(20, Duration::from_millis(8));

    quietly(|| {
        wait_for(PATIENCE, "the panic was counted", || {
            WheelClock::stats().waker_panics > before
        })
    });
    for waiting in others_before.iter().chain(&others_after) {
        wait_for(PATIENCE, "a timer beside the panicking waker fired", || {
            waiting.woken.get() == 1
        });
    }
    pulses_arrive(3);
    assert_eq!(
        WheelClock::stats().driver_restarts,
        0,
        "the panic was contained, not survived by a restart"
    );
}

/// Panics when the last handle to it is dropped.
struct PanicsOnDrop;

impl Wake for PanicsOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a faulty executor's waker, dropped");
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "waits for the scheduler in real time")]
fn a_waker_that_panics_when_dropped_by_the_scheduler_thread_is_counted_and_the_rest_fire() {
    let before = WheelClock::stats().waker_panics;
    let _timer = {
        // The scheduler keeps the only handle left: it drops it on its own thread, when it wakes it.
        let waker = Waker::from(Arc::new(PanicsOnDrop));
        pending_timer(Duration::from_millis(5), &waker)
    };
    let others = waiting_timers(20, Duration::from_millis(5));
    quietly(|| {
        wait_for(PATIENCE, "the panic was counted", || {
            WheelClock::stats().waker_panics > before
        })
    });
    for waiting in &others {
        wait_for(PATIENCE, "a timer beside the panicking waker fired", || {
            waiting.woken.get() == 1
        });
    }
    pulses_arrive(3);
}

#[test]
#[cfg_attr(miri, ignore = "waits for the scheduler in real time")]
fn a_waker_that_panics_when_dropped_by_a_stream_leaves_the_scheduler_usable() {
    let mut timer = Box::pin(WheelClock.timer_at(Instant::now() + Duration::from_secs(60)));
    {
        let waker = Waker::from(Arc::new(PanicsOnDrop));
        assert!(timer
            .as_mut()
            .poll_expired(&mut Context::from_waker(&waker))
            .is_pending());
    }
    // A new waker replaces the old one, whose drop panics in this thread, the poller's.
    let replaced = quietly(|| {
        panic::catch_unwind(AssertUnwindSafe(|| {
            let (waker, _) = futures_test::task::new_count_waker();
            let _ = timer
                .as_mut()
                .poll_expired(&mut Context::from_waker(&waker));
        }))
    });
    assert!(
        replaced.is_err(),
        "the drop's panic reaches the task that caused it"
    );
    let others = waiting_timers(20, Duration::from_millis(5));
    for waiting in &others {
        wait_for(PATIENCE, "a timer fired after the panic", || {
            waiting.woken.get() == 1
        });
    }
    drop(timer);
    pulses_arrive(3);
}

#[test]
#[cfg_attr(miri, ignore = "waits for the scheduler in real time")]
fn a_waker_that_re_enters_the_clock_when_woken_is_served_and_does_not_stall_it() {
    // When woken, on the scheduler's thread, it: re-arms its own timer and polls
    // it again, arms a new timer and drops it, and wakes itself a second time.
    let own: Arc<Mutex<Option<WheelTimer>>> = Arc::new(Mutex::new(None));
    let rounds = Arc::new(AtomicUsize::new(0));
    let waker_slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let waker = {
        let (own, rounds, waker_slot) = (own.clone(), rounds.clone(), waker_slot.clone());
        waker_with(move || {
            if rounds.fetch_add(1, Ordering::SeqCst) >= 20 {
                return;
            }
            let mut own = own.lock().unwrap();
            let Some(timer) = own.as_mut() else { return };
            let soon = Instant::now() + Duration::from_millis(1);
            std::pin::Pin::new(&mut *timer).reset(soon);
            let me = waker_slot.lock().unwrap().clone().unwrap();
            let _ = std::pin::Pin::new(&mut *timer).poll_expired(&mut Context::from_waker(&me));
            drop(WheelClock.timer_at(soon));
            drop(own);
            me.wake_by_ref(); // the same task, woken twice, from inside its own wake
        })
    };
    *waker_slot.lock().unwrap() = Some(waker.clone());
    let timer = pending_timer(Duration::from_millis(2), &waker);
    *own.lock().unwrap() = Some(*std::pin::Pin::into_inner(timer));
    let others = waiting_timers(20, Duration::from_millis(30));

    wait_for(PATIENCE, "twenty rounds of re-entry", || {
        rounds.load(Ordering::SeqCst) >= 20
    });
    for waiting in &others {
        wait_for(
            PATIENCE,
            "a timer fired beside the re-entering waker",
            || waiting.woken.get() == 1,
        );
    }
    *waker_slot.lock().unwrap() = None; // breaks the cycle waker -> slot -> waker
    pulses_arrive(3);
}
