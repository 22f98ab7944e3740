use core::fmt;
use std::error::Error;
use std::io;
use std::time::Duration;

/// What ran out: the error of the `try_` adapters, and what a
/// [`Cause::Silent`](crate::restart::Cause::Silent) carries.
///
/// A `try_` adapter ([`try_watchdog`](crate::HeartbeatExt::try_watchdog),
/// [`try_watchdog_adaptive`](crate::HeartbeatExt::try_watchdog_adaptive),
/// [`try_probe`](crate::HeartbeatExt::try_probe)) yields it inside an
/// [`io::Error`] of kind [`TimedOut`](io::ErrorKind::TimedOut), converted into
/// the stream's own error type. [`TimedOut::find`] finds it again in that error,
/// however it was wrapped, which tells "the peer stopped answering" from "the
/// socket failed" without parsing a message or downcasting by hand.
///
/// Its message names what ran out, with its limits, after the adapter's name if
/// it has one: `no item for 30s`, `frames: no item for 30s`,
/// `no answer to a ping within 2.5s after 10s idle`.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{HeartbeatExt, TimedOut, TimeoutKind};
/// use std::{io, time::Duration};
///
/// # futures::executor::block_on(async {
/// let mut frames = stream::pending::<io::Result<u8>>()
///     .try_watchdog(Duration::from_millis(5))
///     .named("frames");
/// let error: io::Error = frames.next().await.unwrap().unwrap_err();
/// assert_eq!(error.kind(), io::ErrorKind::TimedOut);
/// let timed_out = TimedOut::find(&error).expect("the watchdog's own error");
/// assert_eq!(timed_out.kind(), TimeoutKind::Silence);
/// assert_eq!(timed_out.silence(), Duration::from_millis(5));
/// assert_eq!(timed_out.to_string(), "frames: no item for 5ms");
///
/// let reset = io::Error::from(io::ErrorKind::ConnectionReset);
/// assert!(TimedOut::find(&reset).is_none()); // a failure, not a silence
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    rule: Rule,
    name: Option<&'static str>,
}

/// Which rule ran out, with its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Silence { limit: Duration, learned: bool },
    PingUnanswered { idle: Duration, ack: Duration },
    CloseUnanswered { ack: Duration },
}

/// What a [`TimedOut`] says ran out; see [`TimedOut::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// No item came for the silence allowed: a watchdog's, fixed or learned, or
    /// a restarting stream's [`silence`](crate::restart::Restarting::silence).
    Silence,
    /// A probe's ping fell due and no frame came back within the ack timeout.
    PingUnanswered,
    /// A probe's connection was being closed and the peer did not answer the
    /// close within the ack timeout.
    CloseUnanswered,
}

/// The most links of a `source()` chain that [`TimedOut::find`] follows: a chain
/// that loops (an error that is its own source) must not hang the caller.
const MAX_SOURCES: usize = 64;

impl TimedOut {
    /// No item for `limit`, a fixed limit.
    pub(crate) fn silence_of(limit: Duration) -> Self {
        Self::from_rule(Rule::Silence {
            limit,
            learned: false,
        })
    }

    /// No item for `limit`, the limit learned from the stream's rhythm.
    pub(crate) fn learned_silence_of(limit: Duration) -> Self {
        Self::from_rule(Rule::Silence {
            limit,
            learned: true,
        })
    }

    /// No answer within `ack` to a ping sent after `idle` without a frame.
    pub(crate) fn ping_unanswered(idle: Duration, ack: Duration) -> Self {
        Self::from_rule(Rule::PingUnanswered { idle, ack })
    }

    /// No answer within `ack` to the close of the connection.
    pub(crate) fn close_unanswered(ack: Duration) -> Self {
        Self::from_rule(Rule::CloseUnanswered { ack })
    }

    fn from_rule(rule: Rule) -> Self {
        TimedOut { rule, name: None }
    }

    /// The same, with the name of the adapter that found it, if it has one.
    pub(crate) fn named(self, name: Option<&'static str>) -> Self {
        TimedOut { name, ..self }
    }

