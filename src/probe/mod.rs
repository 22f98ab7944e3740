//! The probe: pings on a quiet two-way connection, and the end of a connection
//! whose pings go unanswered.
//!
//! [`Probe`] is the adapter (made by [`probe`](crate::HeartbeatExt::probe),
//! whose docs number its rules, P1 to P15; `tests/probe.rs` tests them by
//! number); [`TryProbe`](crate::TryProbe) ends with an error instead of `None`;
//! [`Duplex`] joins a read half and a write half into one connection to
//! probe; [`PingBackoff`] doubles the interval for a peer that finds it too
//! short.
//!
//! Where each rule is kept:
//!
//! - `mod.rs` (this file): the type, its settings and its accessors (P10, P14);
//! - `read.rs`: the stream side: frames in order, pongs held back (P1), any
//!   frame an answer (P2), nothing per frame (P9), the ack timeout (P5), the
//!   close's deadline first (P13);
//! - `ping.rs`: the ping: after the idle interval (P2), one at a time (P3),
//!   only when the write half is ready (P4), a write half that fails (P6);
//! - `ping_backoff.rs`: [`PingBackoff`] (P8);
//! - `close.rs`: the `Sink` side (P7) and the close (P11–P13);
//! - `try_probe.rs`: [`TryProbe`], the time-out as an error (P15);
//! - `duplex.rs`: [`Duplex`].

use core::fmt;
use core::pin::Pin;
use core::task::Waker;
use std::time::Duration;

use futures_core::stream::Stream;
use pin_project_lite::pin_project;

use crate::clock::{Clock, DefaultClock, Instant};
use crate::support::delegate_access_inner::delegate_access_inner;
use crate::support::optional_timer::timer_for;
use crate::watchdog::SilenceTimer;
use crate::TimedOut;

mod close;
mod duplex;
mod ping;
mod ping_backoff;
mod read;
mod try_probe;

pub use self::duplex::Duplex;
pub use self::ping_backoff::PingBackoff;
pub use self::try_probe::TryProbe;

/// How long a probe waits for an answer to its ping by default: gRPC's
/// `KEEPALIVE_TIMEOUT`, also hyper's, Kestrel's and grpc-go's.
pub(crate) const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(20);

/// The type of a probe's filter before [`control_frames`](Probe::control_frames):
/// every inbound frame is an item.
pub type EveryFrame<I> = fn(&I) -> bool;

/// The filter of a probe made without [`control_frames`](Probe::control_frames).
pub(crate) fn no_control_frames<I>(_: &I) -> bool {
    false
}

pin_project! {
    /// Stream and sink returned by [`probe`](crate::HeartbeatExt::probe)
    /// and [`probe_on`](crate::HeartbeatExt::probe_on).
    #[must_use = "streams do nothing unless polled"]
    pub struct Probe<S, P, F, C = DefaultClock>
    where
        C: Clock,
    {
        #[pin]
        conn: S,
        // Counts the time without an inbound frame while the consumer waits.
        #[pin]
        idle: SilenceTimer<C::Timer>,
        // Armed when a ping falls due, and at the caller's close; never
        // re-armed per frame. Polled by the stream side only.
        #[pin]
        ack: Option<C::Timer>,
        // Armed at the caller's close for the same deadline, and polled by
        // `poll_close` only: a side of its own, so that each side is woken at
        // the deadline whatever the other does (polls, stops, or is dropped).
        #[pin]
        close_timer: Option<C::Timer>,
        clock: C,
        make_ping: P,
        is_control: F,
        interval: Duration,
        ack_timeout: Duration,
        backoff: Option<PingBackoff>,
        ping: Ping,
        // A ping was written but not yet flushed; kept apart from `ping`, as an
        // answer may come before the flush is done.
        ping_unflushed: bool,
        // When the ack timer's count started: the last ping fell due, or the
        // caller closed. For `ack_timeout` to move its deadline; meaningful only
        // while the timer counts (not cleared per frame).
        ack_from: Option<Instant>,
        state: State,
        close: Close,
        // The task waiting on the stream side, woken by a close to count from it.
        reader: Option<Waker>,
    }
}

/// Where the current silence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ping {
    // No ping is wanted: something came in less than an interval ago.
    NotDue,
    // The interval passed: a ping is waiting for the write half to be ready.
    Due,
    // The ping was written (or writing it failed): only an answer or the ack timeout changes this.
    Sent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Ended,
    TimedOut,
    // Timed out waiting for the connection to end after the caller's close.
    CloseUnanswered,
}

/// The caller's close (`poll_close`). From the first call, no ping is written,
/// and the ack timeout bounds both sides, from the close (P13): the stream side
/// until the connection ends (the `ack` timer), `poll_close` until the
/// connection's close is done (the `close_timer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    NotCalled,
    // The connection's close has not returned yet.
    Pending,
    // The connection's close returned, or its deadline passed first.
    Done,
}

