//! A supervisor that restarts hung workers, on smol.
//!
//! Each worker sends its results, with a heartbeat, over a channel. The
//! supervisor keeps each worker slot with `restart::restarting`: the "connect"
//! function starts a worker and returns its channel; when the channel falls
//! silent (no pulse, no result) or closes, the worker is dropped, which cancels
//! it, and a new one starts. Workers misbehave at
//! random: some block their thread (a synchronous call in async code), some
//! spin in a busy loop, and some stall waiting for work that never comes. The
//! first two stop the pulses, so the supervisor's watchdog sees them; a stalled
//! worker still pulses (its task is alive), so it watches its own progress with
//! a second watchdog and exits, which the supervisor also sees.
//!
//! It prints a log and a summary of the restarts and how long each failure
//! took to detect, and ends by itself after about 12 s.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example supervisor              # a random seed, printed first
//! cargo run --example supervisor -- --seed 7  # the same run again
//! ```

#[path = "support/args.rs"]
mod args;

use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use std::convert::Infallible;

use futures::future::{self, Either};
use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::restart::{restarting, Attempt, Cause, Restart};
use futures_heartbeat::{Event, HeartbeatExt};
use smol::channel::{self, Sender, TrySendError};
use smol::{Executor, Timer};

const WORKERS: usize = 4;
const PULSE_INTERVAL: Duration = Duration::from_millis(100);
/// The supervisor gives up on a worker after this long with neither pulse nor result.
const SILENCE_LIMIT: Duration = Duration::from_millis(400);
/// A worker gives up on itself after this long without a result.
const STALL_LIMIT: Duration = Duration::from_millis(800);
const RUN_FOR: Duration = Duration::from_secs(12);

/// How a worker fails, when it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Blocks its executor thread in a synchronous sleep: no more pulses.
    Blocks,
    /// Spins without yielding: no more pulses either.
    Spins,
    /// Waits for work that never comes: still pulses, but makes no progress.
    Stalls,
}

/// When a worker began to misbehave, and how; read by the supervisor to measure detection.
type FailureLog = Arc<Mutex<Option<(Failure, Instant)>>>;

