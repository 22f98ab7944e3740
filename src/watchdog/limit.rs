//! How long a wait may last: a fixed limit, or one learned from the stream's
//! rhythm, and the one check of a silence against it, which the two
//! watchdogs and the restarting stream share.

use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::time::Duration;

use super::{Rhythm, SilenceTimer};
use crate::clock::{Clock, Instant};
use crate::TimedOut;

/// How a watchdog finds the silence a wait may last.
pub(crate) trait Limit {
    /// The limit of the wait at hand: of one that starts at `Some(now)`, or,
    /// with `None`, of the one going on. `after_arrival`: an item came since the
    /// last wait started.
    fn wait_limit(&mut self, started: Option<Instant>, after_arrival: bool) -> Duration;

    /// What ran out, once a wait has outlasted its limit.
    fn timed_out(&self) -> TimedOut;
}

/// `Ready`, with what ran out, once the stream has been silent for its limit
/// while the consumer waited; otherwise the task is woken when it has.
#[inline]
pub(crate) fn poll_silence<C: Clock, L: Limit>(
    silence: Pin<&mut SilenceTimer<C::Timer>>,
    clock: &C,
    limit: &mut L,
    cx: &mut Context<'_>,
) -> Poll<TimedOut> {
    let after_arrival = silence.delivered_since_last_wait();
    ready!(silence.poll_elapsed_with(
        clock,
        |started| limit.wait_limit(started, after_arrival),
        cx
    ));
    Poll::Ready(limit.timed_out())
}

/// The fixed limit of a [`Watchdog`](crate::Watchdog): its timeout, and its
/// first-item timeout until an item has come.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fixed {
    timeout: Duration,
    // `None` once an item has come: in the `Option`'s niche, no flag of its own.
    first_item: Option<Duration>,
}

impl Fixed {
    /// The same timeout for every wait, the first one included.
    pub(crate) fn new(timeout: Duration) -> Self {
        Fixed {
            timeout,
            first_item: Some(timeout),
        }
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Set after an item has come, it changes nothing (W10).
    pub(crate) fn set_first_item(&mut self, timeout: Duration) {
        if let Some(first_item) = &mut self.first_item {
            *first_item = timeout;
        }
    }

    /// The silence allowed for the current wait: the first-item timeout until an item has come.
    fn current(&self) -> Duration {
        self.first_item.unwrap_or(self.timeout)
    }
}

impl Limit for Fixed {
    // Read at every poll of a wait, so that a first-item timeout set during the
    // first wait moves its deadline.
    fn wait_limit(&mut self, _started: Option<Instant>, after_arrival: bool) -> Duration {
        if after_arrival {
            self.first_item = None;
        }
        self.current()
    }

    fn timed_out(&self) -> TimedOut {
        TimedOut::silence_of(self.current())
    }
}

/// The learned limit of an [`AdaptiveWatchdog`](crate::AdaptiveWatchdog).
impl Limit for Rhythm {
    fn wait_limit(&mut self, started: Option<Instant>, after_arrival: bool) -> Duration {
        Rhythm::wait_limit(self, started, after_arrival)
    }

    fn timed_out(&self) -> TimedOut {
        TimedOut::learned_silence_of(self.current_limit())
    }
}

/// A restarting stream's limit for its source, chosen at each wait from its
/// settings: its [`silence`](crate::restart::Restarting::silence) or
/// [`silence_adaptive`](crate::restart::Restarting::silence_adaptive), and
/// its [`first_item_timeout`](crate::restart::Restarting::first_item_timeout).
pub(crate) enum SourceLimit<'a> {
    Fixed(Duration),
    Learned(&'a mut Rhythm),
}

impl<'a> SourceLimit<'a> {
    /// `first_item` if it applies (it is given only before the source's first
    /// item); otherwise the `learned` limit, or else the `fixed` one; `None` if
    /// there is none, and the source may be silent for ever.
    pub(crate) fn choose(
        first_item: Option<Duration>,
        learned: Option<&'a mut Rhythm>,
        fixed: Option<Duration>,
    ) -> Option<Self> {
        match (first_item, learned) {
            // The first-item timeout keeps the rhythm out of the first wait.
            (None, Some(rhythm)) => Some(SourceLimit::Learned(rhythm)),
            _ => first_item.or(fixed).map(SourceLimit::Fixed),
        }
    }
}

impl Limit for SourceLimit<'_> {
    fn wait_limit(&mut self, started: Option<Instant>, after_arrival: bool) -> Duration {
        match self {
            SourceLimit::Fixed(limit) => *limit,
            SourceLimit::Learned(rhythm) => rhythm.wait_limit(started, after_arrival),
        }
    }

    fn timed_out(&self) -> TimedOut {
        match self {
            SourceLimit::Fixed(limit) => TimedOut::silence_of(*limit),
            SourceLimit::Learned(rhythm) => Limit::timed_out(&**rhythm),
        }
    }
}
