//! The protocol between the streams' timers and the driver that fires them.
//!
//! The schedule sits behind one lock. The last tick fired is also published in an
//! atomic, so that a timer can see that it has fired without the lock. Code the
//! crate does not own (cloning, waking or dropping a waker) never runs under the
//! lock: a waker that re-enters the scheduler, panics or blocks can then neither
//! deadlock it nor leave it half-changed.

use core::task::Waker;
use std::sync::atomic::Ordering;

use super::lock_count;
use super::schedule::{Key, Schedule};
use super::sync::{AtomicU64, Mutex, MutexGuard};
use crate::clock::tick::Tick;

#[derive(Debug)]
pub(super) struct Scheduler {
    schedule: Mutex<Schedule>,
    /// `Schedule::fired_through`, published for lock-free reads: a timer armed for
    /// a tick at or before it has fired.
    published_fired_through: AtomicU64,
}

impl Scheduler {
    pub(super) fn new() -> Self {
        Scheduler {
            schedule: Mutex::new(Schedule::new()),
            published_fired_through: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Schedule> {
        lock_count::count();
        // Nothing under this lock calls out, so a panic can only poison it from
        // the crate's own code between two consistent states; the schedule stays usable.
        self.schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new timer, armed for `tick`. The flag is `true` when the driver must be
    /// woken to fire it in time (see [`arm`](Self::arm)).
    pub(super) fn insert(&self, tick: Tick) -> (Key, bool) {
        let mut schedule = self.lock();
        let key = schedule.insert_timer();
        let wake_driver = arm_locked(&mut schedule, key, tick);
        (key, wake_driver)
    }

    /// (Re-)arms timer `key` for `tick`, keeping its waker. Returns `true` when
    /// `tick` is earlier than the tick the driver sleeps until, so that the caller
    /// must wake the driver; the driver sees the new tick when it next looks.
    pub(super) fn arm(&self, key: Key, tick: Tick) -> bool {
        arm_locked(&mut self.lock(), key, tick)
    }

    /// The tick the driver is to wake at (`Tick::MAX`: no timer armed).
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    pub(super) fn driver_wakes_at(&self) -> Tick {
        self.lock().driver_wakes_at
    }

    /// Lock-free and exact: whether `tick` has been fired.
    pub(super) fn has_fired(&self, tick: Tick) -> bool {
        tick <= self.published_fired_through.load(Ordering::Acquire)
    }

    /// `Ready` if timer `key` has fired at `tick`; otherwise links the timer at
    /// `tick` if it is elsewhere, registers `waker` to be woken then, and says
    /// whether the driver must be woken to fire it in time (see [`arm`](Self::arm)).
    ///
    /// One lock acquisition in the usual cases. The waker is cloned outside the
    /// lock, so a caller that expects to register a new waker (the driver took the
    /// last one when the timer fired) passes it `prefetched`; without one, and with
    /// a different waker registered, the lock is released to clone and taken again.
    pub(super) fn poll(
        &self,
        key: Key,
        tick: Tick,
        waker: &Waker,
        prefetched: Option<Waker>,
    ) -> Polled {
        if self.has_fired(tick) {
            return Polled::Ready; // `prefetched` is dropped with no lock held
        }
        let mut schedule = self.lock();
        // Checked again under the lock: the driver may have fired the tick meanwhile.
        if tick <= schedule.fired_through {
            drop(schedule);
            return Polled::Ready;
        }
        let wake_driver = schedule.armed_for(key) != tick && arm_locked(&mut schedule, key, tick);
        if schedule
            .waker_mut(key)
            .as_ref()
            .is_some_and(|registered| registered.will_wake(waker))
        {
            drop(schedule);
            drop(prefetched);
            return Polled::Pending { wake_driver };
        }
        let new = match prefetched {
            Some(new) => new,
            None => {
                drop(schedule);
                let new = waker.clone(); // outside the lock: cloning runs the executor's code
                schedule = self.lock();
                if tick <= schedule.fired_through {
                    drop(schedule);
                    return Polled::Ready; // fired while the lock was free; `new` is dropped unlocked
                }
                new
            }
        };
        let old = schedule.waker_mut(key).replace(new);
        drop(schedule);
        drop(old); // dropping runs the executor's code too
        Polled::Pending { wake_driver }
    }

    /// Removes timer `key`; its key may be handed to the next new timer.
    pub(super) fn remove(&self, key: Key) {
        let waker = self.lock().remove_timer(key);
        drop(waker); // after the lock is released
    }

    /// The driver's step: fires every tick up to `tick` and moves the wakers of the
    /// timers it fired into `wakers`.
    pub(super) fn fire_through(&self, tick: Tick, wakers: &mut Vec<Waker>) -> Fired {
        let mut schedule = self.lock();
        let earliest = schedule.fire_through(tick, wakers);
        self.published_fired_through
            .store(schedule.fired_through, Ordering::Release);
        let next = schedule.next_due();
        schedule.driver_wakes_at = next;
        Fired { earliest, next }
    }
}

/// What [`Scheduler::poll`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Polled {
    Ready,
    /// The waker is registered; `wake_driver` as returned by [`Scheduler::arm`].
    Pending {
        wake_driver: bool,
    },
}

/// What one step of the driver did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fired {
    /// The earliest tick that had timers, if any did.
    pub(super) earliest: Option<Tick>,
    /// The next tick that has timers (`Tick::MAX` if none): the driver sleeps until
    /// then, unless a timer armed for an earlier tick wakes it (see [`Scheduler::arm`]).
    pub(super) next: Tick,
}

fn arm_locked(schedule: &mut Schedule, key: Key, tick: Tick) -> bool {
    schedule.unlink(key);
    if tick <= schedule.fired_through {
        return false; // already due: `poll` answers `Ready` with no driver involved
    }
    schedule.link(key, tick);
    let earlier = tick < schedule.driver_wakes_at;
    if earlier {
        schedule.driver_wakes_at = tick;
    }
    earlier
}
