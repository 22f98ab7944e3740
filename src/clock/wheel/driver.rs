//! The thread that fires the ticks, and what keeps it running whatever the
//! wakers it calls do.
//!
//! - A waker that panics is caught and counted; the others are still woken.
//! - A waker that blocks holds up the timers behind it for at most about two
//!   [supervision periods](SUPERVISION_PERIOD): the supervisor thread sees that
//!   the driver made no progress, retires it, and starts a successor that wakes
//!   the rest of the batch. The retired thread leaves as soon as the waker returns.
//! - The supervisor watches only while the driver runs executor code: it waits
//!   with no timeout until the driver, entering a batch of wakers, wakes it, and
//!   goes back to that wait once a whole period passes with no waker called. A
//!   process with no timer due has no thread of the crate waking (arm on entry,
//!   as hang monitors do).
//! - If the driver dies anyway, it starts its successor as it unwinds; if that
//!   fails, it wakes the supervisor, which tries again every period until one
//!   starts, as does the next use of the clock.
//! - Wakers waiting to be woken sit in a shared batch, not in the driver thread,
//!   and the schedule lives outside the thread too, so no armed timer is lost
//!   to any of this, only fired late.
//! - A thread that cannot be started is reported at once, never waited for.

use core::task::Waker;
use std::collections::VecDeque;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::{self, Thread};
use std::time::Duration;

use crate::clock::Instant;

use super::faults;
use super::lock_count;
use super::scheduler::Scheduler;
use super::stats::Stats;
use super::sync::OwnLine;
use crate::clock::tick::{self, Tick};
use crate::trace;

pub(super) const THREAD_NAME: &str = "futures-heartbeat-wheel";
const SUPERVISOR_NAME: &str = "futures-heartbeat-wheel-supervisor";

/// How often the supervisor looks at the driver while the driver runs executor
/// code: a waker that blocks delays the timers behind it by one to two periods.
/// While no waker runs, the supervisor does not wake at all.
pub(super) const SUPERVISION_PERIOD: Duration = Duration::from_millis(100);

/// The process's scheduler, its driver thread and the supervisor of that thread.
#[derive(Debug)]
pub(super) struct Wheel {
    pub(super) scheduler: Scheduler,
    pub(super) stats: Stats,
    /// The running driver's thread.
    driver: Mutex<Option<Thread>>,
    /// Whether a driver is running; read without the lock on every arm and wait,
    /// so on a line of its own, away from what the driver writes as it wakes.
    driver_running: OwnLine<AtomicBool>,
    /// Bumped to retire a driver: each driver knows its own and leaves when it changes.
    generation: AtomicU64,
    /// The wakers of fired timers, not yet woken. Shared, so that a successor can
    /// wake what a blocked or dead driver could not. Only drivers take this lock,
    /// never a stream: once to hand a step's wakers over, and once to take each
    /// one out, so that none is held while a waker runs. Uncontended, that is
    /// two atomic operations a waker, where a lock-free queue took four.
    batch: Mutex<VecDeque<Waker>>,
    /// The driver's progress, written at every waker it calls.
    progress: OwnLine<Progress>,
    supervisor: Supervisor,
}

/// The driver's progress, for the supervisor: wakers it started to wake,
/// whether it is inside one now, and whether it is in a batch of them (from the
/// first waker of a step to the step's end). Written by the driver alone.
#[derive(Debug, Default)]
struct Progress {
    wakes_started: AtomicU64,
    in_waker: AtomicBool,
    in_batch: AtomicBool,
}

/// The supervisor thread, and whether it waits for a batch with no timeout.
#[derive(Debug, Default)]
struct Supervisor {
    /// Set once the thread is started (or being started), so that it starts once.
    started: AtomicBool,
    /// Set by the thread itself before it first waits.
    thread: OnceLock<Thread>,
    /// Set by the supervisor before it waits with no timeout; cleared by
    /// whoever wakes it (the driver entering a batch, or a failed restart).
    waiting: AtomicBool,
}

