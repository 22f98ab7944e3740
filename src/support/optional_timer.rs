//! A timer that runs only while a deadline counts, kept as an `Option` of the
//! clock's timer: the probe's wait for an answer and for the close, restart's
//! connect timeout and backoff. Unarmed, it costs no timer of the clock and
//! never fires; a deadline past the end of time leaves it unarmed.

use core::pin::Pin;
use core::task::{Context, Poll};

use crate::clock::{Clock, Instant, Timer};

/// Arms `timer` for `deadline`: the timer already there is reset rather than
/// replaced; a deadline past the end of time (`None`) drops it.
pub(crate) fn arm<C: Clock>(
    mut timer: Pin<&mut Option<C::Timer>>,
    clock: &C,
    deadline: Option<Instant>,
) {
    match (deadline, timer.as_mut().as_pin_mut()) {
        (Some(deadline), Some(armed)) => armed.reset(deadline),
        (Some(deadline), None) => timer.set(Some(clock.timer_at(deadline))),
        (None, _) => timer.set(None),
    }
}

/// A new timer for `deadline`, or none for a deadline past the end of time:
/// for a timer that is not pinned yet, replaced rather than [`arm`]ed.
pub(crate) fn timer_for<C: Clock>(clock: &C, deadline: Option<Instant>) -> Option<C::Timer> {
    deadline.map(|deadline| clock.timer_at(deadline))
}

/// `Ready` once the armed timer has fired; an unarmed timer never does.
pub(crate) fn poll_timer<T: Timer>(timer: Pin<&mut Option<T>>, cx: &mut Context<'_>) -> Poll<()> {
    match timer.as_pin_mut() {
        Some(armed) => armed.poll_expired(cx),
        None => Poll::Pending,
    }
}
