//! Models of the scheduler's protocol, checked by loom over every interleaving
//! (up to a preemption bound) of the real `Scheduler`, compiled against loom's
//! lock and atomics.
//!
//! ```sh
//! RUSTFLAGS="--cfg futures_heartbeat_loom" cargo test --release --lib loom_models
//! ```
//!
//! The driver of these models is `fire`: the driver thread's step without its
//! sleep (loom has no clock), so the ticks it fires are chosen by each model.

use std::sync::Arc;
use std::task::{Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Mutex;
use loom::thread;

use super::schedule::Key;
use super::scheduler::{Due, Polled, Scheduler};
use crate::clock::tick::Tick;

/// Enough to cover the races of two or three threads that each take the lock a
/// few times, and small enough that every model runs in seconds.
const PREEMPTIONS: usize = 3;

fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTIONS);
    builder.check(model);
}

/// A waker that records the driver's step in which it was woken.
struct Recorder {
    step: Arc<AtomicUsize>,
    woken_in_steps: Mutex<Vec<usize>>,
    /// Called when the last handle to this waker is dropped: a waker that re-enters the scheduler.
    on_drop: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Recorder {
    fn new(step: &Arc<AtomicUsize>) -> Arc<Recorder> {
        Arc::new(Recorder {
            step: step.clone(),
            woken_in_steps: Mutex::new(Vec::new()),
            on_drop: Mutex::new(None),
        })
    }

    fn woken_in_steps(&self) -> Vec<usize> {
        self.woken_in_steps.lock().unwrap().clone()
    }
}

impl Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let step = self.step.load(SeqCst);
        self.woken_in_steps.lock().unwrap().push(step);
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(re_enter) = self.on_drop.get_mut().unwrap().take() {
            re_enter();
        }
    }
}

/// A fresh scheduler and its step counter, with one timer armed for `tick`
/// whose waker (a recorder) records when it is woken.
fn one_timer(tick: Tick) -> (Arc<Scheduler>, Arc<AtomicUsize>, Key, Arc<Recorder>, Waker) {
    let scheduler = Arc::new(Scheduler::new());
    let step = Arc::new(AtomicUsize::new(0));
    let (key, _) = scheduler.insert(tick);
    let recorder = Recorder::new(&step);
    let waker = Waker::from(recorder.clone());
    (scheduler, step, key, recorder, waker)
}

/// One step of the driver: announces it, fires through `tick`, and wakes what
/// fired and drops what was replaced, outside the lock.
fn fire(scheduler: &Scheduler, step: &AtomicUsize, tick: Tick) -> Tick {
    step.store(tick as usize, SeqCst);
    let (mut wakers, mut retired) = (Vec::new(), Vec::new());
    let fired = scheduler.fire_through(tick, &mut wakers, &mut retired);
    drop(retired);
    wakers.into_iter().for_each(Waker::wake);
    fired.next
}

/// The step of a driver woken after its last one, as a poll that handed its
/// waker over asks when it may be due before the driver would wake.
fn step_again_if_woken(scheduler: &Scheduler, step: &AtomicUsize, polled: Polled, tick: Tick) {
    if let Polled::Pending {
        wake_driver: true, ..
    } = polled
    {
        fire(scheduler, step, tick);
    }
}

/// The driver's thread: fires `ticks` in order; returns the tick it would then sleep until.
fn drive(
    scheduler: &Arc<Scheduler>,
    step: &Arc<AtomicUsize>,
    ticks: &'static [Tick],
) -> thread::JoinHandle<Tick> {
    let (scheduler, step) = (scheduler.clone(), step.clone());
    thread::spawn(move || {
        ticks
            .iter()
            .fold(Tick::MAX, |_, &tick| fire(&scheduler, &step, tick))
    })
}

#[test]
fn loom_models_a_pending_poll_is_woken_once_its_tick_fires_and_never_before() {
    check(|| {
        let (scheduler, step, key, recorder, waker) = one_timer(2);
        let driver = drive(&scheduler, &step, &[1, 2]);
        // As a timer polls after its waker was taken: with the clone made before the lock.
        let polled = scheduler.poll(key, Due::exact(2), &waker, Some(waker.clone()));
        if polled == Polled::Ready {
            assert_eq!(step.load(SeqCst), 2, "fired before its tick");
        }
        driver.join().unwrap();
        step_again_if_woken(&scheduler, &step, polled, 2);

        let woken = recorder.woken_in_steps();
        assert!(
            woken.iter().all(|&s| s == 2),
            "woken at tick {woken:?}, armed for 2"
        );
        if polled != Polled::Ready {
            assert_eq!(woken, [2], "a pending poll was never woken: lost wakeup");
        }
        assert_eq!(
            scheduler.poll(key, Due::exact(2), &Waker::from(recorder), None),
            Polled::Ready
        );
    });
}

