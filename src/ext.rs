//! [`HeartbeatExt`], the extension trait. The docs of each of its methods state
//! the numbered rules of the adapter it makes: H for `with_heartbeat`, W for
//! `watchdog`, A for `watchdog_adaptive`, K for `keep_alive`, P for `probe`
//! (the restarting stream's, R, are in `restart/mod.rs`). Each family's
//! `mod.rs` (`heartbeat/`, `watchdog/`, `probe/`, `restart/`) says which file
//! keeps which rule, and the tests are named by them (`w3_…`, `p4_…`; see
//! `tests/README.md`).

use std::time::Duration;

use futures_core::stream::Stream;
use futures_sink::Sink;

use crate::clock::{Clock, DefaultClock};
use crate::probe::{no_control_frames, EveryFrame};
use crate::{
    AdaptiveWatchdog, KeepAlive, PhiAccrual, Probe, TryAdaptiveWatchdog, TryProbe, TryWatchdog,
    Watchdog, WithHeartbeat,
};

/// Adds [`with_heartbeat`](HeartbeatExt::with_heartbeat),
/// [`keep_alive`](HeartbeatExt::keep_alive), [`watchdog`](HeartbeatExt::watchdog)
/// and [`watchdog_adaptive`](HeartbeatExt::watchdog_adaptive) to every [`Stream`],
/// their `try_` variants to every stream of `Result`s, and
/// [`probe`](HeartbeatExt::probe) and [`try_probe`](HeartbeatExt::try_probe) to
/// every connection that is also a [`Sink`].
///
/// Each method uses the [`DefaultClock`]; its `_on` twin takes the clock, last.
pub trait HeartbeatExt: Stream {
    /// Yields [`Event::Pulse`](crate::Event::Pulse) every `interval` while this
    /// stream is quiet, and [`Event::Item`](crate::Event::Item) for each of its items.
    ///
    /// This is the worker's side of the heartbeat pattern: a consumer, in this task
    /// or on the far side of a channel or a connection, learns that the worker is
    /// alive even when it has nothing to say.
    ///
    /// # Rules
    ///
    /// The crate's tests cite these by number.
    ///
    /// - **H1.** Items pass through unchanged and in order; none is lost or
    ///   duplicated.
    /// - **H2.** The clock starts at the first poll, and the first pulse comes one
    ///   `interval` later, not at once. Nothing happens before the first poll: no
    ///   timer exists before it.
    /// - **H3.** Pulses stay on the grid `start + k * interval`, without drift.
    ///   Pulses nobody polled for are dropped, never queued: after a stall of the
    ///   consumer of any length, at most one pulse is ready, then the grid resumes.
    /// - **H4.** A ready item is yielded before a due pulse, but a stream that is
    ///   always ready cannot starve the pulses: a due pulse waits at most
    ///   [`MAX_ITEMS_BEFORE_PULSE`](crate::MAX_ITEMS_BEFORE_PULSE) (64) items.
    ///   A pulse is due when its timer says it has expired: on the default
    ///   clock, once the clock's scheduler has fired the pulse's millisecond,
    ///   within the tolerance under [Precision](crate::clock::WheelClock#precision),
    ///   which it does whether or not the task waits.
    /// - **H5.** When this stream ends, the heartbeat ends too, at once, with no
    ///   trailing pulse. The result is fused.
    /// - **H6.** A zero `interval` panics, naming the argument (see *Panics*); an
    ///   `interval` too long to represent (such as `Duration::MAX`) never pulses
    ///   and never overflows.
    /// - **H7.** While items are ready, no clock read, timer re-arm or allocation
    ///   per item: a counter per item, and a look at the timer every
    ///   `MAX_ITEMS_BEFORE_PULSE` items.
    /// - **H8.** When this stream is also a [`Sink`] (a WebSocket, a
    ///   [`Duplex`](crate::Duplex)), so is the heartbeat: writes go to it
    ///   unchanged, its errors included. Writes are not items: they neither
    ///   delay nor add a pulse.
    ///
    /// Timers come from the [`DefaultClock`];
    /// [`with_heartbeat_on`](HeartbeatExt::with_heartbeat_on) takes another time source.
    ///
    /// # Panics
    ///
    /// If `interval` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::StreamExt;
    /// use futures_heartbeat::{Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = futures::channel::mpsc::unbounded::<&str>();
    /// let mut events = rx.with_heartbeat(Duration::from_millis(20));
    ///
    /// // Nothing to say yet: the consumer still hears that the worker is alive.
    /// assert_eq!(events.next().await, Some(Event::Pulse));
    ///
    /// tx.unbounded_send("job 1 done").unwrap();
    /// assert_eq!(events.next().await, Some(Event::Item("job 1 done")));
    ///
    /// drop(tx);
    /// assert_eq!(events.next().await, None);
    /// # });
    /// ```
    fn with_heartbeat(self, interval: Duration) -> WithHeartbeat<Self>
    where
        Self: Sized,
    {
        WithHeartbeat::new(self, interval, DefaultClock)
    }

    /// [`with_heartbeat`](HeartbeatExt::with_heartbeat), with timers from `clock`.
    ///
    /// # Panics
    ///
    /// If `interval` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut events = stream::pending::<u8>().with_heartbeat_on(Duration::from_secs(1), clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(events.next()).is_pending());
    /// clock.advance(Duration::from_secs(10)); // a stall of ten intervals...
    /// assert_eq!(events.next().await, Some(Event::Pulse)); // ...leaves one pulse, not ten
    /// assert!(futures::poll!(events.next()).is_pending());
    /// # });
    /// ```
    fn with_heartbeat_on<C: Clock>(self, interval: Duration, clock: C) -> WithHeartbeat<Self, C>
    where
        Self: Sized,
    {
        WithHeartbeat::new(self, interval, clock)
    }

