//! Silent when idle: with no timer due, no thread of the crate wakes.
//!
//! The default clock's threads (`futures-heartbeat-wheel` and its supervisor)
//! are found by their name in `/proc/self/task/*/comm`, where Linux keeps its
//! first 15 bytes, `futures-heartbe`, and their context switches (voluntary and
//! not, from `status`) are counted over a quiet period: after a heartbeat ran
//! and was dropped, so that no timer is left, and with one timer armed an hour
//! ahead. A thread that sleeps until it is needed makes none; one that looks
//! around periodically, such as a supervisor on a 100 ms loop, makes about ten
//! a second.
//!
//! A binary of its own, so that no other test's timer wakes the threads, and
//! its two cases one after the other for the same reason. Linux only (it reads
//! `/proc`).
//!
//! Run with: `cargo test --test idle_wakeups -- --nocapture` (prints the counts).
#![cfg(target_os = "linux")]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::executor::block_on;
use futures::stream::{self, StreamExt};
use futures_heartbeat::HeartbeatExt;

/// What Linux keeps of the names of the crate's threads.
const THREAD_NAME_PREFIX: &str = "futures-heartbe";
/// How long the threads are watched.
const QUIET_PERIOD: Duration = Duration::from_millis(1_500);
/// Left to the threads before the watch starts: the driver's last wakeup for
/// a timer already dropped, and the supervisor's look at the last batch.
const SETTLE: Duration = Duration::from_millis(300);
/// A few, in case the machine moves a sleeping thread for its own reasons; a
/// periodic look makes fifteen in the quiet period.
const AT_MOST: u64 = 2;

/// One case at a time: the other's timers would wake the threads.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The context switches of each of the crate's threads so far, by thread id.
fn crate_threads_switches() -> Vec<(String, u64)> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.starts_with(THREAD_NAME_PREFIX))
        })
        .filter_map(|task| {
            let status = std::fs::read_to_string(task.path().join("status")).ok()?;
            let switches = status
                .lines()
                .filter(|line| line.contains("ctxt_switches:"))
                .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            Some((task.file_name().to_string_lossy().into_owned(), switches))
        })
        .collect()
}

/// The context switches the crate's threads make in the quiet period, after
/// they settle; each thread's count is printed.
fn switches_in_a_quiet_period(case: &str) -> u64 {
    std::thread::sleep(SETTLE);
    let before = crate_threads_switches();
    assert!(
        before.len() >= 2,
        "the scheduler's thread and its supervisor are running: found {before:?}"
    );
    let start = Instant::now();
    std::thread::sleep(QUIET_PERIOD);
    let watched = start.elapsed();
    let after = crate_threads_switches();
    let mut total = 0;
    for (thread, switches) in &before {
        // A thread that left (a retired driver) switched no more while watched.
        let now = after
            .iter()
            .find(|(id, _)| id == thread)
            .map_or(*switches, |(_, now)| *now);
        println!(
            "{case}: thread {thread}: {} context switches in {watched:?}",
            now - switches
        );
        total += now - switches;
    }
    // A thread started while watched counts all its switches.
    for (thread, switches) in &after {
        if !before.iter().any(|(id, _)| id == thread) {
            println!("{case}: thread {thread}, started while watched: {switches} context switches");
            total += switches;
        }
    }
    total
}

#[test]
#[cfg_attr(miri, ignore = "reads /proc and waits in real time")]
fn with_no_timer_left_no_thread_of_the_crate_wakes() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    block_on(async {
        let mut events = stream::pending::<()>().with_heartbeat(Duration::from_millis(5));
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            events.next().await;
        }
    });
    let switches = switches_in_a_quiet_period("no timer");
    assert!(
        switches <= AT_MOST,
        "the crate's threads switched {switches} times with no timer (at most {AT_MOST})"
    );
}

#[test]
#[cfg_attr(miri, ignore = "reads /proc and waits in real time")]
fn with_one_timer_an_hour_ahead_no_thread_of_the_crate_wakes() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut items = stream::pending::<()>().watchdog(Duration::from_secs(3_600));
    // One poll arms the timer and hands the scheduler its waker.
    assert!(block_on(async { futures::poll!(items.next()) }).is_pending());
    let switches = switches_in_a_quiet_period("a timer an hour ahead");
    assert!(
        switches <= AT_MOST,
        "the crate's threads switched {switches} times with a timer an hour ahead (at most {AT_MOST})"
    );
    drop(items);
}
