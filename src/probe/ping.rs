//! The ping: written once the connection has been idle for the interval while
//! the consumer waited (P2), one at a time (P3), only when the write half is
//! ready (P4); and what a write half that fails means (P6).

use core::pin::Pin;
use core::task::{ready, Context, Poll};

use futures_sink::Sink;

use super::{backed_off, Ping, Polled, Probe, State};
use crate::clock::Clock;
use crate::support::optional_timer::arm;

// The ping needs only the write half and the pings it writes.
impl<S, P, F, C, M> Probe<S, P, F, C>
where
    S: Sink<M>,
    P: FnMut() -> M,
    C: Clock,
{
    /// The ping's part of a poll that found the connection quiet before the
    /// caller's close: `Pending` while the idle count runs; `Ready(Ok)` once a
    /// ping is due, written or waiting for the write half, so that the caller
    /// waits for its answer; `Ready(Err)` if writing it failed.
    #[inline]
    pub(super) fn poll_ping(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), S::Error>> {
        let mut this = self.project();
        if *this.ping_unflushed {
            if let Poll::Ready(flushed) = this.conn.as_mut().poll_flush(cx) {
                *this.ping_unflushed = false;
                flushed?;
            }
        }
        if *this.ping == Ping::NotDue {
            let interval = backed_off(*this.interval, this.backoff.as_ref());
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
            if let Poll::Ready(ready) = this.conn.as_mut().poll_ready(cx) {
                // Written or failed, it counts as sent: only an answer or the
                // ack timeout ends its wait.
                *this.ping = Ping::Sent;
                ready?;
                this.conn.as_mut().start_send((this.make_ping)())?;
                if this.conn.as_mut().poll_flush(cx)?.is_pending() {
                    *this.ping_unflushed = true;
                }
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S, P, F, C: Clock> Probe<S, P, F, C> {
    /// A ping could not be written: the write half failed. `Probe` waits for the
    /// ack timeout, as it would for a ping lost on the way; `TryProbe` ends with the
    /// error, and lets go of its timers.
    pub(super) fn ping_failed<I, E>(self: Pin<&mut Self>, error: E, end: bool) -> Polled<I, E> {
        if end {
            self.stop(State::Ended);
        }
        Polled::PingFailed(error)
    }
}