    /// Yields [`Event::Pulse`](crate::Event::Pulse) only when this stream has been
    /// idle for `idle`, and [`Event::Item`](crate::Event::Item) for each of its items.
    ///
    /// Where [`with_heartbeat`](HeartbeatExt::with_heartbeat) pulses on a fixed
    /// grid whatever the traffic, this pulses only on a quiet line: the keep-alive
    /// of protocols (a WebSocket ping, an SSE comment, an HTTP/2 PING), which need
    /// no ping while data flows.
    ///
    /// # Rules
    ///
    /// The crate's tests cite these by number.
    ///
    /// - **K1.** Items pass through unchanged and in order.
    /// - **K2.** A pulse comes only after `idle` with neither an item nor a pulse.
    ///   Idleness is counted like the [`watchdog`](HeartbeatExt::watchdog)'s
    ///   silence, only while the consumer waits: from the first poll, and from the
    ///   first poll that finds this stream pending after each item or pulse. A
    ///   stream that keeps delivering never pulses; a silent one pulses every `idle`.
    /// - **K3.** After a stall of any length, at most one pulse is ready, never a
    ///   burst; a ready item goes before a due pulse.
    /// - **K4.** When this stream ends, so does the keep-alive, with no trailing
    ///   pulse, and it lets go of its timer. The result is fused. A zero `idle`
    ///   panics, naming the argument; an `idle` too long to represent (such as
    ///   `Duration::MAX`) never pulses.
    /// - **K5.** No clock read, timer re-arm or allocation per ready item: one
    ///   clock read when the stream goes from items to waiting.
    /// - **K6.** When this stream is also a [`Sink`], so is the keep-alive: writes
    ///   go to it unchanged, its errors included. Writes are not activity: only
    ///   items coming in are, so a quiet inbound line pulses every `idle` however
    ///   much is written to it.
    ///
    /// # The two directions
    ///
    /// On an **outbound** stream (what you send), a pulse means "send a ping
    /// frame": it keeps proxies, load balancers and NATs from closing a quiet
    /// line. Stay well under the shortest idle timeout on the path, at a half or a
    /// third of it: nginx's `proxy_read_timeout` defaults to 60 s, cloud load
    /// balancers to 60 s or 350 s, so 15 to 20 s (the 15 s that SSE servers send
    /// comments at) is a common choice.
    ///
    /// On an **inbound** stream (what you receive), a pulse means "the peer has
    /// been quiet: ping it now", and a [`watchdog`](HeartbeatExt::watchdog) under
    /// the keep-alive ends the connection when the peer does not answer either:
    /// `inbound.watchdog(idle + reply_timeout).keep_alive(idle)`. Any frame from
    /// the peer, the reply to a ping included, counts as life for both, as gRPC
    /// measures keepalive from the last byte read, never from the last ping sent.
    ///
    /// The other order, `inbound.keep_alive(i).watchdog(t)` in one task, never
    /// fires while it is polled (with `i` shorter than `t`): the keep-alive's own
    /// pulses are items to the watchdog, so it never sees a silence longer than `i`.
    ///
    /// Timers come from the [`DefaultClock`];
    /// [`keep_alive_on`](HeartbeatExt::keep_alive_on) takes another time source.
    ///
    /// # Panics
    ///
    /// If `idle` is zero.
    ///
    /// # Examples
    ///
    /// An outbound stream: a ping frame whenever there was nothing else to send for 15 s.
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// # let idle = Duration::from_millis(10);
    /// # #[cfg(any())]
    /// let idle = Duration::from_secs(15);
    /// let updates = stream::iter(["price 10", "price 11"]).chain(stream::pending());
    /// let mut frames = updates.keep_alive(idle).map(|event| match event {
    ///     Event::Item(update) => format!("data: {update}"),
    ///     Event::Pulse => String::from(": ping"),
    /// });
    /// assert_eq!(frames.next().await.unwrap(), "data: price 10");
    /// assert_eq!(frames.next().await.unwrap(), "data: price 11");
    /// assert_eq!(frames.next().await.unwrap(), ": ping"); // the line went quiet
    /// # });
    /// ```
    ///
    /// An inbound stream: ping a quiet peer after 30 s, give up 10 s later.
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let (idle, reply_timeout) = (Duration::from_secs(30), Duration::from_secs(10));
    /// let frames = stream::pending::<&str>(); // a peer that went away without closing
    /// let mut events = frames
    ///     .watchdog_on(idle + reply_timeout, clock.clone())
    ///     .keep_alive_on(idle, clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(events.next()).is_pending());
    /// clock.advance(idle);
    /// assert_eq!(events.next().await, Some(Event::Pulse)); // send a ping now
    /// clock.advance(reply_timeout); // no reply
    /// assert_eq!(events.next().await, None);
    /// assert!(events.get_ref().timed_out());
    /// # });
    /// ```
    fn keep_alive(self, idle: Duration) -> KeepAlive<Self>
    where
        Self: Sized,
    {
        KeepAlive::new(self, idle, DefaultClock)
    }

