//! The protocol between the streams' timers and the driver that fires them.
//!
//! The schedule sits behind one lock. The last tick fired is also published in an
//! atomic, so that a timer can see that it has fired without the lock. Code the
//! crate does not own (cloning, waking or dropping a waker) never runs under the
//! lock: a waker that re-enters the scheduler, panics or blocks can then neither
//! deadlock it nor leave it half-changed.
//!
//! A pulse takes no lock. The driver took the timer's waker when it fired, so the
//! poll after the pulse clones the new waker and hands it over, with the timer's
//! new due tick, through a lock-free queue; whoever takes the lock next (the
//! driver at its next step, at the latest) applies every hand-over before doing
//! anything else. The poll wakes the driver if the timer may be due before the
//! tick the driver sleeps until, which is published for that too. A timer that
//! has no waker to register (a heartbeat whose stream stays ready) hands its
//! tick over the same way, so that the driver fires it and `has_fired` says so.

use core::task::Waker;
use std::sync::atomic::Ordering;

use super::lock_count;
use super::schedule::{Key, Schedule};
use super::sync::{fence, AtomicU64, Mutex, MutexGuard, OwnLine, Queue};
use crate::clock::tick::Tick;

#[derive(Debug)]
pub(super) struct Scheduler {
    schedule: Mutex<Schedule>,
    /// What the driver publishes for lock-free reads, on a line of its own: the
    /// lock's holder writes the schedule at every hand-over, and every poll
    /// reads these.
    published: OwnLine<Published>,
    /// Wakers registered without the lock, not yet in the schedule.
    hand_overs: Queue<HandOver>,
}

#[derive(Debug)]
struct Published {
    /// `Schedule::fired_through`: a timer armed for a tick at or before it has fired.
    fired_through: AtomicU64,
    /// `Schedule::driver_wakes_at`, for the polls that hand a waker over.
    driver_wakes_at: AtomicU64,
}

/// Timer `key` is due as `due` says: link it there, with `waker` if there is one
/// (without, the waker registered stays).
#[derive(Debug)]
struct HandOver {
    key: Key,
    due: Due,
    waker: Option<Waker>,
}

impl Scheduler {
    pub(super) fn new() -> Self {
        Scheduler {
            schedule: Mutex::new(Schedule::new()),
            published: OwnLine(Published {
                fired_through: AtomicU64::new(0),
                driver_wakes_at: AtomicU64::new(Tick::MAX),
            }),
            hand_overs: Queue::new(),
        }
    }

