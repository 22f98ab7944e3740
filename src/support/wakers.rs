//! The waker one side of an adapter keeps for the other side to wake: the
//! reader for a writer or a closer, and the other way round.

use core::task::Waker;

/// Keeps `waker` in `slot`, without a clone when the task kept there is
/// already the same one (the common case: the same task polls again).
#[inline]
pub(crate) fn remember(slot: &mut Option<Waker>, waker: &Waker) {
    if !slot.as_ref().is_some_and(|kept| kept.will_wake(waker)) {
        *slot = Some(waker.clone());
    }
}

/// Wakes the task kept in `slot`, if any, and lets go of it: one wake per
/// [`remember`].
pub(crate) fn wake(slot: &mut Option<Waker>) {
    if let Some(waker) = slot.take() {
        waker.wake();
    }
}
