use core::fmt;
use core::pin::Pin;
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use super::machine::Machine;
use super::{PhiAccrual, Rhythm};
use crate::clock::{Clock, DefaultClock};
use crate::support::delegate_access_inner::delegate_access_inner;
use crate::support::forward_sink::forward_sink;
use crate::support::forward_stream::forward_stream;
use crate::support::time_out_as_error::TimesOut;
use crate::{TimedOut, WriteError};

pin_project! {
    /// Stream returned by [`watchdog_adaptive`](crate::HeartbeatExt::watchdog_adaptive)
    /// and [`watchdog_adaptive_on`](crate::HeartbeatExt::watchdog_adaptive_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct AdaptiveWatchdog<S, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        machine: Machine<S, C, Rhythm>,
    }
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for AdaptiveWatchdog<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.machine.fmt_as("AdaptiveWatchdog", f)
    }
}

impl<S, C: Clock> AdaptiveWatchdog<S, C> {
    pub(crate) fn new(stream: S, detector: PhiAccrual, clock: C) -> Self {
        AdaptiveWatchdog {
            machine: Machine::new(stream, Rhythm::new(detector), clock),
        }
    }

    delegate_access_inner! { machine, (.),
        /// The wrapped stream, or `None` once the watchdog has ended and dropped it.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
        /// use std::time::Duration;
        ///
        /// let items = stream::iter([1, 2]).watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
        /// assert!(items.get_ref().is_some());
        /// ```
        get_ref -> Option<&S>,
        /// The wrapped stream, mutably, or `None` once the watchdog has ended.
        ///
        /// Taking items from it directly bypasses the watchdog.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
        /// use std::time::Duration;
        ///
        /// let mut items = stream::iter([1, 2]).watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
        /// assert!(items.get_mut().is_some());
        /// ```
        get_mut -> Option<&mut S>,
        /// The wrapped stream, pinned, or `None` once the watchdog has ended.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
        /// use std::{pin::pin, time::Duration};
        ///
        /// let mut items = pin!(stream::iter([1, 2]).watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1))));
        /// assert!(items.as_mut().get_pin_mut().is_some());
        /// ```
        get_pin_mut -> Option<Pin<&mut S>>,
        /// Unwraps the stream, or `None` if the watchdog has ended and dropped it.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
        /// use std::time::Duration;
        ///
        /// let items = stream::iter([1, 2]).watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
        /// assert!(items.into_inner().is_some());
        /// ```
        into_inner -> Option<S>,
    }

    /// Names the stream in the events of the `tracing` feature; set after the
    /// first poll, it names the events that follow.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let peer = stream::iter([1])
    ///     .watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)))
    ///     .named("peer 7");
    /// assert_eq!(peer.name(), Some("peer 7"));
    /// ```
    pub fn named(self, name: &'static str) -> Self {
        AdaptiveWatchdog {
            machine: self.machine.named(name),
        }
    }

