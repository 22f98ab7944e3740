//! Property tests on the manual clock: random schedules of arrivals, ends, consumer
//! polls and stalls, with intervals and timeouts from a nanosecond to hours and
//! `Duration::MAX`. Every rule of the adapters is checked at every step, as are
//! the task's wakeups: none lost, none spurious. Failure messages name the rule:
//! H1–H7 in the docs of `HeartbeatExt::with_heartbeat`, W1–W8 of
//! `HeartbeatExt::watchdog`, K1–K5 of `HeartbeatExt::keep_alive`.
//!
//! Under Miri the case count drops to two per property,
//! since Miri runs each case thousands of times slower.

mod support;

use std::collections::VecDeque;
use std::ops::Range;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::stream::{FusedStream, Stream};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{
    Event, HeartbeatExt, KeepAlive, Watchdog, WithHeartbeat, MAX_ITEMS_BEFORE_PULSE,
};
use proptest::prelude::*;
use support::{Fed, Feed, Task};

#[derive(Debug, Clone)]
enum Step {
    /// The inner stream gets this many items.
    Push(u8),
    /// The inner stream ends (once all pushed items are taken).
    End,
    /// Time passes by `eighths / 8` of the scale (interval or timeout), plus a few nanoseconds.
    Advance { eighths: u16, nanos: u8 },
    /// The consumer polls until it gets `Pending` or the end.
    Drain,
    /// The consumer polls once, then goes away to work on what it got.
    PollOnce,
    /// The inner stream gets a burst of items, more than the heartbeat lets pass before it looks at its timer.
    Burst(u16),
}

impl Step {
    /// How many items this step adds to the inner stream.
    fn items(&self) -> u32 {
        match *self {
            Step::Push(count) => u32::from(count),
            Step::Burst(count) => u32::from(count),
            _ => 0,
        }
    }

    /// How many polls the consumer makes at most: `None` for none, `usize::MAX` to drain.
    fn polls(&self) -> Option<usize> {
        match self {
            Step::Drain => Some(usize::MAX),
            Step::PollOnce => Some(1),
            _ => None,
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..5).prop_map(Step::Push),
        1 => Just(Step::End),
        4 => (0u16..40, 0u8..3).prop_map(|(eighths, nanos)| Step::Advance { eighths, nanos }),
        4 => Just(Step::Drain),
        2 => Just(Step::PollOnce),
        1 => (64u16..400).prop_map(Step::Burst),
    ]
}

fn schedule() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..120)
}

/// From a nanosecond to an hour, and the longest duration there is.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (1u64..=1_000).prop_map(Duration::from_nanos),
        (1u64..=100_000).prop_map(Duration::from_micros),
        (1u64..=3_600).prop_map(Duration::from_secs),
        Just(Duration::MAX),
    ]
}

fn advance_by(scale: Duration, eighths: u16, nanos: u8) -> Duration {
    // Durations of years or more stand for "longer than any test runs"; cap the scale there.
    let scale = scale.min(Duration::from_secs(3600 * 24 * 365));
    scale * u32::from(eighths) / 8 + Duration::from_nanos(u64::from(nanos))
}

