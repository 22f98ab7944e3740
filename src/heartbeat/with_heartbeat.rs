use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::time::Duration;

use crate::clock::Instant;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use crate::clock::{Clock, DefaultClock, Sealed, Timer};
use crate::support::delegate_access_inner::delegate_access_inner;
use crate::support::forward_sink::forward_sink;
use crate::Event;

/// The most items [`WithHeartbeat`] yields in a row, from an inner stream that is
/// always ready, before it looks at its timer again.
///
/// A pulse that falls due while items keep coming (its timer has expired, as
/// its clock tells it: rule H4) is delivered after at most this many of them. Looking at the timer only this often, instead of at every
/// item, keeps the clock and the timer off the path of ready items.
pub const MAX_ITEMS_BEFORE_PULSE: u32 = 64;

pin_project! {
    /// Stream returned by [`with_heartbeat`](crate::HeartbeatExt::with_heartbeat)
    /// and [`with_heartbeat_on`](crate::HeartbeatExt::with_heartbeat_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct WithHeartbeat<S, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        stream: S,
        // Created at the first poll, dropped when the stream ends or can never pulse again.
        #[pin]
        timer: Option<C::Timer>,
        clock: C,
        interval: Duration,
        phase: Phase,
        // Counts down the ready items that may still pass before the timer is looked at.
        // Zero also before the start and after the end, so that the path of a ready
        // item tests nothing else.
        items_before_check: u32,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotStarted,
    // The timer, if there is one, is armed for this grid point.
    Running { next_pulse: Instant },
    Ended,
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for WithHeartbeat<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithHeartbeat")
            .field("stream", &self.stream)
            .field("clock", &self.clock)
            .field("interval", &self.interval)
            .field("phase", &self.phase)
            .finish()
    }
}

impl<S, C: Clock> WithHeartbeat<S, C> {
    pub(crate) fn new(stream: S, interval: Duration, clock: C) -> Self {
        assert!(
            !interval.is_zero(),
            "with_heartbeat: the pulse interval must be greater than zero, got {interval:?}"
        );
        WithHeartbeat {
            stream,
            timer: None,
            clock,
            interval,
            phase: Phase::NotStarted,
            items_before_check: 0,
        }
    }

    delegate_access_inner! { stream, (),
        /// The wrapped stream.
        ///
        /// ```
        /// use futures::stream::{self, Stream};
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::time::Duration;
        ///
        /// let events = stream::iter([1, 2]).with_heartbeat(Duration::from_secs(1));
        /// assert_eq!(events.get_ref().size_hint(), (2, Some(2)));
        /// ```
        get_ref -> &S,
        /// The wrapped stream, mutably.
        ///
        /// Taking items from it directly bypasses the heartbeat.
        ///
        /// ```
        /// use futures::stream::{self, StreamExt};
        /// use futures_heartbeat::{Event, HeartbeatExt};
        /// use std::time::Duration;
        ///
        /// # futures::executor::block_on(async {
        /// let mut events = stream::iter([1, 2]).with_heartbeat(Duration::from_secs(1));
        /// assert_eq!(events.get_mut().next().await, Some(1));
        /// assert_eq!(events.next().await, Some(Event::Item(2)));
        /// # });
        /// ```
        get_mut -> &mut S,
        /// The wrapped stream, pinned.
        ///
        /// ```
        /// use futures::stream::{self, StreamExt};
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::pin::pin;
        /// use std::time::Duration;
        ///
        /// # futures::executor::block_on(async {
        /// let mut events = pin!(stream::iter([1, 2]).with_heartbeat(Duration::from_secs(1)));
        /// assert_eq!(events.as_mut().get_pin_mut().next().await, Some(1));
        /// # });
        /// ```
        get_pin_mut -> Pin<&mut S>,
        /// Unwraps the stream, dropping the timer.
        ///
        /// ```
        /// use futures::stream;
        /// use futures_heartbeat::HeartbeatExt;
        /// use std::time::Duration;
        ///
        /// let events = stream::iter([1, 2]).with_heartbeat(Duration::from_secs(1));
        /// let items = futures::executor::block_on_stream(events.into_inner());
        /// assert_eq!(items.collect::<Vec<_>>(), [1, 2]);
        /// ```
        into_inner -> S,
    }