    /// The `TimedOut` in `error`, if there is one: `error` itself, or one of its
    /// sources, looking inside each [`io::Error`]'s payload too (which
    /// `io::Error::source` skips).
    ///
    /// It takes any error by reference: an `&io::Error`, a
    /// `&tungstenite::Error`, your own error type whose `source()` returns the
    /// `io::Error` it was made from, `&*anyhow_error` or `&*boxed_error`.
    ///
    /// ```
    /// use futures_heartbeat::TimedOut;
    /// use std::io;
    ///
    /// fn why(error: &io::Error) -> &'static str {
    ///     match TimedOut::find(error) {
    ///         Some(_) => "the peer went quiet",
    ///         None => "the connection failed",
    ///     }
    /// }
    /// assert_eq!(why(&io::Error::from(io::ErrorKind::ConnectionReset)), "the connection failed");
    /// ```
    pub fn find<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a TimedOut> {
        let mut next = Some(error);
        for _ in 0..MAX_SOURCES {
            let error = next?;
            if let Some(timed_out) = error.downcast_ref::<TimedOut>() {
                return Some(timed_out);
            }
            let payload = error
                .downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref);
            next = match payload {
                Some(payload) => Some(payload),
                None => error.source(),
            };
        }
        None
    }

    /// What ran out.
    ///
    /// ```
    /// use futures_heartbeat::restart::Cause;
    /// use futures_heartbeat::TimeoutKind;
    ///
    /// fn describe(cause: &Cause<std::io::Error>) -> &'static str {
    ///     match cause {
    ///         Cause::Silent(timed_out) if timed_out.kind() == TimeoutKind::PingUnanswered => {
    ///             "the peer stopped answering pings"
    ///         }
    ///         Cause::Silent(_) => "the feed went quiet",
    ///         _ => "something else",
    ///     }
    /// }
    /// # let _ = describe;
    /// ```
    pub fn kind(&self) -> TimeoutKind {
        match self.rule {
            Rule::Silence { .. } => TimeoutKind::Silence,
            Rule::PingUnanswered { .. } => TimeoutKind::PingUnanswered,
            Rule::CloseUnanswered { .. } => TimeoutKind::CloseUnanswered,
        }
    }

    /// The whole time without an item or frame that was allowed, and exceeded:
    /// the silence limit (fixed, or learned from the stream's rhythm); for an
    /// unanswered ping, the idle time before the ping plus the ack timeout; for
    /// an unanswered close, the ack timeout.
    pub fn silence(&self) -> Duration {
        match self.rule {
            Rule::Silence { limit, .. } => limit,
            Rule::PingUnanswered { idle, ack } => idle.saturating_add(ack),
            Rule::CloseUnanswered { ack } => ack,
        }
    }

    /// The time that was allowed for an answer, for an unanswered ping or close;
    /// `None` for a silence.
    ///
    /// ```
    /// use futures::{channel::mpsc, StreamExt};
    /// use futures_heartbeat::{Duplex, HeartbeatExt, TimedOut};
    /// use std::{io, time::Duration};
    ///
    /// # futures::executor::block_on(async {
    /// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    /// let (_peer_writes, from_peer) = mpsc::unbounded::<io::Result<&str>>(); // never answers
    /// let to_peer = futures::SinkExt::sink_map_err(to_peer, |_| io::Error::from(io::ErrorKind::BrokenPipe));
    /// let mut conn = Duplex::new(from_peer, to_peer)
    ///     .try_probe(Duration::from_millis(10), || "ping")
    ///     .ack_timeout(Duration::from_millis(5));
    /// let error = conn.next().await.unwrap().unwrap_err();
    /// let timed_out = TimedOut::find(&error).unwrap();
    /// assert_eq!(timed_out.ack_timeout(), Some(Duration::from_millis(5)));
    /// assert_eq!(timed_out.silence(), Duration::from_millis(15));
    /// assert_eq!(timed_out.to_string(), "no answer to a ping within 5ms after 10ms idle");
    /// # });
    /// ```
    pub fn ack_timeout(&self) -> Option<Duration> {
        match self.rule {
            Rule::Silence { .. } => None,
            Rule::PingUnanswered { ack, .. } | Rule::CloseUnanswered { ack } => Some(ack),
        }
    }

    /// The name of the adapter that ran out of time (a watchdog's or a
    /// restarting stream's `named`), if it has one.
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.name {
            write!(f, "{name}: ")?;
        }
        match self.rule {
            Rule::Silence {
                limit,
                learned: false,
            } => write!(f, "no item for {limit:?}"),
            Rule::Silence {
                limit,
                learned: true,
            } => write!(
                f,
                "no item for {limit:?}, the limit learned from the stream's rhythm"
            ),
            Rule::PingUnanswered { idle, ack } => {
                write!(f, "no answer to a ping within {ack:?} after {idle:?} idle")
            }
            Rule::CloseUnanswered { ack } => write!(f, "no answer to the close within {ack:?}"),
        }
    }
}

impl Error for TimedOut {}

impl From<TimedOut> for io::Error {
    fn from(timed_out: TimedOut) -> Self {
        io::Error::new(io::ErrorKind::TimedOut, timed_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_unanswered_names_the_close_and_its_limit() {
        let timed_out = TimedOut::close_unanswered(Duration::from_millis(2500)).named(Some("ws"));
        assert_eq!(timed_out.kind(), TimeoutKind::CloseUnanswered);
        assert_eq!(timed_out.ack_timeout(), Some(Duration::from_millis(2500)));
        assert_eq!(timed_out.silence(), Duration::from_millis(2500));
        assert_eq!(
            timed_out.to_string(),
            "ws: no answer to the close within 2.5s"
        );
    }
}
