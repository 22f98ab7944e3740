//! The scheduler's data: every timer by key, and the timers due at each tick.
//!
//! Plain data with no lock and no thread; [`Scheduler`](super::scheduler::Scheduler)
//! guards it. Nothing here calls a waker, clones one or drops one: wakers are only
//! moved in and out, so that no code the crate does not own ever runs while the
//! schedule is locked.

use core::task::Waker;
use std::collections::BTreeMap;

use crate::clock::tick::Tick;

/// A timer's place in the schedule. 32 bits keep the entries small: four billion live timers are enough.
pub(super) type Key = u32;
/// The end of a list of timers.
const NO_KEY: Key = Key::MAX;
/// A timer that is not armed for any tick.
const NOT_ARMED: Tick = Tick::MAX;

#[derive(Debug)]
pub(super) struct Schedule {
    /// Every timer that exists, armed or not, by key; `free` lists the keys to reuse.
    timers: Vec<TimerEntry>,
    free: Vec<Key>,
    /// The timers due at each tick that has any.
    due: BTreeMap<Tick, TickList>,
    /// Every tick up to this one has been fired: a timer armed for one of them has expired.
    pub(super) fired_through: Tick,
    /// The tick the driver sleeps until (`Tick::MAX`: until woken).
    pub(super) driver_wakes_at: Tick,
    /// Wakers handed over for a tick that fired before they were applied: the
    /// driver wakes them at its next step.
    pub(super) overdue: Vec<Waker>,
    /// Wakers that hand-overs replaced: the driver drops them, unlocked, so that
    /// no other stream's poll runs an executor's code it does not own.
    pub(super) retired: Vec<Waker>,
}

/// The timers due at one tick: the first, the others following through `next`, and how many.
#[derive(Debug, Clone, Copy)]
struct TickList {
    first: Key,
    len: u32,
}

#[derive(Debug)]
struct TimerEntry {
    /// The tick it is armed for, while it is in `due`; `NOT_ARMED` otherwise.
    armed_for: Tick,
    waker: Option<Waker>,
    // The timers due at the same tick form a doubly linked list, so that one can leave in O(1).
    previous: Key,
    next: Key,
}

impl TimerEntry {
    const UNARMED: TimerEntry = TimerEntry {
        armed_for: NOT_ARMED,
        waker: None,
        previous: NO_KEY,
        next: NO_KEY,
    };
}

impl Schedule {
    pub(super) fn new() -> Self {
        Schedule {
            timers: Vec::new(),
            free: Vec::new(),
            due: BTreeMap::new(),
            fired_through: 0,
            driver_wakes_at: Tick::MAX,
            overdue: Vec::new(),
            retired: Vec::new(),
        }
    }

    pub(super) fn insert_timer(&mut self) -> Key {
        match self.free.pop() {
            Some(key) => key, // left unarmed and without a waker by `remove_timer`
            None => {
                self.timers.push(TimerEntry::UNARMED);
                // `NO_KEY` ends lists, and a timer's stored key is one more than its key.
                Key::try_from(self.timers.len() - 1)
                    .ok()
                    .filter(|&key| key != NO_KEY)
                    .expect("more than four billion live timers")
            }
        }
    }

    /// Frees `key` for reuse, unlinking it first; returns its waker, for the caller
    /// to drop once the schedule is unlocked.
    pub(super) fn remove_timer(&mut self, key: Key) -> Option<Waker> {
        self.unlink(key);
        let waker = self.timer_mut(key).waker.take();
        self.free.push(key);
        waker
    }

    /// The tick timer `key` is linked at, or `Tick::MAX` if none.
    pub(super) fn armed_for(&self, key: Key) -> Tick {
        self.timers[key as usize].armed_for
    }

    /// The waker registered for timer `key`.
    pub(super) fn waker_mut(&mut self, key: Key) -> &mut Option<Waker> {
        &mut self.timer_mut(key).waker
    }

    fn timer_mut(&mut self, key: Key) -> &mut TimerEntry {
        &mut self.timers[key as usize]
    }

    /// The earliest tick that has a timer, or `Tick::MAX`.
    pub(super) fn next_due(&self) -> Tick {
        self.due.keys().next().copied().unwrap_or(Tick::MAX)
    }

    /// How many timers are due at `tick`.
    pub(super) fn timers_at(&self, tick: Tick) -> u32 {
        self.due.get(&tick).map_or(0, |list| list.len)
    }

    /// Puts timer `key` first in the list of `tick`.
    pub(super) fn link(&mut self, key: Key, tick: Tick) {
        let list = self.due.entry(tick).or_insert(TickList {
            first: NO_KEY,
            len: 0,
        });
        let following = std::mem::replace(&mut list.first, key);
        list.len += 1;
        if following != NO_KEY {
            self.timer_mut(following).previous = key;
        }
        let timer = self.timer_mut(key);
        timer.armed_for = tick;
        timer.previous = NO_KEY;
        timer.next = following;
    }

