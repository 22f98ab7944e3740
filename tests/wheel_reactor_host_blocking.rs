//! A waker that blocks on async-io's reactor, with the default clock's ticks
//! hosted there: the supervisor hands the timers to a scheduler thread, for
//! good, and the timers behind the waker fire without waiting for it. A binary
//! of its own, because it blocks the process's reactor.
#![cfg(all(feature = "async-io", target_os = "linux"))]

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_heartbeat::clock::WheelClock;
use support::wheel::{blocking_waker, pulses_arrive, timers_behind_a_blocker_fire};

#[test]
#[cfg_attr(miri, ignore = "a timerfd and real time")]
fn a_waker_blocking_the_reactor_sends_the_ticks_back_to_a_thread_of_their_own() {
    // Long enough that nothing behind it could fire by waiting for it.
    const BLOCK: Duration = Duration::from_secs(5);
    WheelClock::host_on_async_io().expect("a timerfd on async-io's reactor");
    pulses_arrive(3);
    // Each step registered the driver again by itself: the supervisor never had to.
    assert_eq!(WheelClock::stats().reactor_registrations, 0);
    let (waker, still_blocking) = blocking_waker(BLOCK);
    let _blocker = timers_behind_a_blocker_fire(&waker, BLOCK);
    assert!(
        still_blocking.load(Ordering::SeqCst),
        "the timers fired only because the waker returned"
    );
    let stats = WheelClock::stats();
    assert_eq!(stats.blocked_drivers, 1);
    assert!(
        !stats.hosted_on_reactor,
        "the ticks are still on the blocked reactor"
    );
    pulses_arrive(3);

    // The reactor is free again, but the ticks stay on their thread.
    still_blocking.store(false, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    pulses_arrive(3);
    assert!(!WheelClock::stats().hosted_on_reactor);
    assert_eq!(WheelClock::stats().driver_restarts, 0);
}