    /// [`keep_alive`](HeartbeatExt::keep_alive), with timers from `clock`.
    ///
    /// # Panics
    ///
    /// If `idle` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut events = stream::pending::<u8>().keep_alive_on(Duration::from_secs(1), clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(events.next()).is_pending());
    /// clock.advance(Duration::from_secs(10)); // ten idle seconds while nobody polled...
    /// assert_eq!(events.next().await, Some(Event::Pulse)); // ...make one pulse, not ten
    /// assert!(futures::poll!(events.next()).is_pending());
    /// # });
    /// ```
    fn keep_alive_on<C: Clock>(self, idle: Duration, clock: C) -> KeepAlive<Self, C>
    where
        Self: Sized,
    {
        KeepAlive::new(self, idle, clock)
    }

    /// Ends this stream once it has been silent for `timeout` while its consumer
    /// was waiting.
    ///
    /// This is the consumer's side of the heartbeat pattern: give up on a worker
    /// when neither a pulse nor a result has come for a while.
    ///
    /// # Rules
    ///
    /// The crate's tests cite these by number.
    ///
    /// - **W1.** Items pass through unchanged and in order.
    /// - **W2.** Silence is measured only while the consumer waits: the clock
    ///   starts at the first poll and again at the first poll after each item.
    ///   Time the consumer spends away, between polls, never counts.
    /// - **W3.** It fires only when this stream has nothing ready and `timeout`
    ///   has passed. An item that is ready is always delivered, however late: a
    ///   slow consumer never loses data and never causes a false timeout.
    /// - **W4.** When it fires, it drops this stream at once (closing whatever it
    ///   holds) and its timer, returns `None`, and
    ///   [`timed_out`](Watchdog::timed_out) becomes `true`; the result is fused.
    /// - **W5.** When this stream ends by itself, the watchdog returns `None` too
    ///   and `timed_out` stays `false`.
    /// - **W6.** `Duration::ZERO` ends the stream at the first `Pending`; a timeout
    ///   too long to represent (such as `Duration::MAX`) never fires and never
    ///   overflows.
    /// - **W7.** While items are ready, no clock read, timer re-arm or allocation
    ///   per item (a flag per item); a busy stream re-arms its timer at most once
    ///   per `timeout`.
    /// - **W8.** [`first_item_timeout`](Watchdog::first_item_timeout) allows a
    ///   separate, longer wait for the first item: it applies from the first
    ///   poll until the first item, and `timeout` after it.
    /// - **W9.** [`try_watchdog`](HeartbeatExt::try_watchdog), on a stream of
    ///   `Result`s, ends with one error instead of a bare `None` when it fires
    ///   (and with `None` alone when the stream ends by itself). That error is
    ///   the stream's own error type, made with `From` from an
    ///   [`io::Error`](std::io::Error) of kind
    ///   [`TimedOut`](std::io::ErrorKind::TimedOut) that holds a
    ///   [`TimedOut`](crate::TimedOut): [`TimedOut::find`](crate::TimedOut::find)
    ///   finds it there, and its message names the limit that was exceeded and
    ///   the watchdog's [name](Watchdog::named) (`frames: no item for 30s`).
    ///   Polled as part of a [`restarting`](crate::restart::restarting) stream's
    ///   source, it brings the source down as
    ///   [`Cause::Silent`](crate::restart::Cause::Silent), not as a failure.
    /// - **W10.** A setting changed after the first poll (the watchdog is `Unpin`
    ///   when this stream is) applies to the wait in progress: a
    ///   `first_item_timeout` set before the first item moves the first wait's
    ///   deadline, still counted from the first poll; set after it, it changes
    ///   nothing.
    /// - **W11.** When this stream is also a [`Sink`] (a WebSocket, a
    ///   [`Duplex`](crate::Duplex)), so is the watchdog, and so are
    ///   `try_watchdog` and the adaptive watchdogs: writes go to it unchanged
    ///   while the watchdog runs, its errors wrapped in
    ///   [`WriteError::Connection`](crate::WriteError::Connection). Writes are
    ///   not life: only items coming in are, so a peer that reads but never
    ///   answers still times out. Once the watchdog has dropped the stream (W4,
    ///   W5), a write fails with [`WriteError::TimedOut`](crate::WriteError::TimedOut)
    ///   or [`WriteError::Ended`](crate::WriteError::Ended), never panics and never
    ///   succeeds; a write left pending on the stream when it is dropped is woken
    ///   to fail so. A close succeeds after the stream ended by itself and fails
    ///   after a time-out (the connection was dropped, not closed).
    ///
    /// # What keeps it alive
    ///
    /// The order of adapters says what counts as life:
    ///
    /// - `rx.watchdog(t)`, on the far side of a channel or a connection from a
    ///   producer that sends `with_heartbeat` events, counts the producer's pulses
    ///   as life: it ends when the producer hangs or dies. This is the Go pattern.
    /// - `inner.watchdog(t).with_heartbeat(i)` pulses every `i` and ends once `t`
    ///   has passed without an item of `inner`.
    /// - `inner.with_heartbeat(i).watchdog(t)` in one task never times out while it
    ///   is polled (with `i` shorter than `t`): its own pulses keep it alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::StreamExt;
    /// use futures_heartbeat::{Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// // The worker pulses every 10 ms while it works, then hangs without closing the channel.
    /// let (tx, rx) = futures::channel::mpsc::unbounded();
    /// tx.unbounded_send(Event::Pulse).unwrap();
    /// tx.unbounded_send(Event::Item("result")).unwrap();
    ///
    /// let mut events = rx.watchdog(Duration::from_millis(50));
    /// assert_eq!(events.next().await, Some(Event::Pulse));
    /// assert_eq!(events.next().await, Some(Event::Item("result")));
    /// assert_eq!(events.next().await, None); // 50 ms with neither pulse nor result
    /// assert!(events.timed_out());
    /// # drop(tx);
    /// # });
    /// ```
    ///
    /// Pulses while waiting for items, ending after a minute without one:
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut events = stream::pending::<u8>()
    ///     .watchdog_on(Duration::from_secs(60), clock.clone())
    ///     .with_heartbeat_on(Duration::from_secs(20), clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(events.next()).is_pending());
    /// clock.advance(Duration::from_secs(20));
    /// assert_eq!(events.next().await, Some(Event::Pulse));
    /// clock.advance(Duration::from_secs(20));
    /// assert_eq!(events.next().await, Some(Event::Pulse));
    /// clock.advance(Duration::from_secs(20));
    /// assert_eq!(events.next().await, None); // the watchdog fired first, at the same instant
    /// # });
    /// ```
    ///
    /// Its own pulses keep it alive:
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, Event, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut events = stream::pending::<u8>()
    ///     .with_heartbeat_on(Duration::from_secs(1), clock.clone())
    ///     .watchdog_on(Duration::from_secs(2), clock.clone());
    /// # futures::executor::block_on(async {
    /// for _ in 0..100 {
    ///     assert!(futures::poll!(events.next()).is_pending());
    ///     clock.advance(Duration::from_secs(1));
    ///     assert_eq!(events.next().await, Some(Event::Pulse));
    /// }
    /// assert!(!events.timed_out());
    /// # });
    /// ```
    fn watchdog(self, timeout: Duration) -> Watchdog<Self>
    where
        Self: Sized,
    {
        Watchdog::new(self, timeout, DefaultClock)
    }

