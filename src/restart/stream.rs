use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;
use std::time::Duration;

use crate::clock::Instant;

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use super::backoff::{Backoff, Delays, Jitter};
use super::{Attempt, Cause, Connect, Disconnected, Restart};
use crate::clock::{Clock, DefaultClock, Timer};
use crate::phi_accrual::{PhiAccrual, Rhythm};
use crate::silence::SilenceTimer;
use crate::wakers::{remember, wake};
use crate::{timed_out, trace, TimedOut};

/// The key of the last item delivered, kept for the next attempt ([`resuming`](super::resuming));
/// `None` leaves the cursor where it is ([`resuming_if_keyed`](super::resuming_if_keyed)).
pub(super) type CursorOf<T, K> = Box<dyn FnMut(&T) -> Option<K> + Send>;
type IsFatal<E> = Box<dyn FnMut(&E) -> bool + Send>;

pin_project! {
    /// Stream returned by [`restarting`](super::restarting) and [`resuming`](super::resuming)
    /// (and their `_on` forms).
    ///
    /// `F` is the connect function (see [`Connect`] for the types it implies), `K`
    /// the key of [`resuming`](super::resuming)'s cursor, `C` the clock. It is
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

struct Settings<E> {
    silence: Option<Duration>,
    // In place of a fixed `silence`: the limit learned from the sources' rhythm.
    adaptive_silence: Option<Rhythm>,
    first_item_timeout: Option<Duration>,
    connect_timeout: Duration,
    backoff: Backoff,
    jitter: Jitter,
    rng: fastrand::Rng,
    stable_after: Duration,
    max_restarts: Option<(u32, Duration)>,
    is_fatal: Option<IsFatal<E>>,
    restart_on_end: bool,
}

impl<E> fmt::Debug for Settings<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("silence", &self.silence)
            .field("adaptive_silence", &self.adaptive_silence)
            .field("first_item_timeout", &self.first_item_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("backoff", &self.backoff)
            .field("jitter", &self.jitter)
            .field("stable_after", &self.stable_after)
            .field("max_restarts", &self.max_restarts)
            .field("fatal_if", &self.is_fatal.is_some())
            .field("restart_on_end", &self.restart_on_end)
            .finish()
    }
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

/// The defaults, as documented on each builder method.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const DEFAULT_BACKOFF_MIN: Duration = Duration::from_millis(500);
const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(30);
const DEFAULT_STABLE_AFTER: Duration = Duration::from_secs(30);

impl<F: Connect<K>, K, C: Clock> Restarting<F, K, C> {
    pub(super) fn new(connect: F, cursor_of: Option<CursorOf<F::Ok, K>>, clock: C) -> Self {
        Restarting {
            connect,
            connecting: None,
            source: None,
            timer: None,
            silence: SilenceTimer::new(),
            clock,
            state: State::NotStarted,
            name: None,
            settings: Settings {
                silence: None,
                adaptive_silence: None,
                first_item_timeout: None,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                backoff: Backoff::exponential(DEFAULT_BACKOFF_MIN, DEFAULT_BACKOFF_MAX),
                jitter: Jitter::default(),
                rng: fastrand::Rng::new(),
                stable_after: DEFAULT_STABLE_AFTER,
                max_restarts: None,
                is_fatal: None,
                restart_on_end: true,
            },
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

    /// Restarts a source that has been silent for `limit` while the consumer
    /// waited, as the [`watchdog`](crate::HeartbeatExt::watchdog) counts silence:
    /// the time the consumer spends between polls never counts, so a slow consumer
    /// never causes a restart. Off by default.
    ///
    /// It counts what the source yields, after any parsing the source does: an
    /// item is life; what a parser drops (the keep-alive comments of Server-Sent
    /// Events) or what never comes out of the source (the HTTP/2 PINGs hyper
    /// answers by itself, the pongs a probe's
    /// [`control_frames`](crate::Probe::control_frames) keeps back) is not. Set
    /// `limit` above the longest quiet gap a healthy source may leave between
    /// items. To count what arrives below a parser, make a
    /// [`try_watchdog`](crate::HeartbeatExt::try_watchdog) on the bytes inside
    /// `connect`: its time-out arrives as [`Cause::Silent`] all the same (see the
    /// [module](super)'s docs, and docs/patterns.md for Server-Sent Events).
    ///
    /// Set after the first poll, it applies to the wait in progress: its deadline
    /// moves to `limit` after the wait started (the next poll restarts a source
    /// already silent that long). With no limit before, the count starts at the
    /// next poll.
    ///
    /// ```
    /// use futures_heartbeat::restart::restarting;
    /// use std::time::Duration;
    ///
    /// let events = restarting(|_| async {
    ///     Ok::<_, std::io::Error>(futures::stream::pending::<std::io::Result<u8>>())
    /// })
    /// .silence(Duration::from_secs(45));
    /// # drop(events);
    /// ```
    pub fn silence(mut self, limit: Duration) -> Self {
        self.settings.silence = Some(limit);
        self.settings.adaptive_silence = None;
        self
    }

    /// Restarts a source whose silence has become improbable for the rhythm its
    /// items have shown, by the φ accrual failure detector, in place of a fixed
    /// [`silence`](Self::silence) (which it replaces, and which replaces it):
    /// see [`watchdog_adaptive`](crate::HeartbeatExt::watchdog_adaptive).
    ///
    /// The rhythm is learned across restarts, from the gaps between items seen
    /// while the consumer waited; the time from each connect to the source's
    /// first item is not one of them. Before the first item of each source, a
    /// [`first_item_timeout`](Self::first_item_timeout), if set, applies instead.
    ///
    /// Set after the first poll, it learns afresh: the wait in progress is
    /// limited, from its start, by the detector's first estimate.
    ///
    /// ```
    /// use futures_heartbeat::{restart::restarting, PhiAccrual};
    /// use std::time::Duration;
    ///
    /// let events = restarting(|_| async {
    ///     Ok::<_, std::io::Error>(futures::stream::pending::<std::io::Result<u8>>())
    /// })
    /// .silence_adaptive(PhiAccrual::new(Duration::from_secs(1)));
    /// # drop(events);
    /// ```
    pub fn silence_adaptive(mut self, detector: PhiAccrual) -> Self {
        self.settings.adaptive_silence = Some(Rhythm::new(detector));
        self.settings.silence = None;
        self
    }

    /// The silence allowed before the first item of each source, if it differs
    /// from [`silence`](Self::silence) (which it defaults to); set alone, it
    /// restarts only sources that never deliver.
    ///
    /// Set after the first poll while a source waits for its first item, it
    /// moves that wait's deadline, counted from the wait's start; a source that
    /// has delivered is not affected, and the next one is.
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, restart::{restarting_on, Cause, Restart}};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let never_delivers = |_| async { Ok::<_, ()>(stream::pending::<Result<u8, ()>>()) };
    /// let mut events = restarting_on(never_delivers, clock.clone())
    ///     .first_item_timeout(Duration::from_secs(5));
    /// # futures::executor::block_on(async {
    /// assert!(matches!(events.next().await, Some(Restart::Up { .. })));
    /// assert!(futures::poll!(events.next()).is_pending());
    /// clock.advance(Duration::from_secs(5)); // connected, but nothing ever came
    /// assert!(matches!(events.next().await, Some(Restart::Down { cause: Cause::Silent(_), .. })));
    /// # });
    /// ```
    pub fn first_item_timeout(mut self, limit: Duration) -> Self {
        self.settings.first_item_timeout = Some(limit);
        self
    }

    /// How long one call of the connect function's future may take (20 s by default).
    /// `Duration::MAX` waits forever.
    ///
    /// It bounds the whole connect: DNS, TCP, TLS and the protocol's own
    /// handshake (a WebSocket upgrade), which hangs when a frozen server's kernel
    /// still accepts TCP connections. The default is gRPC's minimum connect
    /// timeout (`MIN_CONNECT_TIMEOUT` in its connection backoff protocol): long
    /// enough for a TLS handshake over a slow mobile link, short enough that a
    /// hung server is left within a few backoff steps. Browsers offer no such
    /// setting on `WebSocket`, so a page needs one of its own. Over a local
    /// network, a few seconds is plenty.
    ///
    /// Set while connecting, it moves the deadline of the connect in progress,
    /// counted from when it started (the next poll times it out if that has
    /// passed); otherwise it applies from the next connect.
    ///
    /// ```
    /// use futures::{future, stream, StreamExt};
    /// use futures_heartbeat::{clock::ManualClock, restart::{restarting_on, Cause, Restart}};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let never_connects = |_| future::pending::<Result<stream::Empty<Result<u8, ()>>, ()>>();
    /// let mut events = restarting_on(never_connects, clock.clone())
    ///     .connect_timeout(Duration::from_secs(10));
    /// # futures::executor::block_on(async {
    /// assert!(futures::poll!(events.next()).is_pending());
    /// clock.advance(Duration::from_secs(10));
    /// assert!(matches!(
    ///     events.next().await,
    ///     Some(Restart::Down { cause: Cause::ConnectTimedOut, .. })
    /// ));
    /// # });
    /// ```
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.settings.connect_timeout = limit;
        if let State::Connecting { since } = self.state {
            // By value, so not pinned: the timer is replaced rather than reset.
            // The caller polls again to see anything, and that poll registers the task.
            let deadline = since.checked_add(limit);
            self.timer = deadline.map(|deadline| self.clock.timer_at(deadline));
        }
        self
    }

    /// Delays between attempts: `min`, doubling up to `max` (500 ms to 30 s by
    /// default), before [`jitter`](Self::jitter).
    ///
    /// Set after the first poll, it applies from the next failure, from `min`;
    /// a delay in progress, already announced as the `Down`'s `retry_in`, is kept.
    ///
    /// # Panics
    ///
    /// If `min` is longer than `max`.
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use futures_heartbeat::restart::{restarting, Jitter, Restart};
    /// use std::time::Duration;
    ///
    /// let refused = |_| async { Err::<stream::Empty<Result<u8, &str>>, _>("refused") };
    /// let events = restarting(refused)
    ///     .backoff(Duration::from_millis(1), Duration::from_millis(4))
    ///     .jitter(Jitter::None);
    /// # futures::executor::block_on(async {
    /// let delays: Vec<Duration> = events
    ///     .filter_map(|event| async move {
    ///         match event {
    ///             Restart::Down { retry_in, .. } => Some(retry_in),
    ///             _ => None,
    ///         }
    ///     })
    ///     .take(4)
    ///     .collect()
    ///     .await;
    /// let millis: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
    /// assert_eq!(millis, [1, 2, 4, 4]);
    /// # });
    /// ```
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.settings.backoff = Backoff::exponential(min, max);
        self
    }

    /// Delays between attempts from any iterator, made afresh by `delays` each time
    /// the backoff resets (see [`stable_after`](Self::stable_after)): the strategies
    /// of `backon` and other crates plug in here. When an iterator ends, the stream
    /// gives up.
    ///
    /// Set after the first poll, it applies from the next failure, with a fresh
    /// iterator; a delay in progress, already announced, is kept.
    ///
    /// ```
    /// use futures_heartbeat::restart::{restarting, Jitter};
    /// use std::time::Duration;
    ///
    /// // Three retries, a second apart, then give up.
    /// let events = restarting(|_| async {
    ///     Ok::<_, std::io::Error>(futures::stream::pending::<std::io::Result<u8>>())
    /// })
    /// .backoff_with(|| std::iter::repeat(Duration::from_secs(1)).take(3))
    /// .jitter(Jitter::None);
    /// # drop(events);
    /// ```
    pub fn backoff_with<I>(mut self, mut delays: impl FnMut() -> I + Send + 'static) -> Self
    where
        I: IntoIterator<Item = Duration>,
        I::IntoIter: Send + 'static,
    {
        self.settings.backoff = Backoff::Custom {
            factory: Box::new(move || -> Delays { Box::new(delays().into_iter()) }),
            delays: None,
        };
        self
    }

    /// How delays are randomised ([`Jitter::Equal`] by default). Set after the
    /// first poll, it applies from the next delay; one in progress is kept.
    ///
    /// ```
    /// use futures_heartbeat::restart::{restarting, Jitter};
    ///
    /// // Any delay from zero to the backoff's, for many clients of one server.
    /// let events = restarting(|_| async {
    ///     Ok::<_, std::io::Error>(futures::stream::pending::<std::io::Result<u8>>())
    /// })
    /// .jitter(Jitter::Full);
    /// # drop(events);
    /// ```
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.settings.jitter = jitter;
        self
    }

    /// Seeds the jitter's random numbers, for tests that need the same delays each run.
    /// By default every stream has its own seed, so that many streams that fail
    /// together spread their retries. Set after the first poll, it applies from
    /// the next delay.
    ///
    /// ```
    /// use futures_heartbeat::restart::restarting;
    ///
    /// let events = restarting(|_| async {
    ///     Ok::<_, std::io::Error>(futures::stream::pending::<std::io::Result<u8>>())
    /// })
    /// .jitter_seed(42);
    /// # drop(events);
    /// ```
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.settings.rng = fastrand::Rng::with_seed(seed);
        self
    }

    /// How long a source must stay up without a break before the backoff starts
    /// again from its first delay (30 s by default). A mere connect never resets
    /// it, so a source that connects and fails at once keeps backing off.
    ///
    /// Set after the first poll, it applies when the source now up goes down:
    /// its uptime counts from its `Up`.
    ///
    /// ```
    /// use futures_heartbeat::restart::restarting;
    /// use std::time::Duration;
    ///
    /// // A connection that lasted five minutes was healthy: retry quickly again.
    /// let events = restarting(|_| async {
    ///     Ok::<_, std::io::Error>(futures::stream::pending::<std::io::Result<u8>>())
    /// })
    /// .stable_after(Duration::from_secs(300));
    /// # drop(events);
    /// ```
    pub fn stable_after(mut self, uptime: Duration) -> Self {
        self.settings.stable_after = uptime;
        self
    }

    /// Gives up when a restart would be the `count + 1`-th within `within`, like an
    /// Erlang/OTP supervisor's restart intensity. Counted apart from the backoff,
    /// which it does not reset. No limit by default.
    ///
    /// Set after the first poll, it applies from the next restart, and counts
    /// only the restarts made while a limit was set: without one, none is
    /// remembered.
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use futures_heartbeat::restart::{restarting, Restart};
    /// use std::time::Duration;
    ///
    /// let refused = |_| async { Err::<stream::Empty<Result<u8, &str>>, _>("refused") };
    /// let events = restarting(refused)
    ///     .backoff(Duration::from_millis(1), Duration::from_millis(1))
    ///     .max_restarts(3, Duration::from_secs(60));
    /// # futures::executor::block_on(async {
    /// let events: Vec<_> = events.collect().await;
    /// assert!(matches!(events.last(), Some(Restart::GaveUp { restarts: 3, .. })));
    /// # });
    /// ```
    pub fn max_restarts(mut self, count: u32, within: Duration) -> Self {
        self.settings.max_restarts = Some((count, within));
        self
    }

    /// Gives up, instead of restarting, on an error for which `is_fatal` is true:
    /// an error of the source ([`Cause::Failed`]) or of connecting
    /// ([`Cause::ConnectFailed`]). Set after the first poll, it judges the next
    /// error.
    ///
    /// It never sees a silence: the time-out of a `try_` adapter inside the
    /// source, which the source yields as one of its errors, is reported as
    /// [`Cause::Silent`] and restarted (see the module's "Silences found inside
    /// the source" for exactly which errors count as one).
    ///
    /// The closure's argument needs no annotation: it is a reference to the
    /// connect function's error.
    ///
    /// ```
    /// use futures_heartbeat::restart::restarting;
    /// use std::io;
    ///
    /// let events = restarting(|_| async {
    ///     Ok::<_, io::Error>(futures::stream::pending::<io::Result<u8>>())
    /// })
    /// .fatal_if(|error| error.kind() == io::ErrorKind::PermissionDenied);
    /// # drop(events);
    /// ```
    pub fn fatal_if(mut self, is_fatal: impl FnMut(&F::Error) -> bool + Send + 'static) -> Self {
        self.settings.is_fatal = Some(Box::new(is_fatal));
        self
    }

    /// Whether a source that ends is restarted (`true`, the default) or ends this
    /// stream too (`false`: OTP's "transient", restarted only when it fails).
    /// Set after the first poll, it decides for the next source that ends, the
    /// one up included.
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use futures_heartbeat::restart::restarting;
    ///
    /// # futures::executor::block_on(async {
    /// let finite = restarting(|_| async { Ok::<_, ()>(stream::iter([Ok(1), Ok(2)])) })
    ///     .restart_on_end(false);
    /// let items: Vec<_> = finite.filter_map(|e| async move { e.into_item() }).collect().await;
    /// assert_eq!(items, [1, 2]); // ended with its source, once
    /// # });
    /// ```
    pub fn restart_on_end(mut self, restart: bool) -> Self {
        self.settings.restart_on_end = restart;
        self
    }

    /// Names the stream in the events of the `tracing` feature; set after the
    /// first poll, it names the events that follow.
    ///
    /// ```
    /// use futures_heartbeat::restart::restarting;
    ///
    /// let events = restarting(|_| async {
    ///     Ok::<_, std::io::Error>(futures::stream::pending::<std::io::Result<u8>>())
    /// })
    /// .named("prices feed");
    /// assert_eq!(events.name(), Some("prices feed"));
    /// ```
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = Some(name);
        self
    }

    /// The name given with [`named`](Self::named).
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// Restarts made so far.
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use futures_heartbeat::restart::restarting;
    /// use std::time::Duration;
    ///
    /// let refused = |_| async { Err::<stream::Empty<Result<u8, &str>>, _>("refused") };
    /// let mut events = restarting(refused).backoff(Duration::from_millis(1), Duration::from_millis(1));
    /// # futures::executor::block_on(async {
    /// assert_eq!(events.restarts(), 0);
    /// events.next().await; // Down
    /// assert_eq!(events.restarts(), 1);
    /// # });
    /// ```
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The key of the last item delivered (with [`resuming`](super::resuming)).
    ///
    /// ```
    /// use futures::{stream, StreamExt};
    /// use futures_heartbeat::restart::resuming;
    ///
    /// let mut events = resuming(|_| async { Ok::<_, ()>(stream::iter([Ok(7), Ok(8)])) }, |n| *n);
    /// # futures::executor::block_on(async {
    /// assert_eq!(events.cursor(), None);
    /// events.next().await; // Up
    /// events.next().await; // 7
    /// assert_eq!(events.cursor(), Some(&7));
    /// # });
    /// ```
    pub fn cursor(&self) -> Option<&K> {
        self.cursor.as_ref()
    }
}

