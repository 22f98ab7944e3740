//! The adaptive watchdog against fixed ones, on simulated heartbeats: false alarms
//! per hour, and how long after a producer dies each notices.
//!
//! Four producers send a heartbeat every second, each in its own way (below),
//! and each run stops one of them for good at a random moment. The consumer
//! waits for every beat through the crate's real adapters, on a `ManualClock`
//! that jumps from one event (an arrival, a timer) to the next, so an hour of
//! heartbeats takes milliseconds and every run is reproducible from its seed.
//! A watchdog that fires while the producer is alive is a false alarm: it is
//! counted, and a fresh watchdog takes over, as a restart would.
//!
//! Run with:
//!
//! ```sh
//! cargo run --release -p futures-heartbeat-bench --bin phi_simulation
//! cargo run --release -p futures-heartbeat-bench --bin phi_simulation -- --runs 300 --seed 7
//! ```

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{Stream, StreamExt};
use futures::task::noop_waker;
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{AdaptiveWatchdog, HeartbeatExt, PhiAccrual, Watchdog};
use futures_heartbeat_bench::args;

const USAGE: &str = "\
usage: cargo run --release -p futures-heartbeat-bench --bin phi_simulation [-- --runs N --seed S]

Simulates four heartbeat producers (1 s interval) that each stop for good at a
random time, watched by the adaptive (phi accrual) watchdog and by fixed ones at
2, 3 and 5 times the interval; prints false alarms per simulated hour and the
median and p99 time from the stop to its detection.

  --runs N   runs per producer, each 5 to 35 simulated minutes (default 300)
  --seed S   seed of the producers' randomness (default 1)";

const INTERVAL: Duration = Duration::from_secs(1);

