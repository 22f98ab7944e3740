//! The φ accrual failure detector (Hayashibara, Défago, Yared and Katayama, 2004):
//! its settings, [`PhiAccrual`], and the rhythm it learns, shared by the
//! [adaptive watchdog](crate::AdaptiveWatchdog) and
//! [`Restarting::silence_adaptive`](crate::restart::Restarting::silence_adaptive).
//!
//! The detector keeps the last inter-arrival times, fits a normal distribution
//! to them (mean plus an acceptable pause; the population's standard deviation,
//! held to a minimum),
//! and reports the suspicion φ = −log10(1 − F(t)) after a silence `t`. The
//! normal tail comes from the complementary error function in the rational
//! Chebyshev form of *Numerical Recipes* (§6.2), whose relative error is below
//! 1.2 × 10⁻⁷ everywhere; it is evaluated as a logarithm, so φ stays exact to
//! within 10⁻⁷ however deep in the tail (Akka's logistic approximation is off
//! by whole units of φ there).

use std::f64::consts::{LN_10, LN_2, SQRT_2};
use std::time::Duration;

mod rhythm;

pub(crate) use self::rhythm::Rhythm;

/// Settings of the φ accrual failure detector, for
/// [`watchdog_adaptive`](crate::HeartbeatExt::watchdog_adaptive): how long a
/// silence it tolerates, learned from the rhythm the stream has shown.
///
/// The detector keeps the last [`max_samples`](Self::max_samples) gaps between
/// items seen while the consumer waited, and ends the stream when a silence
/// becomes improbable enough for that rhythm: when φ, the suspicion, reaches
/// the [`threshold`](Self::threshold). φ = 8 means that, if the gaps were
/// normally distributed as the samples say, a silence this long would happen
/// once in 10⁸ gaps.
///
/// With the defaults, a stream that keeps a steady rhythm is ended after about
/// 2.6 intervals of silence, one whose gaps jitter by a deviation `σ` after
/// about 2 intervals plus 5.6 `σ`. The defaults follow Akka's cluster failure
/// detector (threshold 8, 1,000 samples), with its absolute times (a minimum
/// deviation of 100 ms and a pause of 3 s for a 1 s heartbeat) replaced by
/// ones that scale with the expected interval, so that they fit any rhythm.
///
/// ```
/// use futures_heartbeat::PhiAccrual;
/// use std::time::Duration;
///
/// let detector = PhiAccrual::new(Duration::from_secs(1))
///     .threshold(10.0) // Cassandra's advice for cloud networks
///     .acceptable_pause(Duration::from_secs(3));
/// // With gaps of 1 s ± 100 ms, a silence of 4 s is within the pause: hardly suspect.
/// let (secs, ms) = (Duration::from_secs, Duration::from_millis);
/// assert!(detector.phi(secs(4), secs(1), ms(100)) < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhiAccrual {
    threshold: f64,
    acceptable_pause: Duration,
    min_std_deviation: Duration,
    max_samples: usize,
    first_mean: Duration,
    first_std_deviation: Duration,
}

impl PhiAccrual {
    /// The detector for a stream expected to deliver an item or a pulse about
    /// every `expected_interval`.
    ///
    /// | setting | default | what you see |
    /// |---|---|---|
    /// | [`threshold`](Self::threshold) | 8 | a silence that would come once in 10⁸ gaps of the learned rhythm ends the stream |
    /// | [`acceptable_pause`](Self::acceptable_pause) | `expected_interval` | one late or lost heartbeat is tolerated on top of the learned jitter |
    /// | [`min_std_deviation`](Self::min_std_deviation) | `expected_interval / 10` | a perfectly steady stream is still allowed 0.56 intervals of jitter |
    /// | [`max_samples`](Self::max_samples) | 1,000 | the rhythm of the last 1,000 gaps; 4 KB per stream |
    /// | [`first_estimate`](Self::first_estimate) | `expected_interval`, deviation `expected_interval / 4` | before any gap is learned, the stream may be silent about 3.4 intervals |
    pub fn new(expected_interval: Duration) -> Self {
        PhiAccrual {
            threshold: 8.0,
            acceptable_pause: expected_interval,
            min_std_deviation: expected_interval / 10,
            max_samples: 1000,
            first_mean: expected_interval,
            first_std_deviation: expected_interval / 4,
        }
    }

    /// The suspicion at which the stream is ended (8 by default).
    ///
    /// Each unit is a factor of ten in how unlikely the silence is for the
    /// learned rhythm: raising it from 8 to 9 adds about 0.39 standard deviations
    /// to the silence tolerated, and divides the false alarms of a stream whose
    /// gaps really are normal by ten. (φ reaches 8 where the normal upper tail is
    /// 10⁻⁸, 5.612 deviations past the mean, and 9 where it is 10⁻⁹, at 5.998; each
    /// further unit adds a little less: 0.36 from 9 to 10, 0.31 from 12 to 13.)
    /// Cassandra suggests 10 to 12 on cloud networks.
    ///
    /// # Panics
    ///
    /// If `threshold` is not a positive, finite number.
    pub fn threshold(mut self, threshold: f64) -> Self {
        assert!(
            threshold > 0.0 && threshold.is_finite(),
            "the φ threshold must be positive and finite, not {threshold}"
        );
        self.threshold = threshold;
        self
    }