    /// [`watchdog`](HeartbeatExt::watchdog), with timers from `clock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut late = stream::iter([1]).watchdog_on(Duration::from_secs(1), clock.clone());
    /// clock.advance(Duration::from_secs(3600)); // the consumer is away for an hour
    /// # futures::executor::block_on(async {
    /// assert_eq!(late.next().await, Some(1)); // the item was ready: it is delivered
    /// # });
    /// ```
    fn watchdog_on<C: Clock>(self, timeout: Duration, clock: C) -> Watchdog<Self, C>
    where
        Self: Sized,
    {
        Watchdog::new(self, timeout, clock)
    }

    /// [`watchdog`](HeartbeatExt::watchdog) for a stream of `Result`s: when it
    /// fires, it yields one last `Err`, then ends (W8, W9).
    ///
    /// # Errors
    ///
    /// The error is `E::from(io_error)`, where `io_error` is an
    /// [`io::Error`](std::io::Error) of kind [`TimedOut`](std::io::ErrorKind::TimedOut)
    /// holding a [`TimedOut`](crate::TimedOut), which [`TimedOut::find`](crate::TimedOut::find) finds again. So `E` can
    /// be any type that converts from `io::Error`: `io::Error` itself,
    /// `tungstenite::Error` (its `Io` variant), `Box<dyn Error + Send + Sync>`,
    /// `anyhow::Error`, or your own enum with a `From<io::Error>` (thiserror's
    /// `#[from] io::Error`). An error type that cannot be made at all outside its
    /// crate (`reqwest::Error`, `hyper::Error`) is mapped first, with
    /// `.map_err(io::Error::other)` or into your own type, and the watchdog put
    /// after the `map_err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::HeartbeatExt;
    /// use std::{io, time::Duration};
    ///
    /// # futures::executor::block_on(async {
    /// let frames = stream::iter([Ok("hello")]).chain(stream::pending());
    /// let mut frames = frames.try_watchdog(Duration::from_millis(20));
    /// assert_eq!(frames.next().await.unwrap().unwrap(), "hello");
    /// let error: io::Error = frames.next().await.unwrap().unwrap_err();
    /// assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    /// assert!(frames.next().await.is_none());
    /// # });
    /// ```
    ///
    /// With an error type of your own:
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{HeartbeatExt, TimedOut};
    /// use std::{error::Error, fmt, io, time::Duration};
    ///
    /// #[derive(Debug)]
    /// enum FeedError {
    ///     Io(io::Error),
    ///     BadFrame,
    /// }
    /// impl From<io::Error> for FeedError {
    ///     fn from(error: io::Error) -> Self {
    ///         FeedError::Io(error)
    ///     }
    /// }
    /// impl fmt::Display for FeedError {
    ///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    ///         match self {
    ///             FeedError::Io(error) => write!(f, "transport: {error}"),
    ///             FeedError::BadFrame => f.write_str("bad frame"),
    ///         }
    ///     }
    /// }
    /// impl Error for FeedError {
    ///     fn source(&self) -> Option<&(dyn Error + 'static)> {
    ///         match self {
    ///             FeedError::Io(error) => Some(error),
    ///             FeedError::BadFrame => None,
    ///         }
    ///     }
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let lines = stream::iter([Err::<String, _>(FeedError::BadFrame)]).chain(stream::pending());
    /// let mut feed = lines.try_watchdog(Duration::from_millis(10)).named("feed");
    /// // The stream's own errors pass through...
    /// assert!(matches!(feed.next().await, Some(Err(FeedError::BadFrame))));
    /// // ...then the time-out comes as one of them.
    /// let error = feed.next().await.unwrap().unwrap_err();
    /// assert_eq!(error.to_string(), "transport: feed: no item for 10ms");
    /// assert!(TimedOut::find(&error).is_some());
    /// # });
    /// ```
    fn try_watchdog<T, E>(self, timeout: Duration) -> TryWatchdog<Self>
    where
        Self: Stream<Item = Result<T, E>> + Sized,
        E: From<std::io::Error>,
    {
        TryWatchdog::new(self, timeout, DefaultClock)
    }