fn main() {
    let args = args::Args::parse(USAGE, &["--runs", "--seed"], &[], &[]);
    let runs: u64 = args.parsed("--runs").unwrap_or(300);
    let seed: u64 = args.parsed("--seed").unwrap_or(1);

    let detectors = [
        Detector::Adaptive("adaptive, default", PhiAccrual::new(INTERVAL)),
        Detector::Adaptive(
            "adaptive, Akka's settings",
            PhiAccrual::new(INTERVAL)
                .acceptable_pause(Duration::from_secs(3))
                .min_std_deviation(Duration::from_millis(100)),
        ),
        Detector::Fixed("fixed 2×", 2 * INTERVAL),
        Detector::Fixed("fixed 3×", 3 * INTERVAL),
        Detector::Fixed("fixed 5×", 5 * INTERVAL),
    ];
    println!("{runs} runs per producer, seed {seed}\n");
    println!(
        "| producer | detector | false alarms per hour | detection, median | detection, p99 |"
    );
    println!("|---|---|---|---|---|");
    for producer in Producer::ALL {
        for detector in &detectors {
            let mut outcome = Outcome::default();
            for run in 0..runs {
                let mut rng = fastrand::Rng::with_seed(seed ^ ((producer as u64) << 32) ^ run);
                let stop = Duration::from_millis(rng.u64(5 * 60_000..35 * 60_000));
                let arrivals = producer.arrivals(stop, &mut rng);
                simulate(detector, &arrivals, stop, &mut outcome);
            }
            println!(
                "| {} | {} | {:.2} | {:.2} s | {:.2} s |",
                producer.name(),
                detector.name(),
                outcome.false_alarms as f64 / (outcome.alive.as_secs_f64() / 3600.0),
                percentile(&mut outcome.detections, 0.5).as_secs_f64(),
                percentile(&mut outcome.detections, 0.99).as_secs_f64(),
            );
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Producer {
    /// A beat every second, 10 ms of network delay with a deviation of 5 ms.
    Steady,
    /// A beat every second, a log-normal delay: median 50 ms, and one beat in a
    /// thousand over a second late (σ of its logarithm 1.0), as from a loaded host.
    LogNormal,
    /// Steady, but once a minute the producer pauses 300 ms (a garbage collection).
    PauseEveryMinute,
    /// Steady, until halfway to the stop the route changes: the delay becomes
    /// 300 ms with a deviation of 100 ms.
    DelayStep,
}

impl Producer {
    const ALL: [Producer; 4] = [
        Producer::Steady,
        Producer::LogNormal,
        Producer::PauseEveryMinute,
        Producer::DelayStep,
    ];

    fn name(self) -> &'static str {
        match self {
            Producer::Steady => "steady, 5 ms jitter",
            Producer::LogNormal => "log-normal delay",
            Producer::PauseEveryMinute => "300 ms pause each minute",
            Producer::DelayStep => "delay steps up halfway",
        }
    }

    /// When each beat sent before `stop` arrives, in order (a channel keeps it).
    fn arrivals(self, stop: Duration, rng: &mut fastrand::Rng) -> Vec<Duration> {
        let mut arrivals = Vec::with_capacity(stop.as_secs() as usize + 1);
        let mut sent = INTERVAL;
        let mut latest = Duration::ZERO;
        while sent < stop {
            let delay_secs = match self {
                Producer::Steady | Producer::PauseEveryMinute => 0.010 + 0.005 * normal(rng),
                Producer::LogNormal => 0.050 * normal(rng).exp(),
                Producer::DelayStep if sent < stop / 2 => 0.010 + 0.005 * normal(rng),
                Producer::DelayStep => 0.300 + 0.100 * normal(rng),
            };
            let arrival = sent + Duration::from_secs_f64(delay_secs.max(0.0));
            latest = latest.max(arrival);
            arrivals.push(latest);
            sent += INTERVAL;
            if matches!(self, Producer::PauseEveryMinute) && sent.as_secs().is_multiple_of(60) {
                sent += Duration::from_millis(300);
            }
        }
        arrivals
    }
}

/// A standard normal variate (Box-Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = 1.0 - rng.f64(); // in (0, 1]
    let v = rng.f64();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

enum Detector {
    Adaptive(&'static str, PhiAccrual),
    Fixed(&'static str, Duration),
}

impl Detector {
    fn name(&self) -> &'static str {
        match self {
            Detector::Adaptive(name, _) | Detector::Fixed(name, _) => name,
        }
    }

    fn watch(&self, beats: Beats, clock: &ManualClock) -> Watched {
        match self {
            Detector::Adaptive(_, detector) => {
                Watched::Adaptive(beats.watchdog_adaptive_on(*detector, clock.clone()))
            }
            Detector::Fixed(_, timeout) => {
                Watched::Fixed(beats.watchdog_on(*timeout, clock.clone()))
            }
        }
    }
}

enum Watched {
    Adaptive(AdaptiveWatchdog<Beats, ManualClock>),
    Fixed(Watchdog<Beats, ManualClock>),
}

impl Watched {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        match self {
            Watched::Adaptive(watchdog) => watchdog.poll_next_unpin(cx),
            Watched::Fixed(watchdog) => watchdog.poll_next_unpin(cx),
        }
    }
}

/// The consumer's side of the channel: the beats that have arrived and not yet been taken.
struct Beats(Rc<Cell<u32>>);

impl Stream for Beats {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<()>> {
        match self.0.get() {
            0 => Poll::Pending, // the simulation polls again after each arrival
            waiting => {
                self.0.set(waiting - 1);
                Poll::Ready(Some(()))
            }
        }
    }
}

#[derive(Default)]
struct Outcome {
    false_alarms: u64,
    alive: Duration,
    detections: Vec<Duration>,
}

/// One run: beats at `arrivals`, the producer dead from `stop`, watched until a
/// watchdog notices.
fn simulate(detector: &Detector, arrivals: &[Duration], stop: Duration, outcome: &mut Outcome) {
    let clock = ManualClock::new();
    let start = clock.uncounted_now();
    let arrived = Rc::new(Cell::new(0));
    let mut watched = detector.watch(Beats(arrived.clone()), &clock);
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut next_arrival = arrivals.iter().map(|at| start + *at).peekable();
    loop {
        // The consumer takes every beat at once, then waits.
        match watched.poll(&mut cx) {
            Poll::Ready(Some(())) => continue,
            Poll::Ready(None) => {
                let fired = clock.uncounted_now() - start;
                if fired >= stop {
                    outcome.detections.push(fired - stop);
                    break;
                }
                outcome.false_alarms += 1;
                watched = detector.watch(Beats(arrived.clone()), &clock);
                continue;
            }
            Poll::Pending => {}
        }
        let timer = clock.next_deadline();
        // An arrival at the same instant as the timer wins, as the adapters poll the stream first.
        let arrival = next_arrival.peek().copied();
        match (arrival, timer) {
            (Some(arrival), timer) if timer.is_none_or(|timer| arrival <= timer) => {
                clock.advance(arrival - clock.uncounted_now());
                arrived.set(arrived.get() + 1);
                next_arrival.next();
            }
            (_, Some(timer)) => clock.advance(timer - clock.uncounted_now()),
            _ => unreachable!("a watchdog always holds a timer while it waits"),
        }
    }
    outcome.alive += stop;
}

fn percentile(samples: &mut [Duration], quantile: f64) -> Duration {
    samples.sort_unstable();
    let rank = ((samples.len() as f64 * quantile).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}