    /// A silence this much longer than the mean gap is tolerated before any
    /// suspicion builds up (the expected interval by default): it is added to the
    /// learned mean. Set it to the longest pause the producer may take without
    /// being dead, a garbage collection or a reconnect.
    pub fn acceptable_pause(mut self, pause: Duration) -> Self {
        self.acceptable_pause = pause;
        self
    }

    /// The least deviation the detector assumes, however steady the stream
    /// (a tenth of the expected interval by default): without it, a perfectly
    /// regular stream would be ended by the first gap a little longer than usual.
    pub fn min_std_deviation(mut self, deviation: Duration) -> Self {
        self.min_std_deviation = deviation;
        self
    }

    /// How many of the latest gaps the rhythm is learned from (1,000 by default).
    ///
    /// Fewer adapt faster to a change of rhythm, and forget rare long gaps
    /// sooner. Each sample takes 4 bytes, allocated once, when the adapter is built.
    ///
    /// # Panics
    ///
    /// If `max_samples` is zero.
    pub fn max_samples(mut self, max_samples: usize) -> Self {
        assert!(max_samples > 0, "the φ detector needs room for one sample");
        self.max_samples = max_samples;
        self
    }

    /// The rhythm assumed before any gap is learned: gaps of `mean`, with a
    /// deviation `std_deviation` (by default, the expected interval and a quarter of it).
    ///
    /// As in Akka, it is learned as two gaps, `mean − std_deviation` and
    /// `mean + std_deviation`, that the window lets go of like any other: until
    /// then, [`learned_rhythm`](crate::AdaptiveWatchdog::learned_rhythm) is
    /// exactly `(mean, std_deviation)`.
    ///
    /// # Panics
    ///
    /// If `std_deviation` is larger than `mean`: the first of the two gaps would
    /// be negative. For a first wait more lenient than that, raise the mean or
    /// the [`acceptable_pause`](Self::acceptable_pause).
    pub fn first_estimate(mut self, mean: Duration, std_deviation: Duration) -> Self {
        assert!(
            std_deviation <= mean,
            "the first estimate's deviation ({std_deviation:?}) is larger than its mean \
             ({mean:?}): it is learned as the gaps mean ± deviation, and a gap cannot be negative"
        );
        self.first_mean = mean;
        self.first_std_deviation = std_deviation;
        self
    }

    /// φ after a silence `elapsed`, for gaps with this `mean` and `std_deviation`:
    /// the formula the detector uses, with the acceptable pause added to the mean
    /// and the deviation held to its minimum. The detector's own deviation is the
    /// population's, of the gaps in its window (the root of their mean squared
    /// distance from their mean: divided by n, not n − 1).
    ///
    /// ```
    /// use futures_heartbeat::PhiAccrual;
    /// use std::time::Duration;
    ///
    /// let detector = PhiAccrual::new(Duration::from_secs(1)).acceptable_pause(Duration::ZERO);
    /// let ms = Duration::from_millis;
    /// // At the mean, half the gaps are longer: φ = −log10(0.5).
    /// assert!((detector.phi(ms(1000), ms(1000), ms(200)) - 0.30103).abs() < 1e-5);
    /// // Three deviations past it: φ = −log10(0.00135).
    /// assert!((detector.phi(ms(1600), ms(1000), ms(200)) - 2.8697).abs() < 1e-4);
    /// ```
    pub fn phi(&self, elapsed: Duration, mean: Duration, std_deviation: Duration) -> f64 {
        let fit = Fit {
            mean: mean.as_secs_f64() + self.acceptable_pause.as_secs_f64(),
            std_deviation: std_deviation
                .as_secs_f64()
                .max(self.min_std_deviation.as_secs_f64()),
        };
        phi_of(fit.deviations(elapsed.as_secs_f64()))
    }
}

/// The normal distribution fitted to the gaps, the acceptable pause included in its mean, in seconds.
#[derive(Debug, Clone, Copy)]
struct Fit {
    mean: f64,
    std_deviation: f64,
}

impl Fit {
    /// How many deviations past the mean a silence of `elapsed` seconds is.
    fn deviations(self, elapsed: f64) -> f64 {
        let past_mean = elapsed - self.mean;
        if self.std_deviation > 0.0 {
            past_mean / self.std_deviation
        } else if past_mean > 0.0 {
            f64::INFINITY // no deviation allowed: anything past the mean is certain death
        } else if past_mean < 0.0 {
            f64::NEG_INFINITY
        } else {
            0.0
        }
    }
}