    /// The time between two pulses.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::time::Duration;
    ///
    /// let events = stream::iter([1]).with_heartbeat(Duration::from_secs(1));
    /// assert_eq!(events.interval(), Duration::from_secs(1));
    /// ```
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl<S: Stream, C: Clock> WithHeartbeat<S, C> {
    /// What happens when no more items may pass unchecked: the start, the end, or a
    /// look at the timer. `Some` is what to return instead of polling the stream.
    ///
    /// Kept out of `poll_next`, with its own projection, so that the path of a
    /// ready item stays a counter and the inner poll.
    #[inline(never)]
    fn before_next_items(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Option<Poll<Option<Event<S::Item>>>> {
        let mut this = self.project();
        match this.phase {
            Phase::Ended => return Some(Poll::Ready(None)),
            Phase::NotStarted => {
                *this.phase = start(this.timer.as_mut(), this.clock, *this.interval)
            }
            Phase::Running { next_pulse } => {
                // A cheap look first: polling the timer may take a lock or read the clock.
                let may_be_due = this
                    .timer
                    .as_mut()
                    .as_pin_mut()
                    .is_some_and(|timer| timer.may_have_expired(Sealed));
                if may_be_due
                    && poll_pulse(
                        this.timer.as_mut(),
                        next_pulse,
                        this.clock,
                        *this.interval,
                        cx,
                    )
                    .is_ready()
                {
                    *this.items_before_check = MAX_ITEMS_BEFORE_PULSE;
                    return Some(Poll::Ready(Some(Event::Pulse)));
                }
            }
        }
        *this.items_before_check = MAX_ITEMS_BEFORE_PULSE;
        None
    }

    /// The stream ended: so does the heartbeat, at once (no pulse after the last
    /// item), and it lets go of its timer.
    #[cold]
    #[inline(never)]
    fn end(self: Pin<&mut Self>) -> Poll<Option<Event<S::Item>>> {
        let mut this = self.project();
        *this.phase = Phase::Ended;
        *this.items_before_check = 0;
        this.timer.set(None);
        Poll::Ready(None)
    }

    /// The stream is pending: a pulse if one is due, and the timer's wakeup registered otherwise.
    #[inline(never)]
    fn pulse_if_due(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event<S::Item>>> {
        let this = self.project();
        *this.items_before_check = MAX_ITEMS_BEFORE_PULSE;
        let Phase::Running { next_pulse } = this.phase else {
            debug_assert!(false, "the stream is polled only while the heartbeat runs");
            // Safe all the same: the stream, which has just returned `Pending`, wakes the task.
            return Poll::Pending;
        };
        ready!(poll_pulse(
            this.timer,
            next_pulse,
            this.clock,
            *this.interval,
            cx
        ));
        Poll::Ready(Some(Event::Pulse))
    }
}

impl<S: Stream, C: Clock> Stream for WithHeartbeat<S, C> {
    type Item = Event<S::Item>;

    #[inline(always)]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Poll order: a ready item wins over a due pulse, so that items are never
        // held back. But after MAX_ITEMS_BEFORE_PULSE items in a row the timer goes
        // first, so that a stream that is always ready cannot starve its pulses.
        if self.items_before_check == 0 {
            if let Some(early) = self.as_mut().before_next_items(cx) {
                return early;
            }
        }
        let this = self.as_mut().project();
        match this.stream.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                *this.items_before_check -= 1;
                Poll::Ready(Some(Event::Item(item)))
            }
            Poll::Ready(None) => self.end(),
            Poll::Pending => self.pulse_if_due(cx),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.phase == Phase::Ended {
            return (0, Some(0));
        }
        // Every item comes through; any number of pulses may come between them.
        (self.stream.size_hint().0, None)
    }
}

impl<S: Stream, C: Clock> FusedStream for WithHeartbeat<S, C> {
    fn is_terminated(&self) -> bool {
        self.phase == Phase::Ended
    }
}

/// Starts the clock at the first poll: the first pulse is due one interval later.
fn start<C: Clock>(mut timer: Pin<&mut Option<C::Timer>>, clock: &C, interval: Duration) -> Phase {
    let now = clock.now();
    match now.checked_add(interval) {
        Some(first_pulse) => {
            timer.set(Some(clock.timer_at(first_pulse)));
            Phase::Running {
                next_pulse: first_pulse,
            }
        }
        // An interval too long to represent: no timer, and never a pulse.
        None => Phase::Running { next_pulse: now },
    }
}

/// `Ready` when the pulse armed for `next_pulse` is due; it then re-arms the
/// timer for the next grid point, or drops it if there is none.
fn poll_pulse<C: Clock>(
    mut timer: Pin<&mut Option<C::Timer>>,
    next_pulse: &mut Instant,
    clock: &C,
    interval: Duration,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let Some(mut armed) = timer.as_mut().as_pin_mut() else {
        return Poll::Pending;
    };
    ready!(armed.as_mut().poll_expired(cx));
    let now = clock.now();
    match grid_point_after(*next_pulse, now, interval) {
        Some(following) => {
            *next_pulse = following;
            armed.reset_read_at(following, now, Sealed);
        }
        None => timer.set(None),
    }
    Poll::Ready(())
}

/// The first point of the grid `last + k * interval` (k ≥ 1) that lies after `now`,
/// or `None` if it cannot be represented.
///
/// Jumping over every grid point that `now` has passed is what drops the pulses
/// missed during a stall, as a Go ticker does, instead of delivering them in a burst.
fn grid_point_after(last: Instant, now: Instant, interval: Duration) -> Option<Instant> {
    let next = last.checked_add(interval)?;
    if now < next {
        return Some(next); // on time: no pulse missed, and no 128-bit division
    }
    let interval_nanos = interval.as_nanos();
    let missed = now.saturating_duration_since(last).as_nanos() / interval_nanos;
    let ahead_nanos = interval_nanos.checked_mul(missed + 1)?;
    last.checked_add(duration_from_nanos(ahead_nanos)?)
}

fn duration_from_nanos(nanos: u128) -> Option<Duration> {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).ok()?;
    Some(Duration::new(secs, (nanos % NANOS_PER_SEC) as u32))
}

/// Writes go to the wrapped connection, unchanged, errors included (rule H8 of
/// [`with_heartbeat`](crate::HeartbeatExt::with_heartbeat)). They do not count
/// as items: the pulses keep to their grid whatever is written.
impl<S, C, Item> Sink<Item> for WithHeartbeat<S, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = S::Error;

    forward_sink!(stream, Item);
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn grid_point_after_steps_one_interval_when_on_time() {
        let last = Instant::now();
        assert_eq!(grid_point_after(last, last, SEC), Some(last + SEC));
        assert_eq!(
            grid_point_after(last, last + SEC / 2, SEC),
            Some(last + SEC)
        );
    }

    #[test]
    fn grid_point_after_skips_missed_points_and_stays_on_the_grid() {
        let last = Instant::now();
        assert_eq!(
            grid_point_after(last, last + SEC, SEC),
            Some(last + 2 * SEC)
        );
        assert_eq!(
            grid_point_after(last, last + 7 * SEC + SEC / 3, SEC),
            Some(last + 8 * SEC)
        );
    }

    #[test]
    fn grid_point_after_is_none_past_the_end_of_time() {
        let last = Instant::now();
        assert_eq!(grid_point_after(last, last, Duration::MAX), None);
    }
}
