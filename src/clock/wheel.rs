//! [`WheelClock`], the default clock's timers: one timer queue for the whole
//! process, sorted by millisecond tick and fired by one thread, with a second
//! thread that supervises the first. For maintainers, file by file:
//!
//! - `schedule.rs`, the queue: each tick's timers in a list. The 4,096 ticks
//!   after the last one fired each have a slot of a ring, found by the tick's low
//!   bits, with a bitmap of the slots in use; ticks further ahead (beyond about
//!   4 s) wait in an ordered map and move to the ring as it comes within reach.
//!   Arming, moving or dropping a timer costs a few instructions within the ring,
//!   O(log T) in the T distinct ticks beyond it.
//! - `scheduler.rs`, the protocol between the streams and the thread: one lock
//!   around the schedule, which a pulse does not take (the poll after it hands the
//!   timer's next tick and waker over through a lock-free queue), and the last
//!   tick fired published in an atomic, so that a timer sees it has fired with one
//!   load. `loom_models.rs` checks it, on `sync.rs`'s primitives.
//! - `driver.rs`, the threads: `futures-heartbeat-wheel` sleeps until the next
//!   tick that has timers and wakes their tasks; `futures-heartbeat-wheel-supervisor`
//!   replaces it when a waker it runs blocks, or it dies. In the browser,
//!   `web_driver.rs` fires the ticks from `setTimeout` instead.
//! - Here: the public types, and the timer, which rounds its deadline up to a
//!   tick and lets itself be woken later, within 1/20 of its lead, where that
//!   shares a wakeup (`tick.rs` has the rule). `stats.rs` holds what
//!   [`WheelClock::stats`] reports; `faults.rs` and `lock_count.rs` are test hooks
//!   that exist only with their `--cfg` (`Cargo.toml`).
//!
//! The name: a ring of slots indexed by the tick's low bits is a timing wheel,
//! of one level, with an ordered map for what lies past its turn; before the
//! ring (issue 28) the whole queue was that map, and "wheel" said more than it was.
//!
//! Why it exists: a timer per stream on a general-purpose timer wakes a thread
//! or reactor for every distinct deadline. Rounding deadlines to the
//! millisecond made futures-timer and async-io several times cheaper for many
//! streams, and this scheduler, with its fault tolerance, costs about what a
//! floor that only rounds and wakes does, and less than one tokio `Interval`
//! per stream, which skips pulses at 100,000 streams where it skips none.
//! docs/performance.md has the figures, dated, and the commands. Each stream
//! costs it a 32-byte entry, the process 32 KB of ring; a pulse takes 0.025
//! shared-lock acquisitions; with no timer due, no thread of it wakes. Its
//! limit is the one thread that wakes every task, on any number of cores.

use crate::clock::Instant;
use core::num::NonZeroU32;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;
use std::time::Duration;

use super::tick::{self, Tick};
use super::{Clock, Sealed, Timer};

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
    futures_heartbeat_fault_injection,
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
pub use self::faults::inject;
#[cfg(futures_heartbeat_lock_counter)]
pub use self::lock_count::shared_lock_acquisitions;
use self::schedule::Key;
use self::scheduler::{Due, Polled, Waits};
pub use self::stats::WheelStats;
#[cfg(futures_heartbeat_lock_counter)]
pub use self::stats::{tick_lateness_histogram, ticks_fired};