/// φ for a silence `y` standard deviations past the mean: −log10 of the upper
/// tail of the standard normal distribution, `Q(y) = erfc(y / √2) / 2`.
fn phi_of(y: f64) -> f64 {
    if y.is_nan() {
        return 0.0;
    }
    let ln_erfc = ln_erfc(y.abs() / SQRT_2);
    if y >= 0.0 {
        (LN_2 - ln_erfc) / LN_10
    } else {
        // Q(y) = 1 − Q(|y|): φ is small, between 0 and log10(2).
        (-(-0.5 * ln_erfc.exp()).ln_1p() / LN_10).max(0.0)
    }
}

/// `ln(erfc(x))` for `x ≥ 0`, with a relative error of `erfc` below 1.2 × 10⁻⁷
/// (the Chebyshev fit of *Numerical Recipes*, §6.2). As a logarithm it does
/// not underflow: deep in the tail, where `erfc` itself would be zero, φ is still exact.
fn ln_erfc(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 10] = [
        -1.265_512_23,
        1.000_023_68,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ];
    let t = 1.0 / (1.0 + 0.5 * x);
    let series = COEFFICIENTS
        .iter()
        .rev()
        .fold(0.0, |sum, coefficient| sum * t + coefficient);
    t.ln() - x * x + series
}

/// The smallest number of deviations past the mean at which φ reaches `threshold`.
///
/// Found by bisection on [`phi_of`] itself, not by a separate inverse, so that
/// the timer armed for it never fires before φ, as [`phi`](crate::AdaptiveWatchdog::phi)
/// reports it, has reached the threshold.
fn deviations_to_reach(threshold: f64) -> f64 {
    let (mut below, mut reached) = (-40.0, 1.0);
    while phi_of(reached) < threshold {
        below = reached;
        reached *= 2.0;
    }
    loop {
        let middle = below + (reached - below) / 2.0;
        if middle <= below || middle >= reached {
            return reached;
        }
        if phi_of(middle) >= threshold {
            reached = middle;
        } else {
            below = middle;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from Python's math.erfc (double precision): -log10(erfc(y/√2)/2).
    #[test]
    fn phi_agrees_with_the_exact_normal_tail() {
        let exact = [
            (-3.0, 0.000_586_649_313_790_070_5),
            (-1.0, 0.075_026_012_957_818_02),
            (0.0, std::f64::consts::LOG10_2), // half the gaps are longer than the mean
            (1.0, 0.799_545_541_491_970_4),
            (3.0, 2.869_699_035_929_368_6),
            (5.612, 7.999_996_876_659_292),
            (10.0, 23.118_053_405_486_073),
            (30.0, 197.309_209_261_660_9),
        ];
        for (y, phi) in exact {
            let error = (phi_of(y) - phi).abs();
            assert!(error < 1e-7, "φ({y}) = {}, not {phi}", phi_of(y));
        }
    }

    // The timer's moment is found by comparing deviations, which is exact only if φ never falls as they grow.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "Miri adds random error to exp and ln, which these exact comparisons are about"
    )]
    fn phi_never_decreases_as_the_silence_grows() {
        let mut last = phi_of(-40.0);
        for step in 1..=800_000 {
            let y = -40.0 + f64::from(step) * 1e-4;
            let phi = phi_of(y);
            assert!(phi >= last, "φ({y}) = {phi} < {last}");
            last = phi;
        }
    }

    // What `PhiAccrual::threshold` says each unit adds; the crossings agree with
    // the inverse normal tail: 5.612001 for 10⁻⁸, 5.997807 for 10⁻⁹ (Python's
    // math.erfc, bisected).
    #[test]
    fn raising_the_threshold_from_8_to_9_adds_about_0_39_deviations() {
        let (at_8, at_9) = (deviations_to_reach(8.0), deviations_to_reach(9.0));
        assert!((at_8 - 5.612_001).abs() < 1e-5, "{at_8}");
        assert!((at_9 - 5.997_807).abs() < 1e-5, "{at_9}");
        assert!((at_9 - at_8 - 0.386).abs() < 1e-3, "{}", at_9 - at_8);
        let from_9_to_10 = deviations_to_reach(10.0) - at_9;
        let from_12_to_13 = deviations_to_reach(13.0) - deviations_to_reach(12.0);
        assert!((from_9_to_10 - 0.36).abs() < 5e-3, "{from_9_to_10}");
        assert!((from_12_to_13 - 0.31).abs() < 5e-3, "{from_12_to_13}");
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "Miri adds random error to exp and ln, which these exact comparisons are about"
    )]
    fn the_crossing_is_the_smallest_deviation_that_reaches_the_threshold() {
        for threshold in [0.1, 1.0, 8.0, 12.0, 300.0, 1e6] {
            let z = deviations_to_reach(threshold);
            assert!(phi_of(z) >= threshold);
            let just_below = z - z.abs().max(1.0) * 1e-12;
            assert!(phi_of(just_below) < threshold, "threshold {threshold}");
        }
    }
}
