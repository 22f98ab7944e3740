use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::Instant;

use super::{Clock, Timer};

/// A clock that moves only when told to, for deterministic tests.
///
/// Clones share one time line: hand a clone to the adapter and keep one to
/// [`advance`](ManualClock::advance) it. Advancing wakes, after the clock's
/// lock is released, every task waiting on a timer whose deadline is reached.
/// Nothing else ever moves this clock, so a test on it asserts exact times and
/// runs in no time at all.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::ManualClock, HeartbeatExt};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let mut quiet = stream::pending::<u8>().watchdog_on(Duration::from_secs(5), clock.clone());
/// # futures::executor::block_on(async {
/// assert!(futures::poll!(quiet.next()).is_pending());
/// clock.advance(Duration::from_secs(4));
/// assert!(futures::poll!(quiet.next()).is_pending());
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(quiet.next().await, None);
/// assert!(quiet.timed_out());
/// assert_eq!(clock.live_timers(), 0); // the watchdog let go of its timer when it fired
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    shared: Arc<Mutex<Timeline>>,
}

/// Timer of [`ManualClock`]; it fires when the clock is advanced past its deadline.
#[derive(Debug)]
pub struct ManualTimer {
    shared: Arc<Mutex<Timeline>>,
    id: u64,
}

#[derive(Debug)]
struct Timeline {
    origin: Instant,
    elapsed: Duration,
    next_id: u64,
    counts: ManualClockCounts,
    // Ordered by creation, so that timers due together wake in a reproducible order.
    timers: BTreeMap<u64, Armed>,
}

/// How often the adapters on a [`ManualClock`] used it: to check in tests that
/// they stay off the clock and the timer while items are ready.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::ManualClock, HeartbeatExt};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let events = stream::iter(0..1000).watchdog_on(Duration::from_secs(1), clock.clone());
/// # futures::executor::block_on(async {
/// assert_eq!(events.count().await, 1000);
/// # });
/// assert_eq!(clock.counts().time_reads, 0); // never waited, so never needed the time
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManualClockCounts {
    /// Readings of the time through [`Clock::now`] (not [`ManualClock::uncounted_now`]).
    pub time_reads: u64,
    /// Timers created.
    pub timers_created: u64,
    /// Calls to [`Timer::reset`].
    pub timer_resets: u64,
    /// Calls to [`Timer::poll_expired`].
    pub timer_polls: u64,
}

#[derive(Debug)]
struct Armed {
    deadline: Instant,
    waker: Option<Waker>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            origin: Instant::now(),
            elapsed: Duration::ZERO,
            next_id: 0,
            counts: ManualClockCounts::default(),
            timers: BTreeMap::new(),
        }
    }
}

impl Timeline {
    fn now(&self) -> Instant {
        self.origin + self.elapsed
    }
}

impl ManualClock {
    /// A new clock, standing at an arbitrary instant; only differences between its readings mean anything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` and wakes the tasks of the timers that are now due.
    ///
    /// # Panics
    ///
    /// If the clock would pass the largest `Instant` the platform can represent.
    pub fn advance(&self, by: Duration) {
        let due: Vec<Waker> = {
            let mut timeline = self.lock();
            timeline.elapsed = timeline
                .elapsed
                .checked_add(by)
                .filter(|elapsed| timeline.origin.checked_add(*elapsed).is_some())
                .expect("ManualClock advanced past the end of time");
            let now = timeline.now();
            timeline
                .timers
                .values_mut()
                .filter(|armed| armed.deadline <= now)
                .filter_map(|armed| armed.waker.take())
                .collect()
        };
        // Woken outside the lock: a waker may poll, and so lock the clock, on this thread.
        due.into_iter().for_each(Waker::wake);
    }

