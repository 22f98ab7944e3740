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
// The arithmetic above needs a tick that divides a second evenly; `start_of`
// and the burst, counted per millisecond, a tick of one millisecond.
const _: () = assert!(TICK.as_secs() == 0 && 1_000_000_000 % NANOS_PER_TICK == 0);
const _: () = assert!(NANOS_PER_TICK == 1_000_000);

/// The instant tick `tick` starts, or `None` past the end of time.
pub(crate) fn start_of(tick: Tick) -> Option<Instant> {
    origin().checked_add(Duration::from_millis(tick))
}

/// How late, at most, a timer armed `lead` ahead of its deadline may fire on
/// purpose: a twentieth of `lead`, and never less than one tick. The definition;
/// the timers use [`slack_ticks`], which gives its whole ticks.
#[cfg(test)]
pub(crate) fn slack_for(lead: Duration) -> Duration {
    (lead / SLACK_DIVISOR).max(TICK)
}

/// The share of a timer's lead it may fire late by: 1/20, 5%.
pub(crate) const SLACK_DIVISOR: u32 = 20;

/// The whole ticks in the slack of a timer armed `lead` ahead: a twentieth of the
/// lead's whole ticks, at least one. The same as the whole ticks of
/// `slack_for(lead)` (rounding down twice is rounding down once; leads of more
/// than 2^64 ticks saturate, far beyond the widest grain and the largest burst
/// either way), without dividing a `Duration`: this runs at every re-arm.
pub(crate) fn slack_ticks(lead: Duration) -> u64 {
    (whole_ticks_in(lead) / u64::from(SLACK_DIVISOR)).max(1)
}

/// The widest grain, in ticks, that keeps a timer armed `lead` ahead within its
/// slack: the largest power of two that fits in it. Powers of two
/// nest (every 4-tick boundary is a 2-tick and a 1-tick boundary), so that
/// timers of different grains still share the ticks they fire at.
#[cfg(test)]
pub(crate) fn grain_for(lead: Duration) -> u64 {
    1 << grain_log2_for(slack_ticks(lead))
}

/// The log2 of the widest grain within a slack of `slack_ticks` (see `grain_for`,
/// its definition, for the tests).
pub(crate) fn grain_log2_for(slack_ticks: u64) -> u32 {
    // Capped so that rounding up cannot overflow for any deadline short of the end of time.
    63 - slack_ticks.clamp(1, MAX_GRAIN).leading_zeros()
}

/// How many timers armed `lead` ahead may share one coalesced tick: 100 for each
/// millisecond of their slack. Waking a task for its pulse and running it costs an
/// executor thread about a microsecond (see docs/performance.md), so such a burst
/// holds up the last of its tasks by about a tenth of their slack; beyond it,
/// timers are woken at their own millisecond instead, in smaller bursts.
#[cfg(test)]
pub(crate) fn burst_for(lead: Duration) -> u32 {
    burst_for_slack(slack_ticks(lead))
}

/// `burst_for` (its definition, for the tests) for a slack of `slack_ticks`
/// (ticks are milliseconds).
pub(crate) fn burst_for_slack(slack_ticks: u64) -> u32 {
    u32::try_from(slack_ticks.saturating_mul(100)).unwrap_or(u32::MAX)
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
    fn the_slack_in_whole_ticks_and_the_burst_are_those_of_the_slack_as_a_duration() {
        let nanos = [
            0,
            1,
            999_999,
            1_000_000,
            19_999_999,
            20_000_000,
            20_000_001,
            39_999_999,
            40_000_000,
            79_999_999,
            80_000_000,
            99_999_999,
            100_000_000,
            999_999_999,
            1_000_000_000,
            1_019_999_999,
            1_020_000_000,
            123_456_789_012,
            u64::MAX,
        ];
        let leads = nanos
            .into_iter()
            .map(Duration::from_nanos)
            .chain([Duration::new(u64::MAX / 1_000, 999_999_999), Duration::MAX]);
        for lead in leads {
            let slack = slack_for(lead);
            if whole_ticks_in(lead) < u64::MAX {
                assert_eq!(slack_ticks(lead), whole_ticks_in(slack), "lead {lead:?}");
            }
            let grain = 1 << (63 - whole_ticks_in(slack).min(MAX_GRAIN).leading_zeros());
            assert_eq!(grain_for(lead), grain, "lead {lead:?}");
            let burst = u32::try_from(slack.as_millis().saturating_mul(100)).unwrap_or(u32::MAX);
            assert_eq!(burst_for(lead), burst, "lead {lead:?}");
        }
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
