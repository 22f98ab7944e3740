//! Keeping a subscription alive: reconnect a source that ended, failed or fell
//! silent, with backoff, and tell the consumer in band.
//!
//! [`restarting(connect)`](restarting) calls `connect` for the first attempt and for
//! every restart; its future yields a source, a stream of `Result`s. The result is
//! a stream of [`Restart`] events: the source's items, `Up` when a source is
//! connected, `Down` with the [`Cause`] when one is dropped, and `GaveUp` when a
//! cause was fatal or the restarts ran out.
//!
//! # Rules
//!
//! The crate's tests cite these by number (R13 to R16, on two-way sources and
//! on silences found inside the source, are in the sections below). Where
//! each is kept: `stream.rs`, the state machine (R1–R6, R8–R12, R16: `go_down`
//! drops a source and arms the backoff's timer, the `BackingOff` state polls
//! only that timer); `settings.rs`, the builders (R7); `sink.rs`, the two-way
//! side and the close (R13, R14); `backoff.rs`, the delays and their jitter
//! (R3, R4); `events.rs`, what the consumer is told. R15 says where a probe
//! belongs, and `support/yielded.rs` carries R16's time-outs.
//!
//! - **R1.** No item is dropped or reordered by the adapter, and no item of a source comes
//!   after its `Down`.
//! - **R2.** The old source is dropped before `connect` runs again; dropping the adapter
//!   drops the pending connect and its timer.
//! - **R3.** The backoff starts again only after a source has been up for
//!   [`stable_after`](Restarting::stable_after), never on a mere connect: a source
//!   that connects and fails at once keeps backing off.
//! - **R4.** Jitter only shortens delays: the maximum is a true maximum. Every stream has
//!   its own random seed, so that many streams that lose a server together do not
//!   come back together.
//! - **R5.** While it backs off, neither a source nor `connect` is polled: the
//!   task is woken once, by one timer, when the delay ends.
//! - **R6.** Silence ([`silence`](Restarting::silence)) counts only while the consumer
//!   waits, as the [`watchdog`](crate::HeartbeatExt::watchdog) counts it: a slow
//!   consumer never causes a restart. Its limit can also be learned from the
//!   sources' rhythm ([`silence_adaptive`](Restarting::silence_adaptive)), and
//!   differ before each source's first item
//!   ([`first_item_timeout`](Restarting::first_item_timeout)). A source silent
//!   that long goes `Down` with [`Cause::Silent`], whose
//!   [`TimedOut`](crate::TimedOut) names the limit, and the stream if it was
//!   [`named`](Restarting::named).
//! - **R7.** A setting changed after the first poll is never ignored: a limit on a wait
//!   or a connect in progress moves its deadline, counted from its start; the
//!   backoff's settings apply from the next delay, leaving the one announced.
//! - **R8.** The first attempt is made at the first poll, with no delay. A
//!   connect that takes longer than
//!   [`connect_timeout`](Restarting::connect_timeout) (20 s by default) is
//!   dropped, and goes `Down` with [`Cause::ConnectTimedOut`].
//! - **R9.** A source that ends is restarted, with [`Cause::Ended`], unless
//!   [`restart_on_end`](Restarting::restart_on_end) is `false`: then the stream
//!   ends with it, with no `Down`.
//! - **R10.** The stream gives up (`GaveUp`, then `None`) only on an error that
//!   [`fatal_if`](Restarting::fatal_if) calls fatal, on a restart that would
//!   exceed [`max_restarts`](Restarting::max_restarts) within its window
//!   (counted apart from the backoff), or when the delays of
//!   [`backoff_with`](Restarting::backoff_with) run out.
//! - **R11.** `Up`'s `downtime` counts from the `Down` that dropped the last
//!   source, failed attempts in between included (from the first poll, for the
//!   first source).
//! - **R12.** With [`resuming`], each attempt's [`Attempt::cursor`] is the key
//!   of the last item delivered to the consumer, from whichever source
//!   delivered it, kept across failed attempts; with [`resuming_if_keyed`], an
//!   item without a key leaves it where it is.
//!
//! # Two-way connections
//!
//! **R13.** When the source is also a `Sink` (a WebSocket, a `Framed` codec, a
//! [`Duplex`](crate::Duplex)), the restarting stream is a `Sink` of the outbound
//! messages too, and they go to the current source: one object is read, written
//! and restarted. While there is no source, `poll_ready` is pending. A write that
//! fails brings the source down with [`Cause::Failed`]; a message in flight then
//! is delivered at most once (see the `Sink` impl of [`Restarting`]). Both halves
//! of the old connection are dropped before the next connect. Once the stream has
//! ended or given up, writes fail with [`Disconnected`].
//!
//! **R14.** Closing the `Sink` (`SinkExt::close`) ends the stream: no connect is made
//! after it; the current connection is closed through its own `poll_close`, what
//! it still yields (the peer's answer to the close included) is delivered in
//! order, and then the stream ends with `None`, with no `Down` and no `GaveUp`,
//! however the connection ends. Closing while connecting or backing off ends the
//! stream at once. Writes after the close fail with [`Disconnected`]. A close
//! that fails drops the connection and ends the stream all the same, and is not
//! reported: `poll_close` returns `Ok` (see the `Sink` impl of [`Restarting`]).
//!
//! **R15.** Keepalive belongs to each connection: make it in `connect` with
//! [`try_probe`](crate::HeartbeatExt::try_probe), so that no ping is sent and no
//! timer runs while there is none, and an unanswered ping brings the connection
//! down as [`Cause::Silent`], whose [`TimedOut`](crate::TimedOut) is of kind
//! [`PingUnanswered`](crate::TimeoutKind::PingUnanswered) and names the idle
//! time and the ack timeout; a socket that fails is [`Cause::Failed`]. The
//! probe bounds the close (R14) too, by its ack timeout (see the `Sink` impl of
//! [`Restarting`]).
//! [`resuming_if_keyed`] leaves the cursor where it is on frames without a key,
//! such as the pongs that the probe does not hold back.
//!
//! # Silences found inside the source
//!
//! **R16.** A [`try_watchdog`](crate::HeartbeatExt::try_watchdog) (or
//! [`try_watchdog_adaptive`](crate::HeartbeatExt::try_watchdog_adaptive), or
//! [`try_probe`](crate::HeartbeatExt::try_probe)) made inside `connect` is
//! part of the source: its time-out arrives as [`Cause::Silent`] with its
//! [`TimedOut`](crate::TimedOut), not as [`Cause::Failed`], however deep it is,
//! as long as the source passes it on as an error in the same poll. This is the
//! place for a silence limit counted below a parser, such as on the bytes under
//! a Server-Sent Events decoder, which drops the keep-alive comments a quiet
//! server sends.
//!
//! The source's error type is yours, and says nothing the restarting stream
//! can read, so the adapter notes the time-out it yields on the thread. Exactly
//! what is attributed: when one poll of the source ends with an error, that
//! error is reported as [`Cause::Silent`] with the last time-out that a `try_`
//! adapter yielded during that same poll and was not polled again after; any
//! other error is [`Cause::Failed`]. So:
//!
//! - a time-out passed on as the source's error (through `map_err`, a parser,
//!   `select`) is a silence;
//! - a time-out that the source drops and then polls its adapter on (`filter`,
//!   which polls on to the adapter's end) is withdrawn: a real error that the
//!   source yields later in the same poll is a failure;
//! - a time-out that the source drops without polling its adapter again
//!   (`take_while` that stops at it), followed in the same poll by an error
//!   from elsewhere, still names that error: do not drop a time-out inside the
//!   source and fail in the same breath;
//! - a time-out found in another task and sent over a channel is not seen
//!   that way: it arrives as [`Cause::Failed`], and
//!   [`TimedOut::find`](crate::TimedOut::find) tells it apart.
//!
//! A silence is not an error: [`fatal_if`](Restarting::fatal_if) never sees it.
//!
//! ```
//! use futures::{stream, StreamExt};
//! use futures_heartbeat::restart::{restarting, Cause, Restart};
//! use std::time::Duration;
//!
//! # futures::executor::block_on(async {
//! // A source that delivers two items and then fails, every time.
//! let mut events = restarting(|attempt| async move {
//!     let items = vec![Ok(attempt.number * 10), Ok(attempt.number * 10 + 1), Err("connection reset")];
//!     Ok::<_, &str>(stream::iter(items))
//! })
//! .backoff(Duration::from_millis(1), Duration::from_millis(4))
//! .max_restarts(1, Duration::from_secs(60));
//! // `Unpin`, as its source is: no need to pin it.
//!
//! assert!(matches!(events.next().await, Some(Restart::Up { attempt: 0, .. })));
//! assert_eq!(events.next().await, Some(Restart::Item(0)));
//! assert_eq!(events.next().await, Some(Restart::Item(1)));
//! assert!(matches!(
//!     events.next().await,
//!     Some(Restart::Down { cause: Cause::Failed("connection reset"), attempt: 1, .. })
//! ));
//! assert!(matches!(events.next().await, Some(Restart::Up { attempt: 1, .. })));
//! assert_eq!(events.next().await, Some(Restart::Item(10)));
//! assert_eq!(events.next().await, Some(Restart::Item(11)));
//! assert!(matches!(events.next().await, Some(Restart::GaveUp { restarts: 1, .. })));
//! assert_eq!(events.next().await, None);
//! # });
//! ```

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::Waker;
use std::collections::VecDeque;

