use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;

use super::{Close, Ping, PingBackoff, Polled, Probe, State};
use crate::clock::{Clock, Timer};
use crate::optional_timer::{arm, poll_timer};
use crate::silence::SilenceTimer;
use crate::wakers::remember;

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
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        end_on_ping_failure: bool,
    ) -> Poll<Polled<S::Item, S::Error>> {
        let mut this = self.project();
        if *this.state != State::Running {
            return Poll::Ready(Polled::Ended);
        }
        let closing = *this.close != Close::NotCalled;
        // After the caller's close, its deadline goes first: frames that keep
        // coming do not hold it off (P13). Before it, inbound frames go first,
        // so that a frame that is ready always goes before a ping or a
        // timeout, however late the consumer polls.
        if closing && poll_timer(this.ack.as_mut(), cx).is_ready() {
            *this.state = State::CloseUnanswered;
            this.ack.set(None);
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
                    *this.state = State::Ended;
                    this.idle.stop();
                    this.ack.set(None);
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
        if *this.ping_unflushed {
            match this.conn.as_mut().poll_flush(cx) {
                Poll::Ready(Ok(())) => *this.ping_unflushed = false,
                Poll::Ready(Err(error)) => {
                    *this.ping_unflushed = false;
                    return ping_failed(
                        error,
                        end_on_ping_failure,
                        this.state,
                        this.idle,
                        this.ack,
                    );
                }
                Poll::Pending => {}
            }
        }
        if *this.ping == Ping::NotDue {
            let interval = this
                .interval
                .checked_mul(this.backoff.as_ref().map_or(1, PingBackoff::factor));
            let interval = interval.unwrap_or(Duration::MAX);
            ready!(this.idle.as_mut().poll_elapsed(this.clock, interval, cx));
            // Read once per ping, never per frame.
            let now = this.clock.now();
            *this.ack_from = Some(now);
            arm(
                this.ack.as_mut(),
                this.clock,
                now.checked_add(*this.ack_timeout),
            );
            *this.ping = Ping::Due;
        }
        if *this.ping == Ping::Due {
            // Backpressure: no ping while a write is pending; it waits for the
            // write half, and stays one ping, however long that takes.
            match this.conn.as_mut().poll_ready(cx) {
                Poll::Ready(Ok(())) => {
                    *this.ping = Ping::Sent;
                    let ping = (this.make_ping)();
                    if let Err(error) = this.conn.as_mut().start_send(ping) {
                        return ping_failed(
                            error,
                            end_on_ping_failure,
                            this.state,
                            this.idle,
                            this.ack,
                        );
                    }
                    match this.conn.as_mut().poll_flush(cx) {
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(error)) => {
                            return ping_failed(
                                error,
                                end_on_ping_failure,
                                this.state,
                                this.idle,
                                this.ack,
                            )
                        }
                        Poll::Pending => *this.ping_unflushed = true,
                    }
                }
                Poll::Ready(Err(error)) => {
                    *this.ping = Ping::Sent;
                    return ping_failed(
                        error,
                        end_on_ping_failure,
                        this.state,
                        this.idle,
                        this.ack,
                    );
                }
                Poll::Pending => {}
            }
        }
        if poll_timer(this.ack.as_mut(), cx).is_pending() {
            return Poll::Pending;
        }
        *this.state = State::TimedOut;
        this.idle.stop();
        this.ack.set(None);
        Poll::Ready(Polled::TimedOut)
    }
}

/// A ping could not be written: the write half failed. `Probe` waits for the
/// ack timeout, as it would for a ping lost on the way; `TryProbe` ends with the
/// error, and lets go of its timers.
fn ping_failed<I, E, T>(
    error: E,
    end: bool,
    state: &mut State,
    idle: Pin<&mut SilenceTimer<T>>,
    mut ack: Pin<&mut Option<T>>,
) -> Poll<Polled<I, E>>
where
    T: Timer,
{
    if end {
        *state = State::Ended;
        idle.stop();
        ack.set(None);
    }
    Poll::Ready(Polled::PingFailed(error))
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