    /// [`try_watchdog`](HeartbeatExt::try_watchdog), with timers from `clock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt, TimedOut};
    /// use std::{io, time::Duration};
    ///
    /// let clock = ManualClock::new();
    /// let mut jobs = stream::pending::<io::Result<u8>>().try_watchdog_on(Duration::from_secs(5), clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(jobs.next()).is_pending());
    /// clock.advance(Duration::from_secs(5));
    /// let error = jobs.next().await.unwrap().unwrap_err();
    /// assert_eq!(TimedOut::find(&error).unwrap().silence(), Duration::from_secs(5));
    /// # });
    /// ```
    fn try_watchdog_on<T, E, C>(self, timeout: Duration, clock: C) -> TryWatchdog<Self, C>
    where
        Self: Stream<Item = Result<T, E>> + Sized,
        E: From<std::io::Error>,
        C: Clock,
    {
        TryWatchdog::new(self, timeout, clock)
    }

    /// A [`watchdog`](HeartbeatExt::watchdog) that learns the stream's rhythm:
    /// it ends the stream, and drops it, when a silence becomes improbable for
    /// the gaps seen so far, by the φ accrual failure detector (Hayashibara et al.,
    /// 2004, as in Akka, Cassandra and Hazelcast).
    ///
    /// Choose it over `watchdog` when the gaps jitter, or when you cannot tell in
    /// advance how regular they will be: a fixed timeout short enough to catch
    /// a death quickly raises false alarms on a jittery producer, and one long
    /// enough for the jitter detects deaths slowly on a steady one. This one
    /// allows what [`PhiAccrual`] says: about the mean gap, plus an acceptable
    /// pause, plus 5.6 standard deviations at the default threshold.
    /// [docs/phi-accrual.md](https://docs.rs/crate/futures-heartbeat/latest/source/docs/phi-accrual.md)
    /// compares it with fixed timeouts on simulated producers.
    ///
    /// # Rules
    ///
    /// The crate's tests cite these by number.
    ///
    /// - **A1.** Every item counts as an arrival (with [`Event`](crate::Event)
    ///   items, pulses included). Items pass through unchanged and in order, and
    ///   one that is ready is always delivered, however late (as W1 and W3).
    /// - **A2.** Silence counts only while the consumer waits, as for the
    ///   watchdog (W2): a slow consumer never ends the stream, and
    ///   [`phi`](AdaptiveWatchdog::phi) is 0 while the consumer is away, after an
    ///   item and before the next poll that finds nothing ready.
    /// - **A3.** The gaps learned are those seen while the consumer waited, each
    ///   from one wait's start to the next's, the last
    ///   [`max_samples`](PhiAccrual::max_samples) of them. A gap longer than the
    ///   silence its wait allowed must include time the consumer was away, and is
    ///   dropped; so is the time to the first item, which is start-up, not
    ///   rhythm. Until gaps are learned, the rhythm is the
    ///   [first estimate](PhiAccrual::first_estimate).
    ///   [`learned_rhythm`](AdaptiveWatchdog::learned_rhythm) tells the mean and
    ///   the population's deviation of the gaps in the window.
    /// - **A4.** It fires when φ for the silence of the wait in progress reaches
    ///   the [threshold](PhiAccrual::threshold): after
    ///   [`silence_limit`](AdaptiveWatchdog::silence_limit), the published
    ///   formula inverted, exactly, never a nanosecond before, and its timer
    ///   wakes the task then. When it fires, it drops this stream and its timer,
    ///   returns `None`, and [`timed_out`](AdaptiveWatchdog::timed_out) becomes
    ///   `true`; when this stream ends by itself, it returns `None` and
    ///   `timed_out` stays `false` (as W4 and W5). The result is fused.
    /// - **A5.** [`phi`](AdaptiveWatchdog::phi) tells the suspicion at any time:
    ///   it never falls while a wait goes on, and goes on rising past the
    ///   threshold until the task polls, and after the watchdog has ended the
    ///   stream. An arrival brings it back to 0, and the next wait starts near
    ///   0; it is 0 once the stream has ended by itself.
    /// - **A6.** While items are ready, no clock read, timer touched or
    ///   allocation per item; a wait reads the clock once and moves the timer
    ///   at most once (see *Cost*).
    /// - **A7.** [`try_watchdog_adaptive`](HeartbeatExt::try_watchdog_adaptive),
    ///   on a stream of `Result`s, ends with one error when it fires, as
    ///   `try_watchdog` does (W9): its [`TimedOut`](crate::TimedOut)'s
    ///   [`silence`](crate::TimedOut::silence) is the limit learned for the last
    ///   wait, and its message says the limit was learned. It has the adaptive
    ///   watchdog's accessors, and learns the same rhythm.
    /// - **A8.** When this stream is also a [`Sink`], so is the adaptive watchdog,
    ///   as the watchdog is (W11): writes are neither arrivals nor gaps learned.
    ///
    /// # Cost
    ///
    /// As the watchdog's: an item ready costs one store. At the first poll
    /// that finds nothing ready after items, it reads the clock once, learns the
    /// gap in O(1) (running sums over a ring of samples allocated when the adapter
    /// is built), and aims its one timer at the moment φ will reach the
    /// threshold: φ is never polled. As in the watchdog, a timer armed for an
    /// earlier wait is moved only when it fires, so the task may be woken once on
    /// the way instead of the timer being moved at every wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::StreamExt;
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let (tx, rx) = futures::channel::mpsc::unbounded();
    /// let mut beats = rx.watchdog_adaptive_on(PhiAccrual::new(Duration::from_secs(1)), clock.clone());
    /// # futures::executor::block_on(async {
    /// for _ in 0..100 {
    ///     assert!(futures::poll!(beats.next()).is_pending());
    ///     clock.advance(Duration::from_millis(1000)); // a steady heartbeat
    ///     tx.unbounded_send(()).unwrap();
    ///     assert_eq!(beats.next().await, Some(()));
    /// }
    /// // It has learned the rhythm: the producer is declared dead after about
    /// // 2.6 s of silence (the default pause and least deviation), not 3.4 s.
    /// assert!(futures::poll!(beats.next()).is_pending());
    /// assert!(beats.silence_limit() < Duration::from_millis(2600));
    /// clock.advance(beats.silence_limit());
    /// assert_eq!(beats.next().await, None);
    /// assert!(beats.timed_out());
    /// # });
    /// ```
    fn watchdog_adaptive(self, detector: PhiAccrual) -> AdaptiveWatchdog<Self>
    where
        Self: Sized,
    {
        AdaptiveWatchdog::new(self, detector, DefaultClock)
    }

