//! Millisecond ticks shared by the time sources that round their deadlines, so that
//! timers due in the same millisecond fire together, whichever clock armed them.

use std::sync::OnceLock;
use std::time::Duration;

use crate::clock::Instant;

/// The width of one tick: real time sources round deadlines up to it.
pub const TICK: Duration = Duration::from_millis(1);

/// Whole ticks since the process's tick origin.
pub(crate) type Tick = u64;

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// The first tick that starts at or after `instant`: rounding up, so that nothing fires early.
pub(crate) fn tick_at_or_after(instant: Instant) -> Tick {
    let since = instant.saturating_duration_since(origin());
    let tick_nanos = TICK.as_nanos();
    let ticks = (since.as_nanos() + tick_nanos - 1) / tick_nanos; // rounding up
    Tick::try_from(ticks).unwrap_or(Tick::MAX - 1)
}

/// The last tick that has started by `instant`.
pub(crate) fn tick_started_by(instant: Instant) -> Tick {
    let since = instant.saturating_duration_since(origin());
    Tick::try_from(since.as_nanos() / TICK.as_nanos()).unwrap_or(Tick::MAX - 1)
}

/// The instant tick `tick` starts, or `None` past the end of time.
pub(crate) fn start_of(tick: Tick) -> Option<Instant> {
    origin().checked_add(Duration::from_millis(tick))
}

/// `deadline` rounded up to the start of the next tick (itself if it starts one).
pub(crate) fn round_up(deadline: Instant) -> Instant {
    start_of(tick_at_or_after(deadline)).unwrap_or(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_never_moves_a_deadline_earlier_nor_by_a_whole_tick() {
        let base = origin() + Duration::from_secs(5);
        for offset in [0, 1, 999_999, 1_000_000, 1_000_001, 123_456_789] {
            let deadline = base + Duration::from_nanos(offset);
            let rounded = round_up(deadline);
            assert!(rounded >= deadline);
            assert!(rounded - deadline < TICK);
            assert_eq!(tick_at_or_after(rounded), tick_started_by(rounded));
        }
    }
}