use futures_core::stream::Stream;
use pin_project_lite::pin_project;

use crate::clock::{Clock, DefaultClock, Instant};
use crate::watchdog::SilenceTimer;

mod backoff;
mod connect;
mod events;
mod settings;
mod sink;
mod stream;

pub use self::backoff::Jitter;
pub use self::connect::Connect;
pub use self::events::{Attempt, Cause, Disconnected, Restart};

use self::settings::Settings;

/// A stream of [`Restart`] events from the sources that `connect` makes: called
/// for the first attempt and again after each `Down`, once the backoff's delay has
/// passed. Its timers and time are the [`DefaultClock`]'s; [`restarting_on`]
/// takes another clock.
///
/// See the [module](self) for the guarantees, and [`Restarting`]'s methods for the
/// settings and their defaults.
pub fn restarting<F, Fut, S, T, E>(connect: F) -> Restarting<F>
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
{
    restarting_on(connect, DefaultClock)
}

/// [`restarting`], with timers and the time taken from `clock`.
///
/// The clock is chosen here, once: a stream never changes clocks.
///
/// ```
/// use futures::{stream, StreamExt};
/// use futures_heartbeat::clock::ManualClock;
/// use futures_heartbeat::restart::{restarting_on, Cause, Restart};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(); // time moves only when the test says so
/// let silent = |_| async { Ok::<_, ()>(stream::pending::<Result<u8, ()>>()) };
/// let mut events = restarting_on(silent, clock.clone()).silence(Duration::from_secs(45));
/// assert!(matches!(events.next().await, Some(Restart::Up { .. })));
/// assert!(futures::poll!(events.next()).is_pending());
/// clock.advance(Duration::from_secs(45));
/// assert!(matches!(events.next().await, Some(Restart::Down { cause: Cause::Silent(_), .. })));
/// # });
/// ```
pub fn restarting_on<F, Fut, S, T, E, C>(connect: F, clock: C) -> Restarting<F, (), C>
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    C: Clock,
{
    Restarting::new(connect, None, clock)
}

