//! Helpers for the tests that put the default clock's scheduler under faults.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use futures_heartbeat::clock::{Clock, Timer, WheelClock, WheelTimer};
use futures_heartbeat::{Event, HeartbeatExt};
use futures_test::task::{new_count_waker, AwokenCount};

/// A timer of the default clock, polled once so that its task waits on it, and
/// the count of that task's wakeups.
pub struct Waiting {
    pub timer: Pin<Box<WheelTimer>>,
    pub woken: AwokenCount,
}

/// `count` timers due `after` from now, each polled once by its own task and
/// found pending, so that each has a waker in the schedule.
pub fn waiting_timers(count: usize, after: Duration) -> Vec<Waiting> {
    (0..count)
        .map(|_| {
            let (waker, woken) = new_count_waker();
            Waiting {
                timer: pending_timer(after, &waker),
                woken,
            }
        })
        .collect()
}

/// A timer of the default clock due `after` from now, polled once with `waker`
/// and found pending: `waker` is in the schedule.
///
/// A timer that has already expired at its first poll (its thread was
/// descheduled for longer than `after`, as happens on a loaded machine) is
/// armed again from the new now: it would have registered no waker, and the
/// test would wait for a wakeup that never comes. One that is never pending
/// ten times in a row is a broken clock, not a slow machine.
pub fn pending_timer(after: Duration, waker: &Waker) -> Pin<Box<WheelTimer>> {
    for _ in 0..10 {
        let mut timer = Box::pin(WheelClock.timer_at(Instant::now() + after));
        if timer
            .as_mut()
            .poll_expired(&mut Context::from_waker(waker))
            .is_pending()
        {
            return timer;
        }
    }
    panic!("a timer due {after:?} ahead had expired at its first poll, ten times in a row")
}

/// Arms a timer of the default clock 10 ms ahead whose task's waker is `waker`
/// (one that blocks, in the tests that use it), then fifty timers due just after
/// it, in the batch behind it or the ticks after, and fifty due 40 ms ahead; and
/// waits, for at most `patience`, until every one of the hundred has fired.
/// Returns the blocker's timer, to be kept until the test ends.
pub fn timers_behind_a_blocker_fire(waker: &Waker, patience: Duration) -> Pin<Box<WheelTimer>> {
    let blocker = pending_timer(Duration::from_millis(10), waker);
    let behind = waiting_timers(50, Duration::from_millis(11));
    let after = waiting_timers(50, Duration::from_millis(40));
    for waiting in behind.iter().chain(&after) {
        wait_for(patience, "a timer behind the blocking waker fired", || {
            waiting.woken.get() == 1
        });
    }
    blocker
}

/// Polls `condition` until it holds, or panics after `patience` (a generous bound:
/// the scheduler must make progress, not meet a deadline).
pub fn wait_for(patience: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < patience, "{what}: not after {patience:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A heartbeat on the default clock, from its first poll to its `pulses`-th pulse.
pub fn pulses_arrive(pulses: usize) {
    let events = stream::pending::<()>().with_heartbeat(Duration::from_millis(2));
    let got = futures::executor::block_on(events.take(pulses).collect::<Vec<_>>());
    assert_eq!(got, vec![Event::Pulse; pulses]);
}

/// A waker that runs `on_wake` each time it is woken, on whatever thread wakes it.
pub fn waker_with(on_wake: impl Fn() + Send + Sync + 'static) -> Waker {
    struct OnWake<F>(F);
    impl<F: Fn() + Send + Sync + 'static> Wake for OnWake<F> {
        fn wake(self: Arc<Self>) {
            (self.0)();
        }
    }
    Waker::from(Arc::new(OnWake(on_wake)))
}

/// A waker that blocks whoever wakes it for up to `block`, until the flag it
/// returns is cleared.
pub fn blocking_waker(block: Duration) -> (Waker, Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let still_blocking = Arc::new(AtomicBool::new(true));
    let flag = still_blocking.clone();
    let waker = waker_with(move || {
        let start = Instant::now();
        while flag.load(Ordering::SeqCst) && start.elapsed() < block {
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    (waker, still_blocking)
}

/// Runs `f` on a thread of its own and panics if it has not returned after
/// `patience`: for a test that would otherwise hang when the scheduler stops.
pub fn within<T: Send + 'static>(patience: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        let _ = done.send(f());
    });
    match result.recv_timeout(patience) {
        Ok(value) => value,
        // `f` panicked: its panic, not a timeout.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(runner.join().unwrap_err())
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("not done after {patience:?}"),
    }
}

/// Runs `f` with the panic hook silenced: for tests whose panics are the point.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = f();
    std::panic::set_hook(hook);
    result
}