    /// [`watchdog_adaptive`](HeartbeatExt::watchdog_adaptive), with timers from `clock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut late = stream::iter([1]).watchdog_adaptive_on(PhiAccrual::new(Duration::from_secs(1)), clock.clone());
    /// clock.advance(Duration::from_secs(3600)); // the consumer is away for an hour
    /// # futures::executor::block_on(async {
    /// assert_eq!(late.next().await, Some(1)); // the item was ready: it is delivered
    /// # });
    /// ```
    fn watchdog_adaptive_on<C: Clock>(
        self,
        detector: PhiAccrual,
        clock: C,
    ) -> AdaptiveWatchdog<Self, C>
    where
        Self: Sized,
    {
        AdaptiveWatchdog::new(self, detector, clock)
    }

    /// [`watchdog_adaptive`](HeartbeatExt::watchdog_adaptive) for a stream of
    /// `Result`s: when it fires, it yields one last `Err`, made from
    /// [`TimedOut`](crate::TimedOut) as [`try_watchdog`](HeartbeatExt::try_watchdog)'s is (its
    /// [`silence`](crate::TimedOut::silence) is the silence the last wait allowed, and
    /// its message says the limit was learned), then ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{HeartbeatExt, PhiAccrual};
    /// use std::{io, time::Duration};
    ///
    /// # futures::executor::block_on(async {
    /// let frames = stream::iter([Ok("hello")]).chain(stream::pending());
    /// let detector = PhiAccrual::new(Duration::from_millis(5));
    /// let mut frames = frames.try_watchdog_adaptive(detector);
    /// assert_eq!(frames.next().await.unwrap().unwrap(), "hello");
    /// let error: io::Error = frames.next().await.unwrap().unwrap_err();
    /// assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    /// assert!(frames.next().await.is_none());
    /// # });
    /// ```
    fn try_watchdog_adaptive<T, E>(self, detector: PhiAccrual) -> TryAdaptiveWatchdog<Self>
    where
        Self: Stream<Item = Result<T, E>> + Sized,
        E: From<std::io::Error>,
    {
        TryAdaptiveWatchdog::new(self, detector, DefaultClock)
    }

    /// [`try_watchdog_adaptive`](HeartbeatExt::try_watchdog_adaptive), with timers from `clock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::stream::{self, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, HeartbeatExt, PhiAccrual, TimedOut};
    /// use std::{io, time::Duration};
    ///
    /// let clock = ManualClock::new();
    /// let detector = PhiAccrual::new(Duration::from_secs(1));
    /// let mut jobs = stream::pending::<io::Result<u8>>().try_watchdog_adaptive_on(detector, clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(jobs.next()).is_pending());
    /// clock.advance(Duration::from_secs(4));
    /// let error = jobs.next().await.unwrap().unwrap_err();
    /// assert!(TimedOut::find(&error).unwrap().silence() > Duration::from_secs(3));
    /// # });
    /// ```
    fn try_watchdog_adaptive_on<T, E, C>(
        self,
        detector: PhiAccrual,
        clock: C,
    ) -> TryAdaptiveWatchdog<Self, C>
    where
        Self: Stream<Item = Result<T, E>> + Sized,
        E: From<std::io::Error>,
        C: Clock,
    {
        TryAdaptiveWatchdog::new(self, detector, clock)
    }

