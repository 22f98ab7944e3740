use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::{self, Thread};
use std::time::Instant;

use super::tick::{self, Tick};
use super::{Clock, Timer};

/// Timers on one scheduler shared by the whole process: deadlines rounded up to
/// the next [tick](super::TICK) (a millisecond), and one thread that sleeps until the next
/// tick with timers and wakes them all.
///
/// One timer per stream on a general-purpose timer costs a wakeup of the timer
/// thread, or of the reactor, for each distinct deadline. Thousands of streams
/// pulsing ten times a second have tens of thousands of distinct deadlines a
/// second; rounded to the millisecond, at most a thousand. Arming, re-arming and
/// cancelling are O(log T) in the number T of distinct ticks in use (a hundred
/// for streams that pulse every 100 ms, whatever their number), under one lock.
///
/// It runs under any executor, with no runtime: the scheduler's thread,
/// `futures-heartbeat-wheel`, starts at the first timer and then lives as long as
/// the process, asleep whenever no timer is armed.
///
/// # Precision
///
/// A timer fires no earlier than its deadline, and up to one tick (1 ms) plus the
/// operating system's wakeup latency later: deadlines are rounded up to the tick,
/// so that all timers due in the same millisecond are woken together. Pulses stay
/// on their grid all the same: the adapters schedule from the grid, never from
/// the time a timer fired.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::WheelClock, Event, HeartbeatExt};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let mut events = stream::pending::<u8>().with_heartbeat_on(Duration::from_millis(5), WheelClock);
/// assert_eq!(events.next().await, Some(Event::Pulse));
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WheelClock;

/// Timer of [`WheelClock`]: a key into the process's schedule, and the tick it is armed for.
#[derive(Debug)]
pub struct WheelTimer {
    key: Key,
    tick: Tick,
}

impl Clock for WheelClock {
    type Timer = WheelTimer;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer_at(&self, deadline: Instant) -> WheelTimer {
        let wheel = Wheel::global();
        let key = wheel.lock().insert_timer();
        let tick = wheel.arm(key, deadline);
        WheelTimer { key, tick }
    }
}

impl Timer for WheelTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let timer = self.get_mut();
        timer.tick = Wheel::global().arm(timer.key, deadline);
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.may_have_expired() {
            return Poll::Ready(());
        }
        let wheel = Wheel::global();
        let mut schedule = wheel.lock();
        // Checked again under the lock: the driver may have fired the tick meanwhile.
        if self.tick <= schedule.fired_through {
            return Poll::Ready(());
        }
        let waker = &mut schedule.timer_mut(self.key).waker;
        match waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Exact, and lock-free: one atomic load of the last tick the driver fired.
    fn may_have_expired(&self) -> bool {
        self.tick
            <= Wheel::global()
                .published_fired_through
                .load(Ordering::Acquire)
    }
}

impl Drop for WheelTimer {
    fn drop(&mut self) {
        let mut schedule = Wheel::global().lock();
        schedule.unlink(self.key);
        schedule.remove_timer(self.key);
    }
}

/// The process's scheduler: the schedule behind a lock, and the thread that runs it.
#[derive(Debug)]
struct Wheel {
    schedule: Mutex<Schedule>,
    driver: OnceLock<Thread>,
    /// `Schedule::fired_through`, published for lock-free reads: a timer armed for
    /// a tick at or before it has fired.
    published_fired_through: AtomicU64,
}

/// A timer's place in the schedule. 32 bits keep the entries small: four billion live timers are enough.
type Key = u32;
/// The end of a list of timers.
const NO_KEY: Key = Key::MAX;
/// A timer that is not armed for any tick.
const NOT_ARMED: Tick = Tick::MAX;

#[derive(Debug)]
struct Schedule {
    /// Every timer that exists, armed or not, by key; `free` lists the keys to reuse.
    timers: Vec<TimerEntry>,
    free: Vec<Key>,
    /// The first timer due at each tick that has one; the others follow through `next`.
    due: BTreeMap<Tick, Key>,
    /// Every tick up to this one has been fired: a timer armed for one of them has expired.
    fired_through: Tick,
    /// The tick the driver sleeps until (`Tick::MAX`: until woken).
    driver_wakes_at: Tick,
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

impl Wheel {
    fn global() -> &'static Wheel {
        static WHEEL: OnceLock<Wheel> = OnceLock::new();
        let wheel = WHEEL.get_or_init(|| Wheel {
            schedule: Mutex::new(Schedule {
                timers: Vec::new(),
                free: Vec::new(),
                due: BTreeMap::new(),
                fired_through: 0,
                driver_wakes_at: Tick::MAX,
            }),
            driver: OnceLock::new(),
            published_fired_through: AtomicU64::new(0),
        });
        wheel.driver.get_or_init(|| {
            thread::Builder::new()
                .name("futures-heartbeat-wheel".into())
                .spawn(move || wheel.drive())
                .expect("futures-heartbeat: cannot start the timer wheel's thread")
                .thread()
                .clone()
        });
        wheel
    }

    fn lock(&self) -> MutexGuard<'_, Schedule> {
        // Nothing under this lock calls out (wakers are woken after it is released),
        // so a poisoned lock still holds a consistent schedule.
        self.schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// (Re-)arms timer `key` for `deadline` and returns its tick. A tick that has
    /// been fired already needs no arming: the timer has expired.
    fn arm(&self, key: Key, deadline: Instant) -> Tick {
        let tick = tick::tick_at_or_after(deadline);
        let wake_driver = {
            let mut schedule = self.lock();
            schedule.unlink(key);
            if tick <= schedule.fired_through {
                false
            } else {
                schedule.link(key, tick);
                let earlier = tick < schedule.driver_wakes_at;
                if earlier {
                    schedule.driver_wakes_at = tick;
                }
                earlier
            }
        };
        if wake_driver {
            if let Some(driver) = self.driver.get() {
                driver.unpark();
            }
        }
        tick
    }