/// The default clock's timers: one scheduler for the whole process, which rounds
/// each deadline up to the [millisecond](super::TICK), and one thread that sleeps
/// until the next millisecond that has timers and wakes them all at once.
///
/// A timer per stream on a general-purpose timer wakes a thread, or a reactor,
/// for each distinct deadline: thousands of streams pulsing ten times a second
/// have tens of thousands a second. Here the timers due in a millisecond share
/// one wakeup, and a timer may wait, within its tolerance (see
/// [Precision](#precision)), for a wakeup that others share. At 100,000 streams
/// pulsing every 100 ms that is about a third less CPU than a tokio `Interval`
/// per stream, with every pulse delivered where the `Interval`s skipped some; at
/// 10,000, about the same (docs/performance.md has the figures and commands).
/// A pulse takes no lock that other streams share.
///
/// It runs under any executor, with no runtime: the scheduler's thread,
/// `futures-heartbeat-wheel`, starts at the first timer and then lives as long as
/// the process, asleep until the next tick that has timers, with no timeout when
/// none is armed. A second thread, `futures-heartbeat-wheel-supervisor`, checks
/// on it every 100 ms while it runs the wakers of the tasks it wakes, and
/// otherwise sleeps with no timeout too: with no timer due, neither thread wakes.
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
/// pulses, 32 ms for 1 s, boundaries that narrower grains share): a thousand
/// streams pulsing every 100 ms cost 250 wakeups a second instead of a thousand,
/// and every 1 s, about 31. Where timers are dense, a timer keeps its own
/// millisecond, so that no boundary gathers more than 100 timers per millisecond
/// of their tolerance (500 for 100 ms pulses). A poll finds a timer expired once
/// the scheduler has fired its millisecond or a later one, so from its deadline
/// on where ticks are busy, and at its boundary at the latest. Pulses stay on
/// their grid: the adapters schedule from the grid of deadlines, never from the
/// time a timer fired, so lateness never adds up to drift.
///
/// For timing tighter than that on longer leads, [`FuturesTimerClock`](super::FuturesTimerClock),
/// `AsyncIoClock` (feature `async-io`) and `TokioClock` (feature `tokio`) round
/// to the millisecond only.
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

/// Timer of [`WheelClock`]: a key into the process's
/// schedule, and the tick it is armed for.
///
/// Resetting it to a later deadline only records the new tick: the next poll
/// hands the tick and the task's waker over to the scheduler, without its lock
/// when the scheduler has already taken the last waker (after every pulse), and
/// the scheduler's thread applies them at its next wakeup. Until that poll, the
/// task may be woken once at the earlier deadline, as if the reset had come just
/// after it. A reset to an earlier deadline moves it at once.
///
/// Once the scheduler has the deadline, the timer has expired when the
/// scheduler has fired its tick, which it does within the timer's tolerance
/// (see [Precision](WheelClock#precision)): one atomic load says so, with no
/// clock read. A poll hands a deadline the scheduler does not have over to it;
/// if the deadline has passed, the scheduler's thread, woken, fires it at once,
/// and the task is woken within that thread's wakeup latency. Only a heartbeat
/// whose stream stays ready, which registers no waker, looks at the clock: once
/// for each deadline the scheduler was not told of, telling it at the same time.
#[derive(Debug)]
pub struct WheelTimer {
    /// The latest deadline's tick: the timer has expired once it has fired.
    ready: Tick,
    /// What the timer knows of `ready` besides whether the scheduler fired it.
    known: Known,
    /// The first tick at which the schedule may wake the waker this timer last
    /// registered, `Tick::MAX` if none; the last is the next boundary of the
    /// waker's grain (in `coalescing`). Once the first has fired, the driver may
    /// have taken the waker; once the last has, it has.
    waker_from: Tick,
    key: TimerKey,
    /// How late after `ready` the timer may be woken (recomputed at each reset),
    /// and how late after `waker_from` its waker may be.
    coalescing: Coalescing,
}

/// What a [`WheelTimer`] knows of its deadline's tick, besides whether the
/// scheduler has fired it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// The scheduler has not been told of it: the timer was reset to a later
    /// deadline without the lock, as after every pulse. Until a poll or a look
    /// tells it, nothing fires the tick for this timer.
    Untold,
    /// The scheduler has it (linked, or handed over): it fires the tick within
    /// the timer's tolerance, and `has_fired` then says so.
    Told,
    /// The clock said the tick had started before the scheduler fired it.
    Passed,
}

