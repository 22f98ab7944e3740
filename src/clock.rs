//! Time sources: where the adapters read the time and get their timers from.
//!
//! Every adapter is generic over a [`Clock`]. The trait is deliberately small, a
//! way to read the time and a one-shot [`Timer`] that can be moved, so that any
//! runtime's timer fits behind it, as can a shared scheduler or the
//! [`ManualClock`] used in tests.
//!
//! | clock | feature | runs on |
//! |---|---|---|
//! | [`DefaultClock`] | none | [`WheelClock`]'s timers; with `tokio`, tokio's on a runtime whose clock is paused |
//! | [`WheelClock`] | none | any executor; one shared scheduler thread per process; late by at most 1/20 of the interval (1 ms at least) |
//! | [`FuturesTimerClock`] | none | any executor; futures-timer's helper thread, 1 ms ticks |
//! | `AsyncIoClock` | `async-io` | any executor; async-io's reactor, the one smol runs on, 1 ms ticks |
//! | `TokioClock` | `tokio` | inside a tokio runtime with its time driver; follows `tokio::time::pause()` |
//! | [`ManualClock`] | none | any executor; time moves only when you call [`ManualClock::advance`] |
//!
//! Choosing one is a single call, [`with_heartbeat_on`](crate::HeartbeatExt::with_heartbeat_on)
//! or [`watchdog_on`](crate::HeartbeatExt::watchdog_on):
//!
//! ```
//! use futures::stream::{self, StreamExt};
//! use futures_heartbeat::{clock::ManualClock, Event, HeartbeatExt};
//! use std::time::Duration;
//!
//! let clock = ManualClock::new();
//! let mut events = stream::pending::<u8>().with_heartbeat_on(Duration::from_secs(1), clock.clone());
//! # futures::executor::block_on(async {
//! assert!(futures::poll!(events.next()).is_pending()); // the first poll starts the clock
//! clock.advance(Duration::from_secs(1));
//! assert_eq!(events.next().await, Some(Event::Pulse));
//! # });
//! ```
//!
//! The default's timers are [`WheelClock`]'s: one scheduler thread for the whole
//! process, which needs no runtime. With many streams it costs less CPU than
//! one tokio timer per stream, and loses no pulse where those lose tens of
//! thousands at 100,000 streams every 100 ms (docs/performance.md has the
//! figures, dated, and the commands).
//! [`DefaultClock`] states the one case where it uses tokio's timer instead.
//!
//! # Precision
//!
//! A timer never fires before its deadline. The real time sources round
//! deadlines up on one process-wide grid of [`TICK`]s (1 ms), so that all timers
//! due at the same point fire in one wakeup of their thread or reactor instead
//! of one each: for thousands of streams that is the difference between a
//! fraction of a core and a whole one.
//!
//! How far up is what the time source allows itself:
//!
//! - [`WheelClock`], the default, fires a timer late by at most **max(1 ms, 1/20
//!   of its lead)**, the lead being the time from arming it to its deadline (the
//!   pulse interval, the silence limit): 5 ms for 100 ms pulses, 50 ms for 1 s
//!   ones. Heartbeats a second apart do not need millisecond timing, and rounding
//!   to a coarser grain lets far more timers share a wakeup.
//! - [`FuturesTimerClock`] and `AsyncIoClock` (feature `async-io`) round to the
//!   millisecond only: at most 1 ms late. `TokioClock` (feature `tokio`) is
//!   tokio's own timer, also 1 ms.
//!
//! The operating system's wakeup latency comes on top (tens of microseconds on
//! an idle machine, more on a loaded one). The adapters keep their schedule on
//! the grid of deadlines, never on the time a timer happened to fire, so
//! lateness never accumulates into drift.

use core::pin::Pin;
use core::task::{Context, Poll};
/// The instant type of the clocks: [`std::time::Instant`] itself, except on
/// `wasm32-unknown-unknown`, where the standard one panics and this one reads the
/// host's `performance.now()` (the `web-time` crate's).
pub use web_time::Instant;

#[cfg(feature = "async-io")]
mod async_io;
mod default;
mod futures_timer;
mod manual;
mod tick;
#[cfg(feature = "tokio")]
mod tokio;
mod wheel;

