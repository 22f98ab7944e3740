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

    /// `Ready` once tick `due.ready` has fired; otherwise links timer `key` where
    /// `due` allows, unless it is linked there already, registers `waker` to be
    /// woken then, and says where it linked it and whether the driver must be
    /// woken to fire that tick in time (see [`arm`](Self::arm)).
    ///
    /// One lock acquisition in the usual cases. The waker is cloned outside the
    /// lock, so a caller that expects to register a new waker (the driver took the
    /// last one when the timer fired) passes it `prefetched`; without one, and with
    /// a different waker registered, the lock is released to clone and taken again.
    pub(super) fn poll(
        &self,
        key: Key,
        due: Due,
        waker: &Waker,
        prefetched: Option<Waker>,
    ) -> Polled {
        if self.has_fired(due.ready) {
            return Polled::Ready; // `prefetched` is dropped with no lock held
        }
        let mut schedule = self.lock();
        // Checked again under the lock: the driver may have fired the tick meanwhile.
        if due.ready <= schedule.fired_through {
            drop(schedule);
            return Polled::Ready;
        }
        let armed = schedule.armed_for(key);
        let linked_at = if armed == due.ready || armed == due.coalesced {
            armed
        } else if schedule.timers_at(due.ready) < BUSY_TICK
            && schedule.timers_at(due.coalesced) < due.burst
        {
            due.coalesced
        } else {
            // Its own tick is fired anyway for the many timers due there, or the
            // coalesced one is full: a burst that size would delay its own tasks.
            due.ready
        };
        let wake_driver = armed != linked_at && arm_locked(&mut schedule, key, linked_at);
        if schedule
            .waker_mut(key)
            .as_ref()
            .is_some_and(|registered| registered.will_wake(waker))
        {
            drop(schedule);
            drop(prefetched);
            return Polled::Pending {
                wake_driver,
                linked_at,
            };
        }
        let new = match prefetched {
            Some(new) => new,
            None => {
                drop(schedule);
                let new = waker.clone(); // outside the lock: cloning runs the executor's code
                schedule = self.lock();
                if due.ready <= schedule.fired_through {
                    drop(schedule);
                    return Polled::Ready; // fired while the lock was free; `new` is dropped unlocked
                }
                new
            }
        };
        let old = schedule.waker_mut(key).replace(new);
        drop(schedule);
        drop(old); // dropping runs the executor's code too
        Polled::Pending {
            wake_driver,
            linked_at,
        }
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

/// When a timer is due: `ready` is its deadline's tick, the first at which it
/// has expired; it may be woken as late as `coalesced`, to share that tick's
/// wakeup with other timers, while fewer than `burst` timers are due there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Due {
    pub(super) ready: Tick,
    pub(super) coalesced: Tick,
    pub(super) burst: u32,
}

impl Due {
    /// Woken at the deadline's own tick.
    pub(super) fn exact(tick: Tick) -> Due {
        Due {
            ready: tick,
            coalesced: tick,
            burst: 0,
        }
    }
}

/// Timers at a tick that make its wakeup worth joining rather than coalescing
/// later: the tick is fired for them whatever this timer does.
const BUSY_TICK: u32 = 64;

/// What [`Scheduler::poll`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Polled {
    Ready,
    /// The waker is registered, for tick `linked_at`; `wake_driver` as returned
    /// by [`Scheduler::arm`].
    Pending {
        wake_driver: bool,
        linked_at: Tick,
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

#[cfg(all(test, not(futures_heartbeat_loom)))]
mod tests {
    use super::*;
    use futures_test::task::noop_waker;

    fn linked_at(scheduler: &Scheduler, due: Due) -> Tick {
        let (key, _) = scheduler.insert(Tick::MAX - 1);
        match scheduler.poll(key, due, &noop_waker(), None) {
            Polled::Pending { linked_at, .. } => linked_at,
            Polled::Ready => panic!("nothing has fired"),
        }
    }

    #[test]
    fn a_timer_waits_for_the_coalesced_tick_unless_its_own_is_busy_or_the_coalesced_one_full() {
        let scheduler = Scheduler::new();
        let due = |ready| Due {
            ready,
            coalesced: 20,
            burst: 3,
        };
        // Sparse: every timer waits for the shared tick, up to the burst.
        assert_eq!(linked_at(&scheduler, due(17)), 20);
        assert_eq!(linked_at(&scheduler, due(18)), 20);
        assert_eq!(linked_at(&scheduler, due(19)), 20);
        // Full: the next one keeps its own tick.
        assert_eq!(linked_at(&scheduler, due(18)), 18);
        // A tick that fires anyway for many timers is joined, not coalesced from.
        let busy = Due {
            ready: 30,
            coalesced: 32,
            burst: 1_000,
        };
        for _ in 0..BUSY_TICK {
            linked_at(&scheduler, Due::exact(30));
        }
        assert_eq!(linked_at(&scheduler, busy), 30);
        assert_eq!(linked_at(&scheduler, Due { ready: 31, ..busy }), 32);
    }
}
