//! What every `try_` adapter is made of: a watchdog or a probe over a stream
//! of `Result`s, whose time-out comes as the stream's last error.

use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::io;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use super::forward_sink::forward_sink;
use super::yielded;
use crate::TimedOut;

/// An adapter with a `try_` variant: one that ends its stream when it times out.
pub(crate) trait TimesOut: FusedStream {
    /// Whether it ended the stream for a time-out.
    fn timed_out(&self) -> bool;

    /// What ran out, for the error: its limits, and its name.
    fn what_timed_out(&self) -> TimedOut;

    /// What the `try_` variant yields before the time-out's error: by default
    /// the adapter's own items, and `None` once it has ended, timed out or not.
    fn poll_before_time_out(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        self.poll_next(cx)
    }
}

pin_project! {
    /// The items of `adapter`, then, if it timed out, one `Err` made from an
    /// `io::Error` that holds its [`TimedOut`], then the end.
    pub(crate) struct TimeOutAsError<A> {
        #[pin]
        adapter: A,
        // Whether the time-out's error has been yielded.
        reported: bool,
    }
}

impl<A> TimeOutAsError<A> {
    pub(crate) fn new(adapter: A) -> Self {
        TimeOutAsError {
            adapter,
            reported: false,
        }
    }

    /// The `try_` adapter's `Debug`, under its own `name`, with the adapter as `field`.
    pub(crate) fn fmt_as(&self, name: &str, field: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        A: fmt::Debug,
    {
        f.debug_struct(name)
            .field(field, &self.adapter)
            .field("reported", &self.reported)
            .finish()
    }

    /// The same, with the adapter changed by `change` (a setting of its builder).
    pub(crate) fn map<B>(self, change: impl FnOnce(A) -> B) -> TimeOutAsError<B> {
        TimeOutAsError {
            adapter: change(self.adapter),
            reported: self.reported,
        }
    }

    pub(crate) fn get_ref(&self) -> &A {
        &self.adapter
    }

    pub(crate) fn get_mut(&mut self) -> &mut A {
        &mut self.adapter
    }

    pub(crate) fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut A> {
        self.project().adapter
    }

    pub(crate) fn into_inner(self) -> A {
        self.adapter
    }
}

impl<A, T, E> Stream for TimeOutAsError<A>
where
    A: TimesOut + Stream<Item = Result<T, E>>,
    E: From<io::Error>,
{
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if let Some(item) = ready!(this.adapter.as_mut().poll_before_time_out(cx)) {
            return Poll::Ready(Some(item));
        }
        if this.adapter.timed_out() {
            let timed_out = this.adapter.what_timed_out();
            if !*this.reported {
                *this.reported = true;
                // Noted for a restarting stream that polls this one (see `yielded`).
                yielded::note(timed_out);
                return Poll::Ready(Some(Err(E::from(io::Error::from(timed_out)))));
            }
            // Polled again after its error: whatever polled it did not pass that
            // error on, so it names no error the source yields next.
            yielded::withdraw(timed_out);
        }
        Poll::Ready(None)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.is_terminated() {
            return (0, Some(0));
        }
        if self.adapter.timed_out() {
            return (1, Some(1)); // the error, not yet delivered
        }
        // The adapter's own items, then perhaps one error.
        let (_, upper) = self.adapter.size_hint();
        (0, upper.and_then(|upper| upper.checked_add(1)))
    }
}

impl<A, T, E> FusedStream for TimeOutAsError<A>
where
    A: TimesOut + Stream<Item = Result<T, E>>,
    E: From<io::Error>,
{
    fn is_terminated(&self) -> bool {
        self.adapter.is_terminated() && (self.reported || !self.adapter.timed_out())
    }
}

impl<A: Sink<Item>, Item> Sink<Item> for TimeOutAsError<A> {
    type Error = A::Error;

    forward_sink!(adapter, Item);
}