#[cfg(feature = "async-io")]
pub use self::async_io::{AsyncIoClock, AsyncIoTimer};
pub use self::default::{DefaultClock, DefaultTimer};
pub use self::futures_timer::{FuturesTimerClock, FuturesTimerTimer};
pub use self::manual::{ManualClock, ManualClockCounts, ManualTimer};
pub use self::tick::TICK;
#[cfg(feature = "tokio")]
pub use self::tokio::{TokioClock, TokioTimer};
// The crate's own test hooks: they exist only with their `--cfg` (see Cargo.toml's
// `[lints.rust]`), so no build a user makes has them, docs.rs's included.
/// Faults the crate's own tests inject into [`WheelClock`]'s scheduler
/// (`--cfg futures_heartbeat_fault_injection`).
#[cfg(all(
    futures_heartbeat_fault_injection,
    not(all(target_arch = "wasm32", target_os = "unknown"))
))]
pub use self::wheel::inject as inject_wheel_faults;
/// Acquisitions of the default clock's shared locks, and the ticks its
/// scheduler fired and how late, for the crate's own tests and benchmarks
/// (`--cfg futures_heartbeat_lock_counter`).
#[cfg(futures_heartbeat_lock_counter)]
pub use self::wheel::{
    shared_lock_acquisitions as wheel_shared_lock_acquisitions,
    tick_lateness_histogram as wheel_tick_lateness_histogram, ticks_fired as wheel_ticks_fired,
};
pub use self::wheel::{WheelClock, WheelStats, WheelTimer};

/// A source of the current time and of one-shot timers.
///
/// The adapters read the time only when a timer is created or has fired, or
/// when the stream they wrap has nothing ready, never once per item.
pub trait Clock {
    /// The one-shot timer this clock hands out.
    type Timer: Timer;

    /// The current time, on this clock.
    fn now(&self) -> Instant;

    /// A timer that fires at `deadline` (at once if `deadline` has passed).
    fn timer_at(&self, deadline: Instant) -> Self::Timer;
}

/// A one-shot timer that can be moved to a new deadline.
///
/// Once `poll_expired` has returned `Ready`, it may keep returning `Ready` or
/// return `Pending` until the next [`reset`](Timer::reset); the adapters never
/// rely on either.
///
/// # Implementing a timer
///
/// A time source outside this crate implements [`Clock`] and this trait's two
/// methods, and every adapter runs on it. Two rules matter:
///
/// - `poll_expired` is `Ready` once the deadline has passed **by the clock's own
///   time**, even if whatever fires the timers (a thread, a reactor) has not got
///   to it yet. The heartbeat of a stream that is always ready polls its timer
///   every [`MAX_ITEMS_BEFORE_PULSE`](crate::MAX_ITEMS_BEFORE_PULSE) items and
///   would otherwise wait for a driver that may not know of the deadline. (The
///   crate's [`WheelTimer`] keeps a cheaper rule, through a fast path only the
///   crate can use: its scheduler is told of every deadline a poll or a look
///   has seen, and fires it within its tolerance whether or not a task waits,
///   so that "expired" is the scheduler's word, one atomic load.)
/// - When it returns `Pending`, the task in `cx` (the latest one) is woken once
///   the deadline passes.
///
/// The crate's own clocks also have fast paths the adapters take (re-arming
/// with a time already read, a look at the deadline without a waker); they are
/// not part of this trait's API, and a timer without them is simply polled.
///
/// A clock on futures-timer's `Delay`, unrounded, driving a heartbeat on a
/// stream that is always ready:
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::clock::{Clock, Instant, Timer};
/// use futures_heartbeat::{Event, HeartbeatExt, MAX_ITEMS_BEFORE_PULSE};
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use std::time::Duration;
///
/// #[derive(Clone)]
/// struct DelayClock;
///
/// struct DelayTimer {
///     deadline: Instant,
///     delay: futures_timer::Delay,
/// }
///
/// impl Clock for DelayClock {
///     type Timer = DelayTimer;
///
///     fn now(&self) -> Instant {
///         Instant::now()
///     }
///
///     fn timer_at(&self, deadline: Instant) -> DelayTimer {
///         let delay = futures_timer::Delay::new(deadline.saturating_duration_since(Instant::now()));
///         DelayTimer { deadline, delay }
///     }
/// }
///
/// impl Timer for DelayTimer {
///     fn reset(self: Pin<&mut Self>, deadline: Instant) {
///         let timer = self.get_mut();
///         timer.deadline = deadline;
///         timer.delay.reset(deadline.saturating_duration_since(Instant::now()));
///     }
///
///     fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
///         let timer = self.get_mut();
///         if Instant::now() >= timer.deadline {
///             return Poll::Ready(()); // by the clock, even if the helper thread is late
///         }
///         Pin::new(&mut timer.delay).poll(cx)
///     }
/// }
///
/// let mut events = stream::repeat('x').with_heartbeat_on(Duration::from_millis(5), DelayClock);
/// # futures::executor::block_on(async {
/// assert_eq!(events.next().await, Some(Event::Item('x'))); // the first poll starts the clock
/// std::thread::sleep(Duration::from_millis(10)); // the first pulse is now due
/// let items_before_pulse = (&mut events)
///     .take_while(|event| futures::future::ready(event.is_item()))
///     .take(MAX_ITEMS_BEFORE_PULSE as usize + 1)
///     .count()
///     .await;
/// assert!(items_before_pulse <= MAX_ITEMS_BEFORE_PULSE as usize);
/// # });
/// ```
pub trait Timer {
    /// Moves the deadline to `deadline`, earlier or later, whether or not the timer has fired.
    fn reset(self: Pin<&mut Self>, deadline: Instant);

