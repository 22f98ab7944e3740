//! The scheduler's data: every timer by key, and the timers due at each tick.
//!
//! Plain data with no lock and no thread; [`Scheduler`](super::scheduler::Scheduler)
//! guards it. Nothing here calls a waker, clones one or drops one: wakers are only
//! moved in and out, so that no code the crate does not own ever runs while the
//! schedule is locked.
//!
//! The ticks within [`RING`] of the last one fired each have a slot of a ring,
//! found by the tick's low bits, and a bit saying whether it has timers: a
//! pulse's timer, re-linked at every pulse, finds its tick's list in a few
//! instructions (an ordered map took about a hundred for each of the four looks
//! a re-link makes, with a hundred ticks in use). Ticks further ahead wait in an
//! ordered map and move to the ring as the driver comes within reach of them.

use core::task::Waker;
use std::collections::BTreeMap;

use crate::clock::tick::Tick;

/// A timer's place in the schedule. 32 bits keep the entries small: four billion live timers are enough.
pub(super) type Key = u32;
/// The end of a list of timers.
const NO_KEY: Key = Key::MAX;
/// A timer that is not armed for any tick.
const NOT_ARMED: Tick = Tick::MAX;
/// How many ticks after the last one fired have a slot of the ring: leads up to
/// about 4 s (pulses, and most timeouts). A power of two, and 32 KB of slots.
const RING: usize = 4096;
const RING_TICKS: Tick = RING as Tick;
const BITS: usize = u64::BITS as usize;

#[derive(Debug)]
pub(super) struct Schedule {
    /// Every timer that exists, armed or not, by key; `free` lists the keys to reuse.
    timers: Vec<TimerEntry>,
    free: Vec<Key>,
    /// The timers due at each tick from `fired_through + 1` to `fired_through +
    /// RING`, tick `t` at slot `t % RING`; empty slots have `len` 0.
    near: Box<[TickList]>,
    /// One bit for each slot of `near`: whether its tick has timers.
    occupied: Box<[u64]>,
    /// The timers due at each tick further ahead that has any.
    far: BTreeMap<Tick, TickList>,
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

impl TickList {
    const EMPTY: TickList = TickList {
        first: NO_KEY,
        len: 0,
    };
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
            near: vec![TickList::EMPTY; RING].into_boxed_slice(),
            occupied: vec![0; RING / BITS].into_boxed_slice(),
            far: BTreeMap::new(),
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
        let in_ring =
            self.first_occupied(self.fired_through.saturating_add(1), self.last_in_ring());
        in_ring
            .or_else(|| self.far.keys().next().copied())
            .unwrap_or(Tick::MAX)
    }

    /// How many timers are due at `tick`.
    pub(super) fn timers_at(&self, tick: Tick) -> u32 {
        if tick <= self.fired_through {
            0 // its slot may hold a later tick's timers
        } else if tick <= self.last_in_ring() {
            self.near[slot(tick)].len
        } else {
            self.far.get(&tick).map_or(0, |list| list.len)
        }
    }

    /// The last tick with a slot in the ring.
    fn last_in_ring(&self) -> Tick {
        self.fired_through.saturating_add(RING_TICKS)
    }

    /// The earliest tick from `from` to `through` (less than `RING` ticks on, within
    /// the ring) that has timers.
    fn first_occupied(&self, from: Tick, through: Tick) -> Option<Tick> {
        let mut tick = from;
        while tick <= through {
            let slot = slot(tick);
            let bits = self.occupied[slot / BITS] >> (slot % BITS);
            if bits != 0 {
                let found = tick.checked_add(Tick::from(bits.trailing_zeros()))?;
                return (found <= through).then_some(found);
            }
            // On to the start of the next word, or past the end of time.
            tick = tick.checked_add((BITS - slot % BITS) as Tick)?;
        }
        None
    }

    /// The list of `tick`, created empty if it has none; `tick` has not been fired.
    fn list_mut(&mut self, tick: Tick) -> &mut TickList {
        debug_assert!(tick > self.fired_through, "tick {tick} has been fired");
        if tick <= self.last_in_ring() {
            let slot = slot(tick);
            self.occupied[slot / BITS] |= 1 << (slot % BITS);
            &mut self.near[slot]
        } else {
            self.far.entry(tick).or_insert(TickList::EMPTY)
        }
    }