#[test]
fn loom_models_two_streams_racing_the_driver_each_get_their_wakeup() {
    check(|| {
        let scheduler = Arc::new(Scheduler::new());
        let step = Arc::new(AtomicUsize::new(0));
        let streams: Vec<_> = [1, 2]
            .into_iter()
            .map(|tick| {
                let (scheduler, step) = (scheduler.clone(), step.clone());
                thread::spawn(move || {
                    let (key, _) = scheduler.insert(tick);
                    let recorder = Recorder::new(&step);
                    let polled =
                        scheduler.poll(key, Due::exact(tick), &Waker::from(recorder.clone()), None);
                    (tick, polled, recorder)
                })
            })
            .collect();
        fire(&scheduler, &step, 2);
        for stream in streams {
            let (tick, polled, recorder) = stream.join().unwrap();
            if polled != Polled::Ready {
                assert_eq!(
                    recorder.woken_in_steps(),
                    [2],
                    "lost wakeup for tick {tick}"
                );
            }
        }
    });
}

#[test]
fn loom_models_a_timer_reset_while_its_tick_fires_keeps_only_its_new_deadline() {
    check(|| {
        let (scheduler, step, key, recorder, waker) = one_timer(1);
        let _ = scheduler.poll(key, Due::exact(1), &waker, None);

        let driver = drive(&scheduler, &step, &[1, 3]);
        scheduler.arm(key, 3);
        // The lock-free look must agree with the deadline it was moved to.
        if scheduler.has_fired(3) {
            assert_eq!(
                step.load(SeqCst),
                3,
                "the reset timer looked fired before its tick"
            );
        }
        let polled = scheduler.poll(key, Due::exact(3), &waker, None);
        if polled == Polled::Ready {
            assert_eq!(
                step.load(SeqCst),
                3,
                "the reset timer fired at its old tick"
            );
        }
        driver.join().unwrap();
        if polled != Polled::Ready {
            assert!(
                recorder.woken_in_steps().contains(&3),
                "the reset timer's wakeup was lost"
            );
        }
    });
}

#[test]
fn loom_models_a_timer_moved_later_by_its_poll_is_woken_at_its_new_tick() {
    // A later reset only records the tick; the next poll moves the timer. The
    // driver may fire the old tick first: one early wake is allowed, a lost one is not.
    check(|| {
        let (scheduler, step, key, recorder, waker) = one_timer(1);
        let _ = scheduler.poll(key, Due::exact(1), &waker, None);

        let driver = drive(&scheduler, &step, &[1, 2, 3]);
        let polled = scheduler.poll(key, Due::exact(3), &waker, None);
        if polled == Polled::Ready {
            assert_eq!(
                step.load(SeqCst),
                3,
                "the moved timer fired before its new tick"
            );
        }
        driver.join().unwrap();
        let woken = recorder.woken_in_steps();
        assert!(
            !woken.contains(&2),
            "woken at a tick it was never armed for: {woken:?}"
        );
        if polled != Polled::Ready {
            assert!(
                woken.contains(&3),
                "the moved timer's wakeup was lost: {woken:?}"
            );
        }
    });
}

#[test]
fn loom_models_a_coalesced_timer_is_ready_at_its_deadline_and_woken_by_its_shared_tick() {
    // Due at tick 1, it may wait for tick 3 to share that wakeup: never woken
    // before its deadline nor after tick 3, never lost, and ready as soon as its
    // deadline fired.
    check(|| {
        let (scheduler, step, key, recorder, waker) = one_timer(9); // then moved by the poll, as after a later reset
        let driver = drive(&scheduler, &step, &[2, 3]);
        let due = Due {
            ready: 1,
            coalesced: 3,
            burst: 8,
        };
        let polled = scheduler.poll(key, due, &waker, Some(waker.clone()));
        driver.join().unwrap();
        step_again_if_woken(&scheduler, &step, polled, 3);
        let woken = recorder.woken_in_steps();
        if polled != Polled::Ready {
            // At tick 3 if its hand-over was applied before tick 2 fired; if after,
            // at tick 2, which found it already due.
            assert!(
                woken == [2] || woken == [3],
                "not woken once, between its deadline and the tick it shares: {woken:?}"
            );
        }
        assert_eq!(scheduler.poll(key, due, &waker, None), Polled::Ready);
    });
}

