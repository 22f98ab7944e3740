//! A watchdog's write half. The watchdogs drop what they wrap when they end,
//! so their writes go through [`Writes`], which says why there is nothing left
//! to write to, and wakes a write that was waiting on the connection when it went.

use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_sink::Sink;

use crate::support::wakers::{remember, wake};
use crate::{TimedOut, WriteError};

/// A watchdog's write half, for one `Sink` call: its connection while it runs;
/// once it has dropped it, why there is none.
pub(crate) struct Writes<'a, S> {
    connection: Pin<&'a mut Option<S>>,
    /// The task of the last write the connection left pending.
    writer: &'a mut Option<Waker>,
    /// What ran out if the watchdog fired; `None` if the stream ended by
    /// itself, or still runs. Read only once the connection is gone.
    timed_out: Option<TimedOut>,
}

impl<'a, S> Writes<'a, S> {
    pub(crate) fn new(
        connection: Pin<&'a mut Option<S>>,
        writer: &'a mut Option<Waker>,
        timed_out: Option<TimedOut>,
    ) -> Self {
        Writes {
            connection,
            writer,
            timed_out,
        }
    }

    pub(crate) fn poll_ready<Item>(
        self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WriteError<S::Error>>>
    where
        S: Sink<Item>,
    {
        self.poll_connection(cx, |connection, cx| connection.poll_ready(cx))
    }

    pub(crate) fn start_send<Item>(self, item: Item) -> Result<(), WriteError<S::Error>>
    where
        S: Sink<Item>,
    {
        match self.connection.as_pin_mut() {
            Some(connection) => connection.start_send(item).map_err(WriteError::Connection),
            None => Err(gone(self.timed_out)),
        }
    }

    /// Once the connection is gone, a flush fails: what was written and not yet
    /// flushed went with it, and nothing can say it arrived.
    pub(crate) fn poll_flush<Item>(
        self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WriteError<S::Error>>>
    where
        S: Sink<Item>,
    {
        self.poll_connection(cx, |connection, cx| connection.poll_flush(cx))
    }

    /// Once the stream has ended by itself, a close succeeds: the peer ended it,
    /// and there is nothing left to close, so that a clean shutdown is not an
    /// error. After a time-out it fails: the connection was dropped, not closed.
    pub(crate) fn poll_close<Item>(
        self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WriteError<S::Error>>>
    where
        S: Sink<Item>,
    {
        if self.connection.is_none() && self.timed_out.is_none() {
            return Poll::Ready(Ok(()));
        }
        self.poll_connection(cx, |connection, cx| connection.poll_close(cx))
    }

    fn poll_connection<Item>(
        self,
        cx: &mut Context<'_>,
        call: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<Result<(), S::Error>>,
    ) -> Poll<Result<(), WriteError<S::Error>>>
    where
        S: Sink<Item>,
    {
        let Some(connection) = self.connection.as_pin_mut() else {
            return Poll::Ready(Err(gone(self.timed_out)));
        };
        let polled = call(connection, cx);
        if polled.is_pending() {
            remember(self.writer, cx.waker());
        }
        polled.map_err(WriteError::Connection)
    }
}

/// Why a watchdog has no connection to write to: `timed_out`, what ran out if it fired.
fn gone<E>(timed_out: Option<TimedOut>) -> WriteError<E> {
    match timed_out {
        Some(timed_out) => WriteError::TimedOut(timed_out),
        None => WriteError::Ended,
    }
}

/// Drops a watchdog's connection, and wakes the write left pending on it, if
/// any: the connection, gone, will not.
pub(crate) fn let_go<S>(mut connection: Pin<&mut Option<S>>, writer: &mut Option<Waker>) {
    connection.set(None);
    wake(writer);
}