/// What one poll of a probe found, for [`Probe`] and [`TryProbe`](crate::TryProbe) to report their own way.
pub(crate) enum Polled<I, E> {
    Item(I),
    Ended,
    TimedOut,
    PingFailed(E),
}

impl<S: fmt::Debug, P, F, C: Clock + fmt::Debug> fmt::Debug for Probe<S, P, F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("conn", &self.conn)
            .field("clock", &self.clock)
            .field("interval", &self.interval)
            .field("ack_timeout", &self.ack_timeout)
            .field("backoff", &self.backoff)
            .field("idle", &self.idle)
            .field("ping", &self.ping)
            .field("state", &self.state)
            .field("close", &self.close)
            .finish()
    }
}

impl<S, P, F, C: Clock> Probe<S, P, F, C> {
    pub(crate) fn new(conn: S, interval: Duration, make_ping: P, is_control: F, clock: C) -> Self {
        assert!(
            !interval.is_zero(),
            "probe: the idle time before a ping, `idle`, must be greater than zero"
        );
        Probe {
            conn,
            idle: SilenceTimer::new(),
            ack: None,
            close_timer: None,
            clock,
            make_ping,
            is_control,
            interval,
            ack_timeout: DEFAULT_ACK_TIMEOUT,
            backoff: None,
            ping: Ping::NotDue,
            ping_unflushed: false,
            ack_from: None,
            state: State::Running,
            close: Close::NotCalled,
            reader: None,
        }
    }

