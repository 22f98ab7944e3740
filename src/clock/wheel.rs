use crate::clock::Instant;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;

use super::tick::{self, Tick};
use super::{Clock, Timer};

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod driver;
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod faults;
// wasm-bindgen, which the browser build needs, needs Rust 1.81 itself.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#[clippy::msrv = "1.81"]
mod web_driver;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use self::web_driver as driver;
mod lock_count;
#[cfg(all(test, futures_heartbeat_loom))]
mod loom_models;
mod schedule;
mod scheduler;
mod stats;
mod sync;

use self::driver::Wheel;
#[cfg(all(
    feature = "fault-injection",
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
pub use self::faults::inject;
#[cfg(feature = "lock-counter")]
pub use self::lock_count::shared_lock_acquisitions;
use self::schedule::Key;
use self::scheduler::{Due, Polled};
pub use self::stats::{WheelStats, LATENESS_BUCKETS};

/// Timers on one scheduler shared by the whole process: deadlines rounded up to
/// a grain of [ticks](super::TICK) that fits within a twentieth of the timer's lead
/// (see [Precision](#precision)), and one thread that sleeps until the next tick
/// with timers and wakes them all.
///
/// One timer per stream on a general-purpose timer costs a wakeup of the timer
/// thread, or of the reactor, for each distinct deadline. Thousands of streams
/// pulsing ten times a second have tens of thousands of distinct deadlines a
/// second; rounded to the millisecond, at most a thousand. Arming, re-arming and
/// cancelling are O(log T) in the number T of distinct ticks in use (a hundred
/// for streams that pulse every 100 ms, whatever their number), under one lock.
///
/// It runs under any executor, with no runtime: the scheduler's thread,
/// `futures-heartbeat-wheel`, starts at the first timer and then lives as long as
/// the process, asleep whenever no timer is armed. A second thread,
/// `futures-heartbeat-wheel-supervisor`, wakes ten times a second to check on it.
///
/// # Faults
///
/// The scheduler's thread wakes every waiting task, so it runs the wakers of
/// whatever executors poll the streams: code this crate does not own. None of it
/// can stop the other timers of the process:
///
/// - A waker that **panics** (when woken, or when dropped by the scheduler) is
///   caught; the other tasks are still woken. The task it belonged to cannot
///   receive the panic, so the standard panic hook prints it, naming the thread,
///   and [`WheelClock::stats`] counts it (`waker_panics`).
/// - A waker that **re-enters** the clock (arms, resets, polls or drops timers,
///   its own included) or wakes its task twice is served: no lock is held while
///   the crate runs a waker, clones one or drops one.
/// - A waker that **blocks** holds up the timers behind it for one to two
///   supervision periods of 100 ms, not for as long as it blocks: the supervisor
///   sees that the scheduler made no progress, starts a successor that wakes the
///   rest, and counts it (`blocked_drivers`). The blocked thread leaves when its
///   waker returns, or never if the waker never does.
/// - If the scheduler's thread **dies** anyway, it starts its successor as it
///   unwinds, and the successor wakes what it had collected: no timer armed before
///   is lost, only fired late (`driver_restarts`). If the successor cannot start,
///   the supervisor and every later use of the clock try again.
/// - If the thread **cannot be started** (a thread limit, a target without
///   threads), the first timer panics with the cause and the clocks to use
///   instead; [`WheelClock::start`] reports it as an error up front. It never hangs.
///
/// # In the browser
///
/// On `wasm32-unknown-unknown` there are no threads: the scheduler is driven by
/// the host's `setTimeout` (in a browser or in Node), armed for the next tick
/// that has timers, and timers due in the same millisecond share one timeout as
/// they share one wakeup on native. The wakers it calls only queue their tasks.
/// There is no supervisor, since nothing can block a single-threaded host
/// without blocking everything.
///
/// What it does not survive: a `fork` (the child has no scheduler thread, and
/// the clock does not notice), and `panic = "abort"`, which ends the process at
/// the first panic, inside a waker or not.
///
/// # Precision
///
/// A timer fires no earlier than its deadline, and late by at most
/// **max(1 ms, 1/20 of its lead)** on purpose, plus the operating system's wakeup
/// latency; the lead is the time from arming the timer to its deadline, the
/// pulse interval or the silence limit for the adapters. A 100 ms heartbeat
/// fires up to 5 ms late, a 1 s one up to 50 ms, a 10 ms one up to 1 ms.
///
/// Where timers are sparse, a timer waits for the next boundary of the widest
/// power-of-two number of milliseconds within that tolerance (4 ms for 100 ms
/// pulses, 32 ms for 1 s), and all timers waiting for the same boundary are woken
/// in one wakeup of the scheduler: a thousand streams pulsing every 100 ms cost
/// 250 wakeups a second instead of a thousand, and every 1 s, about 31. The
/// boundaries of narrower grains include those of wider ones, so streams of
/// different intervals share their wakeups too. Where timers are dense, waiting
/// saves nothing and makes bursts: a timer whose own millisecond already has 64
/// timers is woken there with them, and a boundary takes at most 100 timers per
/// millisecond of their tolerance (500 for 100 ms pulses), the rest keeping their
/// own millisecond. Either way a timer is ready, when polled, from its deadline
/// on. Pulses stay on their grid: the adapters schedule from the grid of
/// deadlines, never from the time a timer fired, so lateness never adds up to drift.
///
/// For timing tighter than that, [`PreciseWheelClock`] is the same scheduler
/// with every deadline rounded to the millisecond only, at the cost of a wakeup
/// for each millisecond that has a deadline.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::WheelClock, Event, HeartbeatExt};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let mut events = stream::pending::<u8>().with_heartbeat_on(Duration::from_millis(5), WheelClock);
/// assert_eq!(events.next().await, Some(Event::Pulse));
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WheelClock;

