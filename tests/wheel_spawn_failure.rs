//! When the default clock's scheduler thread cannot be started, the first use
//! says so, with the cause and the clocks to use instead, and never hangs; once
//! threads can be started again, the clock works. A binary of its own: the
//! failure must come before anything else in the process starts the thread.
//!
//! It needs the scheduler's fault points, which exist only with `--cfg
//! futures_heartbeat_fault_injection`; without it this file compiles to nothing.
//! Run it as `.ci/run` does, with both test hooks and every feature, in a target
//! dir of its own (the flags rebuild every crate; the same flags reuse the build):
//!
//! ```sh
//! RUSTFLAGS="--cfg futures_heartbeat_fault_injection --cfg futures_heartbeat_lock_counter" \
//!     CARGO_TARGET_DIR=target/hooks cargo test --all-features --test wheel_spawn_failure
//! ```
#![cfg(futures_heartbeat_fault_injection)]

use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use futures_heartbeat::clock::{inject_wheel_faults, WheelClock};
use futures_heartbeat::{Event, HeartbeatExt};

#[test]
#[cfg_attr(miri, ignore = "starts threads and waits in real time")]
fn a_scheduler_thread_that_cannot_start_is_a_clear_error_at_first_use_then_a_retry() {
    inject_wheel_faults::fail_next_spawns(2);

    let cause = WheelClock::start().expect_err("the thread cannot start");
    assert!(cause.to_string().contains("thread limit"), "{cause}");

    // On a thread of its own, so that a hang fails the test instead of stalling it.
    let (done, first_use) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut events = stream::pending::<()>().with_heartbeat(Duration::from_millis(2));
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            futures::executor::block_on(events.next())
        }));
        panic::set_hook(hook);
        done.send((
            polled.map_err(|panic| *panic.downcast::<String>().unwrap()),
            events,
        ))
        .unwrap();
    });
    let (polled, events) = first_use
        .recv_timeout(Duration::from_secs(10))
        .expect("the first use hangs instead of reporting the failure");
    let message = polled.expect_err("a stream that cannot be timed panics rather than hangs");
    for named in [
        "futures-heartbeat-wheel",
        "thread limit",
        "AsyncIoClock",
        "TokioClock",
        "with_heartbeat_on",
    ] {
        assert!(
            message.contains(named),
            "the message does not name {named:?}: {message}"
        );
    }

    // Threads can be started again: the same stream works.
    let pulses = futures::executor::block_on(events.take(3).collect::<Vec<_>>());
    assert_eq!(pulses, [Event::Pulse; 3]);
    assert_eq!(WheelClock::stats().driver_restarts, 0);
}
