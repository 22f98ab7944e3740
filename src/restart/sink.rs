//! The two-way side: writes go to the current source (R13), and the caller's
//! close ends the stream (R14).

use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_sink::Sink;

use super::{Connect, Disconnected, Restarting, Shutdown, State};
use crate::clock::Clock;
use crate::support::wakers::{remember, wake};

/// The two-way side, for a source that is also a `Sink` of outbound messages:
/// what is written goes to the current source.
///
/// - While there is no source (connecting, backing off), `poll_ready` is
///   pending, and the task is woken when the next source is up: backpressure,
///   nothing is dropped or buffered by the adapter.
/// - A write that fails (`poll_ready`, `start_send`, `poll_flush` or
///   `poll_close` with an error) drops the source at once, both halves, and the
///   stream reports `Down` with [`Cause::Failed`](super::Cause::Failed): the write itself returns
///   `Ok`, as the error is the connection's, not the caller's.
/// - Delivery is at most once: a message accepted by a source that then goes
///   down may or may not have reached the peer, and is not sent again. For
///   exactly once, have the peer acknowledge what it processed, as a key in its
///   own frames, and resend after `Up` what was not acknowledged; with
///   [`resuming`](super::resuming) in the other direction, the cursor does the
///   same for what the peer sends.
/// - After the stream has ended or given up, `poll_ready` and `start_send` fail
///   with [`Disconnected`].
///
/// The stream side must be polled for a source to be connected at all: a task
/// that only writes waits forever.
///
/// # Closing
///
/// `poll_close` (`SinkExt::close`) ends the restarting stream: the caller is done.
///
/// - No connect is made after it, ever.
/// - The current source is closed through its own `poll_close` (a WebSocket
///   sends its close frame). What the source still yields after that, the items
///   already on their way and the peer's answer to the close, is delivered in
///   order; then the stream ends with `None`, whatever the source does next:
///   ends, fails, or falls silent past [`silence`](Restarting::silence). There
///   is no `Down` and no `GaveUp`.
/// - Closing while connecting, backing off, or before the first poll ends the
///   stream at once: the pending connect and the timer are dropped, and a task
///   waiting on the stream side is woken to see the end.
/// - From the first call of `poll_close`, `poll_ready` and `start_send` fail
///   with [`Disconnected`]; `poll_flush` is `Ok`, as the close flushes.
/// - `poll_close` never fails. If the source's close fails, the source is
///   dropped at once, both halves, the stream ends, and `poll_close` returns
///   `Ok`: what the caller asked for, no connection and nothing more to come,
///   is done, and the error is the connection's, as a failed write's is. If
///   the source ends while its close is pending, `poll_close` returns `Ok` too.
/// - A message accepted before the close is delivered at most once: the close
///   flushes it, but if the close fails or the connection goes down first, it
///   may or may not have reached the peer, and it is not sent again.
///
/// Without a limit of its own, the close waits as long as the source's close
/// does, and the stream as long as the source yields. A
/// [`try_probe`](crate::HeartbeatExt::try_probe) made in the connect function
/// bounds both (rules P11 to P13 of [`probe`](crate::HeartbeatExt::probe)): it
/// stops pinging once closed, and its ack timeout, counted from the close,
/// limits both the source's close, so that `poll_close` returns `Ok` even when
/// the write half is blocked on a frozen peer, and the wait for the peer's
/// answer, so that the stream ends even when the peer never answers or keeps
/// sending. Either returns in time whether the task closes first and reads
/// after, or reads while another task closes.
impl<F, K, C, M> Sink<M> for Restarting<F, K, C>
where
    F: Connect<K>,
    F::Source: Sink<M, Error = F::Error>,
    C: Clock,
{
    type Error = Disconnected;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Disconnected>> {
        let mut this = self.project();
        if *this.state == State::Done || *this.shutdown != Shutdown::Open {
            return Poll::Ready(Err(Disconnected::new()));
        }
        let up = matches!(*this.state, State::Up { .. }) && this.write_failed.is_none();
        let source = this.source.as_mut().as_pin_mut().filter(|_| up);
        let Some(source) = source else {
            remember(this.writer, cx.waker());
            return Poll::Pending;
        };
        match source.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(error)) => {
                write_failed(this.source, this.write_failed, this.reader, error);
                // Pending until the next source is up.
                remember(this.writer, cx.waker());
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn start_send(self: Pin<&mut Self>, message: M) -> Result<(), Disconnected> {
        let mut this = self.project();
        let up = matches!(*this.state, State::Up { .. })
            && this.write_failed.is_none()
            && *this.shutdown == Shutdown::Open;
        let Some(source) = this.source.as_mut().as_pin_mut().filter(|_| up) else {
            // Without a ready `poll_ready` first: the `Sink` contract was broken.
            return Err(Disconnected::new());
        };
        if let Err(error) = source.start_send(message) {
            write_failed(this.source, this.write_failed, this.reader, error);
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Disconnected>> {
        let mut this = self.project();
        if *this.shutdown != Shutdown::Open {
            return Poll::Ready(Ok(())); // the close flushes
        }
        // Without a source there is nothing to flush: what the last one held went with it.
        let Some(source) = this.source.as_mut().as_pin_mut() else {
            return Poll::Ready(Ok(()));
        };
        match source.poll_flush(cx) {
            Poll::Ready(Err(error)) => {
                write_failed(this.source, this.write_failed, this.reader, error);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_close(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Disconnected>> {
        match self.shutdown {
            Shutdown::Open => self.as_mut().start_closing(),
            Shutdown::Closing => {}
            Shutdown::Closed => return Poll::Ready(Ok(())),
        }
        let mut this = self.as_mut().project();
        // No source: there was none, or it has ended or failed since the close began.
        let Some(source) = this.source.as_mut().as_pin_mut() else {
            *this.shutdown = Shutdown::Closed;
            return Poll::Ready(Ok(()));
        };
        let Poll::Ready(closed) = source.poll_close(cx) else {
            // Woken by the source, or by the stream side if it drops the source first.
            remember(this.writer, cx.waker());
            return Poll::Pending;
        };
        *this.shutdown = Shutdown::Closed;
        if closed.is_err() {
            // Not the caller's error, nor news for the consumer: the stream just ends.
            self.as_mut().end();
            wake(self.project().reader);
        }
        Poll::Ready(Ok(()))
    }
}

impl<F: Connect<K>, K, C: Clock> Restarting<F, K, C> {
    /// The caller closed: what it ends at once, and the reader it wakes to see
    /// the end.
    fn start_closing(mut self: Pin<&mut Self>) {
        *self.as_mut().project().shutdown = Shutdown::Closing;
        if matches!(self.state, State::Up { .. }) {
            // The source is closed through its own `poll_close`; the stream
            // delivers what it still yields, then ends with it.
            return;
        }
        // Connecting, backing off, not started or ended: nothing is on its way.
        self.as_mut().end();
        wake(self.project().reader);
    }
}

/// A write failed: the source goes at once, both halves, and the stream side,
/// woken, reports `Down` with the error.
fn write_failed<S, E>(
    mut source: Pin<&mut Option<S>>,
    failed: &mut Option<E>,
    reader: &mut Option<Waker>,
    error: E,
) {
    source.set(None);
    *failed = Some(error);
    wake(reader);
}
