use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::io;
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use crate::clock::{Clock, DefaultClock};
use crate::probe::Polled;
use crate::support::delegate_access_inner::delegate_access_inner;
use crate::support::forward_sink::forward_sink;
use crate::support::forward_stream::forward_stream;
use crate::support::time_out_as_error::{TimeOutAsError, TimesOut};
use crate::{PingBackoff, Probe, TimedOut};

pin_project! {
    /// Stream and sink returned by [`try_probe`](crate::HeartbeatExt::try_probe)
    /// and [`try_probe_on`](crate::HeartbeatExt::try_probe_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct TryProbe<S, P, F, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        probe: TimeOutAsError<Probe<S, P, F, C>>,
    }
}

impl<S: fmt::Debug, P, F, C: Clock + fmt::Debug> fmt::Debug for TryProbe<S, P, F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.probe.fmt_as("TryProbe", "probe", f)
    }
}

impl<S, P, F, C: Clock> TryProbe<S, P, F, C> {
    pub(crate) fn new(probe: Probe<S, P, F, C>) -> Self {
        TryProbe {
            probe: TimeOutAsError::new(probe),
        }
    }

    delegate_access_inner! { probe, (. .),
        /// The connection.
        get_ref -> &S,
        /// The connection, mutably. Frames taken from it directly do not count as life.
        get_mut -> &mut S,
        /// The connection, pinned.
        get_pin_mut -> Pin<&mut S>,
        /// Unwraps the connection, dropping the timers.
        into_inner -> S,
    }

    /// How long to wait for any inbound frame after a ping fell due, and for the
    /// connection to end after the caller's close; set while a ping is
    /// outstanding or a close awaited, it moves that deadline. See
    /// [`Probe::ack_timeout`].
    pub fn ack_timeout(self, timeout: Duration) -> Self {
        TryProbe {
            probe: self.probe.map(|probe| probe.ack_timeout(timeout)),
        }
    }

    /// Frames that count as life without being yielded; see [`Probe::control_frames`],
    /// also for what it keeps when set after the first poll. The closure's argument
    /// needs no annotation: it is a reference to an inbound `Result`.
    ///
    /// ```
    /// use futures::{channel::mpsc, SinkExt, StreamExt};
    /// use futures_heartbeat::{Duplex, HeartbeatExt};
    /// use std::{io, time::Duration};
    ///
    /// # futures::executor::block_on(async {
    /// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    /// let (peer_writes, from_peer) = mpsc::unbounded::<io::Result<&str>>();
    /// let to_peer = to_peer.sink_map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe));
    /// let mut conn = Duplex::new(from_peer, to_peer)
    ///     .try_probe(Duration::from_secs(30), || "ping")
    ///     .control_frames(|frame| matches!(frame, Ok("pong")));
    /// peer_writes.unbounded_send(Ok("pong")).unwrap();
    /// peer_writes.unbounded_send(Ok("update 1")).unwrap();
    /// assert_eq!(conn.next().await.unwrap().unwrap(), "update 1");
    /// # });
    /// ```
    pub fn control_frames<F2>(self, is_control: F2) -> TryProbe<S, P, F2, C>
    where
        S: Stream,
        F2: FnMut(&S::Item) -> bool,
    {
        TryProbe {
            probe: self.probe.map(|probe| probe.control_frames(is_control)),
        }
    }

    /// A shared handle that can double the ping interval, from the idle count in
    /// progress; see [`Probe::ping_backoff`].
    pub fn ping_backoff(self, backoff: PingBackoff) -> Self {
        TryProbe {
            probe: self.probe.map(|probe| probe.ping_backoff(backoff)),
        }
    }

    /// The time without an inbound frame before a ping; see [`Probe::interval`].
    pub fn interval(&self) -> Duration {
        self.probe.get_ref().interval()
    }

    /// The time allowed for an answer; see [`Probe::ack_timeout_limit`].
    ///
    /// ```
    /// use futures::channel::mpsc;
    /// use futures_heartbeat::{Duplex, HeartbeatExt};
    /// use std::{io, time::Duration};
    ///
    /// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    /// let (_peer_writes, from_peer) = mpsc::unbounded::<io::Result<&str>>();
    /// let to_peer = futures::SinkExt::sink_map_err(to_peer, |_| io::Error::from(io::ErrorKind::BrokenPipe));
    /// let conn = Duplex::new(from_peer, to_peer).try_probe(Duration::from_secs(30), || "ping");
    /// assert_eq!(conn.ack_timeout_limit(), Duration::from_secs(20)); // the default
    /// let conn = conn.ack_timeout(Duration::from_secs(10));
    /// assert_eq!(conn.ack_timeout_limit(), Duration::from_secs(10));
    /// ```
    pub fn ack_timeout_limit(&self) -> Duration {
        self.probe.get_ref().ack_timeout_limit()
    }

    /// `true` once no frame came within the ack timeout of a ping, or the
    /// connection did not end within that of the caller's close; see
    /// [`Probe::timed_out`].
    pub fn timed_out(&self) -> bool {
        self.probe.get_ref().timed_out()
    }
}

impl<S, P, F, C, M, T, E> Stream for TryProbe<S, P, F, C>
where
    S: Stream<Item = Result<T, E>> + Sink<M, Error = E>,
    P: FnMut() -> M,
    F: FnMut(&Result<T, E>) -> bool,
    C: Clock,
    E: From<io::Error>,
{
    type Item = Result<T, E>;

    forward_stream!(probe);
}

impl<S, P, F, C, M, T, E> FusedStream for TryProbe<S, P, F, C>
where
    S: Stream<Item = Result<T, E>> + Sink<M, Error = E>,
    P: FnMut() -> M,
    F: FnMut(&Result<T, E>) -> bool,
    C: Clock,
    E: From<io::Error>,
{
    fn is_terminated(&self) -> bool {
        self.probe.is_terminated()
    }
}

/// The probe of a [`TryProbe`], which ends with the error of a ping it could
/// not write, and lets go of its timers; [`Probe`] counts that ping as sent (P6).
impl<S, P, F, C, M, T, E> TimesOut for Probe<S, P, F, C>
where
    S: Stream<Item = Result<T, E>> + Sink<M, Error = E>,
    P: FnMut() -> M,
    F: FnMut(&Result<T, E>) -> bool,
    C: Clock,
{
    fn timed_out(&self) -> bool {
        Probe::timed_out(self)
    }

    fn what_timed_out(&self) -> TimedOut {
        Probe::what_timed_out(self)
    }

    fn poll_before_time_out(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<T, E>>> {
        Poll::Ready(match ready!(self.poll_probe(cx, true)) {
            Polled::Item(frame) => Some(frame),
            Polled::PingFailed(error) => Some(Err(error)),
            Polled::TimedOut | Polled::Ended => None,
        })
    }
}

/// The user's own writes go straight to the connection; see [`Probe`]'s `Sink`.
impl<S, P, F, C, Item> Sink<Item> for TryProbe<S, P, F, C>
where
    S: Sink<Item>,
    C: Clock,
{
    type Error = S::Error;

    forward_sink!(probe, Item);
}
