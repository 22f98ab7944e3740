//! The settings: the builder methods, their defaults, and what each does when
//! set after the first poll (R7); and what can be read back.

use core::fmt;
use std::time::Duration;

use super::backoff::{Backoff, Delays, Jitter};
use super::{Connect, Restarting, State};
use crate::clock::Clock;
use crate::support::optional_timer::timer_for;
use crate::watchdog::{PhiAccrual, Rhythm};

type IsFatal<E> = Box<dyn FnMut(&E) -> bool + Send>;

/// What the builder methods below set; read by the stream's state machine.
pub(super) struct Settings<E> {
    pub(super) silence: Option<Duration>,
    // In place of a fixed `silence`: the limit learned from the sources' rhythm.
    pub(super) adaptive_silence: Option<Rhythm>,
    pub(super) first_item_timeout: Option<Duration>,
    pub(super) connect_timeout: Duration,
    pub(super) backoff: Backoff,
    pub(super) jitter: Jitter,
    pub(super) rng: fastrand::Rng,
    pub(super) stable_after: Duration,
    pub(super) max_restarts: Option<(u32, Duration)>,
    pub(super) is_fatal: Option<IsFatal<E>>,
    pub(super) restart_on_end: bool,
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

/// The defaults, as documented on each builder method.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const DEFAULT_BACKOFF_MIN: Duration = Duration::from_millis(500);
const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(30);
const DEFAULT_STABLE_AFTER: Duration = Duration::from_secs(30);

impl<E> Settings<E> {
    /// Nothing set yet: every setting at its default.
    pub(super) fn new() -> Self {
        Settings {
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
        }
    }
}

impl<F: Connect<K>, K, C: Clock> Restarting<F, K, C> {
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
    /// `connect`: its time-out arrives as [`Cause::Silent`](super::Cause::Silent) all the same (see the
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
            self.timer = timer_for(&self.clock, since.checked_add(limit));
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
    /// an error of the source ([`Cause::Failed`](super::Cause::Failed)) or of connecting
    /// ([`Cause::ConnectFailed`](super::Cause::ConnectFailed)). Set after the first poll, it judges the next
    /// error.
    ///
    /// It never sees a silence: the time-out of a `try_` adapter inside the
    /// source, which the source yields as one of its errors, is reported as
    /// [`Cause::Silent`](super::Cause::Silent) and restarted (see the module's "Silences found inside
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