/// [`WheelClock`]'s scheduler with millisecond precision: every deadline is
/// rounded up to the next [tick](super::TICK) only, whatever its lead, so a
/// timer fires at most 1 ms late plus the operating system's wakeup latency.
///
/// The cost: one wakeup of the scheduler for each millisecond that has a
/// deadline, where [`WheelClock`] has one per grain of a twentieth of the lead.
/// For 1,000 streams pulsing every 100 ms, that is about 1,000 wakeups a second
/// instead of 250; for 1 s pulses, 1,000 instead of about 31. The README's
/// Performance section has the measured CPU of both.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::PreciseWheelClock, Event, HeartbeatExt};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let mut events =
///     stream::pending::<u8>().with_heartbeat_on(Duration::from_millis(200), PreciseWheelClock);
/// assert_eq!(events.next().await, Some(Event::Pulse)); // 200 ms to 201 ms (plus the OS's latency) in
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreciseWheelClock;

/// Timer of [`WheelClock`] and [`PreciseWheelClock`]: a key into the process's
/// schedule, and the tick it is armed for.
///
/// Resetting it to a later deadline only records the new tick: the next poll
/// moves it in the schedule and registers its waker in one acquisition of the
/// scheduler's lock. Until that poll, the task may be woken once at the earlier
/// deadline, as if the reset had come just after it. A reset to an earlier
/// deadline moves it at once.
#[derive(Debug)]
pub struct WheelTimer {
    key: Key,
    /// When the latest deadline is due, and may be woken.
    due: Due,
    /// The tick the schedule holds this timer's waker for, `Tick::MAX` if none:
    /// once that tick has fired, the driver has taken the waker.
    waker_waits_for: Tick,
    precise: bool,
}

impl WheelClock {
    /// Starts the scheduler's thread now, if it is not running, and says if it cannot.
    ///
    /// The first timer starts it anyway, and panics with the cause if it cannot
    /// (there is nothing a stream could do with an error in the middle of a poll).
    /// A program that may run where threads are scarce calls this first, to
    /// choose another clock instead of panicking later.
    ///
    /// ```
    /// use futures_heartbeat::clock::WheelClock;
    ///
    /// if let Err(cause) = WheelClock::start() {
    ///     eprintln!("no timer thread ({cause}): falling back to another clock");
    /// }
    /// ```
    pub fn start() -> io::Result<()> {
        Wheel::global().ensure_driver()
    }

