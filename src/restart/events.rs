//! What the restarting stream tells its consumer, and what it tells the connect function.

use core::fmt;
use std::time::Duration;

use crate::TimedOut;

/// An event of a [`Restarting`](super::Restarting) stream: an item of the current
/// source, or news of the source itself.
///
/// In order, a consumer sees `Up`, the source's items, `Down`, then `Up` again
/// with the next source's items, and so on, until the stream ends (`None`) or
/// gives up (`GaveUp`, then `None`).
///
/// Like [`Cause`], it is `#[non_exhaustive]`: a `match` on it needs a wildcard
/// arm, so that a later release can add an event without breaking your code.
///
/// ```
/// use futures_heartbeat::restart::Restart;
///
/// fn describe(event: &Restart<String, std::io::Error>) -> String {
///     match event {
///         Restart::Item(line) => format!("got {line}"),
///         Restart::Up { attempt, downtime } => format!("connected (attempt {attempt}, down {downtime:?})"),
///         Restart::Down { cause, retry_in, .. } => format!("lost: {cause}; retry in {retry_in:?}"),
///         Restart::GaveUp { cause, .. } => format!("gave up: {cause}"),
///         _ => String::new(), // `Restart` is non-exhaustive
///     }
/// }
/// assert_eq!(describe(&Restart::Item("hello".into())), "got hello");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restart<T, E> {
    /// An item of the current source, unchanged and in order.
    Item(T),
    /// A source is connected. `attempt` counts from 0, the first connection;
    /// `downtime` is how long the consumer was without a source: since the first
    /// poll until the first source, since the `Down` that dropped the last source
    /// otherwise (failed attempts in between included).
    Up {
        /// The attempt that connected.
        attempt: u32,
        /// How long there was no source.
        downtime: Duration,
    },
    /// The source was dropped (or could not be connected), and attempt number
    /// `attempt` follows in `retry_in`. No item of that source comes after this.
    Down {
        /// Why.
        cause: Cause<E>,
        /// The attempt that comes next.
        attempt: u32,
        /// The delay before it.
        retry_in: Duration,
    },
    /// The stream gives up: `cause` was fatal, or the restarts ran out. The stream
    /// ends after this; it is fused.
    GaveUp {
        /// The last cause.
        cause: Cause<E>,
        /// Restarts made in all.
        restarts: u32,
    },
}

impl<T, E> Restart<T, E> {
    /// The item, if this is one.
    ///
    /// ```
    /// use futures_heartbeat::restart::Restart;
    ///
    /// assert_eq!(Restart::<_, ()>::Item(3).into_item(), Some(3));
    /// ```
    pub fn into_item(self) -> Option<T> {
        match self {
            Restart::Item(item) => Some(item),
            _ => None,
        }
    }

    /// Whether this is an item of the source.
    ///
    /// ```
    /// use futures_heartbeat::restart::Restart;
    /// use std::time::Duration;
    ///
    /// assert!(Restart::<_, ()>::Item(3).is_item());
    /// assert!(!Restart::<u8, ()>::Up { attempt: 0, downtime: Duration::ZERO }.is_item());
    /// ```
    pub fn is_item(&self) -> bool {
        matches!(self, Restart::Item(_))
    }
}

/// Why a source was dropped, or could not be had.
///
/// ```
/// use futures_heartbeat::restart::Cause;
///
/// fn log(cause: &Cause<std::io::Error>) -> String {
///     match cause {
///         Cause::Silent(timed_out) => format!("went quiet: {timed_out}"),
///         Cause::Failed(error) => format!("failed: {error}"),
///         other => other.to_string(), // `Cause` is non-exhaustive
///     }
/// }
/// assert_eq!(log(&Cause::Ended), "the source ended");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause<E> {
    /// The source ended (with [`restart_on_end`](super::Restarting::restart_on_end), the default).
    Ended,
    /// The source yielded this error, or a write to a two-way source failed with it.
    Failed(E),
    /// The source ran out of time, as the [`TimedOut`] says: it was silent for
    /// longer than [`silence`](super::Restarting::silence) (or
    /// [`first_item_timeout`](super::Restarting::first_item_timeout)) while the
    /// consumer waited, or a `try_` adapter polled as part of the source (a
    /// [`try_watchdog`](crate::HeartbeatExt::try_watchdog) under a parser, a
    /// [`try_probe`](crate::HeartbeatExt::try_probe) whose ping went unanswered)
    /// yielded its time-out, and the source passed it on as an error in the same
    /// poll. A time-out found in another task and passed on through a channel
    /// arrives as [`Failed`](Cause::Failed): use [`TimedOut::find`] on the error.
    Silent(TimedOut),
    /// The connect function's future failed with this error.
    ConnectFailed(E),
    /// The connect function's future took longer than
    /// [`connect_timeout`](super::Restarting::connect_timeout).
    ConnectTimedOut,
}

impl<E> Cause<E> {
    /// The cause without its error: `"ended"`, `"failed"`, `"silent"`,
    /// `"connect failed"` or `"connect timed out"`.
    ///
    /// ```
    /// use futures_heartbeat::restart::Cause;
    ///
    /// assert_eq!(Cause::Failed("reset").kind(), "failed");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::Ended => "ended",
            Cause::Failed(_) => "failed",
            Cause::Silent(_) => "silent",
            Cause::ConnectFailed(_) => "connect failed",
            Cause::ConnectTimedOut => "connect timed out",
        }
    }
}

impl<E: fmt::Display> fmt::Display for Cause<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Ended => f.write_str("the source ended"),
            Cause::Failed(error) => write!(f, "the source failed: {error}"),
            Cause::Silent(timed_out) => write!(f, "the source went silent: {timed_out}"),
            Cause::ConnectFailed(error) => write!(f, "connecting failed: {error}"),
            Cause::ConnectTimedOut => f.write_str("connecting timed out"),
        }
    }
}

/// What the connect function is told about the attempt it makes.
///
/// ```
/// use futures::stream;
/// use futures_heartbeat::restart::{restarting, Attempt};
///
/// let events = restarting(|attempt: Attempt| async move {
///     println!("connecting, attempt {}", attempt.number);
///     Ok::<_, ()>(stream::iter([Ok::<u32, ()>(attempt.number)]))
/// });
/// # drop(events);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt<K = ()> {
    /// 0 for the first connection, then one more for each restart.
    pub number: u32,
    /// With [`resuming`](super::resuming): the key of the last item delivered to
    /// the consumer, from any earlier source (`None` before the first item), so
    /// that the new source can start after it.
    pub cursor: Option<K>,
}

/// The error of a [`Restarting`](super::Restarting) stream's `Sink` side: there is
/// no connection to send on, and there will be none, as the stream has ended,
/// given up or been closed (or `start_send` came without a ready `poll_ready` first).
///
/// ```
/// use futures_heartbeat::restart::Disconnected;
///
/// fn describe(error: Disconnected) -> String {
///     error.to_string()
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnected {
    _private: (),
}

impl Disconnected {
    pub(crate) fn new() -> Self {
        Disconnected { _private: () }
    }
}

impl fmt::Display for Disconnected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no connection to send on: the restarting stream has ended")
    }
}

impl std::error::Error for Disconnected {}
