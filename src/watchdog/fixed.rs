use core::fmt;
use core::pin::Pin;
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use super::limit::Fixed;
use super::machine::Machine;
use crate::clock::{Clock, DefaultClock};
use crate::support::delegate_access_inner::delegate_access_inner;
use crate::support::forward_sink::forward_sink;
use crate::support::forward_stream::forward_stream;
use crate::support::time_out_as_error::TimesOut;
use crate::{TimedOut, WriteError};

pin_project! {
    /// Stream returned by [`watchdog`](crate::HeartbeatExt::watchdog)
    /// and [`watchdog_on`](crate::HeartbeatExt::watchdog_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct Watchdog<S, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        machine: Machine<S, C, Fixed>,
    }
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for Watchdog<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.machine.fmt_as("Watchdog", f)
    }
}

impl<S, C: Clock> Watchdog<S, C> {
    pub(crate) fn new(stream: S, timeout: Duration, clock: C) -> Self {
        Watchdog {
            machine: Machine::new(stream, Fixed::new(timeout), clock),
        }
    }

    delegate_access_inner! { machine, (.),
        /// The wrapped stream, or `None` once the watchdog has ended (fired, or seen the
        /// stream end) and dropped it.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::time::Duration;
        ///
        /// let items = stream::iter([1, 2]).watchdog(Duration::from_secs(1));
        /// assert!(items.get_ref().is_some());
        /// ```
        get_ref -> Option<&S>,
        /// The wrapped stream, mutably, or `None` once the watchdog has ended.
        ///
        /// Taking items from it directly bypasses the watchdog.
        ///
        /// ```
        /// use futures::stream::{self, StreamExt};
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::time::Duration;
        ///
        /// # futures::executor::block_on(async {
        /// let mut items = stream::iter([1, 2]).watchdog(Duration::from_secs(1));
        /// assert_eq!(items.get_mut().unwrap().next().await, Some(1));
        /// assert_eq!(items.next().await, Some(2));
        /// # });
        /// ```
        get_mut -> Option<&mut S>,
        /// The wrapped stream, pinned, or `None` once the watchdog has ended.
        ///
        /// ```
        /// use futures::stream::{self, StreamExt};
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::pin::pin;
        /// use std::time::Duration;
        ///
        /// # futures::executor::block_on(async {
        /// let mut items = pin!(stream::iter([1, 2]).watchdog(Duration::from_secs(1)));
        /// assert_eq!(items.as_mut().get_pin_mut().unwrap().next().await, Some(1));
        /// # });
        /// ```
        get_pin_mut -> Option<Pin<&mut S>>,
        /// Unwraps the stream, or `None` if the watchdog has ended and dropped it.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::time::Duration;
        ///
        /// let items = stream::iter([1, 2]).watchdog(Duration::from_secs(1));
        /// assert!(items.into_inner().is_some());
        /// ```
        into_inner -> Option<S>,
    }

    /// Allows a different silence, usually a longer one, before the first item.
    ///
    /// Setting up a connection or warming a cache takes longer than the steady
    /// state; this is the timeout for that wait (Akka's `initialTimeout`). After
    /// the first item, every wait is limited by the timeout given to
    /// [`watchdog`](crate::HeartbeatExt::watchdog).
    ///
    /// Set after the first poll and before the first item, it moves the deadline
    /// of the wait in progress, still counted from the first poll (at once if
    /// that has passed: the next poll that finds nothing ready ends the stream).
    /// Set after the first item, it changes nothing (W10).
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut slow_start = stream::pending::<u8>()
    ///     .watchdog_on(Duration::from_secs(1), clock.clone())
    ///     .first_item_timeout(Duration::from_secs(30));
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(slow_start.next()).is_pending());
    /// clock.advance(Duration::from_secs(29));
    /// assert!(futures::poll!(slow_start.next()).is_pending()); // still within the first-item timeout
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(slow_start.next().await, None);
    /// # });
    /// ```
    pub fn first_item_timeout(mut self, timeout: Duration) -> Self {
        self.machine.limit_mut().set_first_item(timeout);
        self
    }

    /// Names the stream in the events of the `tracing` feature; set after the
    /// first poll, it names the events that follow.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::time::Duration;
    ///
    /// let orders = stream::iter([1]).watchdog(Duration::from_secs(2)).named("orders");
    /// assert_eq!(orders.name(), Some("orders"));
    /// ```
    pub fn named(self, name: &'static str) -> Self {
        Watchdog {
            machine: self.machine.named(name),
        }
    }

    /// The name given with [`named`](Self::named).
    pub fn name(&self) -> Option<&'static str> {
        self.machine.name()
    }

    /// The longest silence allowed between items.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::time::Duration;
    ///
    /// let items = stream::iter([1]).watchdog(Duration::from_secs(2));
    /// assert_eq!(items.timeout(), Duration::from_secs(2));
    /// ```
    pub fn timeout(&self) -> Duration {
        self.machine.limit().timeout()
    }

    /// `true` once the watchdog has ended the stream because it was silent too long.
    ///
    /// It stays `false` when the wrapped stream ends by itself.
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let mut hung = stream::pending::<u8>().watchdog(Duration::from_millis(10));
    /// assert_eq!(hung.next().await, None);
    /// assert!(hung.timed_out());
    ///
    /// let mut finished = stream::iter([1]).watchdog(Duration::from_millis(10));
    /// assert_eq!(finished.next().await, Some(1));
    /// assert_eq!(finished.next().await, None);
    /// assert!(!finished.timed_out());
    /// # });
    /// ```
    pub fn timed_out(&self) -> bool {
        self.machine.timed_out()
    }
}

impl<S: Stream, C: Clock> Stream for Watchdog<S, C> {
    type Item = S::Item;

    forward_stream!(machine);
}

impl<S: Stream, C: Clock> FusedStream for Watchdog<S, C> {
    fn is_terminated(&self) -> bool {
        self.machine.is_terminated()
    }
}

/// Writes go to the wrapped connection, unchanged, while the watchdog runs
/// (rule W11 of [`watchdog`](crate::HeartbeatExt::watchdog)). They do not count
/// as life: only items coming in do, so a peer that takes what is written but
/// sends nothing back still times out.
///
/// The watchdog drops the connection when it ends (W4, W5), so a write after
/// that has nowhere to go: `poll_ready`, `start_send` and `poll_flush` fail with
/// [`WriteError::TimedOut`] (which names the silence allowed) after a time-out,
/// or [`WriteError::Ended`] after the stream ended by itself. `poll_close`
/// fails after a time-out, as the connection was dropped rather than closed,
/// and succeeds after the stream ended by itself, as there is nothing left to
/// close. A write left pending on the connection when it is dropped (from
/// another task, through `split`) is woken, and then fails.
impl<S, C, Item> Sink<Item> for Watchdog<S, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = WriteError<S::Error>;

    forward_sink!(machine, Item);
}

impl<S: Stream, C: Clock> TimesOut for Watchdog<S, C> {
    fn timed_out(&self) -> bool {
        self.machine.timed_out()
    }

    fn what_timed_out(&self) -> TimedOut {
        self.machine.what_timed_out()
    }
}
