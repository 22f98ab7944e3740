//! Time sources: where the adapters read the time and get their timers from.
//!
//! Every adapter is generic over a [`Clock`]. The trait is deliberately small, a
//! way to read the time and a one-shot [`Timer`] that can be moved, so that any
//! runtime's timer fits behind it, as can a shared scheduler or the
//! [`ManualClock`] used in tests.
//!
//! | clock | feature | runs on |
//! |---|---|---|
//! | [`FuturesTimerClock`] (the default) | none | any executor; one helper thread per process |
//! | [`AsyncIoClock`] | `async-io` | any executor; shares smol's reactor thread |
//! | [`TokioClock`] | `tokio` | inside a tokio runtime with its time driver; follows `tokio::time::pause()` |
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
//! # Precision
//!
//! A timer never fires before its deadline, and fires as soon after it as its
//! backend manages: futures-timer's helper thread and async-io's reactor both
//! sleep in the operating system, so expect tens of microseconds to a
//! millisecond of lateness on an idle machine and more on a loaded one.
//! The adapters keep their schedule on the grid of deadlines, never on the time a
//! timer happened to fire, so lateness never accumulates into drift.

use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

#[cfg(feature = "async-io")]
mod async_io;
mod futures_timer;
mod manual;
#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "async-io")]
pub use self::async_io::{AsyncIoClock, AsyncIoTimer};
pub use self::futures_timer::{FuturesTimerClock, FuturesTimerDelay};
pub use self::manual::{Counts, ManualClock, ManualTimer};
#[cfg(feature = "tokio")]
pub use self::tokio::{TokioClock, TokioTimer};

/// The time source used by [`with_heartbeat`](crate::HeartbeatExt::with_heartbeat)
/// and [`watchdog`](crate::HeartbeatExt::watchdog).
pub type DefaultClock = FuturesTimerClock;

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
pub trait Timer {
    /// Moves the deadline to `deadline`, earlier or later, whether or not the timer has fired.
    fn reset(self: Pin<&mut Self>, deadline: Instant);

    /// `Ready` once the deadline has passed; otherwise `Pending`, and the task in
    /// `cx` (only the latest one) is woken when it passes.
    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}