    /// What the scheduler has seen so far: ticks fired and how late, wakers that
    /// panicked, restarts of its thread.
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::WheelClock, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let mut events = stream::pending::<u8>().with_heartbeat(Duration::from_millis(2));
    /// events.next().await; // a pulse: the scheduler fired a tick
    /// let stats = WheelClock::stats();
    /// assert!(stats.ticks_fired >= 1);
    /// assert!(stats.max_lateness < Duration::from_secs(60));
    /// # });
    /// ```
    pub fn stats() -> WheelStats {
        Wheel::global().stats.snapshot()
    }
}

impl Clock for WheelClock {
    type Timer = WheelTimer;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer_at(&self, deadline: Instant) -> WheelTimer {
        WheelTimer::new(deadline, false)
    }
}

impl Clock for PreciseWheelClock {
    type Timer = WheelTimer;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer_at(&self, deadline: Instant) -> WheelTimer {
        WheelTimer::new(deadline, true)
    }
}

impl WheelTimer {
    fn new(deadline: Instant, precise: bool) -> WheelTimer {
        let wheel = Wheel::global();
        wheel.ensure_driver_or_panic();
        let due = due_for(deadline, precise);
        let (key, wake_driver) = wheel.scheduler.insert(due.ready);
        if wake_driver {
            wheel.wake_driver();
        }
        WheelTimer {
            key,
            due,
            waker_waits_for: Tick::MAX,
            precise,
        }
    }

    /// Whether the schedule holds no waker of this timer: none was registered, or
    /// the driver took it when it fired.
    fn waker_taken(&self, wheel: &Wheel) -> bool {
        self.waker_waits_for == Tick::MAX || wheel.scheduler.has_fired(self.waker_waits_for)
    }
}

/// When a timer for `deadline` is due: at the millisecond, and woken there or,
/// for a timer that is not precise, at the boundary of the grain its lead allows.
fn due_for(deadline: Instant, precise: bool) -> Due {
    let ready = tick::tick_at_or_after(deadline);
    if precise {
        return Due::exact(ready);
    }
    let lead = deadline.saturating_duration_since(Instant::now());
    Due {
        ready,
        coalesced: tick::tick_on_grain(deadline, tick::grain_for(lead)),
        burst: tick::burst_for(lead),
    }
}

impl Timer for WheelTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let timer = self.get_mut();
        let wheel = Wheel::global();
        timer.due = due_for(deadline, timer.precise);
        // A later deadline waits for the next poll (see the type's docs); an
        // earlier one must move the waiting waker now, or it would be woken late.
        if timer.due.coalesced < timer.waker_waits_for && !timer.waker_taken(wheel) {
            if wheel.scheduler.arm(timer.key, timer.due.ready) {
                wheel.wake_driver();
            }
            timer.waker_waits_for = timer.due.ready;
        }
        wheel.check_driver();
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timer = self.get_mut();
        let wheel = Wheel::global();
        if wheel.scheduler.has_fired(timer.due.ready) {
            return Poll::Ready(());
        }
        // Cloned before the lock is taken, when the schedule is known to need it.
        let prefetched = timer.waker_taken(wheel).then(|| cx.waker().clone());
        match wheel
            .scheduler
            .poll(timer.key, timer.due, cx.waker(), prefetched)
        {
            Polled::Ready => Poll::Ready(()),
            Polled::Pending {
                wake_driver,
                linked_at,
            } => {
                timer.waker_waits_for = linked_at;
                if wake_driver {
                    wheel.wake_driver();
                }
                wheel.check_driver();
                Poll::Pending
            }
        }
    }

    /// Exact, and lock-free: one atomic load of the last tick the driver fired.
    fn may_have_expired(&self) -> bool {
        Wheel::global().scheduler.has_fired(self.due.ready)
    }
}

impl Drop for WheelTimer {
    fn drop(&mut self) {
        Wheel::global().scheduler.remove(self.key);
    }
}
