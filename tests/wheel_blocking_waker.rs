//! A waker that blocks holds up the default clock's scheduler only until its
//! supervisor notices (one to two 100 ms periods): a successor thread then fires
//! the timers behind it, and the blocked thread leaves when the waker returns.
//! A binary of its own, because it delays every timer in the process.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_heartbeat::clock::WheelClock;
use support::wheel::{pulses_arrive, timers_behind_a_blocker_fire, waker_with};

#[test]
#[cfg_attr(miri, ignore = "measures the scheduler in real time")]
fn a_blocking_waker_holds_up_the_timers_behind_it_only_until_a_successor_takes_over() {
    // Long enough that nothing behind it could fire by waiting for it.
    const BLOCK: Duration = Duration::from_secs(5);
    let blocked_at = Arc::new(Mutex::new(None));
    let still_blocking = Arc::new(AtomicBool::new(true));
    let waker = {
        let (blocked_at, still_blocking) = (blocked_at.clone(), still_blocking.clone());
        waker_with(move || {
            *blocked_at.lock().unwrap() = Some(Instant::now());
            let start = Instant::now();
            while still_blocking.load(Ordering::SeqCst) && start.elapsed() < BLOCK {
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let _blocker = timers_behind_a_blocker_fire(&waker, BLOCK);
    let all_fired = Instant::now();
    assert!(
        still_blocking.load(Ordering::SeqCst),
        "the timers fired only because the waker returned"
    );
    let blocked_at = blocked_at.lock().unwrap().expect("the blocker was woken");
    let stats = WheelClock::stats();
    println!(
        "a waker blocking: the timers due behind it fired {:?} after it blocked; blocked drivers replaced: {}",
        all_fired - blocked_at,
        stats.blocked_drivers
    );
    assert_eq!(stats.blocked_drivers, 1);
    pulses_arrive(3);

    // The blocked thread leaves when its waker returns; the successor keeps going.
    still_blocking.store(false, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    pulses_arrive(3);
    assert_eq!(WheelClock::stats().driver_restarts, 0);
}