/// A timer's key in the schedule, plus one: never zero, so that an adapter's
/// `Option<WheelTimer>` is no larger than the timer (32 bytes, held by every stream).
/// The schedule never hands out `Key::MAX`, its end-of-list marker, so adding
/// one never saturates.
#[derive(Debug, Clone, Copy)]
struct TimerKey(NonZeroU32);

impl TimerKey {
    fn new(key: Key) -> TimerKey {
        debug_assert!(
            key < Key::MAX,
            "the schedule's keys stop short of its end-of-list marker"
        );
        // `insert_timer` refuses to hand out `Key::MAX` (its limit of live timers),
        // so the addition never saturates; saturating only keeps this total.
        TimerKey(NonZeroU32::MIN.saturating_add(key))
    }

    fn get(self) -> Key {
        self.0.get() - 1
    }
}

/// How late a timer may be woken, and its registered waker: grains are powers
/// of two ticks, kept as their log2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Coalescing {
    /// At most this many timers may share the tick at the grain's boundary (see
    /// [`tick::burst_for_slack`]): at least 100.
    burst: u32,
    /// The timer may be woken at the first boundary of 2^`grain_log2` ticks from
    /// its deadline's tick (at most 2^26).
    grain_log2: u8,
    /// Its registered waker waits within a grain of 2^`waker_grain_log2` ticks.
    waker_grain_log2: u8,
}

impl Coalescing {
    /// For a timer armed `lead` ahead of its deadline; its waker waits at one tick.
    fn for_lead(lead: Duration) -> Coalescing {
        let slack = tick::slack_ticks(lead);
        Coalescing {
            burst: tick::burst_for_slack(slack),
            // At most 26: the widest grain is 2^26 ticks.
            grain_log2: tick::grain_log2_for(slack) as u8,
            waker_grain_log2: 0,
        }
    }

    /// When a timer whose deadline is at tick `ready` is due.
    fn due(self, ready: Tick) -> Due {
        Due {
            ready,
            coalesced: tick::grain_boundary_at_or_after(ready, 1 << self.grain_log2),
            burst: self.burst,
        }
    }
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

    /// What the scheduler has seen since the process started: wakers that
    /// panicked, restarts of its thread, and how late it fired timers (see [`WheelStats`]).
    ///
    /// A program may log them now and then; a fault counter that grows points at
    /// an executor whose wakers misbehave.
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::WheelClock, Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let mut events = stream::pending::<u8>().with_heartbeat_on(Duration::from_millis(2), WheelClock);
    /// assert_eq!(events.next().await, Some(Event::Pulse));
    /// let stats = WheelClock::stats();
    /// // block_on's waker neither panics nor takes the scheduler's thread down.
    /// assert_eq!(stats.waker_panics, 0);
    /// assert_eq!(stats.driver_restarts, 0);
    /// println!("timers fired up to {:?} late", stats.max_lateness);
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
        WheelTimer::new(deadline)
    }
}

impl WheelTimer {
    fn new(deadline: Instant) -> WheelTimer {
        let wheel = Wheel::global();
        wheel.ensure_driver_or_panic();
        let (ready, coalescing) = due_for(deadline, Instant::now());
        let (key, wake_driver) = wheel.scheduler.insert(ready);
        if wake_driver {
            wheel.wake_driver();
        }
        WheelTimer {
            ready,
            known: Known::Told, // armed for `ready` under the lock
            waker_from: Tick::MAX,
            key: TimerKey::new(key),
            coalescing,
        }
    }

    fn due(&self) -> Due {
        self.coalescing.due(self.ready)
    }

    /// Whether the deadline is known to have passed: the driver fired its tick,
    /// or the clock said so. No clock read: the scheduler fires every tick it
    /// has been told of within its tolerance.
    fn has_expired(&self, wheel: &Wheel) -> bool {
        self.known == Known::Passed || wheel.scheduler.has_fired(self.ready)
    }