    /// The schedule, locked, with every waker handed over so far in it.
    fn lock(&self) -> MutexGuard<'_, Schedule> {
        lock_count::count();
        // Nothing under this lock calls out, so a panic can only poison it from
        // the crate's own code between two consistent states; the schedule stays usable.
        let mut schedule = self
            .schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.apply_hand_overs(&mut schedule);
        schedule
    }

    /// Puts every waker handed over into the schedule; `false` if there was none.
    ///
    /// No driver is woken here: the poll that handed a waker over has woken it if
    /// the timer may be due before the tick the driver sleeps until.
    fn apply_hand_overs(&self, schedule: &mut Schedule) -> bool {
        let mut applied = false;
        while let Some(HandOver { key, due, waker }) = self.hand_overs.pop() {
            applied = true;
            let replaced = if due.ready <= schedule.fired_through {
                // Its tick fired after the poll looked: the driver wakes it at its
                // next step. A tick with no waker has nothing to wake: it has fired.
                let Some(waker) = waker else { continue };
                schedule.unlink(key);
                schedule.overdue.push(waker);
                schedule.waker_mut(key).take()
            } else {
                let armed = schedule.armed_for(key);
                let linked_at = link_tick(schedule, armed, due);
                if armed != linked_at {
                    self.arm_locked(schedule, key, linked_at);
                }
                let Some(waker) = waker else { continue };
                schedule.waker_mut(key).replace(waker)
            };
            // Left for the driver to drop: this thread may be polling another task.
            schedule.retired.extend(replaced);
        }
        applied
    }

    /// A new timer, armed for `tick`. The flag is `true` when the driver must be
    /// woken to fire it in time (see [`arm`](Self::arm)).
    pub(super) fn insert(&self, tick: Tick) -> (Key, bool) {
        let mut schedule = self.lock();
        let key = schedule.insert_timer();
        let wake_driver = self.arm_locked(&mut schedule, key, tick);
        (key, wake_driver)
    }

    /// (Re-)arms timer `key` for `tick`, keeping its waker. Returns `true` when
    /// `tick` is earlier than the tick the driver sleeps until, so that the caller
    /// must wake the driver; the driver sees the new tick when it next looks.
    pub(super) fn arm(&self, key: Key, tick: Tick) -> bool {
        self.arm_locked(&mut self.lock(), key, tick)
    }

    /// The tick the driver is to wake at (`Tick::MAX`: no timer armed).
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    pub(super) fn driver_wakes_at(&self) -> Tick {
        self.lock().driver_wakes_at
    }

    /// Lock-free and exact: whether `tick` has been fired.
    pub(super) fn has_fired(&self, tick: Tick) -> bool {
        tick <= self.published.fired_through.load(Ordering::Acquire)
    }

    /// Hands timer `key`'s tick over with no waker, and no lock: the driver links
    /// it where `due` allows (keeping the waker registered, if any) and fires it
    /// there, so that [`has_fired`](Self::has_fired) says when it has. Returns
    /// `true` when the driver must be woken to fire it in time (see [`arm`](Self::arm)).
    pub(super) fn tell(&self, key: Key, due: Due) -> bool {
        self.hand_over(HandOver {
            key,
            due,
            waker: None,
        })
    }

    /// Queues `hand_over` for the lock's next holder; `true` when the driver must
    /// be woken to apply it in time.
    fn hand_over(&self, hand_over: HandOver) -> bool {
        let ready = hand_over.due.ready;
        self.hand_overs.push(hand_over);
        // Pairs with the fence in `fire_through`: either the driver's last look
        // at the queue before it sleeps sees this hand-over, or this load sees
        // the tick it sleeps until.
        fence(Ordering::SeqCst);
        ready < self.published.driver_wakes_at.load(Ordering::SeqCst)
    }

    /// `Ready` once tick `due.ready` has fired; otherwise registers `waker` for
    /// timer `key`, linked where `due` allows, and says where it waits and whether
    /// the driver must be woken to fire it in time (see [`arm`](Self::arm)).
    ///
    /// The waker is cloned outside the lock. A caller that expects to register a
    /// new waker (the driver took the last one when the timer fired, the case of
    /// every pulse) passes the clone `prefetched`, and it is handed over with no
    /// lock at all. Otherwise one lock acquisition finds the same waker registered
    /// and the timer where `due` allows, in the usual cases; with a different
    /// waker registered, the lock is released to clone and taken again.
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
        if let Some(waker) = prefetched {
            let wake_driver = self.hand_over(HandOver {
                key,
                due,
                waker: Some(waker),
            });
            return Polled::Pending {
                wake_driver,
                waits: Waits::Between(due.ready, due.coalesced),
            };
        }
        let mut schedule = self.lock();
        // Checked again under the lock: the driver may have fired the tick meanwhile.
        if due.ready <= schedule.fired_through {
            drop(schedule);
            return Polled::Ready;
        }
        let armed = schedule.armed_for(key);
        let linked_at = link_tick(&schedule, armed, due);
        let wake_driver = armed != linked_at && self.arm_locked(&mut schedule, key, linked_at);
        if schedule
            .waker_mut(key)
            .as_ref()
            .is_some_and(|registered| registered.will_wake(waker))
        {
            drop(schedule);
            return Polled::Pending {
                wake_driver,
                waits: Waits::At(linked_at),
            };
        }
        drop(schedule);
        let new = waker.clone(); // outside the lock: cloning runs the executor's code
        schedule = self.lock();
        if due.ready <= schedule.fired_through {
            drop(schedule);
            return Polled::Ready; // fired while the lock was free; `new` is dropped unlocked
        }
        let old = schedule.waker_mut(key).replace(new);
        drop(schedule);
        drop(old); // dropping runs the executor's code too
        Polled::Pending {
            wake_driver,
            waits: Waits::At(linked_at),
        }
    }

    /// Removes timer `key`; its key may be handed to the next new timer.
    pub(super) fn remove(&self, key: Key) {
        let waker = self.lock().remove_timer(key);
        drop(waker); // after the lock is released
    }

    /// The driver's step: fires every tick up to `tick`, moves the wakers of the
    /// timers it fired (and of those handed over too late) into `wakers`, and the
    /// wakers that hand-overs replaced into `retired`, both to be used unlocked.
    pub(super) fn fire_through(
        &self,
        tick: Tick,
        wakers: &mut Vec<Waker>,
        retired: &mut Vec<Waker>,
    ) -> Fired {
        let mut schedule = self.lock();
        let earliest = schedule.fire_through(tick, wakers);
        self.published
            .fired_through
            .store(schedule.fired_through, Ordering::Release);
        let next = loop {
            let next = schedule.next_due();
            self.set_driver_wakes_at(&mut schedule, next);
            // Pairs with the fence in `poll`: a hand-over this misses saw `next`
            // published, and woke the driver if it needs it sooner.
            fence(Ordering::SeqCst);
            if !self.apply_hand_overs(&mut schedule) {
                break next;
            }
        };
        wakers.append(&mut schedule.overdue);
        retired.append(&mut schedule.retired);
        Fired { earliest, next }
    }

    /// Records, and publishes, the tick the driver sleeps until.
    fn set_driver_wakes_at(&self, schedule: &mut Schedule, tick: Tick) {
        schedule.driver_wakes_at = tick;
        self.published.driver_wakes_at.store(tick, Ordering::SeqCst);
    }

    fn arm_locked(&self, schedule: &mut Schedule, key: Key, tick: Tick) -> bool {
        schedule.unlink(key);
        if tick <= schedule.fired_through {
            return false; // already due: `poll` answers `Ready` with no driver involved
        }
        schedule.link(key, tick);
        let earlier = tick < schedule.driver_wakes_at;
        if earlier {
            self.set_driver_wakes_at(schedule, tick);
        }
        earlier
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

#[cfg(test)]
impl Due {
    /// Woken at the deadline's own tick: the tests' timers, which share no wakeup.
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
    /// The waker is registered, or handed over, to be woken as `waits` says;
    /// `wake_driver` as returned by [`Scheduler::arm`].
    Pending {
        wake_driver: bool,
        waits: Waits,
    },
}

/// When a registered waker is woken: the tick its timer is linked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Waits {
    At(Tick),
    /// At one of the two, the first unless the lock's holder that applies the
    /// hand-over finds the second worth waiting for (see [`link_tick`]).
    Between(Tick, Tick),
}