    /// How long to wait for any inbound frame after a ping fell due before the
    /// connection counts as dead (20 s by default, as gRPC's keepalive timeout).
    /// `Duration::MAX` waits forever.
    ///
    /// The wait starts when the ping falls due, whether or not the write half
    /// could take it at once: a write half that stays blocked is no sign of life.
    ///
    /// Set after the first poll while a ping is outstanding, it moves that
    /// ping's deadline to `timeout` after the ping fell due (the next poll ends
    /// the stream if that has passed); while a close is awaited (P13), it moves
    /// the close's deadline the same way, counted from the close, for both the
    /// stream side and `poll_close`; otherwise it applies from the next ping.
    ///
    /// ```
    /// use futures::channel::mpsc;
    /// use futures_heartbeat::{Duplex, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    /// let (_peer_writes, from_peer) = mpsc::unbounded::<&str>();
    /// let conn = Duplex::new(from_peer, to_peer)
    ///     .probe(Duration::from_secs(30), || "ping")
    ///     .ack_timeout(Duration::from_secs(10));
    /// # drop(conn);
    /// ```
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        // By value, so not pinned: the timers are replaced rather than reset.
        // The caller polls again to see anything, and that poll registers the task.
        let deadline = self.ack_from.and_then(|from| from.checked_add(timeout));
        if self.stream_side_counts() {
            self.ack = timer_for(&self.clock, deadline);
        }
        if self.close == Close::Pending {
            self.close_timer = timer_for(&self.clock, deadline);
        }
        self
    }

    /// Whether the stream side's ack timer counts from `ack_from`: a ping is
    /// outstanding, or the caller closed and the connection has not ended.
    fn stream_side_counts(&self) -> bool {
        let running = self.state == State::Running;
        match self.close {
            Close::NotCalled => running && self.ping != Ping::NotDue,
            Close::Pending | Close::Done => running,
        }
    }

    /// Inbound frames for which `is_control` is `true` count as life, as every
    /// frame does, but are not yielded: pongs, and pings the connection answers
    /// by itself.
    ///
    /// The closure's argument needs no annotation: it is a reference to an
    /// inbound frame, as in `StreamExt::filter`.
    ///
    /// Set after the first poll, it applies from the next inbound frame; the
    /// rest of the probe's state is kept: a ping outstanding still times out at
    /// its ack deadline, and an idle count goes on from where it started.
    ///
    /// ```
    /// use futures::{channel::mpsc, StreamExt};
    /// use futures_heartbeat::{Duplex, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    /// let (peer_writes, from_peer) = mpsc::unbounded::<&str>();
    /// let mut conn = Duplex::new(from_peer, to_peer)
    ///     .probe(Duration::from_secs(30), || "ping")
    ///     .control_frames(|frame| *frame == "pong");
    /// peer_writes.unbounded_send("pong").unwrap();
    /// peer_writes.unbounded_send("update 1").unwrap();
    /// assert_eq!(conn.next().await, Some("update 1"));
    /// # });
    /// ```
    pub fn control_frames<F2>(self, is_control: F2) -> Probe<S, P, F2, C>
    where
        S: Stream,
        F2: FnMut(&S::Item) -> bool,
    {
        // The timers move with the rest: a probe that was polled can be moved
        // only if it is `Unpin`, so nothing pinned is moved here. A ping
        // outstanding keeps its ack deadline; an idle count, its start.
        Probe {
            conn: self.conn,
            idle: self.idle,
            ack: self.ack,
            close_timer: self.close_timer,
            clock: self.clock,
            make_ping: self.make_ping,
            is_control,
            interval: self.interval,
            ack_timeout: self.ack_timeout,
            backoff: self.backoff,
            ping: self.ping,
            ping_unflushed: self.ping_unflushed,
            ack_from: self.ack_from,
            state: self.state,
            close: self.close,
            reader: self.reader,
        }
    }

    /// Takes the ping interval's factor from `backoff`, which can double it when
    /// the peer complains of too many pings (gRPC's `too_many_pings`). Share one
    /// handle among the probes of successive connections to the same peer, so
    /// that the doubling outlives a reconnect.
    ///
    /// Set after the first poll, it applies at once: an idle count in progress
    /// falls due at the new interval, counted from its start.
    ///
    /// ```
    /// use futures::channel::mpsc;
    /// use futures_heartbeat::{Duplex, HeartbeatExt, PingBackoff};
    /// use std::time::Duration;
    ///
    /// let backoff = PingBackoff::new();
    /// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    /// let (_peer_writes, from_peer) = mpsc::unbounded::<&str>();
    /// let conn = Duplex::new(from_peer, to_peer).probe(Duration::from_secs(10), || "ping").ping_backoff(backoff.clone());
    /// backoff.double(); // the peer said "too many pings"
    /// assert_eq!(conn.interval(), Duration::from_secs(20));
    /// ```
    pub fn ping_backoff(mut self, backoff: PingBackoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// The time without an inbound frame, while the consumer waits, before a
    /// ping: the `idle` given to [`probe`](crate::HeartbeatExt::probe), times the
    /// [`ping_backoff`](Self::ping_backoff)'s factor.
    pub fn interval(&self) -> Duration {
        backed_off(self.interval, self.backoff.as_ref())
    }

    /// The time allowed for an answer; see [`ack_timeout`](Self::ack_timeout).
    pub fn ack_timeout_limit(&self) -> Duration {
        self.ack_timeout
    }

    /// `true` once the probe has ended the stream because no frame came within
    /// the ack timeout of a ping falling due, or the connection did not end
    /// within the ack timeout of the caller's close (P13), whichever side saw
    /// that deadline first. It stays `false` when the connection ends by
    /// itself, after a close or not.
    ///
    /// ```
    /// use futures::{channel::mpsc, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, Duplex, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let (to_peer, mut peer_reads) = mpsc::unbounded::<&str>();
    /// let (_peer_writes, from_peer) = mpsc::unbounded::<&str>(); // a peer that never answers
    /// let mut conn = Duplex::new(from_peer, to_peer)
    ///     .probe_on(Duration::from_secs(30), || "ping", clock.clone())
    ///     .ack_timeout(Duration::from_secs(10));
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(conn.next()).is_pending());
    /// clock.advance(Duration::from_secs(30));
    /// assert!(futures::poll!(conn.next()).is_pending());
    /// assert_eq!(peer_reads.next().await, Some("ping")); // the ping went out...
    /// clock.advance(Duration::from_secs(10)); // ...and nothing comes back
    /// assert_eq!(conn.next().await, None);
    /// assert!(conn.timed_out());
    /// # });
    /// ```
    pub fn timed_out(&self) -> bool {
        matches!(self.state, State::TimedOut | State::CloseUnanswered)
    }

    /// Whether the time-out was the close's: the connection did not end within
    /// the ack timeout of the caller's `poll_close` (P13).
    pub(crate) fn close_unanswered(&self) -> bool {
        self.state == State::CloseUnanswered
    }

    delegate_access_inner! { conn, (),
        /// The connection.
        get_ref -> &S,
        /// The connection, mutably. Frames taken from it directly do not count as life.
        get_mut -> &mut S,
        /// The connection, pinned.
        get_pin_mut -> Pin<&mut S>,
        /// Unwraps the connection, dropping the timers.
        into_inner -> S,
    }
}

impl<S, P, F, C: Clock> Probe<S, P, F, C> {
    /// Ends the stream side, for the reason `state` says: both of its timers go.
    fn stop(self: Pin<&mut Self>, state: State) {
        let mut this = self.project();
        *this.state = state;
        this.idle.stop();
        this.ack.set(None);
    }

    /// What ran out when the probe [timed out](Self::timed_out), for
    /// [`TryProbe`](crate::TryProbe)'s error: the ping, and both its limits.
    pub(crate) fn what_timed_out(&self) -> TimedOut {
        if self.close_unanswered() {
            // Counted from the close, with no ping outstanding (P13).
            return TimedOut::close_unanswered(self.ack_timeout);
        }
        TimedOut::ping_unanswered(self.interval(), self.ack_timeout)
    }
}

/// `idle` times the backoff's factor: the time without an inbound frame before
/// a ping. A product too long to represent is forever.
fn backed_off(idle: Duration, backoff: Option<&PingBackoff>) -> Duration {
    let factor = backoff.map_or(1, PingBackoff::factor);
    idle.checked_mul(factor).unwrap_or(Duration::MAX)
}
