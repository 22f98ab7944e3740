use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use crate::clock::{Clock, DefaultClock};
use crate::support::delegate_access_inner::delegate_access_inner;
use crate::support::forward_sink::forward_sink;
use crate::watchdog::SilenceTimer;
use crate::Event;

pin_project! {
    /// Stream returned by [`keep_alive`](crate::HeartbeatExt::keep_alive)
    /// and [`keep_alive_on`](crate::HeartbeatExt::keep_alive_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct KeepAlive<S, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        stream: S,
        // Its timer is dropped when the stream ends.
        #[pin]
        idle: SilenceTimer<C::Timer>,
        clock: C,
        idle_time: Duration,
        ended: bool,
    }
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for KeepAlive<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeepAlive")
            .field("stream", &self.stream)
            .field("clock", &self.clock)
            .field("idle_time", &self.idle_time)
            .field("idle_timer", &self.idle)
            .field("ended", &self.ended)
            .finish()
    }
}

impl<S, C: Clock> KeepAlive<S, C> {
    pub(crate) fn new(stream: S, idle_time: Duration, clock: C) -> Self {
        assert!(
            !idle_time.is_zero(),
            "keep_alive: the idle time before a pulse, `idle`, must be greater than zero"
        );
        KeepAlive {
            stream,
            idle: SilenceTimer::new(),
            clock,
            idle_time,
            ended: false,
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
        /// let events = stream::iter([1, 2]).keep_alive(Duration::from_secs(1));
        /// assert_eq!(events.get_ref().size_hint(), (2, Some(2)));
        /// ```
        get_ref -> &S,
        /// The wrapped stream, mutably.
        ///
        /// Taking items from it directly bypasses the keep-alive: they do not count as activity.
        ///
        /// ```
        /// use futures::stream::{self, StreamExt};
        /// use futures_heartbeat::{Event, HeartbeatExt};
        /// use std::time::Duration;
        ///
        /// # futures::executor::block_on(async {
        /// let mut events = stream::iter([1, 2]).keep_alive(Duration::from_secs(1));
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
        /// let mut events = pin!(stream::iter([1, 2]).keep_alive(Duration::from_secs(1)));
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
        /// let events = stream::iter([1, 2]).keep_alive(Duration::from_secs(1));
        /// let items = futures::executor::block_on_stream(events.into_inner());
        /// assert_eq!(items.collect::<Vec<_>>(), [1, 2]);
        /// ```
        into_inner -> S,
    }

    /// How long the stream may be idle before a pulse.
    ///
    /// ```
    /// use futures::stream;
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::time::Duration;
    ///
    /// let events = stream::iter([1]).keep_alive(Duration::from_secs(15));
    /// assert_eq!(events.idle(), Duration::from_secs(15));
    /// ```
    pub fn idle(&self) -> Duration {
        self.idle_time
    }
}

impl<S: Stream, C: Clock> KeepAlive<S, C> {
    /// The stream ended: so does the keep-alive, with no trailing pulse, and it
    /// lets go of its timer.
    #[cold]
    #[inline(never)]
    fn end(self: Pin<&mut Self>) -> Poll<Option<Event<S::Item>>> {
        let this = self.project();
        *this.ended = true;
        this.idle.stop();
        Poll::Ready(None)
    }

    /// The stream is pending: a pulse once it has been idle for `idle_time` while
    /// the consumer waited, and the timer's wakeup registered until then.
    #[inline(never)]
    fn pulse_when_idle(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event<S::Item>>> {
        let this = self.project();
        let mut idle = this.idle;
        ready!(idle.as_mut().poll_elapsed(this.clock, *this.idle_time, cx));
        // A pulse is activity too: the next wait counts afresh, so pulses never come in a burst.
        idle.restart();
        Poll::Ready(Some(Event::Pulse))
    }
}

impl<S: Stream, C: Clock> Stream for KeepAlive<S, C> {
    type Item = Event<S::Item>;

    #[inline(always)]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.as_mut().project();
        if *this.ended {
            return Poll::Ready(None);
        }
        // Poll order: the stream first, so that a ready item goes before a due
        // pulse; a stream that has items ready is not idle, so it never pulses.
        match this.stream.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                this.idle.restart();
                Poll::Ready(Some(Event::Item(item)))
            }
            Poll::Ready(None) => self.end(),
            Poll::Pending => self.pulse_when_idle(cx),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.ended {
            return (0, Some(0));
        }
        // Every item comes through; any number of pulses may come between them.
        (self.stream.size_hint().0, None)
    }
}

impl<S: Stream, C: Clock> FusedStream for KeepAlive<S, C> {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

/// Writes go to the wrapped connection, unchanged, errors included (rule K6 of
/// [`keep_alive`](crate::HeartbeatExt::keep_alive)). They do not count as
/// activity: only items coming in do, so a quiet inbound line still pulses
/// every `idle` while you write to it.
impl<S, C, Item> Sink<Item> for KeepAlive<S, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = S::Error;

    forward_sink!(stream, Item);
}