#[test]
fn loom_models_a_reused_key_never_wakes_the_dropped_timers_waker() {
    check(|| {
        let scheduler = Arc::new(Scheduler::new());
        let step = Arc::new(AtomicUsize::new(0));
        let driver = drive(&scheduler, &step, &[1, 2]);

        let dropped = Recorder::new(&step);
        let (first, _) = scheduler.insert(1);
        let _ = scheduler.poll(first, Due::exact(1), &Waker::from(dropped.clone()), None);
        scheduler.remove(first);
        let (reused, _) = scheduler.insert(2);
        assert_eq!(reused, first, "the model means to reuse the key");
        driver.join().unwrap();

        let woken = dropped.woken_in_steps();
        assert!(
            woken.iter().all(|&s| s == 1),
            "the dropped timer's waker was woken for the timer that reused its key: {woken:?}"
        );
    });
}

#[test]
fn loom_models_a_timer_armed_earlier_than_the_driver_sleeps_wakes_the_driver() {
    check(|| {
        let scheduler = Arc::new(Scheduler::new());
        let step = Arc::new(AtomicUsize::new(0));
        let (late, _) = scheduler.insert(9);
        let driver = drive(&scheduler, &step, &[1]);
        let (_, wake_driver) = scheduler.insert(5);
        let driver_sleeps_until = driver.join().unwrap();
        assert!(
            wake_driver || driver_sleeps_until <= 5,
            "the driver sleeps until tick {driver_sleeps_until} and was not told of tick 5"
        );
        scheduler.remove(late);
    });
}

#[test]
fn loom_models_a_waker_handed_over_for_a_tick_before_the_driver_wakes_wakes_the_driver() {
    // The timer fired at tick 1 and its next poll hands a waker over for tick 3,
    // with no lock, while the driver fires tick 1 and goes to sleep.
    check(|| {
        let (scheduler, step, key, recorder, waker) = one_timer(1);
        let driver = drive(&scheduler, &step, &[1]);
        let polled = scheduler.poll(key, Due::exact(3), &waker, Some(waker.clone()));
        let driver_sleeps_until = driver.join().unwrap();
        let Polled::Pending { wake_driver, .. } = polled else {
            panic!("ready before tick 3 fired");
        };
        if wake_driver {
            // Woken, the driver looks again, and then sleeps until tick 3.
            assert_eq!(
                fire(&scheduler, &step, 1),
                3,
                "the hand-over was not applied"
            );
        } else {
            assert!(
                driver_sleeps_until <= 3,
                "the driver sleeps until tick {driver_sleeps_until} and was not told of tick 3"
            );
        }
        fire(&scheduler, &step, 3);
        assert_eq!(recorder.woken_in_steps(), [3], "not woken once, at tick 3");
    });
}

#[test]
fn loom_models_a_tick_handed_over_without_a_waker_is_fired_in_time() {
    // A heartbeat whose stream stays ready tells the scheduler of its next tick,
    // 3, with no waker and no lock, while the driver fires tick 1 and goes to
    // sleep. Its waker, registered for tick 1, moves with the tick or fires at 1.
    check(|| {
        let (scheduler, step, key, recorder, waker) = one_timer(1);
        let _ = scheduler.poll(key, Due::exact(1), &waker, None);
        let driver = drive(&scheduler, &step, &[1]);
        let wake_driver = scheduler.tell(key, Due::exact(3));
        let mut driver_sleeps_until = driver.join().unwrap();
        if wake_driver {
            driver_sleeps_until = fire(&scheduler, &step, 1);
        }
        assert!(
            driver_sleeps_until <= 3,
            "the driver sleeps until tick {driver_sleeps_until} and was not told of tick 3"
        );
        assert!(
            !scheduler.has_fired(3),
            "tick 3 looks fired before its step"
        );
        fire(&scheduler, &step, 3);
        assert!(scheduler.has_fired(3));
        let woken = recorder.woken_in_steps();
        assert!(
            woken == [1] || woken == [3],
            "the registered waker was not woken once, at its tick or the one it moved to: {woken:?}"
        );
    });
}

#[test]
fn loom_models_a_waker_that_re_enters_the_scheduler_when_dropped_cannot_deadlock_it() {
    check(|| {
        let scheduler = Arc::new(Scheduler::new());
        let step = Arc::new(AtomicUsize::new(0));
        let (key, _) = scheduler.insert(3);
        let (other, _) = scheduler.insert(4);

        let re_entering = Recorder::new(&step);
        let re_enter_with = scheduler.clone();
        *re_entering.on_drop.lock().unwrap() = Some(Box::new(move || {
            re_enter_with.arm(other, 6);
            re_enter_with.remove(other);
        }));
        let driver = drive(&scheduler, &step, &[1]);
        // The scheduler holds the only other handle: replacing it drops the last one.
        let _ = scheduler.poll(key, Due::exact(3), &Waker::from(re_entering), None);
        let _ = scheduler.poll(key, Due::exact(3), &Waker::from(Recorder::new(&step)), None);
        driver.join().unwrap();
        scheduler.remove(key);
    });
}
