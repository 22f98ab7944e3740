//! A wakeup that async-io's reactor loses, with the default clock's ticks hosted
//! there: the supervisor registers the driver with the reactor again, and the
//! timers fire. A binary of its own: the recovery must come from the supervisor,
//! and the timers of any other test in the process would wake the driver first.
#![cfg(all(feature = "async-io", feature = "fault-injection", target_os = "linux"))]

mod support;

use std::time::Duration;

use futures_heartbeat::clock::WheelClock;
use support::wheel::{wait_for, waiting_timers};

const PATIENCE: Duration = Duration::from_secs(10);

#[test]
#[cfg_attr(miri, ignore = "a timerfd and real time")]
fn a_wakeup_the_reactor_loses_is_made_up_by_the_supervisor_within_a_few_periods() {
    WheelClock::host_on_async_io().expect("a timerfd on async-io's reactor");
    let registrations_before = WheelClock::stats().reactor_registrations;
    futures_heartbeat::clock::inject_wheel_faults::lose_reactor_wakeup_once();
    // The first step after this leaves the driver unregistered: only the
    // supervisor's look can bring it back.
    let waiting = waiting_timers(20, Duration::from_millis(5));
    for timer in &waiting {
        wait_for(PATIENCE, "a timer fired after a lost wakeup", || {
            timer.woken.get() == 1
        });
    }
    assert!(WheelClock::stats().reactor_registrations > registrations_before);
    assert!(WheelClock::stats().hosted_on_reactor);
}
