//! Counters the driver keeps about itself, for [`WheelClock::stats`](super::WheelClock::stats).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many buckets [`WheelStats::lateness_histogram`] has.
pub const LATENESS_BUCKETS: usize = 12;

/// What the scheduler behind [`WheelClock`](super::WheelClock) has seen since the
/// process started: its faults and its own timeliness.
///
/// The driver thread runs the wakers of every task that waits on the clock. A
/// waker that panics cannot hand the panic to its task, which is not running; the
/// standard panic hook prints it, naming the thread `futures-heartbeat-wheel`,
/// and it is counted here. The other timers keep firing.
///
/// ```
/// use futures_heartbeat::clock::WheelClock;
///
/// let stats = WheelClock::stats();
/// assert_eq!(stats.waker_panics, 0);
/// assert_eq!(stats.driver_restarts, 0);
/// assert_eq!(stats.blocked_drivers, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WheelStats {
    /// Ticks fired that had at least one timer.
    pub ticks_fired: u64,
    /// Wakers that panicked when the driver woke them.
    pub waker_panics: u64,
    /// Times the driver thread died and was replaced.
    pub driver_restarts: u64,
    /// Times the driver thread was found blocked inside one waker for a whole
    /// supervision period (100 ms) and replaced, so that the timers behind that
    /// waker fired without waiting for it.
    pub blocked_drivers: u64,
    /// The latest any tick was fired after it started.
    pub max_lateness: Duration,
    /// The longest the driver spent waking the tasks of one tick: how long a slow
    /// waker held up every timer behind it.
    pub max_wake_batch: Duration,
    /// Ticks fired, by lateness: bucket 0 counts those fired less than 1 ms after
    /// they started, bucket `i` those between 2<sup>i−1</sup> and 2<sup>i</sup> ms
    /// late, and the last bucket everything later.
    pub lateness_histogram: [u64; LATENESS_BUCKETS],
}

#[derive(Debug, Default)]
pub(super) struct Stats {
    pub(super) waker_panics: AtomicU64,
    pub(super) driver_restarts: AtomicU64,
    pub(super) blocked_drivers: AtomicU64,
    max_lateness_nanos: AtomicU64,
    max_wake_batch_nanos: AtomicU64,
    lateness_histogram: [AtomicU64; LATENESS_BUCKETS],
}

impl Stats {
    /// Written by the one driver thread only, so plain loads and stores suffice.
    pub(super) fn record_tick(&self, lateness: Duration) {
        let millis = lateness.as_millis();
        let bucket = if millis == 0 {
            0
        } else {
            (u128::BITS - millis.leading_zeros()) as usize
        };
        self.lateness_histogram[bucket.min(LATENESS_BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
        raise(&self.max_lateness_nanos, lateness);
    }

    pub(super) fn record_wake_batch(&self, took: Duration) {
        raise(&self.max_wake_batch_nanos, took);
    }

    /// The counters now.
    pub(super) fn snapshot(&self) -> WheelStats {
        let lateness_histogram =
            std::array::from_fn(|i| self.lateness_histogram[i].load(Ordering::Relaxed));
        WheelStats {
            ticks_fired: lateness_histogram.iter().sum(),
            waker_panics: self.waker_panics.load(Ordering::Relaxed),
            driver_restarts: self.driver_restarts.load(Ordering::Relaxed),
            blocked_drivers: self.blocked_drivers.load(Ordering::Relaxed),
            max_lateness: Duration::from_nanos(self.max_lateness_nanos.load(Ordering::Relaxed)),
            max_wake_batch: Duration::from_nanos(self.max_wake_batch_nanos.load(Ordering::Relaxed)),
            lateness_histogram,
        }
    }
}

fn raise(max_nanos: &AtomicU64, value: Duration) {
    let nanos = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
    max_nanos.fetch_max(nanos, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_falls_into_power_of_two_millisecond_buckets() {
        let stats = Stats::default();
        for millis in [0, 1, 2, 3, 4, 7, 8, 5_000] {
            stats.record_tick(Duration::from_millis(millis) + Duration::from_micros(10));
        }
        let snapshot = stats.snapshot();
        assert_eq!(
            snapshot.lateness_histogram,
            [1, 1, 2, 2, 1, 0, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(snapshot.ticks_fired, 8);
        assert_eq!(snapshot.max_lateness, Duration::from_micros(5_000_010));
    }
}
