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
    let partial = since.subsec_nanos() % NANOS_PER_TICK != 0;
    whole_ticks_in(since)
        .saturating_add(Tick::from(partial))
        .min(Tick::MAX - 1)
}

/// The last tick that has started by `instant`.
pub(crate) fn tick_started_by(instant: Instant) -> Tick {
    whole_ticks_in(instant.saturating_duration_since(origin())).min(Tick::MAX - 1)
}

/// The whole ticks in `span`, rounding down and saturating. In 64-bit
/// arithmetic: this runs at every re-arm, and `Duration::as_nanos` would make it
/// a 128-bit division.
fn whole_ticks_in(span: Duration) -> u64 {
    span.as_secs()
        .saturating_mul(TICKS_PER_SEC)
        .saturating_add(u64::from(span.subsec_nanos() / NANOS_PER_TICK))
}

const NANOS_PER_TICK: u32 = TICK.subsec_nanos();
const TICKS_PER_SEC: u64 = 1_000_000_000 / NANOS_PER_TICK as u64;
// The arithmetic above needs a tick that divides a second evenly.
const _: () = assert!(TICK.as_secs() == 0 && 1_000_000_000 % NANOS_PER_TICK == 0);

/// The instant tick `tick` starts, or `None` past the end of time.
pub(crate) fn start_of(tick: Tick) -> Option<Instant> {
    origin().checked_add(Duration::from_millis(tick))
}

/// How late, at most, a timer armed `lead` ahead of its deadline may fire on
/// purpose: a twentieth of `lead`, and never less than one tick.
pub(crate) fn slack_for(lead: Duration) -> Duration {
    (lead / SLACK_DIVISOR).max(TICK)
}

/// The share of a timer's lead it may fire late by: 1/20, 5%.
pub(crate) const SLACK_DIVISOR: u32 = 20;

/// The widest grain, in ticks, that keeps a timer armed `lead` ahead within its
/// [slack](slack_for): the largest power of two that fits in it. Powers of two
/// nest (every 4-tick boundary is a 2-tick and a 1-tick boundary), so that
/// timers of different grains still share the ticks they fire at.
pub(crate) fn grain_for(lead: Duration) -> u64 {
    // Capped so that rounding up cannot overflow for any deadline short of the end of time.
    let slack_ticks = whole_ticks_in(slack_for(lead)).min(MAX_GRAIN);
    1 << (63 - slack_ticks.leading_zeros())
}

/// How many timers armed `lead` ahead may share one coalesced tick: 100 for each
/// millisecond of their slack. Waking a task for its pulse and running it costs an
/// executor thread about a microsecond (see docs/performance.md), so such a burst
/// holds up the last of its tasks by about a tenth of their slack; beyond it,
/// timers are woken at their own millisecond instead, in smaller bursts.
pub(crate) fn burst_for(lead: Duration) -> u32 {
    let slack_millis = slack_for(lead).as_millis();
    u32::try_from(slack_millis.saturating_mul(100)).unwrap_or(u32::MAX)
}

/// The widest grain: about 18 hours, for timeouts of two weeks and more.
const MAX_GRAIN: u64 = 1 << 26;

/// The first tick at or after `tick` that lies on a boundary of `grain` ticks.
pub(crate) fn grain_boundary_at_or_after(tick: Tick, grain: u64) -> Tick {
    match tick.checked_add(grain - 1) {
        Some(up) => up / grain * grain,
        None => tick,
    }
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

    #[test]
    fn whole_ticks_in_64_bits_agree_with_the_128_bit_division() {
        for nanos in [
            0,
            1,
            999_999,
            1_000_000,
            1_000_001,
            1_999_999_999,
            123_456_789_012,
            u64::MAX,
        ] {
            let span = Duration::from_nanos(nanos);
            assert_eq!(
                u128::from(whole_ticks_in(span)),
                span.as_nanos() / TICK.as_nanos()
            );
        }
        assert_eq!(whole_ticks_in(Duration::MAX), u64::MAX, "saturates");
    }

    #[test]
    fn the_grain_is_the_widest_power_of_two_ticks_within_a_twentieth_of_the_lead() {
        let ms = Duration::from_millis;
        for (lead, grain) in [
            (ms(0), 1),
            (ms(10), 1),
            (ms(39), 1),
            (ms(40), 2),
            (ms(100), 4),
            (ms(160), 8),
            (ms(1_000), 32),
            (ms(60_000), 2048),
            (Duration::MAX, MAX_GRAIN),
        ] {
            assert_eq!(grain_for(lead), grain, "lead {lead:?}");
            assert!(Duration::from_millis(grain) <= slack_for(lead));
        }
    }

    #[test]
    fn a_deadline_on_a_grain_is_never_early_and_late_by_less_than_the_grain() {
        let base = origin() + Duration::from_secs(7);
        for grain in [1, 2, 4, 32, 1024] {
            for offset_micros in [0, 1, 999, 1_000, 1_001, 3_999, 4_000, 31_500, 123_457] {
                let deadline = base + Duration::from_micros(offset_micros);
                let tick = grain_boundary_at_or_after(tick_at_or_after(deadline), grain);
                let fires_at = start_of(tick).unwrap();
                assert_eq!(tick % grain, 0, "off the grain");
                assert!(fires_at >= deadline, "early, grain {grain}");
                assert!(
                    fires_at - deadline < Duration::from_millis(grain),
                    "late by a whole grain or more, grain {grain}"
                );
            }
        }
    }
}