/// The random numbers of one worker: a distinct seed for each slot and attempt of
/// one run, so that a run's seed replays it.
fn worker_rng(seed: u64, slot: usize, attempt: u32) -> fastrand::Rng {
    let slot_mix = (slot as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
    fastrand::Rng::with_seed(seed ^ slot_mix ^ u64::from(attempt).wrapping_mul(0x1000_0001))
}

/// One worker's results: a number every 150 to 300 ms, until it fails (if it does).
fn results(rng: fastrand::Rng, failure_log: FailureLog) -> impl Stream<Item = u64> {
    stream::unfold((0u64, rng), move |(n, mut rng)| {
        let failure_log = failure_log.clone();
        async move {
            Timer::after(Duration::from_millis(rng.u64(150..300))).await;
            let failure = match rng.u8(0..100) {
                0..=3 => Some(Failure::Blocks),
                4..=6 => Some(Failure::Spins),
                7..=9 => Some(Failure::Stalls),
                _ => None,
            };
            if let Some(failure) = failure {
                *failure_log.lock().unwrap() = Some((failure, Instant::now()));
                misbehave(failure).await;
            }
            Some((n, (n + 1, rng)))
        }
    })
}

async fn misbehave(failure: Failure) {
    match failure {
        Failure::Blocks => std::thread::sleep(Duration::from_secs(2)),
        Failure::Spins => {
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        Failure::Stalls => future::pending::<()>().await,
    }
}

/// A worker task: its results, watched for progress and pulsing, sent to the supervisor.
async fn worker(rng: fastrand::Rng, failure_log: FailureLog, events: Sender<Event<u64>>) {
    // The inner watchdog ends the stream of a worker that stalls; the heartbeat
    // outside it tells the supervisor the task itself is alive.
    let mut pulsing = pin!(results(rng, failure_log)
        .watchdog(STALL_LIMIT)
        .with_heartbeat(PULSE_INTERVAL));
    while let Some(event) = pulsing.next().await {
        let supervisor_gone = match event {
            // A pulse nobody is ready for is dropped, as with Go's non-blocking send.
            Event::Pulse => matches!(events.try_send(Event::Pulse), Err(TrySendError::Closed(_))),
            Event::Item(n) => events.send(Event::Item(n)).await.is_err(),
        };
        if supervisor_gone {
            return;
        }
    }
    // Either the work stalled or it finished: the channel closes and the supervisor sees it.
}

/// What the supervisor saw of one failure.
struct Restarted {
    slot: usize,
    failure: Option<Failure>,
    detected_after: Option<Duration>,
    by_watchdog: bool,
}

/// Runs one worker slot until `deadline`: a worker, restarted whenever it falls
/// silent for `SILENCE_LIMIT` or exits.
async fn supervise(
    slot: usize,
    seed: u64,
    executor: Arc<Executor<'static>>,
    deadline: Instant,
) -> Vec<Restarted> {
    let current_failure = Arc::new(Mutex::new(FailureLog::default()));
    let start_worker = {
        let current_failure = current_failure.clone();
        move |attempt: Attempt| {
            let failure_log = FailureLog::default();
            *current_failure.lock().unwrap() = failure_log.clone();
            let (events_in, events_out) = channel::bounded(4);
            let rng = worker_rng(seed, slot, attempt.number);
            let worker = executor.spawn(worker(rng, failure_log, events_in));
            // The task lives as long as its stream: the restart that drops the
            // stream cancels the worker.
            let events = events_out.map(move |event| {
                let _task = &worker;
                Ok::<_, Infallible>(event)
            });
            future::ready(Ok::<_, Infallible>(events))
        }
    };
    let mut events = pin!(restarting(start_worker)
        .silence(SILENCE_LIMIT)
        .backoff(Duration::from_millis(1), Duration::from_millis(50)));
    let mut time_left = pin!(Timer::at(deadline));
    let mut restarts = Vec::new();
    let mut results = 0;
    loop {
        let event = match future::select(events.next(), time_left.as_mut()).await {
            Either::Left((Some(event), _)) => event,
            // The deadline: leaving drops the stream, and with it the current worker.
            _ => return restarts,
        };
        let (cause, attempt) = match event {
            Restart::Item(Event::Item(_)) => {
                results += 1;
                continue;
            }
            Restart::Down { cause, attempt, .. } => (cause, attempt),
            _ => continue, // pulses, and `Up`
        };
        let detected = Instant::now();
        let by_watchdog = matches!(cause, Cause::Silent(_));
        let failure = *current_failure.lock().unwrap().lock().unwrap();
        let detected_after = failure.map(|(_, since)| detected - since);
        println!(
            "{:>5.2}s  worker {slot} attempt {}: {} after {results} results; {}{}",
            (RUN_FOR - deadline.saturating_duration_since(detected)).as_secs_f64(),
            attempt - 1,
            if by_watchdog {
                format!("silent for {SILENCE_LIMIT:?}")
            } else {
                "exited".to_string()
            },
            match failure {
                Some((failure, _)) => format!("it {failure:?}"),
                None => "no failure recorded".to_string(),
            }
            .to_lowercase(),
            detected_after.map_or(String::new(), |d| format!(
                ", detected {} ms after it began",
                d.as_millis()
            )),
        );
        results = 0;
        restarts.push(Restarted {
            slot,
            failure: failure.map(|(failure, _)| failure),
            detected_after,
            by_watchdog,
        });
    }
}

const USAGE: &str = "\
A supervisor that restarts hung workers; it ends by itself after about 12 s.

usage: cargo run --example supervisor [-- --seed N]

  --seed N   replay the run of seed N (printed first; random by default)
  --help     this text";

fn main() {
    let seed = args::Args::parse(USAGE, &["--seed"], &[], &[])
        .parsed("--seed")
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("supervisor: {WORKERS} workers, pulse every {PULSE_INTERVAL:?}, restart after {SILENCE_LIMIT:?} of silence, seed {seed}");

    // Workers run on their own threads, more than there are workers, so that one
    // blocking or spinning cannot starve the others or the supervisor.
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = channel::bounded::<()>(1);
    for _ in 0..2 * WORKERS {
        let (executor, stopped) = (executor.clone(), stopped.clone());
        std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())));
    }

    let deadline = Instant::now() + RUN_FOR;
    let slots = (0..WORKERS).map(|slot| supervise(slot, seed, executor.clone(), deadline));
    let restarts: Vec<Restarted> = smol::block_on(future::join_all(slots))
        .into_iter()
        .flatten()
        .collect();
    drop(stop);

    println!("\nsummary: {} restarts in {RUN_FOR:?}", restarts.len());
    for failure in [Failure::Blocks, Failure::Spins, Failure::Stalls] {
        let mut delays: Vec<Duration> = restarts
            .iter()
            .filter(|r| r.failure == Some(failure))
            .filter_map(|r| r.detected_after)
            .collect();
        delays.sort();
        let caught_by = if failure == Failure::Stalls {
            format!("its own {STALL_LIMIT:?} watchdog")
        } else {
            format!("the supervisor's {SILENCE_LIMIT:?} watchdog")
        };
        match (delays.first(), delays.last()) {
            (Some(fastest), Some(slowest)) => println!(
                "  {failure:?}: {} times, detected by {caught_by} in {} to {} ms (median {} ms)",
                delays.len(),
                fastest.as_millis(),
                slowest.as_millis(),
                delays[delays.len() / 2].as_millis()
            ),
            _ => println!("  {failure:?}: not seen this run"),
        }
    }
    let by_watchdog = restarts.iter().filter(|r| r.by_watchdog).count();
    let per_slot: Vec<usize> = (0..WORKERS)
        .map(|s| restarts.iter().filter(|r| r.slot == s).count())
        .collect();
    println!("  {by_watchdog} found silent by the supervisor, {} exited; restarts per worker {per_slot:?}", restarts.len() - by_watchdog);
}
