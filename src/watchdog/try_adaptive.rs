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
use crate::{AdaptiveWatchdog, PhiAccrual, WriteError};

pin_project! {
    /// Stream returned by [`try_watchdog_adaptive`](crate::HeartbeatExt::try_watchdog_adaptive)
    /// and [`try_watchdog_adaptive_on`](crate::HeartbeatExt::try_watchdog_adaptive_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct TryAdaptiveWatchdog<S, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        watchdog: TimeOutAsError<AdaptiveWatchdog<S, C>>,
    }
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for TryAdaptiveWatchdog<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.watchdog.fmt_as("TryAdaptiveWatchdog", "watchdog", f)
    }
}

impl<S, C: Clock> TryAdaptiveWatchdog<S, C> {
    pub(crate) fn new(stream: S, detector: PhiAccrual, clock: C) -> Self {
        TryAdaptiveWatchdog {
            watchdog: TimeOutAsError::new(AdaptiveWatchdog::new(stream, detector, clock)),
        }
    }

    delegate_access_inner! { watchdog, (. .),
        /// The wrapped stream, or `None` once the watchdog has ended; see [`AdaptiveWatchdog::get_ref`].
        get_ref -> Option<&S>,
        /// The wrapped stream, mutably, or `None` once the watchdog has ended.
        get_mut -> Option<&mut S>,
        /// The wrapped stream, pinned, or `None` once the watchdog has ended.
        get_pin_mut -> Option<Pin<&mut S>>,
        /// Unwraps the stream, or `None` if the watchdog has ended and dropped it.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
        /// use std::{io, time::Duration};
        ///
        /// let frames = stream::iter([io::Result::Ok(1)])
        ///     .try_watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
        /// assert!(frames.into_inner().is_some());
        /// ```
        into_inner -> Option<S>,
    }

    /// Names the stream in the events of the `tracing` feature; see [`AdaptiveWatchdog::named`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)])
    ///     .try_watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)))
    ///     .named("frames");
    /// # drop(frames);
    /// ```
    pub fn named(self, name: &'static str) -> Self {
        TryAdaptiveWatchdog {
            watchdog: self.watchdog.map(|watchdog| watchdog.named(name)),
        }
    }

    /// The name given with [`named`](Self::named); see [`AdaptiveWatchdog::name`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)])
    ///     .try_watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
    /// assert_eq!(frames.name(), None);
    /// assert_eq!(frames.named("frames").name(), Some("frames"));
    /// ```
    pub fn name(&self) -> Option<&'static str> {
        self.watchdog.get_ref().name()
    }

    /// The detector's settings; see [`AdaptiveWatchdog::detector`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::{io, time::Duration};
    ///
    /// let detector = PhiAccrual::new(Duration::from_secs(1)).threshold(12.0);
    /// let frames = stream::iter([io::Result::Ok(1)]).try_watchdog_adaptive(detector);
    /// assert_eq!(frames.detector(), detector);
    /// ```
    pub fn detector(&self) -> PhiAccrual {
        self.watchdog.get_ref().detector()
    }

    /// The suspicion now; see [`AdaptiveWatchdog::phi`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)])
    ///     .try_watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
    /// assert_eq!(frames.phi(), 0.0); // not polled yet: no wait has started
    /// ```
    pub fn phi(&self) -> f64 {
        self.watchdog.get_ref().phi()
    }

    /// How long the current wait may last; see [`AdaptiveWatchdog::silence_limit`].
    pub fn silence_limit(&self) -> Duration {
        self.watchdog.get_ref().silence_limit()
    }

    /// The mean and the standard deviation of the gaps learned so far; see
    /// [`AdaptiveWatchdog::learned_rhythm`].
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::{io, time::Duration};
    ///
    /// let frames = stream::iter([io::Result::Ok(1)])
    ///     .try_watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
    /// // Before any gap is learned: the first estimate.
    /// assert_eq!(frames.learned_rhythm(), (Duration::from_secs(1), Duration::from_millis(250)));
    /// ```
    pub fn learned_rhythm(&self) -> (Duration, Duration) {
        self.watchdog.get_ref().learned_rhythm()
    }

    /// `true` once the watchdog has fired; see [`AdaptiveWatchdog::timed_out`].
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::{io, time::Duration};
    ///
    /// # futures::executor::block_on(async {
    /// let mut frames = stream::pending::<io::Result<u8>>()
    ///     .try_watchdog_adaptive(PhiAccrual::new(Duration::from_millis(2)));
    /// assert!(frames.next().await.unwrap().is_err());
    /// assert!(frames.timed_out());
    /// # });
    /// ```
    pub fn timed_out(&self) -> bool {
        self.watchdog.get_ref().timed_out()
    }
}

impl<S, C, T, E> Stream for TryAdaptiveWatchdog<S, C>
where
    S: Stream<Item = Result<T, E>>,
    C: Clock,
    E: From<io::Error>,
{
    type Item = Result<T, E>;

    forward_stream!(watchdog);
}

impl<S, C, T, E> FusedStream for TryAdaptiveWatchdog<S, C>
where
    S: Stream<Item = Result<T, E>>,
    C: Clock,
    E: From<io::Error>,
{
    fn is_terminated(&self) -> bool {
        self.watchdog.is_terminated()
    }
}

/// Writes go through the [`AdaptiveWatchdog`] inside, and fail as its writes do
/// once it has ended (rule W11 of [`watchdog`](crate::HeartbeatExt::watchdog)):
/// with [`WriteError::TimedOut`] after the time-out
/// that the stream reports as its last `Err`. They do not count as life.
impl<S, C, Item> Sink<Item> for TryAdaptiveWatchdog<S, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = WriteError<S::Error>;

    forward_sink!(watchdog, Item);
}