    /// Empties the list of `tick`, which has no timer left.
    fn remove_list(&mut self, tick: Tick) {
        if tick <= self.last_in_ring() {
            let slot = slot(tick);
            self.occupied[slot / BITS] &= !(1 << (slot % BITS));
            self.near[slot] = TickList::EMPTY;
        } else {
            self.far.remove(&tick);
        }
    }

    /// Puts timer `key` first in the list of `tick`.
    pub(super) fn link(&mut self, key: Key, tick: Tick) {
        let list = self.list_mut(tick);
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
        let list = if tick <= self.fired_through {
            None // a linked timer's tick has not been fired
        } else if tick <= self.last_in_ring() {
            Some(&mut self.near[slot(tick)]).filter(|list| list.len > 0)
        } else {
            self.far.get_mut(&tick)
        };
        let Some(list) = list else {
            debug_assert!(
                false,
                "timer {key} was linked at tick {tick}, which has no list"
            );
            return; // no list to take it out of
        };
        if list.len == 1 {
            self.remove_list(tick);
        } else {
            list.len -= 1;
            if previous == NO_KEY {
                list.first = next;
            }
        }
    }

    /// Fires every timer due at or before `tick`, moving their wakers into `wakers`;
    /// returns the earliest tick that had timers, if any did.
    pub(super) fn fire_through(&mut self, tick: Tick, wakers: &mut Vec<Waker>) -> Option<Tick> {
        if tick <= self.fired_through {
            return None; // nothing is linked at a tick fired already
        }
        let mut earliest = None;
        let mut from = self.fired_through + 1;
        while let Some(due) = self.first_occupied(from, tick.min(self.last_in_ring())) {
            earliest = earliest.or(Some(due));
            let list = std::mem::replace(&mut self.near[slot(due)], TickList::EMPTY);
            self.occupied[slot(due) / BITS] &= !(1 << (slot(due) % BITS));
            self.fire_list(list, wakers);
            from = due.saturating_add(1);
        }
        // Beyond the ring only after a jump of more than its length.
        while let Some(entry) = self.far.first_entry() {
            if *entry.key() > tick {
                break;
            }
            earliest = earliest.or(Some(*entry.key()));
            let list = entry.remove();
            self.fire_list(list, wakers);
        }
        self.fired_through = tick;
        // Ticks now within reach take their slots, which the ticks fired left empty.
        let last_in_ring = self.last_in_ring();
        while let Some(entry) = self.far.first_entry() {
            if *entry.key() > last_in_ring {
                break;
            }
            let (due, list) = entry.remove_entry();
            let slot = slot(due);
            debug_assert_eq!(self.near[slot].len, 0, "slot of tick {due} taken");
            self.near[slot] = list;
            self.occupied[slot / BITS] |= 1 << (slot % BITS);
        }
        earliest
    }

    /// Fires the timers of `list`, taken out of the schedule.
    fn fire_list(&mut self, list: TickList, wakers: &mut Vec<Waker>) {
        let mut key = list.first;
        while key != NO_KEY {
            let timer = self.timer_mut(key);
            key = std::mem::replace(&mut timer.next, NO_KEY);
            timer.previous = NO_KEY;
            timer.armed_for = NOT_ARMED;
            wakers.extend(timer.waker.take());
        }
    }

    /// Whether no timer is linked at any tick.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.occupied.iter().all(|&bits| bits == 0) && self.far.is_empty()
    }
}

