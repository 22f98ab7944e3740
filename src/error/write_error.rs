use core::fmt;
use std::error::Error;

use crate::TimedOut;

/// The error of a watchdog's `Sink` side: the wrapped connection's own error,
/// or why there is no connection left to write to.
///
/// A watchdog drops the connection it wraps when it ends (rules W4 and W5 of
/// [`watchdog`](crate::HeartbeatExt::watchdog)), so that a write after the end
/// cannot reach anything: it fails with [`TimedOut`](WriteError::TimedOut) or
/// [`Ended`](WriteError::Ended) instead, and a caller can tell the two, and the
/// connection's own failures, apart without reading the message.
///
/// ```
/// use futures::{channel::mpsc, SinkExt, StreamExt};
/// use futures_heartbeat::{clock::ManualClock, Duplex, HeartbeatExt, WriteError};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new();
/// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
/// let (_peer_writes, from_peer) = mpsc::unbounded::<&str>();
/// let mut conn = Duplex::new(from_peer, to_peer).watchdog_on(Duration::from_secs(5), clock.clone());
///
/// conn.send("hello").await.unwrap(); // the watchdog runs: the write goes through
/// assert!(futures::poll!(conn.next()).is_pending());
/// clock.advance(Duration::from_secs(5)); // the peer said nothing for 5 s
/// assert_eq!(conn.next().await, None);
///
/// match conn.send("anyone there?").await {
///     Err(WriteError::TimedOut(timed_out)) => assert_eq!(timed_out.silence(), Duration::from_secs(5)),
///     other => panic!("expected a time-out, got {other:?}"),
/// }
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError<E> {
    /// The wrapped connection failed: its own error, unchanged.
    Connection(E),
    /// The watchdog fired: the stream was silent for longer than it allowed,
    /// and the connection was dropped, not closed. A message written before
    /// and not yet flushed may be lost.
    TimedOut(TimedOut),
    /// The stream ended by itself, and the watchdog let go of the connection
    /// with it.
    Ended,
}

impl<E> WriteError<E> {
    /// The connection's own error, if that is what this is.
    ///
    /// ```
    /// use futures_heartbeat::WriteError;
    ///
    /// assert_eq!(WriteError::Connection("reset").into_connection_error(), Some("reset"));
    /// assert_eq!(WriteError::<&str>::Ended.into_connection_error(), None);
    /// ```
    pub fn into_connection_error(self) -> Option<E> {
        match self {
            WriteError::Connection(error) => Some(error),
            WriteError::TimedOut(_) | WriteError::Ended => None,
        }
    }
}

// The connection's error is shown as it is (a transparent wrapper); the
// watchdog's own reasons name the limit through `source`, not twice in the message.
impl<E: fmt::Display> fmt::Display for WriteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Connection(error) => error.fmt(f),
            WriteError::TimedOut(_) => {
                f.write_str("nothing to write to: the watchdog fired and dropped the connection")
            }
            WriteError::Ended => f.write_str(
                "nothing to write to: the stream ended, and the watchdog let go of the connection",
            ),
        }
    }
}

impl<E: Error + 'static> Error for WriteError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            WriteError::Connection(error) => error.source(),
            WriteError::TimedOut(timed_out) => Some(timed_out),
            WriteError::Ended => None,
        }
    }
}
