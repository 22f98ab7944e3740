use core::fmt;
use core::pin::Pin;
use std::io;
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use crate::clock::{Clock, DefaultClock};
use crate::support::delegate_access_inner::delegate_access_inner;
use crate::support::forward_sink::forward_sink;
use crate::support::forward_stream::forward_stream;
use crate::support::time_out_as_error::TimeOutAsError;
use crate::{Watchdog, WriteError};

pin_project! {
    /// Stream returned by [`try_watchdog`](crate::HeartbeatExt::try_watchdog)
    /// and [`try_watchdog_on`](crate::HeartbeatExt::try_watchdog_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct TryWatchdog<S, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        watchdog: TimeOutAsError<Watchdog<S, C>>,
    }
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for TryWatchdog<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.watchdog.fmt_as("TryWatchdog", "watchdog", f)
    }
}

impl<S, C: Clock> TryWatchdog<S, C> {
    pub(crate) fn new(stream: S, timeout: Duration, clock: C) -> Self {
        TryWatchdog {
            watchdog: TimeOutAsError::new(Watchdog::new(stream, timeout, clock)),
        }
    }

    delegate_access_inner! { watchdog, (. .),
        /// The wrapped stream, or `None` once the watchdog has ended; see [`Watchdog::get_ref`].
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::{io, time::Duration};
        ///
        /// let frames = stream::iter([io::Result::Ok(1)]).try_watchdog(Duration::from_secs(1));
        /// assert!(frames.get_ref().is_some());
        /// ```
        get_ref -> Option<&S>,
        /// The wrapped stream, mutably, or `None` once the watchdog has ended.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::{io, time::Duration};
        ///
        /// let mut frames = stream::iter([io::Result::Ok(1)]).try_watchdog(Duration::from_secs(1));
        /// assert!(frames.get_mut().is_some());
        /// ```
        get_mut -> Option<&mut S>,
        /// The wrapped stream, pinned, or `None` once the watchdog has ended.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::{io, pin::pin, time::Duration};
        ///
        /// let mut frames = pin!(stream::iter([io::Result::Ok(1)]).try_watchdog(Duration::from_secs(1)));
        /// assert!(frames.as_mut().get_pin_mut().is_some());
        /// ```
        get_pin_mut -> Option<Pin<&mut S>>,
        /// Unwraps the stream, or `None` if the watchdog has ended and dropped it.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::{io, time::Duration};
        ///
        /// let frames = stream::iter([io::Result::Ok(1)]).try_watchdog(Duration::from_secs(1));
        /// assert!(frames.into_inner().is_some());
        /// ```
        into_inner -> Option<S>,
    }

    /// Allows a different silence before the first item, and moves the first
    /// wait's deadline if set during it; see [`Watchdog::first_item_timeout`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)])
    ///     .try_watchdog(Duration::from_secs(5))
    ///     .first_item_timeout(Duration::from_secs(30));
    /// # drop(frames);
    /// ```
    pub fn first_item_timeout(self, timeout: Duration) -> Self {
        TryWatchdog {
            watchdog: self
                .watchdog
                .map(|watchdog| watchdog.first_item_timeout(timeout)),
        }
    }

    /// Names the stream in the events of the `tracing` feature; see [`Watchdog::named`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)])
    ///     .try_watchdog(Duration::from_secs(5))
    ///     .named("frames");
    /// # drop(frames);
    /// ```
    pub fn named(self, name: &'static str) -> Self {
        TryWatchdog {
            watchdog: self.watchdog.map(|watchdog| watchdog.named(name)),
        }
    }

    /// The name given with [`named`](Self::named); see [`Watchdog::name`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)]).try_watchdog(Duration::from_secs(5));
    /// assert_eq!(frames.name(), None);
    /// assert_eq!(frames.named("frames").name(), Some("frames"));
    /// ```
    pub fn name(&self) -> Option<&'static str> {
        self.watchdog.get_ref().name()
    }

    /// The longest silence allowed between items; see [`Watchdog::timeout`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)]).try_watchdog(Duration::from_secs(5));
    /// assert_eq!(frames.timeout(), Duration::from_secs(5));
    /// ```
    pub fn timeout(&self) -> Duration {
        self.watchdog.get_ref().timeout()
    }

    /// `true` once the watchdog has fired; see [`Watchdog::timed_out`].
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::{io, time::Duration};
    ///
    /// # futures::executor::block_on(async {
    /// let mut frames = stream::pending::<io::Result<u8>>().try_watchdog(Duration::from_millis(10));
    /// assert!(frames.next().await.unwrap().is_err());
    /// assert!(frames.timed_out());
    /// # });
    /// ```
    pub fn timed_out(&self) -> bool {
        self.watchdog.get_ref().timed_out()
    }
}

impl<S, C, T, E> Stream for TryWatchdog<S, C>
where
    S: Stream<Item = Result<T, E>>,
    C: Clock,
    E: From<io::Error>,
{
    type Item = Result<T, E>;

    forward_stream!(watchdog);
}

impl<S, C, T, E> FusedStream for TryWatchdog<S, C>
where
    S: Stream<Item = Result<T, E>>,
    C: Clock,
    E: From<io::Error>,
{
    fn is_terminated(&self) -> bool {
        self.watchdog.is_terminated()
    }
}

/// Writes go through the [`Watchdog`] inside, and fail as its writes do once it
/// has ended (rule W11 of [`watchdog`](crate::HeartbeatExt::watchdog)): with
/// [`WriteError::TimedOut`] after the time-out
/// that the stream reports as its last `Err`. They do not count as life.
impl<S, C, Item> Sink<Item> for TryWatchdog<S, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = WriteError<S::Error>;

    forward_sink!(watchdog, Item);
}
