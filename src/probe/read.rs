//! The stream side: frames in, in order, pongs held back (P1); any frame an
//! answer (P2), with no clock read or timer work (P9); the end, the ack timeout
//! (P5) and, after the caller's close, the close's deadline first (P13).

use core::pin::Pin;
use core::task::{ready, Context, Poll};

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;

use super::{Close, Ping, Polled, Probe, State};
use crate::clock::Clock;
use crate::support::optional_timer::poll_timer;
use crate::support::wakers::remember;

/// Control frames taken from one poll before the task yields to others, so that
/// a peer flooding pongs cannot hold the executor.
const MAX_CONTROL_FRAMES_PER_POLL: u32 = 32;

impl<S, P, F, C, M> Probe<S, P, F, C>
where
    S: Stream + Sink<M>,
    P: FnMut() -> M,
    F: FnMut(&S::Item) -> bool,
    C: Clock,
{
    /// One poll: the next frame to hand out, the end, or news of the probe.
    /// `end_on_ping_failure` is the caller's choice: [`TryProbe`](crate::TryProbe)
    /// reports the error and ends, `Probe` leaves it to the ack timeout.
    #[inline]
    pub(crate) fn poll_probe(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        end_on_ping_failure: bool,
    ) -> Poll<Polled<S::Item, S::Error>> {
        let polled = self.as_mut().poll_connection(cx, end_on_ping_failure);
        if polled.is_pending() {
            // A close from another task wakes this one, to count from the close,
            // and so does a `poll_close` that sees the close's deadline first.
            remember(self.project().reader, cx.waker());
        }
        polled
    }

    #[inline]
    fn poll_connection(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        end_on_ping_failure: bool,
    ) -> Poll<Polled<S::Item, S::Error>> {
        let mut this = self.as_mut().project();
        if *this.state != State::Running {
            return Poll::Ready(Polled::Ended);
        }
        let closing = *this.close != Close::NotCalled;
        // After the caller's close, its deadline goes first: frames that keep
        // coming do not hold it off (P13). Before it, inbound frames go first,
        // so that a frame that is ready always goes before a ping or a
        // timeout, however late the consumer polls.
        if closing && poll_timer(this.ack.as_mut(), cx).is_ready() {
            self.stop(State::CloseUnanswered);
            return Poll::Ready(Polled::TimedOut);
        }
        let mut control_frames = 0;
        loop {
            match this.conn.as_mut().poll_next(cx) {
                Poll::Ready(Some(frame)) => {
                    // Any frame is an answer: at most one store each, no clock read.
                    this.idle.as_mut().restart();
                    *this.ping = Ping::NotDue;
                    if !(this.is_control)(&frame) {
                        return Poll::Ready(Polled::Item(frame));
                    }
                    control_frames += 1;
                    if control_frames == MAX_CONTROL_FRAMES_PER_POLL {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                Poll::Ready(None) => {
                    self.stop(State::Ended);
                    return Poll::Ready(Polled::Ended);
                }
                Poll::Pending => break,
            }
        }

        if closing {
            // No ping once the caller has closed (P11): the connection's end is
            // awaited until the close's deadline, whose timer was polled above.
            return Poll::Pending;
        }

        // The connection is quiet while the consumer waits.
        if let Err(error) = ready!(self.as_mut().poll_ping(cx)) {
            return Poll::Ready(self.ping_failed(error, end_on_ping_failure));
        }
        if poll_timer(self.as_mut().project().ack, cx).is_pending() {
            return Poll::Pending;
        }
        self.stop(State::TimedOut);
        Poll::Ready(Polled::TimedOut)
    }
}

impl<S, P, F, C, M> Stream for Probe<S, P, F, C>
where
    S: Stream + Sink<M>,
    P: FnMut() -> M,
    F: FnMut(&S::Item) -> bool,
    C: Clock,
{
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        loop {
            match ready!(self.as_mut().poll_probe(cx, false)) {
                Polled::Item(frame) => return Poll::Ready(Some(frame)),
                Polled::Ended | Polled::TimedOut => return Poll::Ready(None),
                // The ping counts as sent: the next round waits for its answer.
                Polled::PingFailed(_) => continue,
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.state != State::Running {
            return (0, Some(0));
        }
        // Control frames are held back and a timeout may end it at any time, so
        // nothing is certain; it never adds frames.
        (0, self.conn.size_hint().1)
    }
}

impl<S, P, F, C, M> FusedStream for Probe<S, P, F, C>
where
    S: Stream + Sink<M>,
    P: FnMut() -> M,
    F: FnMut(&S::Item) -> bool,
    C: Clock,
{
    fn is_terminated(&self) -> bool {
        self.state != State::Running
    }
}