/// Where a timer armed for `armed` and due as `due` is to be linked: where it
/// is, if that is one of its two ticks; at the coalesced tick where timers are
/// sparse; at its own tick where they are dense.
fn link_tick(schedule: &Schedule, armed: Tick, due: Due) -> Tick {
    if armed == due.ready || armed == due.coalesced {
        armed
    } else if schedule.timers_at(due.ready) < BUSY_TICK
        && schedule.timers_at(due.coalesced) < due.burst
    {
        due.coalesced
    } else {
        // Its own tick is fired anyway for the many timers due there, or the
        // coalesced one is full: a burst that size would delay its own tasks.
        due.ready
    }
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

#[cfg(all(test, not(futures_heartbeat_loom)))]
mod tests {
    use super::*;
    use futures_test::task::{new_count_waker, noop_waker};

    fn linked_at(scheduler: &Scheduler, due: Due) -> Tick {
        let (key, _) = scheduler.insert(Tick::MAX - 1);
        match scheduler.poll(key, due, &noop_waker(), None) {
            Polled::Pending {
                waits: Waits::At(linked_at),
                ..
            } => linked_at,
            Polled::Pending { waits, .. } => panic!("a waker polled unchanged waits {waits:?}"),
            Polled::Ready => panic!("nothing has fired"),
        }
    }

    #[test]
    fn a_waker_handed_over_is_applied_by_the_next_lock_and_the_one_it_replaces_goes_to_the_driver()
    {
        let scheduler = Scheduler::new();
        let (key, _) = scheduler.insert(50);
        let (first, first_count) = new_count_waker();
        let due = Due {
            ready: 10,
            coalesced: 12,
            burst: 100,
        };
        let polled = scheduler.poll(key, due, &first, Some(first.clone()));
        assert_eq!(
            polled,
            Polled::Pending {
                wake_driver: true, // it sleeps until tick 50
                waits: Waits::Between(10, 12),
            },
            "handed over, not registered"
        );
        // The next lock (here, the driver's step) applies it: linked at the shared tick 12.
        let (mut wakers, mut retired) = (Vec::new(), Vec::new());
        let fired = scheduler.fire_through(10, &mut wakers, &mut retired);
        assert_eq!(fired.next, 12);
        assert!(wakers.is_empty() && retired.is_empty());
        // Polled again between its two ticks with another waker: handed over again,
        // and the first is left to the driver, not dropped by this poll.
        let (second, second_count) = new_count_waker();
        let again = Due {
            ready: 20,
            coalesced: 24,
            burst: 100,
        };
        scheduler.poll(key, again, &second, Some(second.clone()));
        drop(first);
        let fired = scheduler.fire_through(12, &mut wakers, &mut retired);
        assert_eq!(
            fired.earliest, None,
            "tick 12 lost its only timer to the hand-over"
        );
        assert_eq!(fired.next, 24);
        assert_eq!(retired.len(), 1, "the replaced waker goes to the driver");
        retired.clear();
        scheduler.fire_through(24, &mut wakers, &mut retired);
        wakers.drain(..).for_each(Waker::wake);
        assert_eq!(first_count.get(), 0);
        assert_eq!(second_count.get(), 1);
    }

    #[test]
    fn a_waker_handed_over_after_its_tick_fired_is_woken_at_the_drivers_next_step() {
        let scheduler = Scheduler::new();
        let (key, _) = scheduler.insert(5);
        let (waker, count) = new_count_waker();
        // Looked at tick 5 before it fired, then handed over after.
        let handed_over = HandOver {
            key,
            due: Due::exact(5),
            waker: Some(waker.clone()),
        };
        let (mut wakers, mut retired) = (Vec::new(), Vec::new());
        scheduler.fire_through(5, &mut wakers, &mut retired);
        assert!(wakers.is_empty(), "no waker was registered");
        scheduler.hand_overs.push(handed_over);
        let fired = scheduler.fire_through(5, &mut wakers, &mut retired);
        assert_eq!(fired.earliest, None, "no tick fired in this step");
        wakers.drain(..).for_each(Waker::wake);
        assert_eq!(count.get(), 1, "the overdue waker was not woken");
        assert_eq!(fired.next, Tick::MAX, "it was left linked");
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