    /// Keeps a two-way connection alive from its own write half: sends a ping
    /// made by `make_ping` once no frame has come in for `idle` while the
    /// consumer waits, and ends the connection when nothing comes back within the
    /// [ack timeout](Probe::ack_timeout) (20 s by default).
    ///
    /// It follows the rules of gRPC's keepalive (gRFC A8), for any connection
    /// that is a `Stream` of inbound frames and a `Sink` of outbound ones: a
    /// `WebSocketStream`, a `Framed` codec, or two channel ends joined with
    /// [`Duplex`](crate::Duplex). The ping is a message of the connection's own
    /// protocol, written through its `Sink`: a WebSocket ping, or a ping of your
    /// application. A transport's own frames, such as HTTP/2 PING under hyper or
    /// tonic, are out of its reach: there, the transport's keepalive does that
    /// work (docs/patterns.md has a note on gRPC).
    ///
    /// # Rules
    ///
    /// The crate's tests cite these by number.
    ///
    /// - **P1.** Frames pass through unchanged and in order; those that
    ///   [`control_frames`](Probe::control_frames) picks (pongs) count as life
    ///   but are not yielded.
    /// - **P2.** Any inbound frame is an answer, pongs included. Idleness is measured
    ///   from the last inbound frame, never from the last ping, and only while
    ///   the consumer waits, as the [`watchdog`](HeartbeatExt::watchdog) counts
    ///   silence: a slow consumer never causes a ping or a timeout.
    /// - **P3.** At most one ping is outstanding: the next one falls due only `idle`
    ///   after an answer.
    /// - **P4.** No ping while a write is pending: a ping that falls due waits until the
    ///   write half is ready (`poll_ready`), and the ack timeout runs from when it
    ///   fell due, so a write half that stays blocked is detected too.
    /// - **P5.** When nothing comes in within the ack timeout, the stream ends (`None`)
    ///   and [`timed_out`](Probe::timed_out) is `true`; the connection itself is
    ///   kept until the probe is dropped. [`try_probe`](HeartbeatExt::try_probe)
    ///   ends with an error instead.
    /// - **P6.** A ping that cannot be written (the write half failed) counts as sent:
    ///   the ack timeout ends the stream if nothing more comes in.
    /// - **P7.** The probe is a `Sink` too: the user's own messages go through it to the
    ///   connection, so one object is read, written and kept alive. They do not
    ///   count as life (only inbound frames do).
    /// - **P8.** The interval can be doubled when the peer complains of too many pings,
    ///   through a shared [`PingBackoff`](crate::PingBackoff).
    /// - **P9.** No clock read, timer re-arm or allocation per inbound frame
    ///   (after the caller's close, each poll looks at the close's deadline
    ///   first: P13).
    /// - **P10.** A zero `idle` panics, naming the argument.
    /// - **P11.** Once the caller closes the probe (`poll_close`, `SinkExt::close`),
    ///   which closes the connection, no ping is written, not even one that was
    ///   due. Frames that still come in are yielded as before (P1).
    /// - **P12.** A connection that ends after the close (the peer completed it)
    ///   ends the stream cleanly: `None`, [`timed_out`](Probe::timed_out) `false`,
    ///   and no error from [`try_probe`](HeartbeatExt::try_probe).
    /// - **P13.** The close is bounded on both sides by the ack timeout, counted
    ///   from the first call of `poll_close` only: it replaces an outstanding
    ///   ping's deadline, and frames after the close do not extend it, so a
    ///   peer that keeps sending and never answers the close is bounded too.
    ///   If the connection has not ended by then, the stream ends timed out,
    ///   as in P5, even with frames still ready. If the connection's own close
    ///   has not returned by then (its write half blocked on a frozen peer),
    ///   `poll_close` stops waiting and returns `Ok(())`, the connection left
    ///   to be dropped with the probe, and the stream ends timed out too.
    ///   Each of the two (the stream side, `poll_close`; one task or two) has a
    ///   timer of its own for that deadline, so that each returns in time
    ///   whatever the other does: a task that closes and only then reads, one
    ///   that only reads, one whose close was dropped half-way.
    /// - **P14.** A setting changed after the first poll keeps the probe's state
    ///   and applies at once: [`control_frames`](Probe::control_frames) from the
    ///   next frame, with a ping outstanding still bound to its ack deadline;
    ///   [`ack_timeout`](Probe::ack_timeout) moves the deadline of a ping
    ///   outstanding, counted from when it fell due, or of a close awaited,
    ///   counted from the close; a [`ping_backoff`](Probe::ping_backoff)
    ///   handle, set or doubled, moves the deadline of the idle count in
    ///   progress, counted from its start.
    /// - **P15.** [`try_probe`](HeartbeatExt::try_probe)'s time-out says what
    ///   went unanswered: a [`TimedOut`](crate::TimedOut) of kind
    ///   [`PingUnanswered`](crate::TimeoutKind::PingUnanswered) with the idle time
    ///   and the ack timeout (`no answer to a ping within 20s after 30s idle`),
    ///   or, after the caller's close (P13), one of kind
    ///   [`CloseUnanswered`](crate::TimeoutKind::CloseUnanswered) with the ack
    ///   timeout (`no answer to the close within 20s`), inside an
    ///   [`io::Error`](std::io::Error) of kind
    ///   [`TimedOut`](std::io::ErrorKind::TimedOut), as W9 has it. Polled as part
    ///   of a [`restarting`](crate::restart::restarting) stream's source, it
    ///   brings the connection down as
    ///   [`Cause::Silent`](crate::restart::Cause::Silent), not as a failure.
    ///
    /// Timers come from the [`DefaultClock`]; [`probe_on`](HeartbeatExt::probe_on)
    /// takes another time source.
    ///
    /// # Panics
    ///
    /// If `idle` is zero.
    ///
    /// # Examples
    ///
    /// A peer that answers pings with pongs, and then goes away without closing:
    ///
    /// ```
    /// use futures::{channel::mpsc, StreamExt};
    /// use futures_heartbeat::{Duplex, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let (to_peer, mut peer_reads) = mpsc::unbounded::<&str>();
    /// let (peer_writes, from_peer) = mpsc::unbounded::<&str>();
    /// let mut conn = Duplex::new(from_peer, to_peer)
    ///     .probe(Duration::from_millis(20), || "ping")
    ///     .ack_timeout(Duration::from_millis(20))
    ///     .control_frames(|frame| *frame == "pong");
    ///
    /// let peer = async move {
    ///     assert_eq!(peer_reads.next().await, Some("ping"));
    ///     peer_writes.unbounded_send("pong").unwrap();
    ///     assert_eq!(peer_reads.next().await, Some("ping"));
    ///     peer_writes.unbounded_send("update").unwrap();
    ///     assert_eq!(peer_reads.next().await, Some("ping")); // no answer to this one
    ///     (peer_reads, peer_writes)
    /// };
    /// let consumer = async {
    ///     assert_eq!(conn.next().await, Some("update")); // the pong was life, not an item
    ///     assert_eq!(conn.next().await, None);
    ///     assert!(conn.timed_out());
    /// };
    /// futures::join!(peer, consumer);
    /// # });
    /// ```
    fn probe<M, P>(self, idle: Duration, make_ping: P) -> Probe<Self, P, EveryFrame<Self::Item>>
    where
        Self: Sink<M> + Sized,
        P: FnMut() -> M,
    {
        Probe::new(self, idle, make_ping, no_control_frames, DefaultClock)
    }

