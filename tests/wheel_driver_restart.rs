//! When the default clock's scheduler thread dies, it is replaced, and every
//! timer armed before it died still fires, in a busy process and in a quiet one. A binary of its own: it kills the
//! process's scheduler thread.
//!
//! It needs the scheduler's fault points, which exist only with `--cfg
//! futures_heartbeat_fault_injection`; without it this file compiles to nothing.
//! Run it as `.ci/run` does, with both test hooks and every feature, in a target
//! dir of its own (the flags rebuild every crate; the same flags reuse the build):
//!
//! ```sh
//! RUSTFLAGS="--cfg futures_heartbeat_fault_injection --cfg futures_heartbeat_lock_counter" \
//!     CARGO_TARGET_DIR=target/hooks cargo test --all-features --test wheel_driver_restart
//! ```
#![cfg(futures_heartbeat_fault_injection)]

mod support;

use std::time::Duration;

use futures_heartbeat::clock::{inject_wheel_faults, WheelClock};
use support::wheel::{pulses_arrive, quietly, wait_for, waiting_timers};

const PATIENCE: Duration = Duration::from_secs(10);
/// The default clock's supervision period (`WheelStats::blocked_drivers`' docs).
const SUPERVISION_PERIOD: Duration = Duration::from_millis(100);

#[test]
#[cfg_attr(miri, ignore = "kills threads and waits in real time")]
fn a_dead_scheduler_thread_is_replaced_and_no_timer_armed_before_is_lost() {
    pulses_arrive(1); // the thread runs

    // It dies holding the wakers of a tick it fired: its successor, started as it unwinds, wakes them.
    let due_as_it_dies = waiting_timers(100, Duration::from_millis(20));
    let due_later = waiting_timers(100, Duration::from_millis(60));
    inject_wheel_faults::panic_driver_once();
    quietly(|| {
        for waiting in due_as_it_dies.iter().chain(&due_later) {
            wait_for(
                PATIENCE,
                "a timer armed before the thread died fired",
                || waiting.woken.get() == 1,
            );
        }
    });
    assert_eq!(WheelClock::stats().driver_restarts, 1);
    pulses_arrive(3);

    // It dies and its successor cannot start: the supervisor starts one, with no
    // help from any stream.
    let orphaned = waiting_timers(50, Duration::from_millis(20));
    inject_wheel_faults::fail_next_spawns(1);
    inject_wheel_faults::panic_driver_once();
    quietly(|| {
        for waiting in &orphaned {
            wait_for(
                PATIENCE,
                "a timer orphaned by the dead thread fired",
                || waiting.woken.get() == 1,
            );
        }
    });
    assert_eq!(WheelClock::stats().driver_restarts, 2);
    pulses_arrive(3);

    // The same in a process gone quiet, where the supervisor waits with no
    // timeout for the next batch of wakers: the failed restart wakes it.
    std::thread::sleep(5 * SUPERVISION_PERIOD);
    let orphaned_when_quiet = waiting_timers(50, Duration::from_millis(20));
    inject_wheel_faults::fail_next_spawns(1);
    inject_wheel_faults::panic_driver_once();
    quietly(|| {
        for waiting in &orphaned_when_quiet {
            wait_for(
                PATIENCE,
                "a timer orphaned by the dead thread in a quiet process fired",
                || waiting.woken.get() == 1,
            );
        }
    });
    assert_eq!(WheelClock::stats().driver_restarts, 3);
    pulses_arrive(3);
}
