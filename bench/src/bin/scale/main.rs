//! Many idle streams with heartbeats (or watchdogs) on one executor: what they cost
//! in CPU and memory, and how late their pulses come.
//!
//! Each of N tasks polls `stream::pending().with_heartbeat(interval)` and records,
//! for every pulse, how long after its grid point `start + k * interval` it came.
//! It reports steady CPU (from /proc, in cores, and in microseconds per pulse due),
//! context switches a second (all threads), resident memory per stream, peak
//! memory, pulses delivered against expected, pulses skipped for lateness, and
//! lateness p50, p99 and max. With `--mode watchdog`, each task waits on
//! `stream::pending().watchdog(interval)` and the figure is how long after its
//! timeout each watchdog fired. With `--mode peer`, the streams are the
//! `heartbeat-stream` crate's, on tokio, for comparison.
//!
//! Run with:
//!
//! ```sh
//! cargo run --release -p futures-heartbeat-bench --bin scale -- --streams 10000 --clock wheel --executor smol
//! cargo run --release -p futures-heartbeat-bench --bin scale -- --streams 10000 --mode peer
//! ```
//!
//! Flags: `--streams N` (1000), `--interval-ms` (100), `--secs` (10), `--clock`
//! `wheel|default|futures-timer|async-io|tokio|floor|floor-hosted|floor-inline`
//! (wheel), `--executor smol|tokio` (smol;
//! the tokio clock needs tokio), `--deadlines spread|aligned` (spread: phases spread
//! evenly over the interval), `--mode heartbeat|watchdog|peer`, `--csv FILE` to
//! append the figures as a line. Linux only: it reads /proc.
//!
//! `--clock floor` is `floor_clock.rs`, beside this file: a timer that does the least it
//! can at the wheel's precision, so that its run is what the executor and this
//! harness cost with almost no timer; `--clock floor-hosted` fires it from a
//! task on the executor's own reactor (a timerfd on async-io's under smol,
//! tokio's timer under tokio) instead of its own thread, and `--clock
//! floor-inline` (smol) inside the reactor's waker, with no task, as a library
//! without a handle to the executor would have to.

mod floor_clock;

use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use futures_heartbeat::clock::{
    AsyncIoClock, Clock, DefaultClock, FuturesTimerClock, TokioClock, WheelClock,
};
use futures_heartbeat::HeartbeatExt;
use futures_heartbeat_bench::args;

use self::floor_clock::FloorClock;

#[derive(Debug, Clone)]
struct Config {
    streams: usize,
    interval: Duration,
    run_for: Duration,
    clock: String,
    executor: String,
    aligned: bool,
    mode: String,
    csv: Option<String>,
}

const USAGE: &str = "\
Many idle streams with heartbeats (or watchdogs) on one executor: CPU, memory
per stream, and pulse lateness. Linux only (it reads /proc).

usage: cargo run --release -p futures-heartbeat-bench --bin scale -- [FLAGS]

  --streams N                                  (1000)
  --interval-ms MS                             (100)
  --secs S                                     (10)
  --clock wheel|default|futures-timer|async-io|tokio|
          floor|floor-hosted|floor-inline      (wheel; floor: the least a timer
                                               can do, for what the rest costs;
                                               floor-hosted: the same, fired by a
                                               task on the executor's reactor;
                                               floor-inline: by the reactor's
                                               own thread, smol only)
  --executor smol|tokio                        (smol; tokio for the peer)
  --deadlines spread|aligned                   (spread)
  --mode heartbeat|watchdog|peer               (heartbeat; peer: heartbeat-stream on tokio)
  --csv FILE                                   append the figures as a line
  --help";