    /// [`probe`](HeartbeatExt::probe), with timers from `clock`.
    ///
    /// # Panics
    ///
    /// If `idle` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::{channel::mpsc, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, Duplex, HeartbeatExt};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let (to_peer, mut peer_reads) = mpsc::unbounded::<&str>();
    /// let (peer_writes, from_peer) = mpsc::unbounded::<&str>();
    /// let mut conn = Duplex::new(from_peer, to_peer).probe_on(Duration::from_secs(30), || "ping", clock.clone());
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(conn.next()).is_pending());
    /// clock.advance(Duration::from_secs(30));
    /// assert!(futures::poll!(conn.next()).is_pending());
    /// assert_eq!(peer_reads.next().await, Some("ping"));
    /// peer_writes.unbounded_send("pong").unwrap();
    /// assert_eq!(conn.next().await, Some("pong"));
    /// # });
    /// ```
    fn probe_on<M, P, C>(
        self,
        idle: Duration,
        make_ping: P,
        clock: C,
    ) -> Probe<Self, P, EveryFrame<Self::Item>, C>
    where
        Self: Sink<M> + Sized,
        P: FnMut() -> M,
        C: Clock,
    {
        Probe::new(self, idle, make_ping, no_control_frames, clock)
    }

    /// [`probe`](HeartbeatExt::probe) for a connection of `Result`s: when no
    /// frame comes back in time it yields an error of kind
    /// [`TimedOut`](std::io::ErrorKind::TimedOut) (a [`TimedOut`](crate::TimedOut) of kind
    /// [`PingUnanswered`](crate::TimeoutKind::PingUnanswered) inside an
    /// `io::Error`, or, when the connection did not end within the ack timeout
    /// of the caller's close, of kind
    /// [`CloseUnanswered`](crate::TimeoutKind::CloseUnanswered): P15), and a
    /// ping the write half refused yields that error; then it ends. Fit for [`restarting`](crate::restart::restarting), which
    /// restarts a connection that failed or went silent.
    ///
    /// The error type converts from `io::Error`, as those of connection crates
    /// (`tungstenite::Error`, codec errors) do: the rule of
    /// [`try_watchdog`](HeartbeatExt::try_watchdog)'s "Errors".
    ///
    /// # Panics
    ///
    /// If `idle` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::{channel::mpsc, StreamExt};
    /// use futures_heartbeat::{Duplex, HeartbeatExt};
    /// use std::{io, time::Duration};
    ///
    /// # futures::executor::block_on(async {
    /// let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    /// let (_peer_writes, from_peer) = mpsc::unbounded::<io::Result<&str>>();
    /// let to_peer = futures::SinkExt::sink_map_err(to_peer, |_| io::Error::from(io::ErrorKind::BrokenPipe));
    /// let mut conn = Duplex::new(from_peer, to_peer)
    ///     .try_probe(Duration::from_millis(10), || "ping")
    ///     .ack_timeout(Duration::from_millis(10));
    /// let error = conn.next().await.unwrap().unwrap_err();
    /// assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    /// assert_eq!(error.to_string(), "no answer to a ping within 10ms after 10ms idle");
    /// assert!(conn.next().await.is_none());
    /// # });
    /// ```
    fn try_probe<M, P, T, E>(
        self,
        idle: Duration,
        make_ping: P,
    ) -> TryProbe<Self, P, EveryFrame<Self::Item>>
    where
        Self: Stream<Item = Result<T, E>> + Sink<M, Error = E> + Sized,
        P: FnMut() -> M,
        E: From<std::io::Error>,
    {
        TryProbe::new(self.probe(idle, make_ping))
    }

    /// [`try_probe`](HeartbeatExt::try_probe), with timers from `clock`.
    ///
    /// # Panics
    ///
    /// If `idle` is zero.
    fn try_probe_on<M, P, T, E, C>(
        self,
        idle: Duration,
        make_ping: P,
        clock: C,
    ) -> TryProbe<Self, P, EveryFrame<Self::Item>, C>
    where
        Self: Stream<Item = Result<T, E>> + Sink<M, Error = E> + Sized,
        P: FnMut() -> M,
        E: From<std::io::Error>,
        C: Clock,
    {
        TryProbe::new(self.probe_on(idle, make_ping, clock))
    }
}

impl<S: Stream + ?Sized> HeartbeatExt for S {}
