//! Counters the driver keeps about itself, for [`WheelClock::stats`](super::WheelClock::stats).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What the scheduler behind [`WheelClock`](super::WheelClock) has seen since the
/// process started: the faults it recovered from, and how late it ran.
///
/// The driver thread runs the wakers of every task that waits on the clock. A
/// waker that panics cannot hand the panic to its task, which is not running; the
/// standard panic hook prints it, naming the thread `futures-heartbeat-wheel`,
/// and it is counted here. The other timers keep firing.
///
/// More fields may come (the struct is `#[non_exhaustive]`); these keep their meaning.
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
    /// Wakers that panicked when the driver woke them.
    pub waker_panics: u64,
    /// Times the driver thread died and was replaced.
    pub driver_restarts: u64,
    /// Times the driver thread was found blocked inside one waker for a whole
    /// supervision period (100 ms) and replaced, so that the timers behind that
    /// waker fired without waiting for it.
    pub blocked_drivers: u64,
    /// The latest the driver has fired timers after the start of the millisecond
    /// it had scheduled them for: its own delay (the operating system's wakeup, a
    /// stall of the process, slow wakers before them), on top of the rounding each
    /// timer is allowed (see [Precision](super::WheelClock#precision)). Zero until
    /// it first fires one.
    pub max_lateness: Duration,
}

/// How many buckets the lateness histogram has.
#[cfg(any(test, futures_heartbeat_lock_counter))]
pub(crate) const LATENESS_BUCKETS: usize = 12;

#[derive(Debug, Default)]
pub(super) struct Stats {
    pub(super) waker_panics: AtomicU64,
    pub(super) driver_restarts: AtomicU64,
    pub(super) blocked_drivers: AtomicU64,
    max_lateness_nanos: AtomicU64,
    // Only the crate's own tests and benchmarks read it (`--cfg
    // futures_heartbeat_lock_counter`, and this file's unit tests): without them, no
    // tick pays for it.
    #[cfg(any(test, futures_heartbeat_lock_counter))]
    lateness_histogram: [AtomicU64; LATENESS_BUCKETS],
}

impl Stats {
    /// Written by the one driver thread only, so plain loads and stores suffice.
    pub(super) fn record_tick(&self, lateness: Duration) {
        #[cfg(any(test, futures_heartbeat_lock_counter))]
        self.lateness_histogram[bucket_of(lateness)].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(lateness.as_nanos()).unwrap_or(u64::MAX);
        self.max_lateness_nanos.fetch_max(nanos, Ordering::Relaxed);
    }

    /// The counters now.
    pub(super) fn snapshot(&self) -> WheelStats {
        WheelStats {
            waker_panics: self.waker_panics.load(Ordering::Relaxed),
            driver_restarts: self.driver_restarts.load(Ordering::Relaxed),
            blocked_drivers: self.blocked_drivers.load(Ordering::Relaxed),
            max_lateness: Duration::from_nanos(self.max_lateness_nanos.load(Ordering::Relaxed)),
        }
    }

    #[cfg(any(test, futures_heartbeat_lock_counter))]
    pub(super) fn lateness_histogram(&self) -> [u64; LATENESS_BUCKETS] {
        std::array::from_fn(|i| self.lateness_histogram[i].load(Ordering::Relaxed))
    }
}

/// Bucket 0 for less than 1 ms, bucket `i` for 2<sup>i−1</sup> to 2<sup>i</sup> ms,
/// and the last for everything later.
#[cfg(any(test, futures_heartbeat_lock_counter))]
fn bucket_of(lateness: Duration) -> usize {
    let millis = lateness.as_millis();
    let bucket = if millis == 0 {
        0
    } else {
        (u128::BITS - millis.leading_zeros()) as usize
    };
    bucket.min(LATENESS_BUCKETS - 1)
}

/// Ticks fired (those that had at least one timer) by lateness: bucket 0 counts
/// those fired less than 1 ms after they started, bucket `i` those between
/// 2<sup>i−1</sup> and 2<sup>i</sup> ms late, and the last bucket everything later.
/// For the crate's own tests and benchmarks (`--cfg futures_heartbeat_lock_counter`).
#[cfg(futures_heartbeat_lock_counter)]
pub fn tick_lateness_histogram() -> [u64; LATENESS_BUCKETS] {
    super::Wheel::global().stats.lateness_histogram()
}

/// Ticks fired that had at least one timer, for the crate's own tests and
/// benchmarks (`--cfg futures_heartbeat_lock_counter`).
#[cfg(futures_heartbeat_lock_counter)]
pub fn ticks_fired() -> u64 {
    tick_lateness_histogram().iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_lateness_is_kept() {
        let stats = Stats::default();
        assert_eq!(stats.snapshot().max_lateness, Duration::ZERO);
        for millis in [3, 5_000, 2] {
            stats.record_tick(Duration::from_millis(millis) + Duration::from_micros(10));
        }
        assert_eq!(
            stats.snapshot().max_lateness,
            Duration::from_micros(5_000_010)
        );
    }

    #[test]
    fn lateness_falls_into_power_of_two_millisecond_buckets() {
        let stats = Stats::default();
        for millis in [0, 1, 2, 3, 4, 7, 8, 5_000] {
            stats.record_tick(Duration::from_millis(millis) + Duration::from_micros(10));
        }
        assert_eq!(
            stats.lateness_histogram(),
            [1, 1, 2, 2, 1, 0, 0, 0, 0, 0, 0, 1]
        );
    }
}