    /// Takes timer `key` out of the list of its tick, if it is in one.
    pub(super) fn unlink(&mut self, key: Key) {
        let timer = self.timer_mut(key);
        let tick = std::mem::replace(&mut timer.armed_for, NOT_ARMED);
        if tick == NOT_ARMED {
            return;
        }
        let previous = std::mem::replace(&mut timer.previous, NO_KEY);
        let next = std::mem::replace(&mut timer.next, NO_KEY);
        if next != NO_KEY {
            self.timer_mut(next).previous = previous;
        }
        if previous != NO_KEY {
            self.timer_mut(previous).next = next;
        }
        let std::collections::btree_map::Entry::Occupied(mut list) = self.due.entry(tick) else {
            debug_assert!(
                false,
                "timer {key} was linked at tick {tick}, which has no list"
            );
            return; // no list to take it out of
        };
        if list.get().len == 1 {
            list.remove();
        } else {
            let list = list.get_mut();
            list.len -= 1;
            if previous == NO_KEY {
                list.first = next;
            }
        }
    }

    /// Fires every timer due at or before `tick`, moving their wakers into `wakers`;
    /// returns the earliest tick that had timers, if any did.
    pub(super) fn fire_through(&mut self, tick: Tick, wakers: &mut Vec<Waker>) -> Option<Tick> {
        let mut earliest = None;
        while let Some(entry) = self.due.first_entry() {
            if *entry.key() > tick {
                break;
            }
            earliest = earliest.or(Some(*entry.key()));
            let mut key = entry.remove().first;
            while key != NO_KEY {
                let timer = self.timer_mut(key);
                key = std::mem::replace(&mut timer.next, NO_KEY);
                timer.previous = NO_KEY;
                timer.armed_for = NOT_ARMED;
                wakers.extend(timer.waker.take());
            }
        }
        self.fired_through = self.fired_through.max(tick);
        earliest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_test::task::new_count_waker;

    #[test]
    fn timers_leave_their_tick_from_any_place_in_its_list_and_the_rest_still_fire() {
        // Five timers on one tick; take out the first, a middle one and the last.
        for leaving in [[0, 2, 4], [4, 2, 0], [1, 3, 0]] {
            let mut schedule = Schedule::new();
            let keys: Vec<Key> = (0..5).map(|_| schedule.insert_timer()).collect();
            let counters: Vec<_> = keys
                .iter()
                .map(|&key| {
                    let (waker, count) = new_count_waker();
                    *schedule.waker_mut(key) = Some(waker);
                    schedule.link(key, 10);
                    count
                })
                .collect();
            for &gone in &leaving {
                schedule.unlink(keys[gone]);
            }
            let mut wakers = Vec::new();
            assert_eq!(schedule.fire_through(9, &mut wakers), None);
            assert!(wakers.is_empty(), "fired before its tick");
            assert_eq!(schedule.fire_through(12, &mut wakers), Some(10));
            wakers.into_iter().for_each(Waker::wake);
            for (index, count) in counters.iter().enumerate() {
                assert_eq!(
                    count.get(),
                    usize::from(!leaving.contains(&index)),
                    "timer {index}"
                );
            }
            assert!(schedule.due.is_empty());
        }
    }

    #[test]
    fn an_emptied_tick_leaves_the_schedule_and_keys_are_reused_without_their_waker() {
        let mut schedule = Schedule::new();
        let first = schedule.insert_timer();
        let (waker, _) = new_count_waker();
        *schedule.waker_mut(first) = Some(waker);
        schedule.link(first, 3);
        assert!(
            schedule.remove_timer(first).is_some(),
            "the waker is handed back"
        );
        assert!(schedule.due.is_empty());
        assert_eq!(schedule.insert_timer(), first);
        assert!(schedule.waker_mut(first).is_none());
        assert_eq!(schedule.timers.len(), 1);
    }

    #[test]
    fn each_tick_counts_its_timers_as_they_come_and_go() {
        let mut schedule = Schedule::new();
        let keys: Vec<Key> = (0..4).map(|_| schedule.insert_timer()).collect();
        for &key in &keys {
            schedule.link(key, 6);
        }
        assert_eq!(schedule.timers_at(6), 4);
        schedule.unlink(keys[0]); // the first of the list
        schedule.unlink(keys[2]); // one in the middle
        assert_eq!(schedule.timers_at(6), 2);
        schedule.link(keys[0], 7);
        assert_eq!((schedule.timers_at(6), schedule.timers_at(7)), (2, 1));
        schedule.fire_through(6, &mut Vec::new());
        assert_eq!((schedule.timers_at(6), schedule.timers_at(7)), (0, 1));
        schedule.remove_timer(keys[0]);
        assert_eq!(schedule.timers_at(7), 0);
        assert!(schedule.due.is_empty());
    }

    #[test]
    fn re_linking_moves_a_timer_to_its_new_tick_only() {
        let mut schedule = Schedule::new();
        let key = schedule.insert_timer();
        schedule.link(key, 5);
        schedule.unlink(key);
        schedule.link(key, 8);
        let (waker, count) = new_count_waker();
        *schedule.waker_mut(key) = Some(waker);
        let mut wakers = Vec::new();
        schedule.fire_through(7, &mut wakers);
        assert!(wakers.is_empty(), "fired at its old tick");
        assert_eq!(schedule.next_due(), 8);
        schedule.fire_through(8, &mut wakers);
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(count.get(), 1);
        assert_eq!(schedule.timer_mut(key).armed_for, NOT_ARMED);
        assert_eq!(schedule.next_due(), Tick::MAX);
    }
}
