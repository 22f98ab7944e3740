//! Faults the crate's own tests inject into the driver (`--cfg
//! futures_heartbeat_fault_injection`); without it, every point is an empty
//! inline function and nothing can inject a fault.

#[cfg(futures_heartbeat_fault_injection)]
mod injected {
    use std::io;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    static FAILED_SPAWNS_LEFT: AtomicU32 = AtomicU32::new(0);
    static PANIC_AFTER_COLLECTING: AtomicBool = AtomicBool::new(false);

    /// Makes the next `count` attempts to start the driver thread fail, as a
    /// process at its thread limit would.
    pub fn fail_next_spawns(count: u32) {
        FAILED_SPAWNS_LEFT.store(count, Ordering::SeqCst);
    }

    /// Makes the driver thread panic once, the next time it has collected the
    /// wakers of a tick and before it wakes them.
    pub fn panic_driver_once() {
        PANIC_AFTER_COLLECTING.store(true, Ordering::SeqCst);
    }

    pub(in crate::clock::wheel) fn before_spawn() -> io::Result<()> {
        let failing = FAILED_SPAWNS_LEFT
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if failing {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "injected fault: the thread limit is reached",
            ));
        }
        Ok(())
    }

    pub(in crate::clock::wheel) fn after_collecting_wakers() {
        if PANIC_AFTER_COLLECTING.swap(false, Ordering::SeqCst) {
            panic!("injected fault: the driver thread dies holding collected wakers");
        }
    }
}

#[cfg(futures_heartbeat_fault_injection)]
pub(super) use injected::{after_collecting_wakers, before_spawn};

/// Fault points of the scheduler, for the crate's own tests: present only with
/// `--cfg futures_heartbeat_fault_injection`.
#[cfg(futures_heartbeat_fault_injection)]
pub mod inject {
    pub use super::injected::{fail_next_spawns, panic_driver_once};
}

#[cfg(not(futures_heartbeat_fault_injection))]
#[inline(always)]
pub(super) fn before_spawn() -> std::io::Result<()> {
    Ok(())
}

#[cfg(not(futures_heartbeat_fault_injection))]
#[inline(always)]
pub(super) fn after_collecting_wakers() {}