    /// The look of a heartbeat whose stream stays ready, with no waker: whether
    /// the deadline has passed, reading the clock only if the scheduler has not
    /// been told of it, and then telling it, so that the next looks need no clock.
    ///
    /// After a pulse the timer is re-armed with no lock, and the driver learns the
    /// new tick only from the next poll that registers a waker. A stream that
    /// stays ready registers none: waiting for the driver would starve its pulses,
    /// and without the clock, a pulse that fell due before this look (the consumer
    /// was away) would come a driver's wakeup later, many items past the limit.
    #[inline]
    fn look(&mut self, wheel: &'static Wheel) -> bool {
        if self.has_expired(wheel) {
            return true;
        }
        self.known != Known::Told && self.look_untold(wheel)
    }

    /// [`look`](Self::look) at a deadline the scheduler has not been told of:
    /// once after each lock-free reset, so kept off the path of the looks that follow.
    #[cold]
    #[inline(never)]
    fn look_untold(&mut self, wheel: &'static Wheel) -> bool {
        if tick::tick_started_by(Instant::now()) >= self.ready {
            self.known = Known::Passed;
            return true;
        }
        if wheel.scheduler.tell(self.key.get(), self.due()) {
            wheel.wake_driver();
        }
        if !self.waker_may_be_taken(wheel) {
            // The registered waker moves with the tick.
            self.record_waker(Waits::Between(self.ready, self.due().coalesced));
        }
        self.known = Known::Told;
        wheel.check_driver();
        false
    }

    /// Whether the schedule may hold no waker of this timer: none was registered,
    /// or the driver may have taken it, its first tick having fired.
    fn waker_may_be_taken(&self, wheel: &Wheel) -> bool {
        self.waker_from == Tick::MAX || wheel.scheduler.has_fired(self.waker_from)
    }

    /// The last tick at which the schedule may wake this timer's waker.
    fn waker_until(&self) -> Tick {
        tick::grain_boundary_at_or_after(self.waker_from, 1 << self.coalescing.waker_grain_log2)
    }

    fn record_waker(&mut self, waits: Waits) {
        let (from, log2) = match waits {
            Waits::At(tick) => (tick, 0),
            Waits::Between(ready, _) => (ready, self.coalescing.grain_log2),
        };
        debug_assert!(
            !matches!(waits, Waits::Between(_, last) if last != self.due().coalesced),
            "a waker handed over waits within the timer's grain"
        );
        self.waker_from = from;
        self.coalescing.waker_grain_log2 = log2;
    }
}

/// When a timer for `deadline` is due: at the millisecond, and woken there or at
/// the boundary of the grain its lead allows; `now` is when the lead starts.
fn due_for(deadline: Instant, now: Instant) -> (Tick, Coalescing) {
    let ready = tick::tick_at_or_after(deadline);
    let lead = deadline.saturating_duration_since(now);
    (ready, Coalescing::for_lead(lead))
}

