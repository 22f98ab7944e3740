//! The last time-out a `try_` adapter yielded on this thread, for the
//! [`Restarting`](crate::restart::Restarting) stream that polls it to report as
//! [`Cause::Silent`](crate::restart::Cause::Silent): the source's error type is
//! the user's, and the restarting stream cannot look inside it.
//!
//! The restarting stream clears the slot before each poll of its source, one
//! thread-local store per poll, and takes it when that poll yields an error, so
//! a time-out counts only if it was yielded within that poll, by an adapter
//! polled as part of the source, however deep. An adapter writes the slot when
//! it yields its time-out, and [withdraws](withdraw) what it wrote when it is
//! polled again after that: its error was then not the one the source passed
//! on (a `filter` inside the source dropped it and polled on), and must not
//! name a real error that the source yields later in the same poll. The
//! adapters touch the slot only when they yield or withdraw a time-out; the
//! restarting stream at each poll of its source, so once per item while items
//! are ready: one thread-local store, 3 instructions an item (cachegrind, 5 M
//! ready items through `restarting_on`, 2026-12-07).

use core::cell::Cell;

use crate::TimedOut;

std::thread_local! {
    static YIELDED: Cell<Option<TimedOut>> = const { Cell::new(None) };
}

/// A `try_` adapter is yielding `timed_out`.
pub(crate) fn note(timed_out: TimedOut) {
    // `try_with`: on a thread being torn down the note is lost, never a panic.
    let _ = YIELDED.try_with(|slot| slot.set(Some(timed_out)));
}

/// The adapter that yielded `timed_out` is polled again after it: the
/// note goes, if it is still there.
#[cold]
pub(crate) fn withdraw(timed_out: TimedOut) {
    let _ = YIELDED.try_with(|slot| {
        if slot.get() == Some(timed_out) {
            slot.set(None);
        }
    });
}

/// A restarting stream is about to poll its source.
#[inline]
pub(crate) fn clear() {
    let _ = YIELDED.try_with(|slot| slot.set(None));
}

/// The time-out yielded since the last [`clear`], if any.
pub(crate) fn take() -> Option<TimedOut> {
    YIELDED.try_with(Cell::take).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_slot_holds_only_what_was_noted_since_it_was_cleared() {
        clear();
        assert_eq!(take(), None);
        let timed_out = TimedOut::silence_of(Duration::from_secs(1));
        note(timed_out);
        assert_eq!(take(), Some(timed_out));
        assert_eq!(take(), None, "taken once");
        note(timed_out);
        clear();
        assert_eq!(take(), None);
    }

    #[test]
    fn a_note_is_withdrawn_only_by_the_time_out_that_wrote_it() {
        clear();
        let mine = TimedOut::silence_of(Duration::from_secs(1));
        let another = TimedOut::silence_of(Duration::from_secs(2));
        note(another);
        withdraw(mine);
        assert_eq!(take(), Some(another), "withdrew another adapter's note");
        note(mine);
        withdraw(mine);
        assert_eq!(take(), None);
    }
}
