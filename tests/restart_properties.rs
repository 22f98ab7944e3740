//! Property tests of `restart::restarting` on the manual clock: random schedules
//! of items, failures, ends, failed and hanging connects, time passing and
//! consumer polls, against the guarantees: no item lost, reordered or delivered
//! after its source's `Down`; the old source dropped before the next connect;
//! each cause true to what happened; delays exactly the backoff's, reset only
//! after `stable_after` of uptime; downtime measured from the lost source; and
//! a waiting task woken when its delay ends, with no connect before (rules R1,
//! R2, R3, R5, R8 and R11 of the `restart` module's docs).

mod support;

use std::task::Poll;
use std::time::{Duration, Instant};

use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::restart::{restarting_on, Cause, Jitter, Restart};
use proptest::prelude::*;
use support::restart_lab::{Lab, Plan};
use support::Task;

const SEC: Duration = Duration::from_secs(1);
const STABLE_AFTER: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Items of source `s` are numbered from `s * PER_SOURCE`.
const PER_SOURCE: u32 = 100_000;

#[derive(Debug, Clone)]
enum Step {
    /// The current source gets this many items.
    Push(u8),
    /// The current source fails.
    Fail,
    /// The current source ends.
    End,
    /// The next call of the connect function goes this way.
    NextConnect(Plan),
    /// Time passes by `eighths / 8` of a second.
    Advance(u16),
    /// The consumer polls until `Pending`.
    Drain,
    /// The consumer polls once.
    PollOnce,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..4).prop_map(Step::Push),
        1 => Just(Step::Fail),
        1 => Just(Step::End),
        1 => prop_oneof![Just(Plan::Connect), Just(Plan::Fail("refused")), Just(Plan::Hang)]
            .prop_map(Step::NextConnect),
        4 => (0u16..80).prop_map(Step::Advance),
        4 => Just(Step::Drain),
        2 => Just(Step::PollOnce),
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 1_000 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// What the test knows of the sources and what the consumer has seen.
struct Run {
    lab: Lab,
    clock: ManualClock,
    task: Task,
    /// Items pushed to each source, and whether the test closed it (failed or ended).
    pushed: Vec<u32>,
    closed: Vec<Option<Step>>,
    delivered: Vec<u32>,
    /// The source whose items are flowing: the one of the last `Up`, until its `Down`.
    up: Option<usize>,
    ups: usize,
    up_at: Option<Instant>,
    down_since: Instant,
    attempt: u32,
    backoff_step: u32,
    min: Duration,
    max: Duration,
    /// While backing off: when the delay ends, and whether the task waits on it.
    retry_at: Option<Instant>,
    waiting: bool,
}

impl Run {
    /// The expected delay after a `Down` at `now`, by the backoff's rules.
    fn next_delay(&mut self, now: Instant, lost_source: bool) -> Duration {
        if lost_source && self.up_at.is_some_and(|up| now - up >= STABLE_AFTER) {
            self.backoff_step = 0;
        }
        let delay = self
            .min
            .saturating_mul(1 << self.backoff_step.min(20))
            .min(self.max);
        if delay < self.max {
            self.backoff_step += 1;
        }
        delay
    }

    fn check_event(&mut self, event: Restart<u32, &'static str>) -> Result<(), TestCaseError> {
        let now = self.clock.uncounted_now();
        let calls = self.lab.calls();
        match event {
            Restart::Item(item) => {
                let source = (item / PER_SOURCE) as usize;
                prop_assert_eq!(Some(source), self.up, "an item of a source that is not up");
                prop_assert_eq!(
                    item % PER_SOURCE,
                    self.delivered[source],
                    "an item lost or reordered"
                );
                self.delivered[source] += 1;
            }
            Restart::Up { attempt, downtime } => {
                prop_assert_eq!(attempt, self.attempt);
                prop_assert_eq!(
                    attempt as usize,
                    calls - 1,
                    "Up for an attempt that was not the last call"
                );
                prop_assert_eq!(downtime, now - self.down_since);
                self.up = Some(self.ups);
                self.ups += 1;
                self.up_at = Some(now);
                self.pushed.push(0);
                self.closed.push(None);
                self.delivered.push(0);
            }
            Restart::Down {
                cause,
                attempt,
                retry_in,
            } => {
                let lost = self.up.take();
                let plan = self.lab.plans_used.lock().unwrap()[calls - 1];
                match (&cause, lost) {
                    (Cause::Failed(_), Some(source)) => {
                        prop_assert!(
                            matches!(self.closed[source], Some(Step::Fail)),
                            "Failed, but it did not fail"
                        );
                    }
                    (Cause::Ended, Some(source)) => {
                        prop_assert!(
                            matches!(self.closed[source], Some(Step::End)),
                            "Ended, but it did not end"
                        );
                    }
                    (Cause::ConnectFailed(_), None) => prop_assert_eq!(plan, Plan::Fail("refused")),
                    (Cause::ConnectTimedOut, None) => prop_assert_eq!(plan, Plan::Hang),
                    _ => prop_assert!(false, "cause {:?} with source {:?}", cause, lost),
                }
                if let Some(source) = lost {
                    prop_assert!(
                        self.lab.feed(source).is_dropped(),
                        "the source outlived its Down"
                    );
                    prop_assert_eq!(
                        self.delivered[source],
                        self.pushed[source],
                        "items lost at the Down"
                    );
                    self.down_since = now;
                }
                self.attempt += 1;
                prop_assert_eq!(attempt, self.attempt);
                let expected = self.next_delay(now, lost.is_some());
                prop_assert_eq!(retry_in, expected, "the delay is not the backoff's");
                self.retry_at = Some(now + retry_in);
            }
            Restart::GaveUp { .. } => prop_assert!(false, "gave up with no limit set"),
            other => prop_assert!(false, "an event this check does not know: {:?}", other),
        }
        Ok(())
    }
}