fn config() -> ProptestConfig {
    let cases = if cfg!(miri) { 2 } else { 2_000 };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The inner streams' side of a schedule: items pushed so far (numbered from 0), and the end.
struct Arrivals {
    feeds: Vec<Feed<u32>>,
    pushed: u32,
    ended: bool,
    /// Something arrived, or the end, since the consumer last polled.
    since_last_poll: bool,
}

impl Arrivals {
    /// Pushes the same items to every feed: one stream under test, or two run side by side.
    fn new(feeds: Vec<Feed<u32>>) -> Self {
        Arrivals {
            feeds,
            pushed: 0,
            ended: false,
            since_last_poll: false,
        }
    }

    /// Applies `step` if it is an arrival or the end, and returns the items it pushed.
    /// Arrivals after the end are ignored, as a real stream would never make them.
    fn apply(&mut self, step: &Step) -> Range<u32> {
        let first = self.pushed;
        match step {
            Step::Push(_) | Step::Burst(_) if !self.ended => {
                for item in first..first + step.items() {
                    self.feeds.iter().for_each(|feed| feed.push(item));
                }
                self.pushed += step.items();
            }
            Step::End if !self.ended => {
                self.feeds.iter().for_each(Feed::end);
                self.ended = true;
                self.since_last_poll = true;
            }
            _ => {}
        }
        self.since_last_poll |= self.pushed > first;
        first..self.pushed
    }
}

/// The grid index of `now`: how many whole intervals have passed since `start`.
fn grid_index(start: Instant, now: Instant, interval: Duration) -> u128 {
    (now - start).as_nanos() / interval.as_nanos()
}

/// A heartbeat under test, with what the test knows of its past.
struct HeartbeatRun {
    interval: Duration,
    clock: ManualClock,
    arrivals: Arrivals,
    events: WithHeartbeat<Fed<u32>, ManualClock>,
    task: Task,
    delivered: Vec<u32>,
    start: Option<Instant>,
    last_pulse: u128, // grid index of the last pulse; 0 before the first
    items_while_due: u32,
    ended: bool,
    waiting: bool, // the last poll returned Pending
    woken_while_waiting: bool,
}

impl HeartbeatRun {
    fn new(interval: Duration) -> Self {
        let clock = ManualClock::new();
        let (feed, fed) = Feed::new();
        HeartbeatRun {
            interval,
            events: fed.with_heartbeat_on(interval, clock.clone()),
            clock,
            arrivals: Arrivals::new(vec![feed]),
            task: Task::new(),
            delivered: Vec::new(),
            start: None,
            last_pulse: 0,
            items_while_due: 0,
            ended: false,
            waiting: false,
            woken_while_waiting: false,
        }
    }

    fn grid_index(&self, start: Instant) -> u128 {
        grid_index(start, self.clock.uncounted_now(), self.interval)
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match *step {
            Step::Push(_) | Step::Burst(_) | Step::End => {
                self.arrivals.apply(step);
            }
            Step::Advance { eighths, nanos } => {
                self.clock
                    .advance(advance_by(self.interval, eighths, nanos));
                self.check_wakeups()?;
            }
            Step::Drain | Step::PollOnce => self.poll(step.polls().unwrap_or(0))?,
        }
        Ok(())
    }

    /// A task waiting on the heartbeat is woken when a pulse falls due, and not otherwise.
    fn check_wakeups(&mut self) -> Result<(), TestCaseError> {
        let (true, Some(start)) = (self.waiting, self.start) else {
            return Ok(());
        };
        self.woken_while_waiting |= self.task.wakeups() > 0;
        if self.grid_index(start) > self.last_pulse {
            prop_assert!(
                self.woken_while_waiting,
                "a wakeup was lost: a pulse fell due and the task slept on"
            );
        } else if !self.arrivals.since_last_poll {
            prop_assert!(
                !self.woken_while_waiting,
                "a spurious wakeup: nothing happened"
            );
        }
        Ok(())
    }

    /// Polls up to `max_polls` times, or until `Pending` or the end, checking each result against the rules.
    fn poll(&mut self, max_polls: usize) -> Result<(), TestCaseError> {
        let start = *self.start.get_or_insert(self.clock.uncounted_now());
        self.arrivals.since_last_poll = false;
        self.woken_while_waiting = false;
        self.waiting = false;
        for _ in 0..max_polls {
            match self.task.poll(&mut self.events) {
                Poll::Ready(Some(Event::Item(item))) => {
                    prop_assert!(!self.ended, "an item after the end");
                    self.delivered.push(item);
                    if self.grid_index(start) > self.last_pulse {
                        self.items_while_due += 1;
                        prop_assert!(
                            self.items_while_due <= MAX_ITEMS_BEFORE_PULSE,
                            "H4: a due pulse starved"
                        );
                    }
                }
                Poll::Ready(Some(Event::Pulse)) => {
                    prop_assert!(!self.ended, "H5: a pulse after the end");
                    let index = self.grid_index(start);
                    prop_assert!(index >= 1, "H2: a pulse before the first interval");
                    prop_assert!(
                        index > self.last_pulse,
                        "H3: two pulses for one grid point (a burst)"
                    );
                    self.last_pulse = index;
                    self.items_while_due = 0;
                }
                Poll::Ready(None) => {
                    prop_assert!(self.arrivals.ended, "ended though the inner stream did not");
                    prop_assert!(self.events.is_terminated());
                    self.ended = true;
                    return Ok(());
                }
                Poll::Pending => {
                    prop_assert!(!self.ended, "H5: not fused");
                    prop_assert_eq!(
                        self.grid_index(start),
                        self.last_pulse,
                        "a due pulse was withheld while the stream was pending"
                    );
                    self.waiting = true;
                    self.task.wakeups();
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Ends the inner stream, drains, and checks what the whole run delivered.
    fn finish(mut self) -> Result<(), TestCaseError> {
        self.step(&Step::End)?;
        self.step(&Step::Drain)?;
        prop_assert!(self.ended, "the heartbeat did not end with its stream");
        prop_assert_eq!(
            &self.delivered,
            &(0..self.arrivals.pushed).collect::<Vec<_>>(),
            "H1: pulses stripped, the items must be the inner sequence"
        );
        prop_assert_eq!(self.clock.live_timers(), 0, "the timer outlived the stream");
        prop_assert_eq!(self.task.poll(&mut self.events), Poll::Ready(None));
        Ok(())
    }
}

fn check_heartbeat(interval: Duration, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut run = HeartbeatRun::new(interval);
    for step in steps {
        run.step(step)?;
    }
    run.finish()
}

/// The watchdog's rules as a reference model: what the next poll must return.
struct WatchdogModel {
    timeout: Duration,
    first_item_timeout: Duration,
    seen_item: bool,
    wait_started: Option<Instant>,
    // Deadlines of waits that an item cut short. The watchdog moves its timer lazily,
    // when it fires, so one of these passing may wake the task once, harmlessly.
    stale_deadlines: Vec<Instant>,
    fired: bool,
    ended: bool,
}

impl WatchdogModel {
    fn new(timeout: Duration, first_item_timeout: Duration) -> Self {
        WatchdogModel {
            timeout,
            first_item_timeout,
            seen_item: false,
            wait_started: None,
            stale_deadlines: Vec::new(),
            fired: false,
            ended: false,
        }
    }

    fn limit(&self) -> Duration {
        if self.seen_item {
            self.timeout
        } else {
            self.first_item_timeout
        }
    }

    /// What the watchdog must yield at `now`, given what its inner stream yields.
    fn poll<T>(
        &mut self,
        now: Instant,
        inner: impl FnOnce() -> Poll<Option<T>>,
    ) -> Poll<Option<T>> {
        self.poll_or_pulse(now, inner, None)
    }

    /// The same rules for the keep-alive (with `Some(pulse)`), which yields `pulse`
    /// where the watchdog would fire, and counts afresh from the next wait.
    fn poll_or_pulse<T>(
        &mut self,
        now: Instant,
        inner: impl FnOnce() -> Poll<Option<T>>,
        pulse: Option<T>,
    ) -> Poll<Option<T>> {
        if self.fired || self.ended {
            return Poll::Ready(None);
        }
        match inner() {
            Poll::Ready(Some(item)) => {
                if let Some(stale) = self
                    .wait_started
                    .and_then(|started| started.checked_add(self.limit()))
                {
                    self.stale_deadlines.push(stale);
                }
                self.stale_deadlines.retain(|stale| *stale > now);
                self.seen_item = true;
                self.wait_started = None;
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let started = *self.wait_started.get_or_insert(now);
                if !self.is_overdue(started, now) {
                    return Poll::Pending;
                }
                match pulse {
                    Some(pulse) => {
                        self.wait_started = None;
                        Poll::Ready(Some(pulse))
                    }
                    None => {
                        self.fired = true;
                        Poll::Ready(None)
                    }
                }
            }
        }
    }

    fn is_overdue(&self, started: Instant, now: Instant) -> bool {
        now - started >= self.limit()
    }

    /// Whether a deadline of an earlier wait passed between `from` and `to`.
    fn stale_deadline_passed(&self, from: Instant, to: Instant) -> bool {
        self.stale_deadlines
            .iter()
            .any(|stale| from < *stale && *stale <= to)
    }

    /// Whether a task waiting since the last `Pending` must have been woken by `now`.
    fn must_have_woken(&self, now: Instant) -> bool {
        !self.fired
            && !self.ended
            && self
                .wait_started
                .is_some_and(|started| self.is_overdue(started, now))
    }
}

/// An adapter that the silence model describes: the watchdog, or the keep-alive.
trait UnderSilenceModel: Stream + FusedStream + Unpin {
    /// What the model says the next poll yields, given the inner stream's next result.
    fn expected(
        model: &mut WatchdogModel,
        now: Instant,
        inner: impl FnOnce() -> Poll<Option<u32>>,
    ) -> Poll<Option<Self::Item>>;
    fn timed_out(&self) -> bool;
}

impl UnderSilenceModel for Watchdog<Fed<u32>, ManualClock> {
    fn expected(
        model: &mut WatchdogModel,
        now: Instant,
        inner: impl FnOnce() -> Poll<Option<u32>>,
    ) -> Poll<Option<u32>> {
        model.poll(now, inner)
    }

    fn timed_out(&self) -> bool {
        Watchdog::timed_out(self)
    }
}

impl UnderSilenceModel for KeepAlive<Fed<u32>, ManualClock> {
    fn expected(
        model: &mut WatchdogModel,
        now: Instant,
        inner: impl FnOnce() -> Poll<Option<u32>>,
    ) -> Poll<Option<Event<u32>>> {
        let inner = || inner().map(|item| item.map(Event::Item));
        model.poll_or_pulse(now, inner, Some(Event::Pulse))
    }

    fn timed_out(&self) -> bool {
        false
    }
}

/// A watchdog or a keep-alive under test, beside the reference model.
struct SilenceRun<S> {
    clock: ManualClock,
    arrivals: Arrivals,
    items: S,
    model: WatchdogModel,
    queue: VecDeque<u32>,
    task: Task,
    scale: Duration,
    waiting: bool,
    woken_while_waiting: bool,
    stale_passed_while_waiting: bool,
}

impl SilenceRun<Watchdog<Fed<u32>, ManualClock>> {
    fn watchdog(timeout: Duration, first_item_timeout: Duration) -> Self {
        let clock = ManualClock::new();
        let (feed, fed) = Feed::new();
        let items = fed
            .watchdog_on(timeout, clock.clone())
            .first_item_timeout(first_item_timeout);
        SilenceRun::new(items, clock, feed, timeout, first_item_timeout)
    }
}

impl SilenceRun<KeepAlive<Fed<u32>, ManualClock>> {
    fn keep_alive(idle: Duration) -> Self {
        let clock = ManualClock::new();
        let (feed, fed) = Feed::new();
        let items = fed.keep_alive_on(idle, clock.clone());
        SilenceRun::new(items, clock, feed, idle, idle)
    }
}

impl<S: UnderSilenceModel> SilenceRun<S>
where
    S::Item: PartialEq + std::fmt::Debug,
{
    fn new(
        items: S,
        clock: ManualClock,
        feed: Feed<u32>,
        timeout: Duration,
        first_item_timeout: Duration,
    ) -> Self {
        SilenceRun {
            items,
            clock,
            arrivals: Arrivals::new(vec![feed]),
            model: WatchdogModel::new(timeout, first_item_timeout),
            queue: VecDeque::new(),
            task: Task::new(),
            scale: timeout.max(first_item_timeout).max(Duration::from_nanos(8)),
            waiting: false,
            woken_while_waiting: false,
            stale_passed_while_waiting: false,
        }
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match *step {
            Step::Push(_) | Step::Burst(_) | Step::End => {
                let pushed = self.arrivals.apply(step);
                self.queue.extend(pushed);
            }
            Step::Advance { eighths, nanos } => {
                let before = self.clock.uncounted_now();
                self.clock.advance(advance_by(self.scale, eighths, nanos));
                self.stale_passed_while_waiting |= self
                    .model
                    .stale_deadline_passed(before, self.clock.uncounted_now());
                self.check_wakeups()?;
            }
            Step::Drain | Step::PollOnce => self.poll(step.polls().unwrap_or(0))?,
        }
        Ok(())
    }

    /// A waiting task is woken when its deadline passes, and otherwise only by an
    /// arrival or by the lazily moved timer of an earlier wait.
    fn check_wakeups(&mut self) -> Result<(), TestCaseError> {
        if !self.waiting {
            return Ok(());
        }
        self.woken_while_waiting |= self.task.wakeups() > 0;
        if self.model.must_have_woken(self.clock.uncounted_now()) {
            prop_assert!(
                self.woken_while_waiting,
                "a wakeup was lost: the deadline passed and the task slept on"
            );
        } else if !self.arrivals.since_last_poll && !self.stale_passed_while_waiting {
            prop_assert!(
                !self.woken_while_waiting,
                "a spurious wakeup: nothing happened"
            );
        }
        Ok(())
    }

    /// Polls up to `max_polls` times, or until `Pending` or the end; every result must be the model's.
    fn poll(&mut self, max_polls: usize) -> Result<(), TestCaseError> {
        let now = self.clock.uncounted_now();
        self.waiting = false;
        self.arrivals.since_last_poll = false;
        self.woken_while_waiting = false;
        self.stale_passed_while_waiting = false;
        for _ in 0..max_polls {
            let (queue, end_pushed) = (&mut self.queue, self.arrivals.ended);
            let expected = S::expected(&mut self.model, now, || match queue.pop_front() {
                Some(item) => Poll::Ready(Some(item)),
                None if end_pushed => Poll::Ready(None),
                None => Poll::Pending,
            });
            let actual = self.task.poll(&mut self.items);
            let (finished, pending) = (actual == Poll::Ready(None), actual.is_pending());
            prop_assert_eq!(
                actual,
                expected,
                "W2, W3, W6 and W8, K1-K4: the adapter and the model disagree"
            );
            prop_assert_eq!(
                self.items.timed_out(),
                self.model.fired,
                "W4 and W5: timed_out()"
            );
            if self.model.fired {
                prop_assert!(
                    self.arrivals.feeds[0].is_dropped(),
                    "W4: the stream outlived the watchdog's firing"
                );
            }
            if self.model.fired || self.model.ended {
                prop_assert!(self.items.is_terminated());
                prop_assert_eq!(self.clock.live_timers(), 0, "the timer outlived the end");
            }
            if finished {
                return Ok(());
            }
            if pending {
                self.waiting = true;
                self.task.wakeups();
                return Ok(());
            }
        }
        Ok(())
    }
}

fn check_watchdog(
    timeout: Duration,
    first_item_timeout: Duration,
    steps: &[Step],
) -> Result<(), TestCaseError> {
    let mut run = SilenceRun::watchdog(timeout, first_item_timeout);
    for step in steps {
        run.step(step)?;
    }
    Ok(())
}

fn check_keep_alive(idle: Duration, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut run = SilenceRun::keep_alive(idle);
    for step in steps {
        run.step(step)?;
    }
    Ok(())
}

/// `inner.with_heartbeat(i).watchdog(t)` must behave as the watchdog model applied to a lone heartbeat.
fn check_heartbeat_inside_watchdog(
    interval: Duration,
    timeout: Duration,
    steps: &[Step],
) -> Result<(), TestCaseError> {
    let (chained_clock, lone_clock) = (ManualClock::new(), ManualClock::new());
    let (chained_feed, chained_fed) = Feed::new();
    let (lone_feed, lone_fed) = Feed::new();
    let mut chained = chained_fed
        .with_heartbeat_on(interval, chained_clock.clone())
        .watchdog_on(timeout, chained_clock.clone());
    let mut lone = lone_fed.with_heartbeat_on(interval, lone_clock.clone());
    let mut model = WatchdogModel::new(timeout, timeout);
    let (mut chained_task, mut lone_task) = (Task::new(), Task::new());
    let mut arrivals = Arrivals::new(vec![chained_feed, lone_feed]);
    let scale = interval.min(timeout).max(Duration::from_nanos(8));

    for step in steps {
        match *step {
            Step::Push(_) | Step::Burst(_) | Step::End => {
                arrivals.apply(step);
            }
            Step::Advance { eighths, nanos } => {
                let by = advance_by(scale, eighths, nanos);
                chained_clock.advance(by);
                lone_clock.advance(by);
            }
            Step::Drain | Step::PollOnce => {
                for _ in 0..step.polls().unwrap_or(0) {
                    let expected =
                        model.poll(lone_clock.uncounted_now(), || lone_task.poll(&mut lone));
                    let actual = chained_task.poll(&mut chained);
                    prop_assert_eq!(&actual, &expected);
                    prop_assert_eq!(chained.timed_out(), model.fired);
                    if !matches!(actual, Poll::Ready(Some(_))) {
                        break;
                    }
                }
            }
        }
    }
    Ok(())
}

/// `inner.watchdog(t).with_heartbeat(i)`: items are the inner sequence up to where the watchdog fired.
fn check_watchdog_inside_heartbeat(
    interval: Duration,
    timeout: Duration,
    steps: &[Step],
) -> Result<(), TestCaseError> {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed
        .watchdog_on(timeout, clock.clone())
        .with_heartbeat_on(interval, clock.clone());
    let mut task = Task::new();
    let mut arrivals = Arrivals::new(vec![feed]);
    let mut delivered = Vec::new();
    let mut finished = false;
    let scale = interval.min(timeout).max(Duration::from_nanos(8));
    for step in steps.iter().chain([Step::End, Step::Drain].iter()) {
        match *step {
            Step::Push(_) | Step::Burst(_) | Step::End => {
                arrivals.apply(step);
            }
            Step::Advance { eighths, nanos } => clock.advance(advance_by(scale, eighths, nanos)),
            Step::Drain | Step::PollOnce => {
                for _ in 0..step.polls().unwrap_or(0) {
                    match task.poll(&mut events) {
                        Poll::Ready(Some(Event::Item(item))) => {
                            prop_assert!(!finished);
                            delivered.push(item);
                        }
                        Poll::Ready(Some(Event::Pulse)) => prop_assert!(!finished),
                        Poll::Ready(None) => {
                            finished = true;
                            break;
                        }
                        Poll::Pending => break,
                    }
                }
            }
        }
    }
    prop_assert!(finished, "ends, by timing out or with its stream");
    let pushed: Vec<u32> = (0..arrivals.pushed).collect();
    prop_assert!(
        pushed.starts_with(&delivered),
        "items in order, none invented"
    );
    if !events.get_ref().timed_out() {
        prop_assert_eq!(
            &delivered,
            &pushed,
            "no item lost when the stream ends by itself"
        );
    }
    prop_assert_eq!(clock.live_timers(), 0);
    prop_assert_eq!(events.size_hint(), (0, Some(0)));
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn heartbeat_keeps_every_rule_under_any_schedule(interval in duration(), steps in schedule()) {
        check_heartbeat(interval, &steps)?;
    }

    #[test]
    fn watchdog_matches_its_reference_model_under_any_schedule(
        timeout in prop_oneof![Just(Duration::ZERO), duration()],
        first_item_timeout in prop_oneof![Just(None), duration().prop_map(Some)],
        steps in schedule(),
    ) {
        check_watchdog(timeout, first_item_timeout.unwrap_or(timeout), &steps)?;
    }

    #[test]
    fn keep_alive_matches_the_silence_model_under_any_schedule(idle in duration(), steps in schedule()) {
        check_keep_alive(idle, &steps)?;
    }

    #[test]
    fn heartbeat_inside_watchdog_is_the_composition_of_the_two(
        interval in duration(),
        timeout in duration(),
        steps in schedule(),
    ) {
        check_heartbeat_inside_watchdog(interval, timeout, &steps)?;
    }

    #[test]
    fn watchdog_inside_heartbeat_keeps_items_in_order_and_ends(
        interval in duration(),
        timeout in duration(),
        steps in schedule(),
    ) {
        check_watchdog_inside_heartbeat(interval, timeout, &steps)?;
    }
}
