//! The thread that fires the ticks, and what keeps it running whatever the
//! wakers it calls do.
//!
//! - A waker that panics is caught and counted; the others are still woken.
//! - If the thread dies anyway, the wakers it had collected but not woken are
//!   handed to its successor, which it starts as it unwinds; if that start fails,
//!   the next use of the clock starts one. The schedule itself lives outside the
//!   thread, so no armed timer is lost, only fired late.
//! - A thread that cannot be started is reported at once, never waited for.

use core::task::Waker;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::faults;
use super::scheduler::Scheduler;
use super::stats::Stats;
use crate::clock::tick::{self, Tick};

pub(super) const THREAD_NAME: &str = "futures-heartbeat-wheel";

/// The process's scheduler and its driver thread.
#[derive(Debug)]
pub(super) struct Wheel {
    pub(super) scheduler: Scheduler,
    pub(super) stats: Stats,
    driver: Mutex<Driver>,
    /// Whether a driver thread is running; read without the lock on every arm and wait.
    driver_running: AtomicBool,
}

#[derive(Debug, Default)]
struct Driver {
    thread: Option<Thread>,
    /// Wakers collected by a driver that died before it could wake them: its successor wakes them first.
    orphaned_wakers: Vec<Waker>,
}

impl Wheel {
    pub(super) fn global() -> &'static Wheel {
        static WHEEL: OnceLock<Wheel> = OnceLock::new();
        WHEEL.get_or_init(|| Wheel {
            scheduler: Scheduler::new(),
            stats: Stats::default(),
            driver: Mutex::new(Driver::default()),
            driver_running: AtomicBool::new(false),
        })
    }

    fn lock_driver(&self) -> MutexGuard<'_, Driver> {
        // Held only by the crate's own code, which leaves `Driver` consistent at every point.
        self.driver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts the driver thread unless one is running.
    pub(super) fn ensure_driver(&'static self) -> io::Result<()> {
        if self.driver_running.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut driver = self.lock_driver();
        if driver.thread.is_some() {
            return Ok(());
        }
        faults::before_spawn()?;
        let spawned = thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || self.drive())?;
        driver.thread = Some(spawned.thread().clone());
        self.driver_running.store(true, Ordering::Release);
        Ok(())
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
        let driver = self.lock_driver().thread.clone();
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

    /// The driver's loop: fire what is due, wake it, sleep until the next tick that has timers.
    fn drive(&'static self) {
        let mut running = Running {
            wheel: self,
            wakers: std::mem::take(&mut self.lock_driver().orphaned_wakers),
        };
        self.wake_all(&mut running.wakers);
        loop {
            let now = Instant::now();
            let fired = self
                .scheduler
                .fire_through(tick::tick_started_by(now), &mut running.wakers);
            faults::after_collecting_wakers();
            if let Some(earliest) = fired.earliest {
                self.stats.record_tick(lateness(earliest, now));
                self.wake_all(&mut running.wakers);
                self.stats.record_wake_batch(now.elapsed());
            }
            sleep_until(fired.next);
        }
    }

    /// Wakes every waker in `wakers`, each in its own `catch_unwind`: one task's
    /// faulty waker must not keep the others from being woken.
    fn wake_all(&self, wakers: &mut Vec<Waker>) {
        // Popped one at a time, so that whatever is not yet woken stays in `wakers`
        // for a successor if this thread dies anyway.
        while let Some(waker) = wakers.pop() {
            if panic::catch_unwind(AssertUnwindSafe(|| waker.wake())).is_err() {
                // The standard panic hook has already printed the message, naming this thread.
                self.stats.waker_panics.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
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

/// Owned by the driver thread while it runs. Dropped only if the thread unwinds
/// (its loop never ends otherwise): it hands the unwoken wakers on and starts a
/// successor.
struct Running {
    wheel: &'static Wheel,
    wakers: Vec<Waker>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let wheel = self.wheel;
        {
            let mut driver = wheel.lock_driver();
            driver.thread = None;
            driver.orphaned_wakers.append(&mut self.wakers);
            wheel.driver_running.store(false, Ordering::Release);
        }
        wheel.stats.driver_restarts.fetch_add(1, Ordering::Relaxed);
        // At once, so that the timers fire even if no stream calls in. If it fails,
        // `check_driver` tries again at the next arm or wait.
        let _ = wheel.ensure_driver();
    }
}