    /// The driver's loop: fire what is due, then sleep until the next tick that has timers.
    fn drive(&self) -> ! {
        let mut due_wakers = Vec::new();
        loop {
            let now = Instant::now();
            let next_tick = {
                let mut schedule = self.lock();
                schedule.fire_through(tick::tick_started_by(now), &mut due_wakers);
                self.published_fired_through
                    .store(schedule.fired_through, Ordering::Release);
                let next = schedule.due.keys().next().copied().unwrap_or(Tick::MAX);
                schedule.driver_wakes_at = next;
                next
            };
            // Woken outside the lock: a waker may run the task, which may arm a timer, on this thread.
            due_wakers.drain(..).for_each(Waker::wake);
            match tick::start_of(next_tick) {
                Some(wake_at) if next_tick != Tick::MAX => {
                    thread::park_timeout(wake_at.saturating_duration_since(Instant::now()));
                }
                _ => thread::park(),
            }
        }
    }
}

impl Schedule {
    fn insert_timer(&mut self) -> Key {
        match self.free.pop() {
            Some(key) => {
                self.timers[key as usize] = TimerEntry::UNARMED;
                key
            }
            None => {
                self.timers.push(TimerEntry::UNARMED);
                Key::try_from(self.timers.len() - 1).expect("more than four billion live timers")
            }
        }
    }

    fn remove_timer(&mut self, key: Key) {
        self.timers[key as usize] = TimerEntry::UNARMED;
        self.free.push(key);
    }

    fn timer_mut(&mut self, key: Key) -> &mut TimerEntry {
        &mut self.timers[key as usize]
    }

    /// Puts timer `key` first in the list of `tick`.
    fn link(&mut self, key: Key, tick: Tick) {
        let following = self.due.insert(tick, key).unwrap_or(NO_KEY);
        if following != NO_KEY {
            self.timer_mut(following).previous = key;
        }
        let timer = self.timer_mut(key);
        timer.armed_for = tick;
        timer.previous = NO_KEY;
        timer.next = following;
    }

    /// Takes timer `key` out of the list of its tick, if it is in one.
    fn unlink(&mut self, key: Key) {
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
        } else if next != NO_KEY {
            self.due.insert(tick, next);
        } else {
            self.due.remove(&tick);
        }
    }

    /// Fires every timer due at or before `tick`, collecting their wakers.
    fn fire_through(&mut self, tick: Tick, wakers: &mut Vec<Waker>) {
        while let Some(entry) = self.due.first_entry() {
            if *entry.key() > tick {
                break;
            }
            let mut key = entry.remove();
            while key != NO_KEY {
                let timer = self.timer_mut(key);
                key = std::mem::replace(&mut timer.next, NO_KEY);
                timer.previous = NO_KEY;
                timer.armed_for = NOT_ARMED;
                wakers.extend(timer.waker.take());
            }
        }
        self.fired_through = self.fired_through.max(tick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_test::task::new_count_waker;

    fn schedule() -> Schedule {
        Schedule {
            timers: Vec::new(),
            free: Vec::new(),
            due: BTreeMap::new(),
            fired_through: 0,
            driver_wakes_at: Tick::MAX,
        }
    }

    #[test]
    fn timers_leave_their_tick_from_any_place_in_its_list_and_the_rest_still_fire() {
        // Five timers on one tick; take out the first, a middle one and the last.
        for leaving in [[0, 2, 4], [4, 2, 0], [1, 3, 0]] {
            let mut schedule = schedule();
            let keys: Vec<Key> = (0..5).map(|_| schedule.insert_timer()).collect();
            let counters: Vec<_> = keys
                .iter()
                .map(|&key| {
                    let (waker, count) = new_count_waker();
                    schedule.timer_mut(key).waker = Some(waker);
                    schedule.link(key, 10);
                    count
                })
                .collect();
            for &gone in &leaving {
                schedule.unlink(keys[gone]);
            }
            let mut wakers = Vec::new();
            schedule.fire_through(9, &mut wakers);
            assert!(wakers.is_empty(), "fired before its tick");
            schedule.fire_through(10, &mut wakers);
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
    fn an_emptied_tick_leaves_the_schedule_and_keys_are_reused() {
        let mut schedule = schedule();
        let first = schedule.insert_timer();
        schedule.link(first, 3);
        schedule.unlink(first);
        assert!(schedule.due.is_empty());
        schedule.remove_timer(first);
        assert_eq!(schedule.insert_timer(), first);
        assert_eq!(schedule.timers.len(), 1);
    }

    #[test]
    fn re_linking_moves_a_timer_to_its_new_tick_only() {
        let mut schedule = schedule();
        let key = schedule.insert_timer();
        schedule.link(key, 5);
        schedule.unlink(key);
        schedule.link(key, 8);
        let (waker, count) = new_count_waker();
        schedule.timer_mut(key).waker = Some(waker);
        let mut wakers = Vec::new();
        schedule.fire_through(7, &mut wakers);
        assert!(wakers.is_empty(), "fired at its old tick");
        schedule.fire_through(8, &mut wakers);
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(count.get(), 1);
        assert_eq!(schedule.timer_mut(key).armed_for, NOT_ARMED);
    }
}
