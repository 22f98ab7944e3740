//! The scheduler carried by a tokio runtime (feature `tokio`): one wakeup per tick.
//!
//! The driver thread costs each tick two thread wakeups, its own and then the
//! executor's. Inside a multi-thread tokio runtime the driver can be a task that
//! sleeps on tokio's own timer instead: a tick then wakes one worker, which fires
//! the schedule and runs the woken tasks without another thread being involved.
//!
//! The thread stays as the fallback, parked while a runtime hosts the driver, and
//! the runtime is never required:
//!
//! - When the runtime shuts down, the task is dropped; its guard hands the
//!   schedule back to the thread, and a later timer created inside a runtime may
//!   host it again.
//! - If the task panics (a runtime without a time driver), or the supervisor finds
//!   a due tick unfired for a whole period (workers blocked), or a waker blocks the
//!   task, the thread takes over for the rest of the process.
//! - Only multi-thread runtimes host it: a current-thread runtime runs its tasks
//!   only inside `block_on`, and would stop every timer of the process between calls.

use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::{Poll, Waker};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

use tokio::runtime::{Handle, RuntimeFlavor};

use super::driver::{lock, Wheel, Woke, HOST, HOST_WAKES_PER_POLL};
use crate::clock::tick;

/// No runtime hosts the driver; the next timer created inside one may.
const IDLE: u8 = 0;
/// A runtime's task drives the schedule; the thread is parked.
const ACTIVE: u8 = 1;
/// The thread drives the schedule for the rest of the process.
const DISABLED: u8 = 2;

#[derive(Debug)]
pub(super) struct Host {
    state: AtomicU8,
    /// Bumped to retire the hosted task: it leaves at its next step.
    generation: AtomicU64,
    /// The hosted task's waker, registered at its first wait, and the flag that
    /// tells it a timer was armed earlier than it sleeps until.
    waker: Mutex<Option<Waker>>,
    woken: AtomicBool,
}

impl Host {
    pub(super) const fn new() -> Self {
        Host {
            state: AtomicU8::new(IDLE),
            generation: AtomicU64::new(0),
            waker: Mutex::new(None),
            woken: AtomicBool::new(false),
        }
    }

    /// Whether a runtime's task drives the schedule now.
    pub(super) fn is_active(&self) -> bool {
        self.state.load(Ordering::Acquire) == ACTIVE
    }

    /// Hosts the driver on the tokio runtime this thread is in, if it is a
    /// multi-thread one and no runtime hosts it yet.
    pub(super) fn try_host(&self, wheel: &'static Wheel) {
        if self.state.load(Ordering::Acquire) != IDLE {
            return;
        }
        let Ok(runtime) = Handle::try_current() else {
            return;
        };
        if runtime.runtime_flavor() != RuntimeFlavor::MultiThread {
            return;
        }
        if self
            .state
            .compare_exchange(IDLE, ACTIVE, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let generation = self.generation.load(Ordering::Acquire);
        wheel.stats.runtime_hosts.fetch_add(1, Ordering::Relaxed);
        // A runtime that is shutting down drops the task at once: its guard hands back.
        drop(runtime.spawn(drive(wheel, generation)));
    }

    /// Wakes the hosted task so that it looks at the schedule again; `false` if
    /// no runtime hosts the driver.
    pub(super) fn wake(&self) -> bool {
        if !self.is_active() {
            return false;
        }
        self.woken.store(true, Ordering::Release);
        let waker = lock(&self.waker).clone();
        // Cloned out, woken with no lock held: a tokio waker is the runtime's code.
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    /// Gives the schedule back to the thread for good: the hosted task stalled,
    /// failed or blocked. Returns whether a host was active.
    pub(super) fn disable(&self, wheel: &'static Wheel) -> bool {
        let was = self.state.swap(DISABLED, Ordering::AcqRel);
        self.generation.fetch_add(1, Ordering::AcqRel);
        if was == ACTIVE {
            wheel
                .stats
                .runtime_host_losses
                .fetch_add(1, Ordering::Relaxed);
            wheel.resume_thread();
        }
        was == ACTIVE
    }

    fn retired(&self, generation: u64) -> bool {
        self.generation.load(Ordering::Acquire) != generation
    }
}

/// The hosted driver: the thread driver's loop, with tokio's timer for a sleep.
async fn drive(wheel: &'static Wheel, generation: u64) {
    let guard = HostGuard {
        wheel,
        generation,
        left: false,
    };
    let host = &wheel.host;
    // Panics in a runtime without a time driver: the guard then disables hosting.
    let mut sleep = pin!(tokio::time::sleep_until(tokio::time::Instant::now()));
    let mut wakers = Vec::new();
    loop {
        if host.retired(generation) {
            break;
        }
        host.woken.store(false, Ordering::Release);
        let current = || !host.retired(generation);
        let Some(next) = wheel.step(HOST, &mut wakers, &current) else {
            break;
        };
        // The rest of a large batch, a share at a time, after the worker ran the last share.
        loop {
            match wheel.wake_some(HOST, &current, HOST_WAKES_PER_POLL) {
                Woke::All => break,
                Woke::Some => tokio::task::yield_now().await,
                Woke::Retired => return guard.leave(),
            }
        }
        let wake_at = tick::start_of(next).filter(|_| next != tick::Tick::MAX);
        if let Some(wake_at) = wake_at {
            sleep.as_mut().reset(wake_at.into());
        }
        poll_fn(|cx| {
            {
                let mut registered = lock(&host.waker);
                if !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    // Cloning a tokio task's waker is the runtime's own code, never user code.
                    *registered = Some(cx.waker().clone());
                }
            }
            if host.woken.load(Ordering::Acquire) || host.retired(generation) {
                return Poll::Ready(());
            }
            match wake_at {
                Some(_) => sleep.as_mut().poll(cx),
                None => Poll::Pending,
            }
        })
        .await;
    }
    guard.leave();
}

/// Owned by the hosted task. Dropped with the task unfinished, it hands the
/// schedule back to the thread: at once for good after a panic, and until the
/// next runtime after a shutdown.
struct HostGuard {
    wheel: &'static Wheel,
    generation: u64,
    left: bool,
}

impl HostGuard {
    /// The task ends of its own accord: retired, so nothing to hand back.
    fn leave(mut self) {
        self.left = true;
    }
}

impl Drop for HostGuard {
    fn drop(&mut self) {
        let (wheel, host) = (self.wheel, &self.wheel.host);
        if self.left || host.retired(self.generation) {
            return; // retired: whoever retired it has handed the schedule back
        }
        if std::thread::panicking() {
            host.disable(wheel);
            return;
        }
        // Dropped unfinished: the runtime shut down. Another one may host it later.
        *lock(&host.waker) = None;
        host.generation.fetch_add(1, Ordering::AcqRel);
        if host
            .state
            .compare_exchange(ACTIVE, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            wheel
                .stats
                .runtime_host_losses
                .fetch_add(1, Ordering::Relaxed);
        }
        wheel.resume_thread();
    }
}