/// [`restarting`], resuming where the consumer left off: each attempt's
/// [`Attempt::cursor`] is `key_of` the last item delivered to the consumer, from
/// whichever source delivered it (`None` before the first), so that `connect` can
/// ask the new source for what follows. [`resuming_on`] takes a clock.
///
/// `key_of` comes after `connect`, whose sources give its argument's type:
/// neither closure needs an annotation.
///
/// ```
/// use futures::{stream, StreamExt};
/// use futures_heartbeat::restart::resuming;
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// // A log whose connection drops after every two records.
/// let log = ["a", "b", "c", "d", "e"];
/// let events = resuming(
///     move |attempt| async move {
///         let from = attempt.cursor.map_or(0, |last| last + 1);
///         let records = log.iter().copied().enumerate().skip(from).take(2).map(Ok);
///         Ok::<_, ()>(stream::iter(records.collect::<Vec<_>>()))
///     },
///     |record| record.0,
/// )
/// .backoff(Duration::from_millis(1), Duration::from_millis(1));
/// let records: Vec<_> = events
///     .filter_map(|event| async move { event.into_item() })
///     .map(|(_, record)| record)
///     .take(5)
///     .collect()
///     .await;
/// assert_eq!(records, log); // nothing lost, nothing twice
/// # });
/// ```
pub fn resuming<F, Fut, S, T, E, K>(
    connect: F,
    key_of: impl FnMut(&T) -> K + Send + 'static,
) -> Restarting<F, K>
where
    F: FnMut(Attempt<K>) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    K: Clone,
{
    resuming_on(connect, key_of, DefaultClock)
}

