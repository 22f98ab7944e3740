//! A fixed workload to count instructions with (`valgrind --tool=callgrind`), where
//! the CPU time of a shared machine says nothing: run it at two lengths and divide
//! the difference by the difference in items or pulses. `bench/instructions.sh`
//! does that for this build and an earlier one.
//!
//! - `ready --kind KIND --items N`: N ready items through KIND (`bare`,
//!   `with_heartbeat`, `watchdog`, `both`, `keep_alive`, `watchdog_adaptive`,
//!   `try_watchdog`), consumed on `futures::executor` as
//!   the `ready_path` bench does, timers an hour ahead. Prints the items.
//! - `idle --streams N --interval-ms MS --secs S`: N tasks each waiting on
//!   `stream::pending().with_heartbeat(interval)`, started spread over the first
//!   interval, on the smallest executor that can run them (one thread, a queue of
//!   woken tasks), so that little but the adapter and the default clock's
//!   scheduler runs. Prints the pulses delivered.
//!
//! It uses only the public API of 0.1, so that the same file builds against an
//! earlier commit of the crate (`bench/instructions.sh` does).

#[path = "../../../examples/support/args.rs"]
mod args;

use std::collections::VecDeque;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::{HeartbeatExt, PhiAccrual};

const HOUR: Duration = Duration::from_secs(3600);

const USAGE: &str = "\
A fixed workload for instruction counts (valgrind --tool=callgrind): ready items
through an adapter, or idle heartbeats on a one-thread executor.

usage: cargo run --release -p futures-heartbeat-bench --bin cost_probe -- ready|idle [FLAGS]

  ready --kind bare|with_heartbeat|watchdog|both|keep_alive|
               watchdog_adaptive|try_watchdog    (with_heartbeat)
        --items N                                (1000000)
  idle  --streams N                              (10000)
        --interval-ms MS                         (1000)
        --secs S                                 (4)
  --help";

fn main() {
    let args = args::Args::parse(
        USAGE,
        &["--kind", "--items", "--streams", "--interval-ms", "--secs"],
        &[],
        &["ready", "idle"],
    );
    match args.role() {
        Some("ready") => {
            let kind = args.value("--kind").unwrap_or("with_heartbeat");
            let items = args.parsed("--items").unwrap_or(1_000_000);
            println!(
                "{}",
                ready(kind, items).unwrap_or_else(|| args.refuse("unknown --kind"))
            );
        }
        Some("idle") => {
            let streams = args.parsed("--streams").unwrap_or(10_000);
            let interval = Duration::from_millis(args.parsed("--interval-ms").unwrap_or(1000));
            let run_for = Duration::from_secs(args.parsed("--secs").unwrap_or(4));
            println!("{}", idle(streams, interval, run_for));
        }
        _ => args.refuse("ready or idle first"),
    }
}

async fn drain<S: Stream>(stream: S) -> u64 {
    let mut stream = pin!(stream);
    let mut count = 0;
    while let Some(item) = stream.next().await {
        black_box(item);
        count += 1;
    }
    count
}

/// Each kind drained by a `block_on` of its own, as in the `ready_path` bench.
fn ready(kind: &str, items: u64) -> Option<u64> {
    let source = || stream::iter(0..items);
    Some(match kind {
        "bare" => futures::executor::block_on(drain(source())),
        "with_heartbeat" => futures::executor::block_on(drain(source().with_heartbeat(HOUR))),
        "watchdog" => futures::executor::block_on(drain(source().watchdog(HOUR))),
        "both" => futures::executor::block_on(drain(source().watchdog(HOUR).with_heartbeat(HOUR))),
        "keep_alive" => futures::executor::block_on(drain(source().keep_alive(HOUR))),
        "watchdog_adaptive" => {
            futures::executor::block_on(drain(source().watchdog_adaptive(PhiAccrual::new(HOUR))))
        }
        "try_watchdog" => futures::executor::block_on(drain(
            source().map(Ok::<_, std::io::Error>).try_watchdog(HOUR),
        )),
        _ => return None,
    })
}

type Task = Pin<Box<dyn Stream<Item = ()>>>;

/// Wakes task `index`: queues it once until it is polled again.
struct TaskWaker {
    index: usize,
    queued: AtomicBool,
    woken: Arc<Mutex<VecDeque<usize>>>,
    executor: Thread,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.woken.lock().unwrap().push_back(self.index);
            self.executor.unpark();
        }
    }
}

/// Runs the heartbeats until `run_for` has passed since the first started; returns
/// the pulses they delivered.
fn idle(streams: usize, interval: Duration, run_for: Duration) -> u64 {
    let woken = Arc::new(Mutex::new(VecDeque::new()));
    let task_wakers: Vec<Arc<TaskWaker>> = (0..streams)
        .map(|index| {
            Arc::new(TaskWaker {
                index,
                queued: AtomicBool::new(false),
                woken: woken.clone(),
                executor: thread::current(),
            })
        })
        .collect();
    let wakers: Vec<Waker> = task_wakers.iter().cloned().map(Waker::from).collect();
    let mut tasks: Vec<Task> = (0..streams)
        .map(|_| Box::pin(stream::pending::<()>().with_heartbeat(interval).map(|_| ())) as Task)
        .collect();
    let begin = Instant::now();
    let end = begin + run_for;
    let mut started = 0;
    let mut pulses = 0;
    let mut poll = |index: usize, pulses: &mut u64| {
        task_wakers[index].queued.store(false, Ordering::Release);
        let mut cx = Context::from_waker(&wakers[index]);
        while let Poll::Ready(Some(())) = tasks[index].as_mut().poll_next(&mut cx) {
            *pulses += 1;
        }
    };
    loop {
        let now = Instant::now();
        if now >= end {
            return pulses;
        }
        // Phases spread over the first interval: task i starts at i / streams of it.
        while started < streams && begin + interval.mul_f64(started as f64 / streams as f64) <= now
        {
            poll(started, &mut pulses);
            started += 1;
        }
        let next = woken.lock().unwrap().pop_front();
        match next {
            Some(index) => poll(index, &mut pulses),
            None => {
                let next_start = (started < streams)
                    .then(|| begin + interval.mul_f64(started as f64 / streams as f64));
                let until = next_start.map_or(end, |start| start.min(end));
                thread::park_timeout(until.saturating_duration_since(now));
            }
        }
    }
}
