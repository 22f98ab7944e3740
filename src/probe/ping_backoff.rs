//! The interval doubled when the peer says it is pinged too often (P8).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A shared handle that doubles the interval of the probes it was given to, when
/// the peer says they ping too often: gRPC's rule for a `too_many_pings` GOAWAY.
///
/// Clones share the factor. A probe reads it at each poll while it counts an
/// idle interval, so a doubling applies at once: the interval in progress falls
/// due at twice its length, counted from its start.
///
/// ```
/// use futures_heartbeat::PingBackoff;
///
/// let backoff = PingBackoff::new();
/// assert_eq!(backoff.factor(), 1);
/// backoff.double();
/// backoff.clone().double();
/// assert_eq!(backoff.factor(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct PingBackoff {
    factor: Arc<AtomicU32>,
}

impl PingBackoff {
    /// A factor of 1: the interval as given.
    pub fn new() -> Self {
        PingBackoff {
            factor: Arc::new(AtomicU32::new(1)),
        }
    }

    /// Doubles the interval of every probe that shares this handle (up to
    /// 2<sup>31</sup> times, far past any useful interval).
    pub fn double(&self) {
        let _ = self
            .factor
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |factor| {
                factor.checked_mul(2)
            });
    }

    /// What the interval is multiplied by: 2 to the number of doublings.
    pub fn factor(&self) -> u32 {
        self.factor.load(Ordering::Relaxed)
    }
}

/// [`PingBackoff::new`]: a factor of 1.
impl Default for PingBackoff {
    fn default() -> Self {
        PingBackoff::new()
    }
}
