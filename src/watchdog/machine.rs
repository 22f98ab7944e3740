//! The watchdog's state machine, which [`Watchdog`](crate::Watchdog) and
//! [`AdaptiveWatchdog`](crate::AdaptiveWatchdog) wrap: they differ only in how
//! the silence a wait may last is found, its [`Limit`].

use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll, Waker};

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use super::limit::{poll_silence, Limit};
use super::{let_go, Rhythm, SilenceTimer, Writes};
use crate::clock::Clock;
use crate::{trace, TimedOut, WriteError};

pin_project! {
    /// A stream that is ended, and dropped, when it has been silent for
    /// longer than `limit` allows while its consumer waited.
    pub(crate) struct Machine<S, C, L>
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
        limit: L,
        name: Option<&'static str>,
        state: State,
        // The `Sink` side's: woken when the stream is dropped under a pending write.
        writer: Option<Waker>,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Ended,
    TimedOut,
}

impl<S, C: Clock, L> Machine<S, C, L> {
    pub(crate) fn new(stream: S, limit: L, clock: C) -> Self {
        Machine {
            stream: Some(stream),
            silence: SilenceTimer::new(),
            clock,
            limit,
            name: None,
            state: State::Running,
            writer: None,
        }
    }

    /// The fields of the watchdog's `Debug`, under its own `name`.
    pub(crate) fn fmt_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        S: fmt::Debug,
        C: fmt::Debug,
        L: fmt::Debug,
    {
        f.debug_struct(name)
            .field("stream", &self.stream)
            .field("clock", &self.clock)
            .field("limit", &self.limit)
            .field("name", &self.name)
            .field("silence", &self.silence)
            .field("state", &self.state)
            .finish()
    }

    pub(crate) fn named(mut self, name: &'static str) -> Self {
        self.name = Some(name);
        self
    }

    pub(crate) fn name(&self) -> Option<&'static str> {
        self.name
    }

    pub(crate) fn limit(&self) -> &L {
        &self.limit
    }

    pub(crate) fn limit_mut(&mut self) -> &mut L {
        &mut self.limit
    }

    pub(crate) fn timed_out(&self) -> bool {
        self.state == State::TimedOut
    }

    pub(crate) fn get_ref(&self) -> Option<&S> {
        self.stream.as_ref()
    }

    pub(crate) fn get_mut(&mut self) -> Option<&mut S> {
        self.stream.as_mut()
    }

    pub(crate) fn get_pin_mut(self: Pin<&mut Self>) -> Option<Pin<&mut S>> {
        self.project().stream.as_pin_mut()
    }

    pub(crate) fn into_inner(self) -> Option<S> {
        self.stream
    }
}

impl<S, C: Clock> Machine<S, C, Rhythm> {
    /// φ now: see [`AdaptiveWatchdog::phi`](crate::AdaptiveWatchdog::phi).
    pub(crate) fn phi(&self) -> f64 {
        if self.state == State::Ended || self.silence.delivered_since_last_wait() {
            return 0.0;
        }
        self.limit.phi_at(self.clock.now())
    }
}

impl<S, C: Clock, L: Limit> Machine<S, C, L> {
    /// What ran out, once the watchdog has fired: its limit and its name.
    pub(crate) fn what_timed_out(&self) -> TimedOut {
        self.limit.timed_out().named(self.name)
    }
}

impl<S: Stream, C: Clock, L: Limit> Machine<S, C, L> {
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
    /// At the first such poll after an item, the clock is read: that is when
    /// the item counts as arrived, and when the adaptive watchdog learns the
    /// gap since the last arrival. A timer still armed for an earlier deadline
    /// is left alone until it fires, and only then moved, so that a busy stream
    /// does not move it at every wait: the task may be woken once, early, on the way.
    ///
    /// Kept out of `poll_next` so that `poll_next`, the path of every ready item,
    /// stays small enough to be inlined into the consumer's loop.
    #[inline(never)]
    fn wait(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        let timed_out = ready!(poll_silence(
            this.silence.as_mut(),
            this.clock,
            this.limit,
            cx
        ));
        trace::watchdog_fired(*this.name, timed_out.silence());
        fire(this.stream, this.writer, this.silence, this.state)
    }
}

/// Ends the stream for being silent too long: drops the stream and the timer.
fn fire<S: Stream, T: crate::clock::Timer>(
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

impl<S: Stream, C: Clock, L: Limit> Stream for Machine<S, C, L> {
    type Item = S::Item;

    #[inline(always)]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.as_mut().project();
        // The stream is dropped when the watchdog ends, so this is the only test of state on the way.
        let Some(stream) = this.stream.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };

        // W3. Poll order: the stream first, so that an item that is ready is always
        // delivered, however late the consumer comes for it.
        match stream.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                // The time until the next poll is the consumer's, not silence:
                // the count restarts at that poll, and only if it finds nothing
                // ready. An item costs this one store: its arrival is timed at the next wait.
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

impl<S: Stream, C: Clock, L: Limit> FusedStream for Machine<S, C, L> {
    fn is_terminated(&self) -> bool {
        self.state != State::Running
    }
}

/// Writes go to the connection while the watchdog runs, and fail once it has
/// dropped it: see the `Sink` of [`Watchdog`](crate::Watchdog).
impl<S, C, L, Item> Sink<Item> for Machine<S, C, L>
where
    S: Sink<Item>,
    C: Clock,
    L: Limit,
{
    type Error = WriteError<S::Error>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.writes().poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Item) -> Result<(), Self::Error> {
        self.writes().start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.writes().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.writes().poll_close(cx)
    }
}

impl<S, C: Clock, L: Limit> Machine<S, C, L> {
    /// The write half, for one `Sink` call.
    fn writes(self: Pin<&mut Self>) -> Writes<'_, S> {
        let timed_out = self.timed_out().then(|| self.what_timed_out());
        let this = self.project();
        Writes::new(this.stream, this.writer, timed_out)
    }
}
