//! How many times the scheduler's shared locks are taken: a counter for the
//! tests and benchmarks that check what a pulse costs, compiled in only with the
//! hidden `lock-counter` feature. Without it, counting is nothing at all.

#[cfg(feature = "lock-counter")]
static ACQUISITIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts one acquisition of a lock that every stream of the process shares.
#[inline]
pub(super) fn count() {
    #[cfg(feature = "lock-counter")]
    ACQUISITIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Acquisitions of the default clock's shared locks since the process started.
#[cfg(feature = "lock-counter")]
pub fn shared_lock_acquisitions() -> u64 {
    ACQUISITIONS.load(std::sync::atomic::Ordering::Relaxed)
}