fn check(min_secs: u64, max_secs: u64, steps: &[Step]) -> Result<(), TestCaseError> {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let (min, max) = (SEC * min_secs as u32, SEC * max_secs as u32);
    let mut events = restarting_on(lab.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(min, max)
        .stable_after(STABLE_AFTER)
        .connect_timeout(CONNECT_TIMEOUT);
    let mut run = Run {
        down_since: clock.uncounted_now(),
        lab,
        clock,
        task: Task::new(),
        pushed: Vec::new(),
        closed: Vec::new(),
        delivered: Vec::new(),
        up: None,
        ups: 0,
        up_at: None,
        attempt: 0,
        backoff_step: 0,
        min,
        max,
        retry_at: None,
        waiting: false,
    };
    let mut started = false;
    for step in steps {
        match *step {
            Step::Push(count) => {
                if let Some(source) = run.ups.checked_sub(1).filter(|&s| run.closed[s].is_none()) {
                    for _ in 0..count {
                        let item = source as u32 * PER_SOURCE + run.pushed[source];
                        run.lab.feed(source).push(Ok(item));
                        run.pushed[source] += 1;
                    }
                }
            }
            Step::Fail | Step::End => {
                if let Some(source) = run.ups.checked_sub(1).filter(|&s| run.closed[s].is_none()) {
                    let feed = run.lab.feed(source);
                    if matches!(step, Step::Fail) {
                        feed.push(Err("reset"));
                    } else {
                        feed.end();
                    }
                    run.closed[source] = Some(step.clone());
                }
            }
            Step::NextConnect(plan) => run.lab.plan([plan]),
            Step::Advance(eighths) => {
                run.clock.advance(SEC * u32::from(eighths) / 8);
                if let Some(retry_at) = run.retry_at {
                    if run.waiting && run.clock.uncounted_now() >= retry_at {
                        prop_assert!(
                            run.task.wakeups() > 0,
                            "the delay ended and the task slept on"
                        );
                        run.waiting = false; // woken: it has to poll to wait again
                    }
                }
            }
            Step::Drain | Step::PollOnce => {
                if !started {
                    run.down_since = run.clock.uncounted_now();
                    started = true;
                }
                let polls = if matches!(step, Step::Drain) {
                    1_000
                } else {
                    1
                };
                for _ in 0..polls {
                    let calls_before = run.lab.calls();
                    let backing_off = run
                        .retry_at
                        .is_some_and(|at| run.clock.uncounted_now() < at);
                    let polled = run.task.poll(&mut events);
                    if backing_off {
                        prop_assert_eq!(
                            run.lab.calls(),
                            calls_before,
                            "connect called while backing off"
                        );
                    }
                    prop_assert!(
                        run.lab
                            .earlier_dropped
                            .lock()
                            .unwrap()
                            .iter()
                            .all(|&dropped| dropped),
                        "connect called while an older source was alive"
                    );
                    match polled {
                        Poll::Ready(Some(event)) => {
                            if !matches!(event, Restart::Down { .. })
                                && run.lab.calls() > calls_before
                            {
                                run.retry_at = None;
                            }
                            run.waiting = false;
                            run.check_event(event)?;
                        }
                        Poll::Ready(None) => prop_assert!(false, "the stream ended"),
                        Poll::Pending => {
                            if run.lab.calls() > calls_before {
                                run.retry_at = None; // connecting now
                            }
                            run.waiting = true;
                            run.task.wakeups();
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn r1_r2_r3_r5_r8_r11_restarting_keeps_every_guarantee_under_any_schedule(
        min_secs in 1u64..4,
        extra_secs in 0u64..12,
        steps in prop::collection::vec(step(), 1..150),
    ) {
        check(min_secs, min_secs + extra_secs, &steps)?;
    }
}