/// [`resuming`], with timers and the time taken from `clock`.
///
/// ```
/// use futures::{stream, StreamExt};
/// use futures_heartbeat::{clock::ManualClock, restart::resuming_on};
///
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new();
/// let mut events = resuming_on(
///     |_| async { Ok::<_, ()>(stream::iter([Ok(7), Ok(8)])) },
///     |n| *n,
///     clock.clone(),
/// );
/// events.next().await; // Up
/// events.next().await; // 7
/// assert_eq!(events.cursor(), Some(&7));
/// # });
/// ```
pub fn resuming_on<F, Fut, S, T, E, K, C>(
    connect: F,
    key_of: impl FnMut(&T) -> K + Send + 'static,
    clock: C,
) -> Restarting<F, K, C>
where
    F: FnMut(Attempt<K>) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    K: Clone,
    C: Clock,
{
    let mut key_of = key_of;
    resuming_if_keyed_on(connect, move |item| Some(key_of(item)), clock)
}

/// [`resuming`], where items for which `key_of` gives `None` leave the cursor
/// where it is: control frames, greetings, pongs that a source yields among its
/// keyed items. [`resuming_if_keyed_on`] takes a clock.
///
/// ```
/// use futures::{stream, StreamExt};
/// use futures_heartbeat::restart::resuming_if_keyed;
///
/// # futures::executor::block_on(async {
/// let mut events = resuming_if_keyed(
///     |_| async { Ok::<_, ()>(stream::iter(["update 7", "pong"].map(Ok))) },
///     |frame| frame.strip_prefix("update ").map(str::to_string),
/// );
/// for _ in 0..3 {
///     events.next().await; // Up, "update 7", "pong"
/// }
/// assert_eq!(events.cursor().map(String::as_str), Some("7")); // the pong had no key
/// # });
/// ```
pub fn resuming_if_keyed<F, Fut, S, T, E, K>(
    connect: F,
    key_of: impl FnMut(&T) -> Option<K> + Send + 'static,
) -> Restarting<F, K>
where
    F: FnMut(Attempt<K>) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    K: Clone,
{
    resuming_if_keyed_on(connect, key_of, DefaultClock)
}

/// [`resuming_if_keyed`], with timers and the time taken from `clock`.
///
/// ```
/// use futures::{stream, StreamExt};
/// use futures_heartbeat::{clock::ManualClock, restart::resuming_if_keyed_on};
///
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new();
/// let mut events = resuming_if_keyed_on(
///     |_| async { Ok::<_, ()>(stream::iter(["update 7", "pong"].map(Ok))) },
///     |frame| frame.strip_prefix("update ").map(str::to_string),
///     clock.clone(),
/// );
/// for _ in 0..3 {
///     events.next().await; // Up, "update 7", "pong"
/// }
/// assert_eq!(events.cursor().map(String::as_str), Some("7"));
/// # });
/// ```
pub fn resuming_if_keyed_on<F, Fut, S, T, E, K, C>(
    connect: F,
    key_of: impl FnMut(&T) -> Option<K> + Send + 'static,
    clock: C,
) -> Restarting<F, K, C>
where
    F: FnMut(Attempt<K>) -> Fut,
    Fut: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>>,
    K: Clone,
    C: Clock,
{
    Restarting::new(connect, Some(Box::new(key_of)), clock)
}