fn config() -> Config {
    let args = args::Args::parse(
        USAGE,
        &[
            "--streams",
            "--interval-ms",
            "--secs",
            "--clock",
            "--executor",
            "--deadlines",
            "--mode",
            "--csv",
        ],
        &[],
        &[],
    );
    let mode = args.value("--mode").unwrap_or("heartbeat").to_string();
    Config {
        streams: args.parsed("--streams").unwrap_or(1000),
        interval: Duration::from_millis(args.parsed("--interval-ms").unwrap_or(100)),
        run_for: Duration::from_secs(args.parsed("--secs").unwrap_or(10)),
        executor: args
            .value("--executor")
            .unwrap_or(if mode == "peer" { "tokio" } else { "smol" })
            .to_string(),
        clock: if mode == "peer" {
            "tokio-interval".into()
        } else {
            args.value("--clock").unwrap_or("wheel").to_string()
        },
        aligned: args.value("--deadlines") == Some("aligned"),
        mode,
        csv: args.value("--csv").map(str::to_string),
    }
}

/// Lateness samples, in buckets of 10 µs up to 10 ms and of 1 ms up to 10 s: fixed memory, lock-free.
struct Histogram {
    fine: Vec<AtomicU64>,
    coarse: Vec<AtomicU64>,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            fine: (0..1000).map(|_| AtomicU64::new(0)).collect(),
            coarse: (0..10_000).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn record(&self, lateness: Duration) {
        let micros = lateness.as_micros() as usize;
        let bucket = match micros {
            0..=9_999 => &self.fine[micros / 10],
            _ => &self.coarse[(micros / 1000).min(9_999)],
        };
        bucket.fetch_add(1, Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.fine
            .iter()
            .chain(&self.coarse)
            .map(|b| b.load(Ordering::Relaxed))
            .sum()
    }

    /// The upper edge of the bucket holding quantile `q`.
    fn quantile(&self, q: f64) -> Duration {
        let target = ((self.count() as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        let buckets = self
            .fine
            .iter()
            .enumerate()
            .map(|(i, b)| (Duration::from_micros(10 * (i as u64 + 1)), b));
        let buckets = buckets.chain(
            self.coarse
                .iter()
                .enumerate()
                .map(|(i, b)| (Duration::from_millis(i as u64 + 1), b)),
        );
        for (edge, bucket) in buckets {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= target {
                return edge;
            }
        }
        Duration::MAX
    }
}

/// What all streams saw.
struct Tally {
    lateness: Histogram,
    max_lateness_micros: AtomicU64,
    delivered: AtomicU64,
    expected: AtomicU64,
    skipped: AtomicU64,
}

impl Tally {
    /// Records a pulse that came now to a stream started at `start`; `false` once the
    /// pulse belongs to a grid point at or after `end`, which the run does not count.
    fn pulse(
        &self,
        start: Instant,
        interval: Duration,
        end: Instant,
        last_index: &mut u64,
    ) -> bool {
        let now = Instant::now();
        let index = ((now - start).as_nanos() / interval.as_nanos()) as u64;
        let grid_point = start + interval * index as u32;
        if grid_point >= end {
            return false;
        }
        self.record(now - grid_point);
        self.skipped
            .fetch_add(index.saturating_sub(*last_index + 1), Ordering::Relaxed);
        self.delivered.fetch_add(1, Ordering::Relaxed);
        *last_index = index;
        true
    }

    /// Adds the pulses a stream started at `start` should deliver before `end`.
    fn expect_pulses(&self, start: Instant, interval: Duration, end: Instant) {
        let expected = ((end - start).as_nanos().saturating_sub(1) / interval.as_nanos()) as u64;
        self.expected.fetch_add(expected, Ordering::Relaxed);
    }

    fn record(&self, lateness: Duration) {
        self.lateness.record(lateness);
        self.max_lateness_micros
            .fetch_max(lateness.as_micros() as u64, Ordering::Relaxed);
    }
}

/// One stream's life: wait for its phase, then take pulses until the end, recording each.
async fn heartbeat_stream<C: Clock, P: Clock>(
    clock: C,
    phase_clock: P,
    config: Arc<Config>,
    phase_at: Instant,
    end: Instant,
    tally: Arc<Tally>,
) where
    C::Timer: Unpin,
    P::Timer: Unpin,
{
    wait_for_phase(&phase_clock, phase_at).await;
    let start = Instant::now();
    let mut events = stream::pending::<()>().with_heartbeat_on(config.interval, clock);
    let mut last_index = 0;
    while events.next().await.is_some() {
        if !tally.pulse(start, config.interval, end, &mut last_index) {
            break;
        }
    }
    tally.expect_pulses(start, config.interval, end);
}

/// One watchdog's life: wait for its phase, then wait until it fires; the lateness is past its timeout.
async fn watchdog_stream<C: Clock, P: Clock>(
    clock: C,
    phase_clock: P,
    config: Arc<Config>,
    phase_at: Instant,
    tally: Arc<Tally>,
) where
    C::Timer: Unpin,
    P::Timer: Unpin,
{
    wait_for_phase(&phase_clock, phase_at).await;
    let start = Instant::now();
    let mut items = stream::pending::<()>().watchdog_on(config.interval, clock);
    assert!(items.next().await.is_none() && items.timed_out());
    tally.record(start.elapsed().saturating_sub(config.interval));
    tally.delivered.fetch_add(1, Ordering::Relaxed);
    tally.expected.fetch_add(1, Ordering::Relaxed);
}

/// The peer: `heartbeat-stream`, with tokio's `Interval` as its documentation shows.
async fn peer_stream(config: Arc<Config>, phase_at: Instant, end: Instant, tally: Arc<Tally>) {
    tokio::time::sleep_until(phase_at.into()).await;
    let start = Instant::now();
    let interval = tokio::time::interval_at((start + config.interval).into(), config.interval);
    let mut events = pin!(heartbeat_stream::HeartbeatStream::new(
        stream::pending::<()>(),
        interval
    ));
    let mut last_index = 0;
    while events.next().await.is_some() {
        if !tally.pulse(start, config.interval, end, &mut last_index) {
            break;
        }
    }
    tally.expect_pulses(start, config.interval, end);
}

/// Waits until `deadline` in two steps, the last under 20 ms: the default clock's
/// timers are then within a millisecond (its tolerance is 1/20 of a timer's lead),
/// and the timer entries it leaves behind are the ones the stream's own timer
/// reuses, as in a program, so that they do not count as memory per stream.
async fn wait_for_phase<C: Clock>(clock: &C, deadline: Instant)
where
    C::Timer: Unpin,
{
    const LAST_STEP: Duration = Duration::from_millis(19);
    if let Some(first_step) = deadline.checked_sub(LAST_STEP) {
        if first_step > Instant::now() {
            sleep_until(clock, first_step).await;
        }
    }
    sleep_until(clock, deadline).await;
}

async fn sleep_until<C: Clock>(clock: &C, deadline: Instant)
where
    C::Timer: Unpin,
{
    let mut timer = clock.timer_at(deadline);
    std::future::poll_fn(|cx| {
        futures_heartbeat::clock::Timer::poll_expired(std::pin::Pin::new(&mut timer), cx)
    })
    .await
}

/// CPU time of this process so far, from /proc/self/stat (user plus system, in ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// Context switches of all the process's threads so far, voluntary and not.
fn context_switches() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|line| line.contains("ctxt_switches:"))
                .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 4096
}

fn peak_resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

/// What the steady state cost.
struct Figures {
    cpu: Duration,
    wall: Duration,
    context_switches: u64,
    /// Resident memory gained from before the streams were spawned to the steady state.
    resident_growth: u64,
}

/// Spawns the streams on the chosen executor and runs them to the end.
fn run(config: Arc<Config>, tally: Arc<Tally>) -> Figures {
    let streams = config.streams;
    let watchdog = config.mode == "watchdog";
    // Streams start after a setup second; in watchdog mode the run is one timeout long.
    let begin = Instant::now() + Duration::from_secs(1);
    let end = if watchdog {
        begin + 2 * config.interval
    } else {
        begin + config.run_for
    };
    // Phases are waited for with millisecond precision (on the wheel, in two steps
    // for the wheel, the default and the floor: see `wait_for_phase`), so that they
    // stay spread as asked: a coarser grain would gather the streams' starts, and
    // so their pulses, on fewer ticks.
    let phase = |i: usize| {
        if config.aligned {
            begin
        } else {
            begin + config.interval.mul_f64(i as f64 / streams as f64)
        }
    };
    let hosted_floor = match config.clock.as_str() {
        "floor" => {
            FloorClock::start(config.interval);
            None
        }
        "floor-hosted" | "floor-inline" => Some(FloorClock::start_hosted(config.interval)),
        _ => None,
    };
    let resident_before = resident_bytes();
    let interval = config.interval;
    let measure = move |end: Instant| {
        // Steady state: from one interval after the last stream started to the end.
        let from = begin + 2 * interval;
        std::thread::sleep(from.saturating_duration_since(Instant::now()));
        let (cpu_from, wall_from, resident) = (cpu_time(), Instant::now(), resident_bytes());
        let switches_from = context_switches();
        std::thread::sleep(end.saturating_duration_since(Instant::now()));
        Figures {
            cpu: cpu_time() - cpu_from,
            wall: wall_from.elapsed(),
            context_switches: context_switches().saturating_sub(switches_from),
            resident_growth: resident.saturating_sub(resident_before),
        }
    };

    macro_rules! spawn_all {
        ($spawn:expr, $clock:expr) => {
            spawn_all!($spawn, $clock, $clock)
        };
        ($spawn:expr, $clock:expr, $phase_clock:expr) => {
            (0..streams)
                .map(|i| {
                    let (config, tally) = (config.clone(), tally.clone());
                    // Spawned unboxed, as the peer's streams are, so that the
                    // memory per stream compares the same executor task.
                    if watchdog {
                        $spawn(watchdog_stream(
                            $clock,
                            $phase_clock,
                            config,
                            phase(i),
                            tally,
                        ))
                    } else {
                        $spawn(heartbeat_stream(
                            $clock,
                            $phase_clock,
                            config,
                            phase(i),
                            end,
                            tally,
                        ))
                    }
                })
                .collect::<Vec<_>>()
        };
    }

    match config.executor.as_str() {
        "smol" => {
            let executor = Arc::new(smol::Executor::new());
            let (stop, stopped) = smol::channel::bounded::<()>(1);
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (executor, stopped) = (executor.clone(), stopped.clone());
                    std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
                })
                .collect();
            let tasks = match config.clock.as_str() {
                "wheel" => spawn_all!(|t| executor.spawn(t), WheelClock),
                "default" => spawn_all!(|t| executor.spawn(t), DefaultClock),
                "futures-timer" => spawn_all!(|t| executor.spawn(t), FuturesTimerClock),
                "async-io" => spawn_all!(|t| executor.spawn(t), AsyncIoClock),
                "floor" => spawn_all!(|t| executor.spawn(t), FloorClock, WheelClock),
                #[cfg(target_os = "linux")]
                "floor-hosted" => {
                    let floor = hosted_floor.expect("set up above");
                    executor
                        .spawn(floor_clock::fire_on_async_io(floor))
                        .detach();
                    spawn_all!(|t| executor.spawn(t), FloorClock, WheelClock)
                }
                #[cfg(target_os = "linux")]
                "floor-inline" => {
                    floor_clock::fire_inside_async_io(hosted_floor.expect("set up above"));
                    spawn_all!(|t| executor.spawn(t), FloorClock, WheelClock)
                }
                other => panic!("clock {other} does not run on smol"),
            };
            let figures = measure(end);
            smol::block_on(futures::future::join_all(tasks));
            drop(stop);
            threads.into_iter().for_each(|t| drop(t.join()));
            figures
        }
        "tokio" => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let _context = runtime.enter();
            let tasks = if config.mode == "peer" {
                (0..streams)
                    .map(|i| {
                        runtime.spawn(peer_stream(config.clone(), phase(i), end, tally.clone()))
                    })
                    .collect::<Vec<_>>()
            } else {
                match config.clock.as_str() {
                    "wheel" => spawn_all!(|t| runtime.spawn(t), WheelClock),
                    "default" => {
                        spawn_all!(|t| runtime.spawn(t), DefaultClock)
                    }
                    "futures-timer" => spawn_all!(|t| runtime.spawn(t), FuturesTimerClock),
                    "async-io" => spawn_all!(|t| runtime.spawn(t), AsyncIoClock),
                    "tokio" => spawn_all!(|t| runtime.spawn(t), TokioClock),
                    "floor" => spawn_all!(|t| runtime.spawn(t), FloorClock, WheelClock),
                    "floor-hosted" => {
                        let floor = hosted_floor.expect("set up above");
                        runtime.spawn(floor_clock::fire_on_tokio(floor));
                        spawn_all!(|t| runtime.spawn(t), FloorClock, WheelClock)
                    }
                    other => panic!("unknown clock {other}"),
                }
            };
            let figures = measure(end);
            runtime.block_on(futures::future::join_all(tasks));
            figures
        }
        other => panic!("unknown executor {other}"),
    }
}

