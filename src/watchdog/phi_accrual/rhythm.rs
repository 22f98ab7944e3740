//! The rhythm the φ accrual detector learns: a window of gaps, their running
//! sums, and the wait in progress.

use core::fmt;
use std::time::Duration;

use super::{deviations_to_reach, phi_of, Fit, PhiAccrual};
use crate::clock::Instant;

/// The rhythm learned so far, and the wait in progress.
///
/// Samples are gaps between the starts of two waits, each following an item:
/// the time of an arrival is read when the stream next has nothing ready, as
/// the watchdog reads it, so that no item costs a reading of the clock.
pub(crate) struct Rhythm {
    settings: PhiAccrual,
    deviations_to_reach: f64,
    // A ring of gaps in seconds; `oldest` is where the next one goes once it is full.
    samples: Vec<f32>,
    oldest: usize,
    // Sums of the samples less `shift` (the first estimate), which keeps the variance's
    // subtraction from cancelling; recomputed from the ring each time it wraps, so
    // that rounding never accumulates.
    shift: f64,
    sum: f64,
    sum_of_squares: f64,
    wait: Option<Wait>,
}

/// The wait in progress (or the last one, after an item).
#[derive(Debug, Clone, Copy)]
struct Wait {
    started: Instant,
    limit: Duration,
    // Whether an item came just before: only then is the gap to the next wait a sample.
    after_arrival: bool,
}

impl fmt::Debug for Rhythm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fit = self.fit();
        f.debug_struct("Rhythm")
            .field("settings", &self.settings)
            .field("samples", &self.samples.len())
            .field("mean", &fit.mean)
            .field("std_deviation", &fit.std_deviation)
            .field("wait", &self.wait)
            .finish()
    }
}

impl Rhythm {
    /// Allocates the ring of samples, once, and learns the first estimate.
    pub(crate) fn new(settings: PhiAccrual) -> Self {
        let mut rhythm = Rhythm {
            settings,
            deviations_to_reach: deviations_to_reach(settings.threshold),
            samples: Vec::with_capacity(settings.max_samples),
            oldest: 0,
            shift: settings.first_mean.as_secs_f64(),
            sum: 0.0,
            sum_of_squares: 0.0,
            wait: None,
        };
        let mean = settings.first_mean.as_secs_f64();
        let deviation = settings.first_std_deviation.as_secs_f64();
        // Never negative: `first_estimate` refuses a deviation larger than the mean.
        rhythm.learn(mean - deviation);
        rhythm.learn(mean + deviation);
        rhythm
    }

    pub(crate) fn settings(&self) -> PhiAccrual {
        self.settings
    }

    /// A wait starts at `now`, `after_arrival` if an item came since the last one
    /// started: learns the gap between the two if it is a sample, and returns how
    /// long this wait may last, until φ reaches the threshold.
    ///
    /// A gap is learned only when both waits followed an item, and only if it is
    /// no longer than the silence the first one allowed: a longer one cannot have
    /// been seen while the consumer waited (the watchdog would have ended the
    /// stream), so part of it was the consumer's absence. Such a censored gap
    /// tells only an upper bound, which says nothing of how long the gap really
    /// was, and is dropped.
    pub(crate) fn start_wait(&mut self, now: Instant, after_arrival: bool) -> Duration {
        if let Some(last) = self.wait {
            let gap = now.saturating_duration_since(last.started);
            if after_arrival && last.after_arrival && gap <= last.limit {
                self.learn(gap.as_secs_f64());
            }
        }
        let limit = self.silence_limit();
        self.wait = Some(Wait {
            started: now,
            limit,
            after_arrival,
        });
        limit
    }

    /// The limit of a wait: of one that starts at `started` (see
    /// [`start_wait`](Self::start_wait)), or, with `None`, of the one in progress.
    pub(crate) fn wait_limit(&mut self, started: Option<Instant>, after_arrival: bool) -> Duration {
        match started {
            Some(now) => self.start_wait(now, after_arrival),
            None => self.current_limit(),
        }
    }

    /// A new source (after a restart): its first gap is its start-up, not its rhythm.
    pub(crate) fn forget_last_wait(&mut self) {
        self.wait = None;
    }

