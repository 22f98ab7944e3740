//! The delays between attempts: exponential by default, or any iterator; jittered.

use core::fmt;
use std::time::Duration;

/// Randomness in the delay before a retry, so that many clients that lost the
/// same server at once do not all come back at once.
///
/// Jitter only ever shortens a delay, so the maximum of
/// [`backoff`](super::Restarting::backoff) stays a true maximum. It is applied
/// after the delay is capped at that maximum, so retries stay spread once the cap
/// is reached (jitter added to the capped delay, as some libraries do, can exceed
/// the maximum; applied before the cap, it would collapse every long delay to it).
///
/// ```
/// use futures_heartbeat::restart::Jitter;
///
/// assert_eq!(Jitter::default(), Jitter::Equal);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Jitter {
    /// The delay as computed.
    None,
    /// Half of the delay, plus a random part of the other half (the default).
    #[default]
    Equal,
    /// A random part of the whole delay, from zero.
    Full,
}

impl Jitter {
    pub(super) fn apply(self, delay: Duration, rng: &mut fastrand::Rng) -> Duration {
        let mut random_part = |of: Duration| {
            let nanos = u64::try_from(of.as_nanos()).unwrap_or(u64::MAX);
            Duration::from_nanos(rng.u64(0..=nanos))
        };
        match self {
            Jitter::None => delay,
            Jitter::Equal => delay / 2 + random_part(delay - delay / 2),
            Jitter::Full => random_part(delay),
        }
    }
}

/// A fresh sequence of delays, started again whenever the backoff resets.
pub(super) type Delays = Box<dyn Iterator<Item = Duration> + Send>;
pub(super) type DelaysFactory = Box<dyn FnMut() -> Delays + Send>;

/// The delays before the attempts that follow a failure.
pub(super) enum Backoff {
    /// `min`, doubling up to `max`, and `max` from then on.
    Exponential {
        min: Duration,
        max: Duration,
        /// Doublings so far.
        step: u32,
    },
    /// Whatever the user's iterators yield; when one ends, the stream gives up.
    Custom {
        factory: DelaysFactory,
        delays: Option<Delays>,
    },
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backoff::Exponential { min, max, step } => f
                .debug_struct("Exponential")
                .field("min", min)
                .field("max", max)
                .field("step", step)
                .finish(),
            Backoff::Custom { .. } => f.write_str("Custom"),
        }
    }
}

impl Backoff {
    pub(super) fn exponential(min: Duration, max: Duration) -> Self {
        assert!(
            min <= max,
            "backoff: the shortest delay, {min:?}, is longer than the longest, {max:?}"
        );
        Backoff::Exponential { min, max, step: 0 }
    }

    /// The next delay before jitter, or `None` when the strategy has run out.
    pub(super) fn next_delay(&mut self) -> Option<Duration> {
        match self {
            Backoff::Exponential { min, max, step } => {
                let factor = 1u32.checked_shl(*step).unwrap_or(u32::MAX);
                let delay = min.checked_mul(factor).unwrap_or(*max).min(*max);
                if delay < *max {
                    *step += 1;
                }
                Some(delay)
            }
            Backoff::Custom { factory, delays } => delays.get_or_insert_with(|| factory()).next(),
        }
    }

    /// Back to the first delay: the source has been up long enough.
    pub(super) fn reset(&mut self) {
        match self {
            Backoff::Exponential { step, .. } => *step = 0,
            Backoff::Custom { delays, .. } => *delays = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn exponential_doubles_from_min_to_max_and_resets() {
        let mut backoff = Backoff::exponential(500 * MS, 30_000 * MS);
        let delays: Vec<_> = (0..10).map(|_| backoff.next_delay().unwrap()).collect();
        let millis: Vec<_> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(
            millis,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]
        );
        backoff.reset();
        assert_eq!(backoff.next_delay(), Some(500 * MS));
    }

    #[test]
    fn exponential_never_overflows() {
        let mut backoff = Backoff::exponential(Duration::from_secs(1), Duration::MAX);
        for _ in 0..200 {
            assert!(backoff.next_delay().is_some());
        }
    }

    #[test]
    fn custom_delays_restart_from_a_fresh_iterator_and_run_out() {
        let mut backoff = Backoff::Custom {
            factory: Box::new(|| Box::new([MS, 2 * MS].into_iter())),
            delays: None,
        };
        assert_eq!(backoff.next_delay(), Some(MS));
        backoff.reset();
        assert_eq!(backoff.next_delay(), Some(MS));
        assert_eq!(backoff.next_delay(), Some(2 * MS));
        assert_eq!(backoff.next_delay(), None);
    }

    #[test]
    fn jitter_only_shortens_and_equal_keeps_at_least_half() {
        let mut rng = fastrand::Rng::with_seed(7);
        let delay = Duration::from_secs(30);
        for _ in 0..10_000 {
            let equal = Jitter::Equal.apply(delay, &mut rng);
            assert!(equal >= delay / 2 && equal <= delay);
            assert!(Jitter::Full.apply(delay, &mut rng) <= delay);
        }
        assert_eq!(Jitter::None.apply(delay, &mut rng), delay);
    }
}
