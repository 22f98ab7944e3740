//! How many times the scheduler's shared locks are taken: a counter for the
//! tests and benchmarks that check what a pulse costs, compiled in only with
//! `--cfg futures_heartbeat_lock_counter`. Without it, counting is nothing at all.

#[cfg(futures_heartbeat_lock_counter)]
static ACQUISITIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts one acquisition of a lock that every stream of the process shares.
#[inline]
pub(super) fn count() {
    #[cfg(futures_heartbeat_lock_counter)]
    ACQUISITIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Acquisitions of the default clock's shared locks since the process started.
#[cfg(futures_heartbeat_lock_counter)]
pub fn shared_lock_acquisitions() -> u64 {
    ACQUISITIONS.load(std::sync::atomic::Ordering::Relaxed)
}