fn main() {
    let config = Arc::new(config());
    let tally = Arc::new(Tally {
        lateness: Histogram::new(),
        max_lateness_micros: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        expected: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
    });
    let figures = run(config.clone(), tally.clone());
    let (cpu, wall) = (figures.cpu.as_secs_f64(), figures.wall.as_secs_f64());
    // A watchdog run lasts one timeout, too short to measure CPU over.
    let cores = if config.mode == "watchdog" {
        f64::NAN
    } else {
        cpu / wall
    };
    // Per pulse due in the measured window, and per second of it.
    let pulses_in_window = config.streams as f64 * wall / config.interval.as_secs_f64();
    let micros_per_pulse = cpu * 1e6 / pulses_in_window;
    let switches_per_sec = figures.context_switches as f64 / wall;
    let per_stream = figures.resident_growth / config.streams as u64;
    let (p50, p99) = (tally.lateness.quantile(0.50), tally.lateness.quantile(0.99));
    let max = Duration::from_micros(tally.max_lateness_micros.load(Ordering::Relaxed));
    let (delivered, expected) = (
        tally.delivered.load(Ordering::Relaxed),
        tally.expected.load(Ordering::Relaxed),
    );
    let skipped = tally.skipped.load(Ordering::Relaxed);
    let deadlines = if config.aligned { "aligned" } else { "spread" };
    println!(
        "{} {} streams, clock {} on {}, {deadlines}, interval {:?}: cpu {cores:.3} cores, \
         {micros_per_pulse:.2} us/pulse, {switches_per_sec:.0} context switches/s, {per_stream} bytes/stream, \
         peak rss {} MB, {} {delivered}/{expected}, skipped {skipped}, lateness p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
        config.mode,
        config.streams,
        config.clock,
        config.executor,
        config.interval,
        peak_resident_bytes() >> 20,
        if config.mode == "watchdog" { "fired" } else { "pulses" },
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
    );
    if let Some(path) = &config.csv {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(
            file,
            "{},{},{},{},{deadlines},{},{cores:.4},{per_stream},{},{delivered},{expected},{skipped},{:.3},{:.3},{:.3},{micros_per_pulse:.3},{switches_per_sec:.0}",
            config.mode,
            config.streams,
            config.clock,
            config.executor,
            config.interval.as_millis(),
            peak_resident_bytes(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
        )
        .unwrap();
    }
}
