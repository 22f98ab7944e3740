//! The scheduler's driver hosted on async-io's reactor, the one smol runs on
//! (Linux, feature `async-io`, opted into with [`WheelClock::host_on_async_io`]).
//!
//! A timerfd, registered with the reactor, is armed for the next tick that has
//! timers. When it fires, the reactor calls this driver's waker, on whichever
//! thread runs the reactor, and the waker does the driver's step there: it
//! fires the due ticks, wakes their tasks, arms the timerfd for the next tick
//! and registers itself again. Under smol that thread is an executor thread
//! that was waiting for I/O, so a tick costs that one wakeup instead of the
//! scheduler thread's and then the executor's (docs/performance.md measures it).
//! The crate needs no handle to any executor for it.
//!
//! What it keeps from the thread driver:
//!
//! - the same step, so every waker still runs in `run_executor_code`: a panic
//!   is caught and counted, and the supervisor sees a waker that blocks;
//! - a step that blocks in a waker, or unwinds for any other reason, hands the
//!   timers back to a scheduler thread for good: the supervisor (or the
//!   unwinding step) retires this driver, which then stops registering itself,
//!   and starts a thread, never the reactor again, since the reactor's thread
//!   may be the one that is stuck;
//! - a poll that arms a timer earlier than the driver sleeps asks for a step at
//!   once ([`wake`](ReactorDriver::wake)), and the step that re-arms the timerfd
//!   for later sees that request under the same lock, so it cannot undo it.
//!
//! [`WheelClock::host_on_async_io`]: crate::clock::WheelClock::host_on_async_io

use core::task::{Context, Waker};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Wake;
use std::time::Duration;

use async_io::Async;
use rustix::time::{
    timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags,
    Timespec,
};

use super::driver::{lock, Wheel};
use super::faults;
use crate::clock::tick::{self, Tick};
use crate::clock::Instant;

/// The driver while it is hosted: the timerfd and what the step needs.
#[derive(Debug)]
pub(super) struct ReactorDriver {
    wheel: &'static Wheel,
    /// The wheel's generation this driver belongs to: it stops once retired.
    generation: u64,
    timerfd: Async<OwnedFd>,
    /// Set by a poll that armed a timer before the tick the timerfd is armed
    /// for; read by the step under `arming`, so that its re-arm for a later
    /// tick cannot undo the poll's request for a step at once.
    step_requested: AtomicBool,
    arming: Mutex<()>,
    /// The step's scratch vectors (fired and retired wakers), kept between steps.
    scratch: Mutex<(Vec<Waker>, Vec<Waker>)>,
}