impl Timer for WheelTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.reset_read_at(deadline, Instant::now(), Sealed);
    }

    fn reset_read_at(self: Pin<&mut Self>, deadline: Instant, now: Instant, _: Sealed) {
        let timer = self.get_mut();
        let wheel = Wheel::global();
        let waker_grain_log2 = timer.coalescing.waker_grain_log2;
        (timer.ready, timer.coalescing) = due_for(deadline, now);
        timer.coalescing.waker_grain_log2 = waker_grain_log2;
        timer.known = Known::Untold;
        // A later deadline waits for the next poll (see the type's docs); an
        // earlier one must move a waker that may still wait now, or it would be woken late.
        let waker_until = timer.waker_until();
        if timer.waker_from != Tick::MAX
            && timer.due().coalesced < waker_until
            && !wheel.scheduler.has_fired(waker_until)
        {
            if wheel.scheduler.arm(timer.key.get(), timer.ready) {
                wheel.wake_driver();
            }
            timer.record_waker(Waits::At(timer.ready));
            timer.known = Known::Told;
        }
        wheel.check_driver();
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timer = self.get_mut();
        let wheel = Wheel::global();
        if timer.has_expired(wheel) {
            return Poll::Ready(());
        }
        // Cloned before the lock is taken, when the schedule is known to need it.
        let prefetched = timer.waker_may_be_taken(wheel).then(|| cx.waker().clone());
        match wheel
            .scheduler
            .poll(timer.key.get(), timer.due(), cx.waker(), prefetched)
        {
            Polled::Ready => Poll::Ready(()),
            Polled::Pending { wake_driver, waits } => {
                timer.record_waker(waits);
                timer.known = Known::Told;
                if wake_driver {
                    wheel.wake_driver();
                }
                wheel.check_driver();
                Poll::Pending
            }
        }
    }

    /// Lock-free: one atomic load of the last tick the driver fired, and a clock
    /// read only for a deadline the scheduler has not been told of (see `look`).
    #[inline]
    fn may_have_expired(self: Pin<&mut Self>, _: Sealed) -> bool {
        self.get_mut().look(Wheel::global())
    }
}

impl Drop for WheelTimer {
    fn drop(&mut self) {
        Wheel::global().scheduler.remove(self.key.get());
    }
}

#[cfg(all(test, not(futures_heartbeat_loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_coalescing_gives_the_grain_and_burst_of_the_lead() {
        let ms = Duration::from_millis;
        for lead in [ms(0), ms(10), ms(40), ms(100), ms(1_000), ms(60_000)] {
            let grain = tick::grain_for(lead);
            for ready in [0, 1, 5, 1_000, 1_023, 1_024, 1_025, 987_654_321] {
                let due = Coalescing::for_lead(lead).due(ready);
                assert_eq!(due.ready, ready);
                assert_eq!(
                    due.coalesced,
                    tick::grain_boundary_at_or_after(ready, grain),
                    "lead {lead:?}"
                );
                assert_eq!(due.burst, tick::burst_for(lead), "lead {lead:?}");
            }
        }
        // The longest leads keep their whole burst, and the widest grain.
        let two_weeks = Duration::from_secs(14 * 24 * 3600);
        let long = Coalescing::for_lead(two_weeks).due(0);
        assert_eq!(long.burst, tick::burst_for(two_weeks));
        assert_eq!(
            Coalescing::for_lead(Duration::MAX).due(1).coalesced,
            tick::grain_for(Duration::MAX)
        );
    }

    #[test]
    fn a_timer_adds_no_word_to_the_adapters_that_hold_an_optional_one() {
        assert_eq!(core::mem::size_of::<WheelTimer>(), 32);
        assert_eq!(core::mem::size_of::<Option<WheelTimer>>(), 32);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "starts the scheduler's threads, which outlive the test"
    )]
    fn a_reset_from_a_caller_that_read_the_clock_takes_the_lead_from_its_reading() {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut timer = WheelClock.timer_at(deadline);
        assert_eq!(timer.coalescing.grain_log2, 8, "10 s ahead: 256 ms");
        // As the heartbeat does after a pulse: the reading is the lead's start.
        Pin::new(&mut timer).reset_read_at(deadline, deadline - Duration::from_millis(100), Sealed);
        assert_eq!(timer.coalescing.grain_log2, 2, "100 ms ahead: 4 ms");
        Pin::new(&mut timer).reset(deadline);
        assert_eq!(
            timer.coalescing.grain_log2, 8,
            "a plain reset reads the clock"
        );
    }

    #[test]
    fn a_key_survives_the_round_trip_through_its_stored_form() {
        for key in [0, 1, 41, Key::MAX - 1] {
            assert_eq!(TimerKey::new(key).get(), key);
        }
    }
}
