use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::io;
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

use crate::clock::{Clock, DefaultClock};
use crate::support::yielded;
use crate::{TimedOut, Watchdog};

pin_project! {
    /// Stream returned by [`try_watchdog`](crate::HeartbeatExt::try_watchdog)
    /// and [`try_watchdog_on`](crate::HeartbeatExt::try_watchdog_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct TryWatchdog<S, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        watchdog: Watchdog<S, C>,
        reported: bool,
    }
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for TryWatchdog<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryWatchdog")
            .field("watchdog", &self.watchdog)
            .field("reported", &self.reported)
            .finish()
    }
}

impl<S, C: Clock> TryWatchdog<S, C> {
    pub(crate) fn new(watchdog: Watchdog<S, C>) -> Self {
        TryWatchdog {
            watchdog,
            reported: false,
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
            watchdog: self.watchdog.named(name),
            reported: self.reported,
        }
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
            watchdog: self.watchdog.first_item_timeout(timeout),
            reported: self.reported,
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
        self.watchdog.name()
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
        self.watchdog.timeout()
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
        self.watchdog.timed_out()
    }

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
    pub fn get_ref(&self) -> Option<&S> {
        self.watchdog.get_ref()
    }

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
    pub fn get_mut(&mut self) -> Option<&mut S> {
        self.watchdog.get_mut()
    }

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
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Option<Pin<&mut S>> {
        self.project().watchdog.get_pin_mut()
    }

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
    pub fn into_inner(self) -> Option<S> {
        self.watchdog.into_inner()
    }
}

impl<S, C, T, E> Stream for TryWatchdog<S, C>
where
    S: Stream<Item = Result<T, E>>,
    C: Clock,
    E: From<io::Error>,
{
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        poll_reporting_timeout(this.watchdog, this.reported, cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        size_hint_reporting_timeout(&self.watchdog, self.reported)
    }
}

impl<S, C, T, E> FusedStream for TryWatchdog<S, C>
where
    S: Stream<Item = Result<T, E>>,
    C: Clock,
    E: From<io::Error>,
{
    fn is_terminated(&self) -> bool {
        is_terminated_reporting_timeout(&self.watchdog, self.reported)
    }
}

/// A watchdog that a `Result` variant wraps: [`Watchdog`] and [`AdaptiveWatchdog`](crate::AdaptiveWatchdog).
pub(crate) trait Fires: FusedStream {
    /// Whether it ended the stream for its silence.
    fn timed_out(&self) -> bool;
    /// What ran out, for the error: the silence it allowed, and its name.
    fn what_timed_out(&self) -> TimedOut;
}

impl<S: Stream, C: Clock> Fires for Watchdog<S, C> {
    fn timed_out(&self) -> bool {
        Watchdog::timed_out(self)
    }

    fn what_timed_out(&self) -> TimedOut {
        Watchdog::what_timed_out(self)
    }
}

/// The items of `watchdog`, then, if it fired, one `Err` made from an `io::Error`
/// that holds its [`TimedOut`], then the end.
pub(crate) fn poll_reporting_timeout<W, T, E>(
    mut watchdog: Pin<&mut W>,
    reported: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<T, E>>>
where
    W: Fires + Stream<Item = Result<T, E>>,
    E: From<io::Error>,
{
    if let Some(item) = ready!(watchdog.as_mut().poll_next(cx)) {
        return Poll::Ready(Some(item));
    }
    if watchdog.timed_out() {
        if !*reported {
            *reported = true;
            return Poll::Ready(Some(Err(watchdog.what_timed_out().into_yielded_error())));
        }
        // Polled again after its error: whatever polled it did not pass that
        // error on, so it names no error the source yields next.
        yielded::withdraw(watchdog.what_timed_out());
    }
    Poll::Ready(None)
}

pub(crate) fn size_hint_reporting_timeout<W: Fires>(
    watchdog: &W,
    reported: bool,
) -> (usize, Option<usize>) {
    if is_terminated_reporting_timeout(watchdog, reported) {
        return (0, Some(0));
    }
    if watchdog.timed_out() {
        return (1, Some(1)); // the error, not yet delivered
    }
    // The stream's own items, then perhaps one error.
    let (_, upper) = watchdog.size_hint();
    (0, upper.and_then(|upper| upper.checked_add(1)))
}

pub(crate) fn is_terminated_reporting_timeout<W: Fires>(watchdog: &W, reported: bool) -> bool {
    watchdog.is_terminated() && (reported || !watchdog.timed_out())
}

/// Writes go through the [`Watchdog`] inside, and fail as its writes do once it
/// has ended (rule W11 of [`watchdog`](crate::HeartbeatExt::watchdog)): with
/// [`WriteError::TimedOut`](crate::WriteError::TimedOut) after the time-out
/// that the stream reports as its last `Err`. They do not count as life.
// Paths in full rather than imports: this impl is the file's only use of them.
impl<S, C, Item> futures_sink::Sink<Item> for TryWatchdog<S, C>
where
    S: futures_sink::Sink<Item>,
    C: Clock,
{
    type Error = crate::WriteError<S::Error>;

    crate::support::forward_sink::forward_sink!(watchdog, Item);
}