/// The key of the last item delivered, kept for the next attempt ([`resuming`]);
/// `None` leaves the cursor where it is ([`resuming_if_keyed`]).
type CursorOf<T, K> = Box<dyn FnMut(&T) -> Option<K> + Send>;

pin_project! {
    /// Stream returned by [`restarting`] and [`resuming`]
    /// (and their `_on` forms).
    ///
    /// `F` is the connect function (see [`Connect`] for the types it implies), `K`
    /// the key of [`resuming`]'s cursor, `C` the clock. It is
    /// `Unpin` whenever its source is (and the clock's timer, as every clock's of
    /// this crate is): the connect function's future is boxed, one allocation per
    /// connect, and need not be.
    ///
    /// Its settings are builder methods, meant to be chained right after the
    /// constructor. Each says what it does when set after the first poll, which an
    /// `Unpin` stream allows: a limit on something in progress (a wait, a connect)
    /// moves its deadline, counted from its start; the others apply from the next
    /// time they are needed.
    #[must_use = "streams do nothing unless polled"]
    pub struct Restarting<F, K = (), C = DefaultClock>
    where
        F: Connect<K>,
        C: Clock,
    {
        connect: F,
        // Dropped as soon as it resolves or times out, or the adapter is dropped.
        // Boxed, so that the adapter is `Unpin` when the source is: connects are rare.
        connecting: Option<Pin<Box<F::Future>>>,
        // Dropped as soon as it fails, ends or falls silent: before the next connect.
        #[pin]
        source: Option<F::Source>,
        // The connect timeout while connecting, the backoff while backing off.
        #[pin]
        timer: Option<C::Timer>,
        #[pin]
        silence: SilenceTimer<C::Timer>,
        clock: C,
        state: State,
        name: Option<&'static str>,
        settings: Settings<F::Error>,
        cursor_of: Option<CursorOf<F::Ok, K>>,
        cursor: Option<K>,
        attempt: u32,
        restarts: u32,
        recent_restarts: VecDeque<Instant>,
        // Since when there has been no source, for `Up`'s downtime.
        down_since: Option<Instant>,
        // The two-way side (`Sink`): the error of a write that failed, for the
        // stream side to report as `Down`; the task waiting for a source to
        // write to; the task waiting for the source's frames, woken when a write fails.
        write_failed: Option<F::Error>,
        writer: Option<Waker>,
        reader: Option<Waker>,
        // Whether the caller has closed the `Sink` side: then nothing new starts.
        shutdown: Shutdown,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Connecting { since: Instant },
    Up { since: Instant, seen_item: bool },
    BackingOff,
    Done,
}

/// The caller's `poll_close`: once called, no connect, and the stream ends with its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shutdown {
    Open,
    // Closing the source has started and is not done.
    Closing,
    // The source's close is done or failed, or there was no source to close.
    Closed,
}

impl<F: Connect<K>, K: fmt::Debug, C: Clock + fmt::Debug> fmt::Debug for Restarting<F, K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Restarting")
            .field("state", &self.state)
            .field("shutdown", &self.shutdown)
            .field("name", &self.name)
            .field("attempt", &self.attempt)
            .field("restarts", &self.restarts)
            .field("cursor", &self.cursor)
            .field("clock", &self.clock)
            .field("settings", &self.settings)
            .finish()
    }
}

impl<F: Connect<K>, K, C: Clock> Restarting<F, K, C> {
    fn new(connect: F, cursor_of: Option<CursorOf<F::Ok, K>>, clock: C) -> Self {
        Restarting {
            connect,
            connecting: None,
            source: None,
            timer: None,
            silence: SilenceTimer::new(),
            clock,
            state: State::NotStarted,
            name: None,
            settings: Settings::new(),
            cursor_of,
            cursor: None,
            attempt: 0,
            restarts: 0,
            recent_restarts: VecDeque::new(),
            down_since: None,
            write_failed: None,
            writer: None,
            reader: None,
            shutdown: Shutdown::Open,
        }
    }
}
