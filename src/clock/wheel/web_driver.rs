//! The scheduler's driver on `wasm32-unknown-unknown` (browsers, Node): no
//! thread, which the target does not have, but the host's `setTimeout`, armed for
//! the next tick that has timers. Timers due in the same millisecond still share
//! one wakeup, as on native.

use core::cell::RefCell;
use core::task::Waker;
use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use wasm_bindgen::prelude::*;

use super::scheduler::Scheduler;
use super::stats::Stats;
use crate::clock::tick::{self, Tick};
use crate::clock::Instant;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Closure<dyn FnMut()>, millis: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// The process's scheduler, driven by the host's timeouts.
#[derive(Debug)]
pub(super) struct Wheel {
    pub(super) scheduler: Scheduler,
    pub(super) stats: Stats,
}

/// The one callback every timeout calls, made once and kept, and the timeout
/// pending, with the tick it is for.
struct Timeouts {
    callback: Closure<dyn FnMut()>,
    pending: RefCell<Option<(Tick, JsValue)>>,
}

thread_local! {
    static TIMEOUTS: Timeouts = Timeouts {
        callback: Closure::new(|| Wheel::global().drive()),
        pending: RefCell::new(None),
    };
}

impl Wheel {
    pub(super) fn global() -> &'static Wheel {
        static WHEEL: OnceLock<Wheel> = OnceLock::new();
        WHEEL.get_or_init(|| Wheel {
            scheduler: Scheduler::new(),
            stats: Stats::default(),
        })
    }

    /// Nothing to start: the host's timers are always there.
    pub(super) fn ensure_driver(&'static self) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn ensure_driver_or_panic(&'static self) {}

    pub(super) fn check_driver(&'static self) {}

    /// A timer was armed for a tick earlier than the pending timeout's: move the timeout.
    pub(super) fn wake_driver(&'static self) {
        arm_timeout(self.scheduler.driver_wakes_at());
    }

    /// A timeout fired: fire the ticks that have started, wake their tasks, and arm
    /// the timeout for the next tick that has timers.
    fn drive(&self) {
        TIMEOUTS.with(|timeouts| timeouts.pending.borrow_mut().take());
        let now = Instant::now();
        let (mut wakers, mut retired) = (Vec::new(), Vec::new());
        let fired =
            self.scheduler
                .fire_through(tick::tick_started_by(now), &mut wakers, &mut retired);
        drop(retired);
        if let Some(earliest) = fired.earliest {
            let late = tick::start_of(earliest)
                .map_or(Duration::ZERO, |start| now.saturating_duration_since(start));
            self.stats.record_tick(late);
        }
        // Also the wakers handed over after their tick fired, with no tick fired now.
        if !wakers.is_empty() {
            // Waking only queues the tasks on the host's job queue: no code of theirs runs here.
            wakers.into_iter().for_each(Waker::wake);
        }
        arm_timeout(fired.next);
    }
}

/// Arms the host's timeout for `tick`, unless one is pending for that tick or an earlier one.
fn arm_timeout(tick: Tick) {
    if tick == Tick::MAX {
        return;
    }
    TIMEOUTS.with(|timeouts| {
        let mut pending = timeouts.pending.borrow_mut();
        if let Some((armed_for, handle)) = pending.as_ref() {
            if *armed_for <= tick {
                return;
            }
            clear_timeout(handle);
        }
        let delay = tick::start_of(tick).map_or(Duration::ZERO, |start| {
            start.saturating_duration_since(Instant::now())
        });
        // Whole milliseconds, rounded up: a timeout that fires early would find nothing due.
        let millis = (delay.as_micros() as f64 / 1000.0).ceil();
        *pending = Some((tick, set_timeout(&timeouts.callback, millis)));
    });
}