    /// `Ready` once the deadline has passed; otherwise `Pending`, and the task in
    /// `cx` (only the latest one) is woken when it passes.
    ///
    /// "Passed" is by the clock's own time, whether or not whatever fires the
    /// timers (a thread, a reactor) has got to it yet: a poll after the deadline
    /// is `Ready`, within the clock's documented tolerance. The crate's
    /// [`WheelTimer`] is the exception the notes above describe: `Ready` once its
    /// scheduler has fired the deadline's millisecond.
    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;

    // The two fast paths of the crate's own clocks. Each takes a `Sealed`, which
    // only this crate can name, so no code outside it can call or override them:
    // they promise nothing beyond the crate, and a timer from outside gets the
    // defaults, which are right for any timer.

    /// Not part of the API (see the comment above it in the source).
    ///
    /// [`reset`](Timer::reset), from a caller that has just read the clock:
    /// `now` is what it read, no later than the present. A timer that needs the
    /// present to arm itself, such as [`WheelTimer`], whose precision depends on
    /// how far ahead the deadline lies, takes it from here instead of reading the
    /// clock a second time. The heartbeat re-arms through this after every pulse.
    /// The default ignores `now` and calls `reset`.
    #[doc(hidden)]
    fn reset_read_at(self: Pin<&mut Self>, deadline: Instant, now: Instant, _: Sealed) {
        let _ = now;
        self.reset(deadline);
    }

    /// Not part of the API (see the comment above `reset_read_at` in the source).
    ///
    /// A cheap look, with no waker to register: `false` only when the deadline
    /// has not passed yet, or when whatever fires the timer knows of it and
    /// will say that it has within the clock's tolerance. While items keep
    /// coming, the heartbeat asks this, not [`poll_expired`](Timer::poll_expired),
    /// every [`MAX_ITEMS_BEFORE_PULSE`](crate::MAX_ITEMS_BEFORE_PULSE) items, so
    /// it should cost no more than a clock read, and it must not wait for a
    /// driver that may not know of the deadline: a stream that stays ready
    /// registers no waker. It may tell that driver, hence `&mut`. The default,
    /// `true`, sends the heartbeat to `poll_expired` each time; `false` would
    /// leave a stream that stays ready without pulses, so only a timer that
    /// knows its deadline overrides it.
    #[doc(hidden)]
    fn may_have_expired(self: Pin<&mut Self>, _: Sealed) -> bool {
        true
    }
}

mod sealed {
    /// The key to [`Timer`](super::Timer)'s crate-private methods. It is public
    /// only in name, inside a private module: outside the crate nothing can name
    /// it, so nothing can make one, call those methods, or write their signature
    /// to override them.
    #[derive(Debug, Clone, Copy)]
    pub struct Sealed;
}

pub(crate) use self::sealed::Sealed;