/// The slot of the ring that `tick` takes while it is within reach.
fn slot(tick: Tick) -> usize {
    (tick % RING_TICKS) as usize
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
            assert!(schedule.is_empty());
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
        assert!(schedule.is_empty());
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
        assert!(schedule.is_empty());
    }

    #[test]
    fn a_tick_beyond_the_ring_waits_in_order_and_takes_its_slot_when_in_reach() {
        let mut schedule = Schedule::new();
        let far = RING_TICKS + 10;
        let same_slot = 10; // the ring's slot of `far`, taken by an earlier tick
        let (near_key, far_key) = (schedule.insert_timer(), schedule.insert_timer());
        let (near_waker, near_count) = new_count_waker();
        let (far_waker, far_count) = new_count_waker();
        *schedule.waker_mut(near_key) = Some(near_waker);
        *schedule.waker_mut(far_key) = Some(far_waker);
        schedule.link(near_key, same_slot);
        schedule.link(far_key, far);
        assert_eq!(
            (schedule.timers_at(same_slot), schedule.timers_at(far)),
            (1, 1)
        );
        assert_eq!(schedule.next_due(), same_slot);
        let mut wakers = Vec::new();
        assert_eq!(
            schedule.fire_through(same_slot, &mut wakers),
            Some(same_slot)
        );
        assert_eq!(wakers.len(), 1, "only the near timer");
        assert_eq!(schedule.next_due(), far, "moved into the slot it shares");
        assert_eq!(
            schedule.timers_at(same_slot),
            0,
            "a fired tick has no timers"
        );
        assert_eq!(schedule.timers_at(far), 1);
        assert_eq!(schedule.fire_through(far - 1, &mut wakers), None);
        assert_eq!(schedule.fire_through(far, &mut wakers), Some(far));
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!((near_count.get(), far_count.get()), (1, 1));
        assert!(schedule.is_empty());
    }

    #[test]
    fn a_jump_past_the_whole_ring_fires_everything_due_near_and_far() {
        let mut schedule = Schedule::new();
        let ticks = [
            3,
            RING_TICKS - 1,
            RING_TICKS,
            RING_TICKS + 1,
            5 * RING_TICKS,
            9 * RING_TICKS,
        ];
        for tick in ticks {
            let key = schedule.insert_timer();
            *schedule.waker_mut(key) = Some(new_count_waker().0);
            schedule.link(key, tick);
        }
        let mut wakers = Vec::new();
        assert_eq!(schedule.fire_through(5 * RING_TICKS, &mut wakers), Some(3));
        assert_eq!(wakers.len(), 5);
        assert_eq!(schedule.next_due(), 9 * RING_TICKS);
        assert_eq!(
            schedule.fire_through(9 * RING_TICKS, &mut wakers),
            Some(9 * RING_TICKS)
        );
        assert!(schedule.is_empty());
    }

    #[test]
    fn the_ring_and_its_overflow_fire_what_an_ordered_map_of_ticks_would() {
        // Random links, moves, removals and steps of the driver, near and beyond
        // the ring, against a plain map of each timer's tick.
        let mut rng = fastrand::Rng::with_seed(28);
        let mut schedule = Schedule::new();
        let mut model: BTreeMap<Key, Tick> = BTreeMap::new();
        let keys: Vec<Key> = (0..64).map(|_| schedule.insert_timer()).collect();
        for _ in 0..20_000 {
            let key = keys[rng.usize(..keys.len())];
            let fired = schedule.fired_through;
            match rng.u8(..10) {
                0..=5 => {
                    let ahead = match rng.u8(..4) {
                        0 => rng.u64(1..64),
                        1 => rng.u64(1..=RING_TICKS),
                        2 => rng.u64(RING_TICKS - 8..RING_TICKS + 8).max(1),
                        _ => rng.u64(1..4 * RING_TICKS),
                    };
                    schedule.unlink(key);
                    schedule.link(key, fired + ahead);
                    model.insert(key, fired + ahead);
                }
                6 => {
                    schedule.unlink(key);
                    model.remove(&key);
                }
                _ => {
                    let through = fired + rng.u64(0..RING_TICKS / 2 + 64);
                    let mut wakers = Vec::new();
                    let earliest = schedule.fire_through(through, &mut wakers);
                    let due: Vec<Key> = model
                        .iter()
                        .filter(|&(_, &tick)| tick <= through)
                        .map(|(&key, _)| key)
                        .collect();
                    let expected_earliest = model
                        .values()
                        .filter(|&&tick| tick <= through)
                        .min()
                        .copied();
                    assert_eq!(earliest, expected_earliest.filter(|_| through > fired));
                    for key in due {
                        model.remove(&key);
                        assert_eq!(schedule.armed_for(key), NOT_ARMED);
                    }
                }
            }
            for (&key, &tick) in &model {
                assert_eq!(schedule.armed_for(key), tick);
            }
            let mut per_tick: BTreeMap<Tick, u32> = BTreeMap::new();
            for &tick in model.values() {
                *per_tick.entry(tick).or_default() += 1;
            }
            assert_eq!(
                schedule.next_due(),
                per_tick.keys().next().copied().unwrap_or(Tick::MAX)
            );
            for (&tick, &count) in &per_tick {
                assert_eq!(schedule.timers_at(tick), count, "tick {tick}");
            }
        }
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