    /// The name given with [`named`](Self::named).
    pub fn name(&self) -> Option<&'static str> {
        self.machine.name()
    }

    /// The detector's settings.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let detector = PhiAccrual::new(Duration::from_secs(1)).threshold(12.0);
    /// let peer = stream::iter([1]).watchdog_adaptive(detector);
    /// assert_eq!(peer.detector(), detector);
    /// ```
    pub fn detector(&self) -> PhiAccrual {
        self.machine.limit().settings()
    }

    /// The suspicion now: φ for the silence of the current wait, 0 while the
    /// consumer is not waiting (after an item, before its next poll finds nothing ready).
    ///
    /// It grows while the stream stays silent, and the stream is ended when it
    /// reaches the [threshold](PhiAccrual::threshold). A lower level can mark a
    /// peer "suspect" before that, or feed a metric. It reads the clock.
    ///
    /// The stream is ended by a poll: between the moment φ reaches the threshold
    /// (the timer wakes the task) and the task's next poll, φ goes on rising past
    /// it, with the silence. Once the watchdog has ended the stream it still
    /// tells the suspicion of the silence since the last wait began, and goes on
    /// rising; once the stream has ended by itself, it is 0.
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut peer = stream::pending::<u8>()
    ///     .watchdog_adaptive_on(PhiAccrual::new(Duration::from_secs(1)), clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(peer.next()).is_pending());
    /// clock.advance(Duration::from_secs(2));
    /// let early = peer.phi();
    /// clock.advance(Duration::from_secs(1));
    /// assert!(peer.phi() > early);
    /// # });
    /// ```
    pub fn phi(&self) -> f64 {
        self.machine.phi()
    }

    /// How long the current wait may last before φ reaches the threshold, for the
    /// rhythm learned so far; the next wait's may differ.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let peer = stream::iter([1]).watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
    /// // Before any gap is learned: the first estimate, 1 s ± 250 ms, and a pause of 1 s.
    /// let limit = peer.silence_limit();
    /// assert!(limit > Duration::from_millis(3300) && limit < Duration::from_millis(3500));
    /// ```
    pub fn silence_limit(&self) -> Duration {
        self.machine.limit().current_limit()
    }

    /// The mean and the standard deviation of the gaps learned so far (the first
    /// estimate included, until the window lets go of it). The deviation is the
    /// population's: the root of the gaps' mean squared distance from their
    /// mean, divided by their number n, not by n − 1.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let peer = stream::iter([1]).watchdog_adaptive(PhiAccrual::new(Duration::from_secs(1)));
    /// let (mean, deviation) = peer.learned_rhythm();
    /// assert_eq!(mean, Duration::from_secs(1));
    /// assert_eq!(deviation, Duration::from_millis(250));
    /// ```
    pub fn learned_rhythm(&self) -> (Duration, Duration) {
        self.machine.limit().learned()
    }

    /// `true` once the watchdog has ended the stream because φ reached the threshold.
    ///
    /// It stays `false` when the wrapped stream ends by itself.
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut hung = stream::pending::<u8>()
    ///     .watchdog_adaptive_on(PhiAccrual::new(Duration::from_secs(1)), clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(hung.next()).is_pending());
    /// clock.advance(Duration::from_secs(4));
    /// assert_eq!(hung.next().await, None);
    /// assert!(hung.timed_out());
    /// # });
    /// ```
    pub fn timed_out(&self) -> bool {
        self.machine.timed_out()
    }
}

impl<S: Stream, C: Clock> Stream for AdaptiveWatchdog<S, C> {
    type Item = S::Item;

    forward_stream!(machine);
}

impl<S: Stream, C: Clock> FusedStream for AdaptiveWatchdog<S, C> {
    fn is_terminated(&self) -> bool {
        self.machine.is_terminated()
    }
}

/// Writes go to the wrapped connection as through a [`Watchdog`](crate::Watchdog)
/// (rule W11 of [`watchdog`](crate::HeartbeatExt::watchdog)): unchanged while it
/// runs, and they do not count as life, neither as arrivals nor in the rhythm
/// learned; only items coming in do.
///
/// Once φ has reached the threshold, the connection is dropped: writes, flushes
/// and closes fail with [`WriteError::TimedOut`], which names the silence that
/// the last wait allowed. After the stream ended by itself they fail with
/// [`WriteError::Ended`], except a close, which succeeds (nothing is left to
/// close). A write left pending on the connection when it is dropped is woken,
/// and then fails.
impl<S, C, Item> Sink<Item> for AdaptiveWatchdog<S, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = WriteError<S::Error>;

    forward_sink!(machine, Item);
}

impl<S: Stream, C: Clock> TimesOut for AdaptiveWatchdog<S, C> {
    fn timed_out(&self) -> bool {
        self.machine.timed_out()
    }

    fn what_timed_out(&self) -> TimedOut {
        self.machine.what_timed_out()
    }
}
