use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use super::{let_go, sink_through_writes, Writes};
use crate::clock::{Clock, DefaultClock, Timer};
use crate::trace;
use crate::watchdog::SilenceTimer;
use crate::{TimedOut, WriteError};

pin_project! {
    /// Stream returned by [`watchdog`](crate::HeartbeatExt::watchdog)
    /// and [`watchdog_on`](crate::HeartbeatExt::watchdog_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct Watchdog<S, C = DefaultClock>
    where
        C: Clock,
    {
        // Dropped as soon as the watchdog ends (it fired, or the stream ended), to release what it holds.
        #[pin]
        stream: Option<S>,
        // Its timer is dropped when the stream ends or the watchdog fires.
        #[pin]
        silence: SilenceTimer<C::Timer>,
        clock: C,
        timeouts: Timeouts,
        name: Option<&'static str>,
        seen_item: bool,
        state: State,
        // The `Sink` side's: woken when the stream is dropped under a pending write.
        writer: Option<Waker>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Running,
    Ended,
    TimedOut,
}

impl<S: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for Watchdog<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watchdog")
            .field("stream", &self.stream)
            .field("clock", &self.clock)
            .field("timeout", &self.timeouts.timeout())
            .field("first_item_timeout", &self.timeouts.first_item())
            .field("name", &self.name)
            .field("silence", &self.silence)
            .field("state", &self.state)
            .finish()
    }
}

impl<S, C: Clock> Watchdog<S, C> {
    pub(crate) fn new(stream: S, timeout: Duration, clock: C) -> Self {
        Watchdog {
            stream: Some(stream),
            silence: SilenceTimer::new(),
            clock,
            timeouts: Timeouts::new(timeout),
            name: None,
            seen_item: false,
            state: State::Running,
            writer: None,
        }
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
        self.timeouts.set_first_item(timeout);
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
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = Some(name);
        self
    }

    /// The name given with [`named`](Self::named).
    pub fn name(&self) -> Option<&'static str> {
        self.name
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
        self.timeouts.timeout()
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
        self.state == State::TimedOut
    }

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
    pub fn get_ref(&self) -> Option<&S> {
        self.stream.as_ref()
    }

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
    pub fn get_mut(&mut self) -> Option<&mut S> {
        self.stream.as_mut()
    }

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
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Option<Pin<&mut S>> {
        self.project().stream.as_pin_mut()
    }

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
    pub fn into_inner(self) -> Option<S> {
        self.stream
    }
}

impl<S, C: Clock> Watchdog<S, C> {
    /// The silence allowed for the current wait: the first-item timeout until an item has come.
    pub(crate) fn current_limit(&self) -> Duration {
        self.timeouts.limit(self.seen_item)
    }
}

impl<S: Stream, C: Clock> Watchdog<S, C> {
    /// The stream ended by itself: lets go of it and of the timer.
    #[cold]
    #[inline(never)]
    fn end(self: Pin<&mut Self>) -> Poll<Option<S::Item>> {
        let this = self.project();
        *this.state = State::Ended;
        let_go(this.stream, this.writer);
        this.silence.stop();
        Poll::Ready(None)
    }

    /// The stream is pending: ends it if the silence has lasted too long, and
    /// otherwise makes sure the timer will wake the task when it does.
    ///
    /// Kept out of `poll_next` so that `poll_next`, the path of every ready item,
    /// stays small enough to be inlined into the consumer's loop.
    #[inline(never)]
    fn wait(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        *this.seen_item |= this.silence.delivered_since_last_wait();
        let limit = this.timeouts.limit(*this.seen_item);
        ready!(this.silence.as_mut().poll_elapsed(this.clock, limit, cx));
        trace::watchdog_fired(*this.name, limit);
        fire(this.stream, this.writer, this.silence, this.state)
    }
}

impl<S: Stream, C: Clock> Stream for Watchdog<S, C> {
    type Item = S::Item;

    #[inline(always)]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.as_mut().project();
        // The stream is dropped when the watchdog ends, so this is the only test of state on the way.
        let Some(stream) = this.stream.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };

        // Poll order: the stream first, so that an item that is ready is always
        // delivered, however late the consumer comes for it.
        match stream.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                // The time until the next poll is the consumer's, not silence:
                // the count restarts at that poll, and only if it finds nothing ready.
                this.silence.restart();
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => self.end(),
            Poll::Pending => self.wait(cx),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.stream {
            // It may end at any time, so nothing is certain to come; it never adds items.
            Some(stream) if self.state == State::Running => (0, stream.size_hint().1),
            _ => (0, Some(0)),
        }
    }
}

impl<S: Stream, C: Clock> FusedStream for Watchdog<S, C> {
    fn is_terminated(&self) -> bool {
        self.state != State::Running
    }
}

/// A watchdog's two timeouts.
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    timeout: Duration,
    first_item: Duration,
}

impl Timeouts {
    /// The same timeout for every wait, the first one included.
    fn new(timeout: Duration) -> Timeouts {
        Timeouts {
            timeout,
            first_item: timeout,
        }
    }

    fn timeout(self) -> Duration {
        self.timeout
    }

    fn first_item(self) -> Duration {
        self.first_item
    }

    fn set_first_item(&mut self, timeout: Duration) {
        self.first_item = timeout;
    }

    /// The silence allowed for a wait: the first-item timeout until an item has come.
    fn limit(self, seen_item: bool) -> Duration {
        if seen_item {
            self.timeout()
        } else {
            self.first_item()
        }
    }
}

/// Ends the stream for being silent too long: drops the stream and the timer.
pub(crate) fn fire<S: Stream, T: Timer>(
    stream: Pin<&mut Option<S>>,
    writer: &mut Option<Waker>,
    silence: Pin<&mut SilenceTimer<T>>,
    state: &mut State,
) -> Poll<Option<S::Item>> {
    let_go(stream, writer);
    silence.stop();
    *state = State::TimedOut;
    Poll::Ready(None)
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

    sink_through_writes!(Item);
}

impl<S, C: Clock> Watchdog<S, C> {
    /// What ran out, once the watchdog has fired: its limit and its name.
    pub(crate) fn what_timed_out(&self) -> TimedOut {
        TimedOut::silence_of(self.current_limit()).named(self.name())
    }

    fn writes(self: Pin<&mut Self>) -> Writes<'_, S> {
        let timed_out = self.timed_out().then(|| self.what_timed_out());
        let this = self.project();
        Writes::new(this.stream, this.writer, timed_out)
    }
}