/// What the stream yields, for the connect function `F`.
type RestartOf<F, K> = Restart<<F as Connect<K>>::Ok, <F as Connect<K>>::Error>;

impl<F, K, C> Restarting<F, K, C>
where
    F: Connect<K>,
    K: Clone,
    C: Clock,
{
    /// Calls the connect function for the current attempt and arms its timeout.
    fn start_connecting(self: Pin<&mut Self>) {
        let this = self.project();
        let attempt = Attempt {
            number: *this.attempt,
            cursor: this.cursor.clone(),
        };
        *this.connecting = Some(Box::pin(this.connect.connect(attempt)));
        let now = this.clock.now();
        arm(
            this.timer,
            this.clock,
            now.checked_add(this.settings.connect_timeout),
        );
        *this.state = State::Connecting { since: now };
    }

    /// Drops the source (or the connection attempt) for `cause`, and either
    /// schedules the next attempt or gives up.
    #[cold]
    #[inline(never)]
    fn go_down(self: Pin<&mut Self>, cause: Cause<F::Error>) -> Poll<Option<RestartOf<F, K>>> {
        if self.shutdown != Shutdown::Open {
            // The caller closed: the stream ends with its source, whatever ended
            // the source (the peer's answer to the close, an error, a silence).
            self.end();
            return Poll::Ready(None);
        }
        let mut this = self.project();
        this.source.set(None);
        *this.connecting = None;
        this.silence.as_mut().stop();
        let now = this.clock.now();
        let settings = &mut *this.settings;
        if let State::Up { since, .. } = *this.state {
            // A source was lost: the downtime starts. A failed connect does not restart it.
            *this.down_since = Some(now);
            if now.saturating_duration_since(since) >= settings.stable_after {
                settings.backoff.reset();
            }
        }
        let fatal = match &cause {
            Cause::Failed(error) | Cause::ConnectFailed(error) => settings
                .is_fatal
                .as_mut()
                .is_some_and(|is_fatal| is_fatal(error)),
            _ => false,
        };
        let within_budget = settings.max_restarts.map_or(true, |(count, within)| {
            while this
                .recent_restarts
                .front()
                .is_some_and(|&at| now.saturating_duration_since(at) >= within)
            {
                this.recent_restarts.pop_front();
            }
            this.recent_restarts.len() < count as usize
        });
        let delay = if fatal || !within_budget {
            None
        } else {
            settings.backoff.next_delay()
        };
        let Some(delay) = delay else {
            this.timer.set(None);
            *this.state = State::Done;
            wake(this.writer); // to hear that nothing more can be sent
            trace::gave_up(*this.name, cause.kind(), *this.restarts);
            return Poll::Ready(Some(Restart::GaveUp {
                cause,
                restarts: *this.restarts,
            }));
        };
        let retry_in = settings.jitter.apply(delay, &mut settings.rng);
        *this.restarts += 1;
        *this.attempt += 1;
        if settings.max_restarts.is_some() {
            this.recent_restarts.push_back(now);
        }
        arm(this.timer, this.clock, now.checked_add(retry_in));
        *this.state = State::BackingOff;
        trace::source_down(*this.name, cause.kind(), *this.attempt, retry_in);
        Poll::Ready(Some(Restart::Down {
            cause,
            attempt: *this.attempt,
            retry_in,
        }))
    }

    /// The source yielded `error`: a time-out if a `try_` adapter polled as part of
    /// the source yielded one in this poll and was not polled again after it (the
    /// source's error type is the user's, and says nothing the stream can read),
    /// a failure otherwise.
    #[cold]
    fn source_failed(self: Pin<&mut Self>, error: F::Error) -> Poll<Option<RestartOf<F, K>>> {
        let cause = match timed_out::yielded::take() {
            Some(timed_out) => Cause::Silent(timed_out),
            None => Cause::Failed(error),
        };
        self.go_down(cause)
    }

    /// The source ended by itself.
    #[cold]
    fn source_ended(self: Pin<&mut Self>) -> Poll<Option<RestartOf<F, K>>> {
        if self.settings.restart_on_end {
            return self.go_down(Cause::Ended);
        }
        self.end();
        Poll::Ready(None)
    }

    /// Connecting: `Up` once the source is there, `Down` if connecting fails or times out.
    fn poll_connecting(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<RestartOf<F, K>>> {
        let mut this = self.as_mut().project();
        let connecting = this.connecting.as_mut();
        let connected = match connecting.map(|future| future.as_mut().poll(cx)) {
            Some(Poll::Ready(connected)) => connected,
            _ => {
                if poll_timer(this.timer, cx).is_ready() {
                    return self.go_down(Cause::ConnectTimedOut);
                }
                remember(this.reader, cx.waker()); // for a close, which drops the connect
                return Poll::Pending;
            }
        };
        *this.connecting = None;
        this.timer.set(None);
        match connected {
            Err(error) => self.go_down(Cause::ConnectFailed(error)),
            Ok(source) => {
                this.source.set(Some(source));
                let now = this.clock.now();
                let downtime = this
                    .down_since
                    .map_or(Duration::ZERO, |since| now.saturating_duration_since(since));
                *this.state = State::Up {
                    since: now,
                    seen_item: false,
                };
                this.silence.set(SilenceTimer::new());
                if let Some(rhythm) = &mut this.settings.adaptive_silence {
                    rhythm.forget_last_wait();
                }
                wake(this.writer); // a source to write to, at last
                Poll::Ready(Some(Restart::Up {
                    attempt: *this.attempt,
                    downtime,
                }))
            }
        }
    }

    /// Up: the source's items, and `Down` when it fails, ends or falls silent.
    #[inline]
    fn poll_source(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<RestartOf<F, K>>> {
        let mut this = self.as_mut().project();
        let Some(source) = this.source.as_mut().as_pin_mut() else {
            debug_assert!(false, "`Up` has a source: a failed write is handled first");
            // Safe all the same: the source is gone, as if it had ended.
            return self.source_ended();
        };
        // A time-out that a `try_` adapter yields within this poll is the source's
        // silence, not a failure (see `source_failed`): one thread-local store
        // per poll forgets any from before.
        timed_out::yielded::clear();
        match source.poll_next(cx) {
            Poll::Ready(Some(Ok(item))) => {
                this.silence.restart();
                if let State::Up { seen_item, .. } = this.state {
                    *seen_item = true;
                }
                if let Some(key) = this.cursor_of.as_mut().and_then(|key_of| key_of(&item)) {
                    *this.cursor = Some(key);
                }
                Poll::Ready(Some(Restart::Item(item)))
            }
            Poll::Ready(Some(Err(error))) => self.source_failed(error),
            Poll::Ready(None) => self.source_ended(),
            Poll::Pending => {
                // A write that fails from another task must wake this one.
                remember(this.reader, cx.waker());
                let State::Up { seen_item, .. } = *this.state else {
                    debug_assert!(false, "the source is polled only while `Up`");
                    // Safe all the same: the source, which has just returned `Pending`, wakes the task.
                    return Poll::Pending;
                };
                let settings = &mut *this.settings;
                let first_item_timeout = settings.first_item_timeout.filter(|_| !seen_item);
                let silent = match (first_item_timeout, &mut settings.adaptive_silence) {
                    (None, Some(rhythm)) => {
                        let after_arrival = this.silence.delivered_since_last_wait();
                        this.silence
                            .poll_elapsed_with(
                                this.clock,
                                |started| rhythm.wait_limit(started, after_arrival),
                                cx,
                            )
                            .map(|()| TimedOut::learned_silence_of(rhythm.current_limit()))
                    }
                    _ => match first_item_timeout.or(settings.silence) {
                        Some(limit) => this
                            .silence
                            .poll_elapsed(this.clock, limit, cx)
                            .map(|()| TimedOut::silence_of(limit)),
                        None => return Poll::Pending,
                    },
                };
                match silent {
                    Poll::Ready(timed_out) => {
                        let name = *this.name;
                        self.go_down(Cause::Silent(timed_out.named(name)))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<F, K, C> Stream for Restarting<F, K, C>
where
    F: Connect<K>,
    K: Clone,
    C: Clock,
{
    type Item = RestartOf<F, K>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(error) = self.as_mut().project().write_failed.take() {
            return self.go_down(Cause::Failed(error));
        }
        loop {
            match self.state {
                State::Up { .. } => return self.poll_source(cx),
                State::Connecting { .. } => return self.poll_connecting(cx),
                State::NotStarted => {
                    let now = self.clock.now();
                    *self.as_mut().project().down_since = Some(now);
                    self.as_mut().start_connecting();
                }
                State::BackingOff => {
                    let this = self.as_mut().project();
                    if poll_timer(this.timer, cx).is_pending() {
                        remember(this.reader, cx.waker()); // for a close, which drops the timer
                        return Poll::Pending;
                    }
                    self.as_mut().start_connecting();
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            State::Done => (0, Some(0)),
            // Sources come and go: nothing is certain, and there is no bound.
            _ => (0, None),
        }
    }
}

impl<F, K, C> FusedStream for Restarting<F, K, C>
where
    F: Connect<K>,
    K: Clone,
    C: Clock,
{
    fn is_terminated(&self) -> bool {
        self.state == State::Done
    }
}

impl<F: Connect<K>, K, C: Clock> Restarting<F, K, C> {
    /// Ends the stream for good: the source, a pending connect and the timers go,
    /// and a writer waiting for a source hears that none will come.
    fn end(self: Pin<&mut Self>) {
        let mut this = self.project();
        this.source.set(None);
        *this.connecting = None;
        this.timer.set(None);
        this.silence.stop();
        *this.state = State::Done;
        wake(this.writer);
    }

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

/// Arms `timer` for `deadline`, or leaves it unarmed for a deadline past the end of time.
fn arm<C: Clock>(mut timer: Pin<&mut Option<C::Timer>>, clock: &C, deadline: Option<Instant>) {
    match (deadline, timer.as_mut().as_pin_mut()) {
        (Some(deadline), Some(armed)) => armed.reset(deadline),
        (Some(deadline), None) => timer.set(Some(clock.timer_at(deadline))),
        (None, _) => timer.set(None),
    }
}

/// `Ready` once the armed timer has fired; an unarmed timer never does.
fn poll_timer<T: Timer>(timer: Pin<&mut Option<T>>, cx: &mut Context<'_>) -> Poll<()> {
    match timer.as_pin_mut() {
        Some(armed) => armed.poll_expired(cx),
        None => Poll::Pending,
    }
}

/// The two-way side, for a source that is also a `Sink` of outbound messages:
/// what is written goes to the current source.
///
/// - While there is no source (connecting, backing off), `poll_ready` is
///   pending, and the task is woken when the next source is up: backpressure,
///   nothing is dropped or buffered by the adapter.
/// - A write that fails (`poll_ready`, `start_send`, `poll_flush` or
///   `poll_close` with an error) drops the source at once, both halves, and the
///   stream reports `Down` with [`Cause::Failed`]: the write itself returns
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
                *this.writer = Some(cx.waker().clone());
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