    /// The time this clock stands at, without counting the reading.
    ///
    /// For the test itself, which must not disturb what
    /// [`counts`](ManualClock::counts) says of the adapters; `clock.now()` is
    /// [`Clock::now`], the adapters' reading, and is counted in
    /// [`time_reads`](ManualClockCounts::time_reads).
    ///
    /// ```
    /// use futures_heartbeat::clock::{Clock, ManualClock};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let start = clock.uncounted_now();
    /// clock.advance(Duration::from_secs(3));
    /// assert_eq!(clock.uncounted_now() - start, Duration::from_secs(3));
    /// assert_eq!(clock.counts().time_reads, 0);
    /// assert_eq!(clock.now() - start, Duration::from_secs(3)); // the trait's reading
    /// assert_eq!(clock.counts().time_reads, 1);
    /// ```
    pub fn uncounted_now(&self) -> Instant {
        self.lock().now()
    }

    /// How far the clock has been advanced since it was created.
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    /// How many timers of this clock exist (armed or fired, but not yet dropped).
    ///
    /// An adapter holds at most one timer; it creates it at its first poll and
    /// drops it when it ends, so this counts the adapters that hold on to time.
    pub fn live_timers(&self) -> usize {
        self.lock().timers.len()
    }

    /// How often adapters have read this clock and used its timers so far.
    pub fn counts(&self) -> ManualClockCounts {
        self.lock().counts
    }

    /// The earliest deadline of a timer that has not yet been reached, if any.
    ///
    /// Advancing to it, `clock.advance(deadline - clock.uncounted_now())`, runs a test
    /// from one event to the next.
    pub fn next_deadline(&self) -> Option<Instant> {
        let timeline = self.lock();
        let now = timeline.now();
        timeline
            .timers
            .values()
            .map(|armed| armed.deadline)
            .filter(|deadline| *deadline > now)
            .min()
    }

    fn lock(&self) -> MutexGuard<'_, Timeline> {
        lock(&self.shared)
    }
}

// A panic while the lock is held (in a test's assertion, say) must not poison every later use of the clock.
fn lock(shared: &Mutex<Timeline>) -> MutexGuard<'_, Timeline> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Clock for ManualClock {
    type Timer = ManualTimer;

    fn now(&self) -> Instant {
        let mut timeline = self.lock();
        timeline.counts.time_reads += 1;
        timeline.now()
    }

    fn timer_at(&self, deadline: Instant) -> ManualTimer {
        let mut timeline = self.lock();
        timeline.counts.timers_created += 1;
        let id = timeline.next_id;
        timeline.next_id += 1;
        timeline.timers.insert(
            id,
            Armed {
                deadline,
                waker: None,
            },
        );
        ManualTimer {
            shared: Arc::clone(&self.shared),
            id,
        }
    }
}

impl ManualTimer {
    fn with_armed<R>(&self, f: impl FnOnce(&mut Armed, Instant, &mut ManualClockCounts) -> R) -> R {
        let mut timeline = lock(&self.shared);
        let timeline = &mut *timeline;
        let now = timeline.now();
        debug_assert!(
            timeline.timers.contains_key(&self.id),
            "a ManualTimer is registered until it is dropped"
        );
        // Safe all the same: a timer that is not registered counts as expired, so
        // no task waits for it forever.
        let armed = timeline.timers.entry(self.id).or_insert(Armed {
            deadline: now,
            waker: None,
        });
        f(armed, now, &mut timeline.counts)
    }
}

impl Timer for ManualTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.with_armed(|armed, _, counts| {
            counts.timer_resets += 1;
            armed.deadline = deadline;
        });
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.with_armed(|armed, now, counts| {
            counts.timer_polls += 1;
            if armed.deadline <= now {
                armed.waker = None;
                return Poll::Ready(());
            }
            match &mut armed.waker {
                Some(waker) => waker.clone_from(cx.waker()),
                slot @ None => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
    }
}

impl Drop for ManualTimer {
    fn drop(&mut self) {
        lock(&self.shared).timers.remove(&self.id);
    }
}