impl ReactorDriver {
    /// Registers a new driver of `generation` with the reactor and arms it for a
    /// step at once, which the reactor's thread runs; nothing runs here.
    pub(super) fn start(wheel: &'static Wheel, generation: u64) -> io::Result<Arc<Self>> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        let driver = Arc::new(ReactorDriver {
            wheel,
            generation,
            timerfd: Async::new(fd)?,
            step_requested: AtomicBool::new(false),
            arming: Mutex::new(()),
            scratch: Mutex::new((Vec::new(), Vec::new())),
        });
        driver.arm(ArmFor::Now)?;
        let waker = Waker::from(driver.clone());
        // Ready only if it already fired, which a fresh registration cannot see:
        // the reactor reports it, and calls the waker, at its next turn.
        let _ = driver
            .timerfd
            .poll_readable(&mut Context::from_waker(&waker));
        Ok(driver)
    }

    /// Registers this driver with the reactor again and asks for a step at once:
    /// for the supervisor, when the driver is a whole period late. The reactor
    /// can lose a registration (async-io drops the wakers it collected in a turn
    /// that fails), and then would never call this driver again; if nothing was
    /// lost, this only adds a step.
    pub(super) fn register_again(self: &Arc<Self>) {
        let waker = Waker::from(self.clone());
        let _ = self.arm(ArmFor::Now);
        // A readiness not yet taken is taken by the first poll; the second registers.
        for _ in 0..2 {
            if self
                .timerfd
                .poll_readable(&mut Context::from_waker(&waker))
                .is_pending()
            {
                return;
            }
        }
    }

    /// Asks for a step at once: a timer was armed before the tick the driver sleeps until.
    pub(super) fn wake(&self) {
        self.step_requested.store(true, Ordering::SeqCst);
        // Setting a valid time on the driver's own descriptor does not fail;
        // were it to, the supervisor's look at a late driver tries again.
        let _ = self.arm(ArmFor::Now);
    }

    /// Arms the timerfd, under `arming`: for a step at once if one was asked for.
    fn arm(&self, arm_for: ArmFor) -> io::Result<()> {
        let _arming = lock(&self.arming);
        let arm_for = if self.step_requested.load(Ordering::SeqCst) {
            ArmFor::Now
        } else {
            arm_for
        };
        let delay = match arm_for {
            ArmFor::Now => Some(Duration::ZERO),
            ArmFor::Tick(next) => tick_start(next)
                // Relative to a reading taken before the call: never early.
                .map(|at| at.saturating_duration_since(Instant::now())),
        };
        let spec = Itimerspec {
            it_interval: timespec(Duration::ZERO),
            // A zero value disarms: a step at once is one nanosecond away.
            it_value: timespec(
                delay.map_or(Duration::ZERO, |delay| delay.max(Duration::from_nanos(1))),
            ),
        };
        timerfd_settime(self.timerfd.get_ref(), TimerfdTimerFlags::empty(), &spec)?;
        Ok(())
    }

    /// The reactor's call: steps until the timerfd waits for a later tick.
    fn on_fired(self: &Arc<Self>) {
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        // The readiness that brought the reactor here: taken, so that the
        // registration below waits for the next one.
        let _ = self.timerfd.poll_readable(&mut cx);
        let _hosting = Hosting(self);
        let mut scratch = lock(&self.scratch);
        let (fired, retired) = &mut *scratch;
        loop {
            drain(self.timerfd.get_ref());
            self.step_requested.store(false, Ordering::SeqCst);
            let Some(next) = self.wheel.step(self.generation, fired, retired) else {
                return; // retired: not registered again, the timerfd goes with the last reference
            };
            if self.arm(ArmFor::Tick(next)).is_err() {
                self.wheel.host_failed(self.generation);
                return;
            }
            if faults::reactor_wakeup_lost() {
                return;
            }
            if self.timerfd.poll_readable(&mut cx).is_pending() {
                return;
            }
        }
    }
}

impl Wake for ReactorDriver {
    fn wake(self: Arc<Self>) {
        self.on_fired();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.on_fired();
    }
}

/// Held while a step runs on the reactor: if the step unwinds (a panic outside
/// any waker, which `run_executor_code` would have caught), the timers go back
/// to a scheduler thread, since the reactor will not call this driver again.
struct Hosting<'a>(&'a ReactorDriver);

impl Drop for Hosting<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.wheel.host_failed(self.0.generation);
        }
    }
}

/// What the timerfd is armed for.
#[derive(Debug, Clone, Copy)]
enum ArmFor {
    /// A step as soon as possible.
    Now,
    /// The start of a tick; `Tick::MAX`: no timer armed, so disarmed.
    Tick(Tick),
}

/// Reads the timerfd's count of expiries, so that it stops being readable.
fn drain(timerfd: &OwnedFd) {
    let mut count = [0u8; 8];
    // Nothing to read (it was disarmed or re-armed since) is fine.
    let _ = rustix::io::read(timerfd, &mut count);
}

fn tick_start(next: Tick) -> Option<Instant> {
    if next == Tick::MAX {
        return None;
    }
    tick::start_of(next)
}

fn timespec(span: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(span.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: span.subsec_nanos().into(),
    }
}
