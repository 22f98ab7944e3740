//! The `Sink` side: the user's writes go to the connection (P7); the caller's
//! close stops the pings (P11) and is bounded by the ack timeout on both sides
//! (P12, P13).

use core::pin::Pin;
use core::task::{ready, Context, Poll};

use futures_sink::Sink;

use super::{Close, Probe, State};
use crate::clock::Clock;
use crate::support::optional_timer::{arm, poll_timer};
use crate::support::wakers::wake;

/// The user's own writes go straight to the connection. They do not count as
/// life: only what comes in does.
///
/// `poll_close` closes the connection, and the probe with it: no ping after it
/// (P11), and a connection that then ends ends the stream cleanly (P12). The
/// ack timeout, counted from the first call of `poll_close`, bounds both sides
/// (P13): if the connection's close has not returned by then (its write half
/// blocked on a frozen peer), `poll_close` stops waiting and returns `Ok(())`,
/// the connection left to be dropped with the probe; if the connection has not
/// ended by then, the stream ends timed out, however many frames still come.
/// Each side has a timer of its own for that deadline, so a task that only
/// closes, one that only reads, and one whose close future was dropped
/// half-way all return in time. Once it has returned, `poll_close` returns
/// `Ok(())` at once.
///
/// A ping is written only from `poll_next`, so it never comes between the
/// `poll_ready` and the `start_send` of one of the user's writes as long as
/// the two come in one poll, as they do in `SinkExt::send` and `feed`.
impl<S, P, F, C, Item> Sink<Item> for Probe<S, P, F, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = S::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.project().conn.poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Item) -> Result<(), S::Error> {
        self.project().conn.start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        let this = self.project();
        let flushed = this.conn.poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            *this.ping_unflushed = false; // the ping went with the user's writes
        }
        flushed
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        let mut this = self.project();
        match *this.close {
            Close::NotCalled => {
                // The caller is done: no idle count, and the outstanding ping,
                // if any, is moot; both sides count from now to one deadline.
                *this.close = Close::Pending;
                this.idle.as_mut().stop();
                let now = this.clock.now();
                *this.ack_from = Some(now);
                let deadline = now.checked_add(*this.ack_timeout);
                arm(this.close_timer.as_mut(), this.clock, deadline);
                if *this.state == State::Running {
                    arm(this.ack.as_mut(), this.clock, deadline);
                    // Its count moves to the close's deadline: it polls its timer again.
                    wake(this.reader);
                }
            }
            Close::Pending => {}
            Close::Done => return Poll::Ready(Ok(())),
        }
        let closed = match this.conn.as_mut().poll_close(cx) {
            Poll::Ready(closed) => closed,
            Poll::Pending => {
                ready!(poll_timer(this.close_timer.as_mut(), cx));
                // The write half did not finish the close in time: stop waiting.
                // The stream side, if it still runs, ends timed out at once
                // rather than at its own timer's wakeup, due now too.
                if *this.state == State::Running {
                    *this.state = State::CloseUnanswered;
                    this.ack.set(None);
                    wake(this.reader);
                }
                Ok(())
            }
        };
        if closed.is_ok() {
            *this.ping_unflushed = false; // the close flushed it, or it is moot
        }
        *this.close = Close::Done;
        this.close_timer.set(None);
        Poll::Ready(closed)
    }
}