    /// The silence the current wait allows (the last one's, between waits).
    pub(crate) fn current_limit(&self) -> Duration {
        self.wait
            .map_or_else(|| self.silence_limit(), |wait| wait.limit)
    }

    /// φ at `now` for the wait in progress; 0 before the first one.
    pub(crate) fn phi_at(&self, now: Instant) -> f64 {
        let Some(wait) = self.wait else {
            return 0.0;
        };
        let elapsed = now.saturating_duration_since(wait.started);
        phi_of(self.fit().deviations(elapsed.as_secs_f64()))
    }

    /// The mean and the deviation of the gaps learned so far.
    pub(crate) fn learned(&self) -> (Duration, Duration) {
        let (mean, std_deviation) = self.learned_secs();
        let to_duration = |secs: f64| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX);
        (to_duration(mean), to_duration(std_deviation))
    }

    /// [`learned`](Self::learned), in seconds.
    fn learned_secs(&self) -> (f64, f64) {
        let n = self.samples.len() as f64;
        let offset = self.sum / n;
        let variance = (self.sum_of_squares / n - offset * offset).max(0.0);
        (self.shift + offset, variance.sqrt())
    }

    /// The silence after which φ reaches the threshold, rounded up to the
    /// nanosecond, so that φ has reached it when the timer fires.
    pub(crate) fn silence_limit(&self) -> Duration {
        let fit = self.fit();
        let secs = fit.mean + self.deviations_to_reach * fit.std_deviation;
        let Ok(mut limit) = Duration::try_from_secs_f64(secs.max(0.0)) else {
            return Duration::MAX; // never
        };
        // Rounding in the conversions may leave φ a hair short at `limit`.
        let mut nudge = Duration::from_nanos(1);
        while !self.reaches_threshold(fit, limit) {
            match limit.checked_add(nudge) {
                Some(later) => limit = later,
                None => return Duration::MAX,
            }
            nudge = nudge.saturating_mul(2);
        }
        // And the smallest such: a nanosecond earlier, φ is still below it.
        for _ in 0..4 {
            match limit.checked_sub(Duration::from_nanos(1)) {
                Some(earlier) if self.reaches_threshold(fit, earlier) => limit = earlier,
                _ => break,
            }
        }
        limit
    }

    /// Whether φ has reached the threshold after `silence`: compared as deviations
    /// from the mean, which is exact (φ grows with them, and `deviations_to_reach`
    /// is the smallest that reaches it) and needs no `erfc` at each wait.
    fn reaches_threshold(&self, fit: Fit, silence: Duration) -> bool {
        fit.deviations(silence.as_secs_f64()) >= self.deviations_to_reach
    }

    fn fit(&self) -> Fit {
        let (mean, std_deviation) = self.learned_secs();
        Fit {
            mean: mean + self.settings.acceptable_pause.as_secs_f64(),
            std_deviation: std_deviation.max(self.settings.min_std_deviation.as_secs_f64()),
        }
    }

    /// Adds a gap to the window, in place of the oldest once it is full: O(1),
    /// and O(max_samples) once per max_samples gaps to recompute the sums.
    fn learn(&mut self, gap_secs: f64) {
        let sample = gap_secs as f32;
        if self.samples.len() < self.settings.max_samples {
            self.samples.push(sample); // within the capacity allocated at construction
            self.add(sample, 1.0);
            return;
        }
        let forgotten = core::mem::replace(&mut self.samples[self.oldest], sample);
        self.add(forgotten, -1.0);
        self.add(sample, 1.0);
        self.oldest += 1;
        if self.oldest == self.samples.len() {
            self.oldest = 0;
            self.recompute_sums();
        }
    }

    fn add(&mut self, sample: f32, sign: f64) {
        let offset = f64::from(sample) - self.shift;
        self.sum += sign * offset;
        self.sum_of_squares += sign * offset * offset;
    }

    fn recompute_sums(&mut self) {
        self.sum = 0.0;
        self.sum_of_squares = 0.0;
        for index in 0..self.samples.len() {
            self.add(self.samples[index], 1.0);
        }
    }
}