impl Wheel {
    pub(super) fn global() -> &'static Wheel {
        static WHEEL: OnceLock<Wheel> = OnceLock::new();
        WHEEL.get_or_init(|| Wheel {
            scheduler: Scheduler::new(),
            stats: Stats::default(),
            driver: Mutex::new(None),
            driver_running: OwnLine(AtomicBool::new(false)),
            generation: AtomicU64::new(0),
            batch: Mutex::new(VecDeque::new()),
            progress: OwnLine::default(),
            supervisor: Supervisor::default(),
        })
    }

    /// Starts a driver unless one is running, and the supervisor with the first.
    pub(super) fn ensure_driver(&'static self) -> io::Result<()> {
        if self.driver_running.load(Ordering::Acquire) {
            return Ok(());
        }
        let driver = lock(&self.driver);
        if driver.is_some() {
            return Ok(());
        }
        let generation = self.generation.load(Ordering::Acquire);
        faults::before_spawn()?;
        let spawned = thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || self.drive(generation))?;
        self.started(driver, spawned.thread().clone());
        Ok(())
    }

    /// Records `started` as the running driver, and starts the supervisor with the first.
    fn started(&'static self, mut driver: MutexGuard<'_, Option<Thread>>, started: Thread) {
        *driver = Some(started);
        self.driver_running.store(true, Ordering::Release);
        drop(driver);
        if !self.supervisor.started.swap(true, Ordering::AcqRel) {
            let spawned = thread::Builder::new()
                .name(SUPERVISOR_NAME.into())
                .spawn(move || self.supervise());
            if spawned.is_err() {
                // Unsupervised until the next start tries again: still working.
                self.supervisor.started.store(false, Ordering::Release);
            }
        }
    }

    /// Replaces a driver that failed (and was not retired), counting it.
    fn replace_failed_driver(&'static self, what_happened: &str) {
        self.forget_driver();
        self.stats.driver_restarts.fetch_add(1, Ordering::Relaxed);
        trace::scheduler_recovered(what_happened);
        if self.ensure_driver().is_err() {
            // No stream may call in again: the supervisor tries every period until one starts.
            self.wake_supervisor();
        }
    }

    /// [`ensure_driver`](Self::ensure_driver), for callers that cannot return an
    /// error: a stream that would otherwise wait forever panics instead.
    pub(super) fn ensure_driver_or_panic(&'static self) {
        if let Err(cause) = self.ensure_driver() {
            panic!(
                "futures-heartbeat: cannot start the `{THREAD_NAME}` thread that fires the \
                 timers of WheelClock, the default clock: {cause}. Where threads cannot be \
                 started, give the adapters a clock that runs on a reactor instead: \
                 AsyncIoClock (feature `async-io`) or TokioClock (feature `tokio`), through \
                 `with_heartbeat_on` / `watchdog_on`"
            );
        }
    }

    /// Wakes the driver so that it sees a timer armed earlier than it planned to wake.
    pub(super) fn wake_driver(&'static self) {
        let driver = lock(&self.driver).clone();
        match driver {
            Some(thread) => thread.unpark(),
            None => self.ensure_driver_or_panic(),
        }
    }

    /// A running driver, or a clear panic: for every arm and wait, so that a driver
    /// that died is replaced at the next use of the clock even if its restart failed.
    pub(super) fn check_driver(&'static self) {
        if !self.driver_running.load(Ordering::Acquire) {
            self.ensure_driver_or_panic();
        }
    }

    /// Marks the running driver as gone, so that the next start replaces it.
    fn forget_driver(&self) {
        let mut driver = lock(&self.driver);
        self.generation.fetch_add(1, Ordering::AcqRel);
        *driver = None;
        // In one total order with the supervisor's flag: see `wait_for_a_batch`.
        self.driver_running.store(false, Ordering::SeqCst);
    }

    /// The driver thread's loop: a step, then sleep until the next tick that has
    /// timers; leave when retired.
    fn drive(&'static self, generation: u64) {
        let _running = Running {
            wheel: self,
            generation,
        };
        let mut fired_wakers = Vec::new();
        let mut retired_wakers = Vec::new();
        while let Some(next) = self.step(generation, &mut fired_wakers, &mut retired_wakers) {
            sleep_until(next);
        }
    }

    /// One step of a driver of `generation`: wake what a predecessor left in the
    /// batch, fire what is due and wake it.
    /// Returns the next tick that has timers (`Tick::MAX` if none), or `None`
    /// once retired. The vectors are scratch space, empty between steps.
    fn step(
        &'static self,
        generation: u64,
        fired_wakers: &mut Vec<Waker>,
        retired_wakers: &mut Vec<Waker>,
    ) -> Option<Tick> {
        if !self.wake_batch(generation) {
            return None;
        }
        let now = Instant::now();
        let fired =
            self.scheduler
                .fire_through(tick::tick_started_by(now), fired_wakers, retired_wakers);
        if let Some(earliest) = fired.earliest {
            self.stats.record_tick(lateness(earliest, now));
        }
        // The fired wakers (also those handed over after their tick fired, with
        // no tick fired now) go into the shared batch before any of the
        // executor's code runs here: if dropping a replaced waker blocks, the
        // successor wakes them.
        let woken = !fired_wakers.is_empty();
        if woken {
            self.hand_over(fired_wakers);
            faults::after_collecting_wakers();
        }
        for waker in retired_wakers.drain(..) {
            self.run_executor_code(generation, || drop(waker));
        }
        if woken && !self.wake_batch(generation) {
            return None;
        }
        if self.retired(generation) {
            return None;
        }
        // Retired, a driver leaves the mark to its successor, whose step ends by clearing it.
        self.progress.in_batch.store(false, Ordering::Release);
        Some(fired.next)
    }

    fn retired(&self, generation: u64) -> bool {
        self.generation.load(Ordering::Acquire) != generation
    }

    /// Moves the wakers a step collected into the shared batch.
    fn hand_over(&self, wakers: &mut Vec<Waker>) {
        lock_batch(&self.batch).extend(wakers.drain(..));
    }

    /// Wakes the wakers in the batch one at a time, each in its own `catch_unwind`:
    /// one task's faulty waker must not keep the others from being woken. Returns
    /// `false` if this driver was retired meanwhile.
    fn wake_batch(&self, generation: u64) -> bool {
        loop {
            if self.retired(generation) {
                return false;
            }
            // The guard is dropped before the waker runs.
            let Some(waker) = lock_batch(&self.batch).pop_front() else {
                return true;
            };
            self.run_executor_code(generation, || waker.wake());
        }
    }

    /// Runs a waker's code (waking or dropping it) where the supervisor watches
    /// it, and catches its panic.
    ///
    /// The progress line is the current driver's alone: a driver of `generation`
    /// retired while it was blocked in a waker, and back, runs what is left of
    /// its step apart from it, so that it neither counts its wakes among its
    /// successor's nor clears the mark of a successor blocked in a waker.
    fn run_executor_code(&self, generation: u64, code: impl FnOnce()) {
        if self.retired(generation) {
            self.catch_waker_panic(code);
            return;
        }
        // A relaxed load of the driver's own line per waker; the rest once per batch.
        if !self.progress.in_batch.load(Ordering::Relaxed) {
            self.enter_batch();
        }
        // Written by the current driver alone: a plain increment, not a locked one.
        let started = self.progress.wakes_started.load(Ordering::Relaxed);
        self.progress
            .wakes_started
            .store(started.wrapping_add(1), Ordering::Relaxed);
        self.progress.in_waker.store(true, Ordering::Release);
        self.catch_waker_panic(code);
        if !self.retired(generation) {
            self.progress.in_waker.store(false, Ordering::Release);
        }
    }

    fn catch_waker_panic(&self, code: impl FnOnce()) {
        if panic::catch_unwind(AssertUnwindSafe(code)).is_err() {
            // The standard panic hook has already printed the message, naming this thread.
            self.stats.waker_panics.fetch_add(1, Ordering::Relaxed);
            trace::scheduler_recovered("a waker panicked");
        }
    }

    /// Marks the driver as in a batch of wakers, and wakes the supervisor if it
    /// waits with no timeout.
    ///
    /// The mark is stored, and the supervisor's flag read, in one total order with
    /// the supervisor's store of its flag and read of the mark (all `SeqCst`): either
    /// the supervisor sees the mark and does not wait, or this sees the flag and wakes it.
    #[cold]
    fn enter_batch(&self) {
        self.progress.in_batch.store(true, Ordering::SeqCst);
        if self.supervisor.waiting.load(Ordering::SeqCst) {
            self.wake_supervisor();
        }
    }

    /// Wakes the supervisor if it waits with no timeout: it then looks every period.
    fn wake_supervisor(&self) {
        if self.supervisor.waiting.swap(false, Ordering::SeqCst) {
            // Set: the supervisor set its handle before its flag.
            if let Some(supervisor) = self.supervisor.thread.get() {
                supervisor.unpark();
            }
        }
    }

    /// The supervisor's thread: waits with no timeout until the driver enters a
    /// batch of wakers, then watches it every period until it is idle again.
    fn supervise(&'static self) {
        let _ = self.supervisor.thread.set(thread::current());
        loop {
            self.wait_for_a_batch();
            self.watch_while_busy();
        }
    }

    /// Returns once the driver is in a batch of wakers, or none runs.
    fn wait_for_a_batch(&self) {
        loop {
            self.supervisor.waiting.store(true, Ordering::SeqCst);
            if self.progress.in_batch.load(Ordering::SeqCst)
                || !self.driver_running.load(Ordering::SeqCst)
            {
                self.supervisor.waiting.store(false, Ordering::SeqCst);
                return;
            }
            thread::park();
            // Cleared: woken by the driver or a failed restart. Set: a spurious
            // wakeup, or an unpark left from an earlier wake: look again.
            if !self.supervisor.waiting.load(Ordering::SeqCst) {
                return;
            }
        }
    }

    /// Every period: replaces a driver that has been inside one waker for a whole
    /// period, and starts one if none runs (a failed restart). Returns once a
    /// period has passed with the driver outside any batch and no waker called.
    fn watch_while_busy(&'static self) {
        let mut seen_in_waker = None;
        let mut seen_progress = self.progress.wakes_started.load(Ordering::Relaxed);
        loop {
            thread::sleep(SUPERVISION_PERIOD);
            let progress = self.progress.wakes_started.load(Ordering::Relaxed);
            let stuck_in = self
                .progress
                .in_waker
                .load(Ordering::Acquire)
                .then_some(progress);
            if stuck_in.is_some() && stuck_in == seen_in_waker {
                self.stats.blocked_drivers.fetch_add(1, Ordering::Relaxed);
                trace::scheduler_recovered("its thread was blocked in a waker and was replaced");
                self.progress.in_waker.store(false, Ordering::Release);
                self.forget_driver();
                seen_in_waker = None;
            } else {
                seen_in_waker = stuck_in;
            }
            if !self.driver_running.load(Ordering::Acquire) {
                let _ = self.ensure_driver();
                continue;
            }
            if progress == seen_progress && !self.progress.in_batch.load(Ordering::Acquire) {
                return;
            }
            seen_progress = progress;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    lock_count::count();
    // Held only by the crate's own code, which leaves the data consistent at every point.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The batch, locked: by drivers only, so not counted among the locks the streams share.
fn lock_batch(batch: &Mutex<VecDeque<Waker>>) -> MutexGuard<'_, VecDeque<Waker>> {
    // Held only to move wakers in or out, which cannot panic half-way.
    batch
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How late the driver fires `tick`, which it fires at `now`.
fn lateness(tick: Tick, now: Instant) -> Duration {
    tick::start_of(tick).map_or(Duration::ZERO, |start| now.saturating_duration_since(start))
}

fn sleep_until(next: Tick) {
    match tick::start_of(next) {
        Some(wake_at) if next != Tick::MAX => {
            thread::park_timeout(wake_at.saturating_duration_since(Instant::now()));
        }
        _ => thread::park(),
    }
}

/// Owned by the driver thread while it runs. If the thread unwinds, and was not
/// retired, it starts a successor at once, so that the timers fire even if no
/// stream calls in.
struct Running {
    wheel: &'static Wheel,
    generation: u64,
}

impl Drop for Running {
    fn drop(&mut self) {
        let wheel = self.wheel;
        if !thread::panicking() || wheel.retired(self.generation) {
            return; // retired: its successor runs already
        }
        wheel.replace_failed_driver("its thread died and was restarted");
    }
}
