//! `restart::restarting` and `resuming`, rule by rule (R1–R12, stated in the
//! `restart` module's docs; a test of a rule starts its name with the rule's
//! number), on the manual clock: exact delays, and the task's wakeups.

mod support;

use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, FusedStream};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::restart::{
    restarting_on, resuming_on, Attempt, Cause, Jitter, Restart, Restarting,
};
use futures_heartbeat::TimeoutKind;
use futures_heartbeat::{HeartbeatExt, PhiAccrual};
use support::restart_lab::{Connecting, Error, Lab, Plan};
use support::Task;

const MS: Duration = Duration::from_millis(1);
const NANO: Duration = Duration::from_nanos(1);

/// The connect function's attempt numbers.
fn numbers(lab: &Lab) -> Vec<u32> {
    lab.attempts.lock().unwrap().iter().map(|a| a.0).collect()
}

fn up(attempt: u32, downtime: Duration) -> Poll<Option<Restart<u32, Error>>> {
    Poll::Ready(Some(Restart::Up { attempt, downtime }))
}

fn down(
    cause: Cause<Error>,
    attempt: u32,
    retry_in: Duration,
) -> Poll<Option<Restart<u32, Error>>> {
    Poll::Ready(Some(Restart::Down {
        cause,
        attempt,
        retry_in,
    }))
}

/// Asserts that `polled` is `Down` for the restarting stream's own silence of `limit`.
fn assert_down_silent(
    polled: Poll<Option<Restart<u32, Error>>>,
    limit: Duration,
    attempt: u32,
    retry_in: Duration,
) {
    match polled {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Silent(timed_out),
            attempt: down_attempt,
            retry_in: down_retry_in,
        })) => {
            assert_eq!((down_attempt, down_retry_in), (attempt, retry_in));
            assert_eq!(timed_out.kind(), TimeoutKind::Silence);
            assert_eq!(timed_out.silence(), limit);
            assert_eq!(timed_out.to_string(), format!("no item for {limit:?}"));
        }
        other => panic!("expected Down for a silence of {limit:?}, got {other:?}"),
    }
}

fn item(n: u32) -> Poll<Option<Restart<u32, Error>>> {
    Poll::Ready(Some(Restart::Item(n)))
}

type LabStream<F> = Restarting<F, (), ManualClock>;

/// A restarting stream on `clock` with no jitter and 1 s to 8 s of backoff,
/// whose connect function is `lab`'s.
fn lab_stream(lab: &Lab, clock: &ManualClock) -> LabStream<impl FnMut(Attempt) -> Connecting> {
    restarting_on(lab.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(SEC, 8 * SEC)
}

const SEC: Duration = Duration::from_secs(1);

#[test]
fn r1_r8_items_pass_in_order_after_up_and_the_first_attempt_is_not_delayed() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    for n in 0..100 {
        lab.feed(0).push(Ok(n));
    }
    for n in 0..100 {
        assert_eq!(task.poll(&mut events), item(n));
    }
    assert_eq!(task.poll(&mut events), Poll::Pending);
    assert_eq!(numbers(&lab), [0]);
}

#[test]
fn r1_r2_a_failed_source_is_dropped_before_connect_runs_again_and_none_of_its_items_follow_its_down(
) {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    let first = lab.feed(0);
    first.push(Ok(1));
    first.push(Err("reset"));
    first.push(Ok(2)); // after the failure: never delivered
    assert_eq!(task.poll(&mut events), item(1));
    assert_eq!(task.poll(&mut events), down(Cause::Failed("reset"), 1, SEC));
    assert!(first.is_dropped(), "the failed source outlived its Down");
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(SEC);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut events), up(1, SEC));
    assert_eq!(*lab.earlier_dropped.lock().unwrap(), [true, true]);
    lab.feed(1).push(Ok(3));
    assert_eq!(task.poll(&mut events), item(3));
}

#[test]
fn r9_an_ended_source_is_restarted_by_default_and_ends_the_stream_when_transient() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    lab.feed(0).end();
    assert_eq!(task.poll(&mut events), down(Cause::Ended, 1, SEC));

    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock).restart_on_end(false);
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    lab.feed(0).push(Ok(1));
    lab.feed(0).end();
    assert_eq!(task.poll(&mut events), item(1));
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert!(events.is_terminated());
    assert_eq!(clock.live_timers(), 0);
}

#[test]
fn r5_no_busy_loop_while_backing_off_one_wakeup_when_the_delay_ends() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Fail("refused")]);
    let mut events = lab_stream(&lab, &clock);
    let mut task = Task::new();
    assert_eq!(
        task.poll(&mut events),
        down(Cause::ConnectFailed("refused"), 1, SEC)
    );
    for _ in 0..5 {
        assert_eq!(task.poll(&mut events), Poll::Pending);
    }
    clock.advance(SEC - NANO);
    assert_eq!(task.wakeups(), 0, "woken while backing off");
    clock.advance(NANO);
    assert_eq!(task.wakeups(), 1);
    assert_eq!(task.poll(&mut events), up(1, SEC));
    assert_eq!(numbers(&lab), [0, 1], "connect called while backing off");
}

#[test]
fn r3_a_source_that_connects_and_ends_at_once_keeps_backing_off() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock);
    let mut task = Task::new();
    let mut delays = Vec::new();
    for attempt in 0..7u32 {
        let event = task.poll(&mut events);
        assert!(
            matches!(event, Poll::Ready(Some(Restart::Up { .. }))),
            "{event:?}"
        );
        lab.feed(attempt as usize).end(); // the flapping source
        match task.poll(&mut events) {
            Poll::Ready(Some(Restart::Down { retry_in, .. })) => {
                delays.push(retry_in.as_secs());
                clock.advance(retry_in);
            }
            other => panic!("expected Down, got {other:?}"),
        }
    }
    assert_eq!(
        delays,
        [1, 2, 4, 8, 8, 8, 8],
        "a mere connect reset the backoff"
    );
}

#[test]
fn r3_the_backoff_resets_after_stable_after_of_uptime_and_not_a_millisecond_before() {
    for (uptime, expected) in [(30 * SEC - MS, 4), (30 * SEC, 1)] {
        let (lab, clock) = (Lab::default(), ManualClock::new());
        let mut events = lab_stream(&lab, &clock);
        let mut task = Task::new();
        let mut last_delay = Duration::ZERO;
        for attempt in 0..3 {
            assert!(matches!(
                task.poll(&mut events),
                Poll::Ready(Some(Restart::Up { .. }))
            ));
            if attempt == 2 {
                clock.advance(uptime);
            }
            lab.feed(attempt).push(Err("reset"));
            let Poll::Ready(Some(Restart::Down { retry_in, .. })) = task.poll(&mut events) else {
                panic!("expected Down");
            };
            last_delay = retry_in;
            clock.advance(retry_in);
        }
        assert_eq!(last_delay, expected * SEC, "after {uptime:?} up");
    }
}

#[test]
fn r4_jittered_delays_never_exceed_the_maximum() {
    for jitter in [Jitter::Equal, Jitter::Full] {
        let (lab, clock) = (Lab::default(), ManualClock::new());
        lab.plan([Plan::Fail("refused"); 200]);
        let mut events = restarting_on(lab.connect(), clock.clone())
            .backoff(SEC, 8 * SEC)
            .jitter(jitter)
            .jitter_seed(1);
        let mut task = Task::new();
        let mut delays = Vec::new();
        for _ in 0..200 {
            let Poll::Ready(Some(Restart::Down { retry_in, .. })) = task.poll(&mut events) else {
                panic!("expected Down");
            };
            assert!(
                retry_in <= 8 * SEC,
                "{jitter:?}: {retry_in:?} over the maximum"
            );
            delays.push(retry_in);
            clock.advance(retry_in);
        }
        let at_cap = &delays[10..];
        let spread = *at_cap.iter().max().unwrap() - *at_cap.iter().min().unwrap();
        assert!(
            spread > SEC,
            "{jitter:?}: no spread once the cap is reached"
        );
    }
}

#[test]
fn r4_a_thousand_streams_failing_at_once_spread_their_first_retries() {
    let clock = ManualClock::new();
    // Fewer under Miri, which runs each thousands of times slower.
    let streams = if cfg!(miri) { 100 } else { 1000 };
    let mut first_delays: Vec<Duration> = (0..streams)
        .map(|_| {
            let lab = Lab::default();
            lab.plan([Plan::Fail("server down")]);
            let mut events = restarting_on(lab.connect(), clock.clone()); // the defaults: 500 ms, Equal
            let Poll::Ready(Some(Restart::Down { retry_in, .. })) = Task::new().poll(&mut events)
            else {
                panic!("expected Down");
            };
            retry_in
        })
        .collect();
    first_delays.sort();
    first_delays.dedup();
    assert!(
        first_delays.len() > streams * 99 / 100,
        "only {} distinct delays",
        first_delays.len()
    );
    let (earliest, latest) = (first_delays[0], *first_delays.last().unwrap());
    assert!(earliest >= 250 * MS && latest <= 500 * MS);
    assert!(
        latest - earliest > 200 * MS,
        "retries bunched in {:?}",
        latest - earliest
    );
}

#[test]
fn r2_dropping_the_adapter_drops_the_pending_connect_and_its_timer() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Hang]);
    let mut events = lab_stream(&lab, &clock);
    assert_eq!(Task::new().poll(&mut events), Poll::Pending);
    assert_eq!(clock.live_timers(), 1, "the connect timeout");
    drop(events);
    assert!(lab.hang_dropped.load(Ordering::SeqCst));
    assert_eq!(clock.live_timers(), 0);

    // While backing off, too.
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Fail("refused")]);
    let mut events = lab_stream(&lab, &clock);
    assert!(matches!(
        Task::new().poll(&mut events),
        Poll::Ready(Some(Restart::Down { .. }))
    ));
    assert_eq!(clock.live_timers(), 1);
    drop(events);
    assert_eq!(clock.live_timers(), 0);
    clock.advance(60 * SEC);
    assert_eq!(lab.calls(), 1);
}

#[test]
fn r2_dropping_the_adapter_drops_the_current_source() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock);
    assert_eq!(Task::new().poll(&mut events), up(0, Duration::ZERO));
    drop(events);
    assert!(lab.feed(0).is_dropped());
}

#[test]
fn r8_r11_a_connect_that_takes_longer_than_connect_timeout_is_dropped_and_retried() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Hang]);
    let mut events = lab_stream(&lab, &clock).connect_timeout(10 * SEC);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(10 * SEC - NANO);
    assert!(!task.was_woken());
    clock.advance(NANO);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut events), down(Cause::ConnectTimedOut, 1, SEC));
    assert!(
        lab.hang_dropped.load(Ordering::SeqCst),
        "the timed-out connect was kept"
    );
    clock.advance(SEC);
    assert_eq!(task.poll(&mut events), up(1, 11 * SEC));
}

#[test]
fn r8_the_default_connect_timeout_is_twenty_seconds_as_grpcs() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Hang]);
    let mut events = restarting_on(lab.connect(), clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(20 * SEC - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(NANO);
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Down {
            cause: Cause::ConnectTimedOut,
            ..
        }))
    ));
}

#[test]
fn r6_silence_counts_only_while_the_consumer_waits_and_restarts_a_silent_source() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock).silence(5 * SEC);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    lab.feed(0).push(Ok(1));
    lab.feed(0).push(Ok(2));
    clock.advance(100 * SEC); // the consumer is away; items wait for it
    assert_eq!(task.poll(&mut events), item(1));
    clock.advance(100 * SEC);
    assert_eq!(task.poll(&mut events), item(2));
    clock.advance(100 * SEC);
    assert_eq!(
        task.poll(&mut events),
        Poll::Pending,
        "the silence starts here"
    );
    clock.advance(5 * SEC - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken());
    assert_down_silent(task.poll(&mut events), 5 * SEC, 1, SEC);
    assert!(lab.feed(0).is_dropped());
}

#[test]
fn r6_the_silence_names_the_restarting_stream_and_its_limit() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock).silence(5 * SEC).named("prices");
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(5 * SEC);
    let Poll::Ready(Some(Restart::Down { cause, .. })) = task.poll(&mut events) else {
        panic!("expected Down for the silence")
    };
    let Cause::Silent(timed_out) = &cause else {
        panic!("expected a silence, got {cause:?}")
    };
    assert_eq!(timed_out.name(), Some("prices"));
    assert_eq!(timed_out.silence(), 5 * SEC);
    assert_eq!(cause.kind(), "silent");
    assert_eq!(
        cause.to_string(),
        "the source went silent: prices: no item for 5s"
    );
}

#[test]
fn r6_first_item_timeout_limits_the_wait_for_each_sources_first_item() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock)
        .silence(60 * SEC)
        .first_item_timeout(5 * SEC);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(5 * SEC);
    assert_down_silent(task.poll(&mut events), 5 * SEC, 1, SEC);
    clock.advance(SEC);
    assert_eq!(task.poll(&mut events), up(1, SEC));
    lab.feed(1).push(Ok(1));
    assert_eq!(task.poll(&mut events), item(1));
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(59 * SEC); // after the first item, the longer silence applies
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(SEC);
    // Up for a minute, longer than `stable_after`: the backoff starts again.
    assert_down_silent(task.poll(&mut events), 60 * SEC, 2, SEC);
}

#[test]
fn r10_a_fatal_error_gives_up_at_once_and_the_stream_ends() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock).fatal_if(|error: &Error| *error == "forbidden");
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    lab.feed(0).push(Err("reset"));
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Down { .. }))
    ));
    clock.advance(SEC);
    assert_eq!(task.poll(&mut events), up(1, SEC));
    lab.feed(1).push(Err("forbidden"));
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::GaveUp {
            cause: Cause::Failed("forbidden"),
            restarts: 1
        }))
    );
    assert!(lab.feed(1).is_dropped());
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert!(events.is_terminated());
    assert_eq!(clock.live_timers(), 0);
    assert_eq!(lab.calls(), 2);
}

#[test]
fn r10_max_restarts_is_a_sliding_window_apart_from_the_backoff() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Fail("refused"); 10]);
    let mut events = lab_stream(&lab, &clock)
        .backoff(SEC, SEC)
        .max_restarts(2, 10 * SEC);
    let mut task = Task::new();
    let refused = || Cause::ConnectFailed("refused");
    assert_eq!(task.poll(&mut events), down(refused(), 1, SEC)); // at 0 s
    clock.advance(SEC);
    assert_eq!(task.poll(&mut events), down(refused(), 2, SEC)); // at 1 s
    clock.advance(9 * SEC); // the restart at 0 s leaves the window
    assert_eq!(task.poll(&mut events), down(refused(), 3, SEC)); // at 10 s
    clock.advance(SEC); // the one at 1 s leaves it too
    assert_eq!(task.poll(&mut events), down(refused(), 4, SEC)); // at 11 s
    clock.advance(SEC); // a third within 10 s of those at 10 s and 11 s: one too many
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::GaveUp {
            cause: refused(),
            restarts: 4
        }))
    );
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
}

#[test]
fn r10_a_custom_backoff_that_runs_out_gives_up() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Fail("refused"); 10]);
    let mut events = lab_stream(&lab, &clock).backoff_with(|| [SEC, 3 * SEC]);
    let mut task = Task::new();
    assert_eq!(
        task.poll(&mut events),
        down(Cause::ConnectFailed("refused"), 1, SEC)
    );
    clock.advance(SEC);
    assert_eq!(
        task.poll(&mut events),
        down(Cause::ConnectFailed("refused"), 2, 3 * SEC)
    );
    clock.advance(3 * SEC);
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::GaveUp {
            cause: Cause::ConnectFailed("refused"),
            restarts: 2
        }))
    );
}

#[test]
fn r11_r12_resuming_hands_connect_the_last_delivered_key_kept_across_failed_attempts() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = resuming_on(lab.connect_resuming(), |n| *n, clock.clone())
        .jitter(Jitter::None)
        .backoff(SEC, SEC);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), up(0, Duration::ZERO));
    lab.feed(0).push(Ok(7));
    lab.feed(0).push(Ok(8));
    assert_eq!(task.poll(&mut events), item(7));
    assert_eq!(task.poll(&mut events), item(8));
    lab.feed(0).push(Err("reset"));
    lab.plan([Plan::Fail("refused")]);
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Down { .. }))
    ));
    clock.advance(SEC);
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Down { .. }))
    ));
    clock.advance(SEC);
    assert_eq!(task.poll(&mut events), up(2, 2 * SEC));
    let attempts = lab.attempts.lock().unwrap().clone();
    assert_eq!(attempts, [(0, None), (1, Some(8)), (2, Some(8))]);
    assert_eq!(events.cursor(), Some(&8));
}

#[test]
fn the_name_given_with_named_is_read_back_with_name() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let events = lab_stream(&lab, &clock);
    assert_eq!(events.name(), None);
    assert_eq!(events.named("feed").name(), Some("feed"));
}

// Settings changed after the first poll, as each one's docs say.

/// A restarting stream on `clock` whose first source is up and waiting: the
/// current wait started at the last poll.
fn up_and_waiting<F>(events: &mut LabStream<F>, task: &mut Task)
where
    F: FnMut(Attempt) -> Connecting,
{
    assert_eq!(task.poll(events), up(0, Duration::ZERO));
    assert_eq!(task.poll(events), Poll::Pending);
}

#[test]
fn r7_silence_shortened_during_a_wait_moves_its_deadline() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock).silence(10 * SEC);
    let mut task = Task::new();
    up_and_waiting(&mut events, &mut task);
    clock.advance(4 * SEC);
    let mut events = events.silence(5 * SEC);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(SEC - NANO);
    assert!(!task.was_woken());
    clock.advance(NANO); // 5 s into the wait
    assert!(task.was_woken(), "not woken at the new deadline");
    assert_down_silent(task.poll(&mut events), 5 * SEC, 1, SEC);
}

#[test]
fn r7_silence_lengthened_during_a_wait_moves_its_deadline() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock).silence(5 * SEC);
    let mut task = Task::new();
    up_and_waiting(&mut events, &mut task);
    clock.advance(4 * SEC);
    let mut events = events.silence(10 * SEC);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(SEC);
    assert_eq!(
        task.poll(&mut events),
        Poll::Pending,
        "went down at the old deadline"
    );
    clock.advance(5 * SEC - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken());
    assert_down_silent(task.poll(&mut events), 10 * SEC, 1, SEC);
}

#[test]
fn r7_silence_set_while_up_without_one_counts_from_the_next_poll() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock);
    let mut task = Task::new();
    up_and_waiting(&mut events, &mut task);
    clock.advance(100 * SEC);
    let mut events = events.silence(5 * SEC);
    assert_eq!(
        task.poll(&mut events),
        Poll::Pending,
        "the silence starts here"
    );
    clock.advance(5 * SEC);
    assert!(task.was_woken());
    assert_down_silent(task.poll(&mut events), 5 * SEC, 1, SEC);
}

#[test]
fn r7_first_item_timeout_set_while_waiting_for_the_first_item_moves_the_deadline() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let mut events = lab_stream(&lab, &clock).silence(60 * SEC);
    let mut task = Task::new();
    up_and_waiting(&mut events, &mut task);
    clock.advance(2 * SEC);
    let mut events = events.first_item_timeout(5 * SEC);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(3 * SEC); // 5 s after the source came up
    assert!(task.was_woken(), "not woken at the new deadline");
    assert_down_silent(task.poll(&mut events), 5 * SEC, 1, SEC);
}

#[test]
fn r7_silence_adaptive_set_during_a_wait_limits_it_from_its_start() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    let detector = PhiAccrual::new(SEC);
    // What a detector allows before it has learned anything: its first estimate's limit.
    let limit = stream::pending::<()>()
        .watchdog_adaptive_on(detector, clock.clone())
        .silence_limit();
    assert!(limit > 2 * SEC && limit < 60 * SEC);
    let mut events = lab_stream(&lab, &clock).silence(60 * SEC);
    let mut task = Task::new();
    up_and_waiting(&mut events, &mut task);
    clock.advance(SEC);
    let mut events = events.silence_adaptive(detector);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(limit - SEC - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken(), "not woken at the detector's limit");
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Silent(timed_out),
            attempt: 1,
            ..
        })) => assert_eq!(
            (timed_out.kind(), timed_out.silence()),
            (TimeoutKind::Silence, limit)
        ),
        other => panic!("expected Down for the learned silence, got {other:?}"),
    }
}

#[test]
fn r7_connect_timeout_shortened_while_connecting_moves_the_deadline_of_the_connect() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Hang]);
    let mut events = lab_stream(&lab, &clock); // 20 s by default
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(4 * SEC);
    let mut events = events.connect_timeout(5 * SEC);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(SEC - NANO);
    assert!(!task.was_woken());
    clock.advance(NANO); // 5 s after the connect started
    assert!(task.was_woken(), "not woken at the new deadline");
    assert_eq!(task.poll(&mut events), down(Cause::ConnectTimedOut, 1, SEC));
    assert!(lab.hang_dropped.load(Ordering::SeqCst));
}

#[test]
fn r7_connect_timeout_lengthened_while_connecting_moves_the_deadline_of_the_connect() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Hang]);
    let mut events = lab_stream(&lab, &clock).connect_timeout(5 * SEC);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(4 * SEC);
    let mut events = events.connect_timeout(30 * SEC);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(SEC);
    assert_eq!(
        task.poll(&mut events),
        Poll::Pending,
        "timed out at the old deadline"
    );
    clock.advance(25 * SEC - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut events), down(Cause::ConnectTimedOut, 1, SEC));
}

#[test]
fn r7_connect_timeout_set_forever_while_connecting_never_times_it_out() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Hang]);
    let mut events = lab_stream(&lab, &clock).connect_timeout(5 * SEC);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    let mut events = events.connect_timeout(Duration::MAX);
    clock.advance(1000 * SEC);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    assert_eq!(clock.live_timers(), 0, "a timer armed for nothing");
    let mut events = events.connect_timeout(5 * SEC); // long past
    assert_eq!(task.poll(&mut events), down(Cause::ConnectTimedOut, 1, SEC));
}

#[test]
fn r7_backoff_changed_while_backing_off_keeps_the_delay_announced_and_applies_from_the_next() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Fail("refused")]);
    let mut events = lab_stream(&lab, &clock).backoff(10 * SEC, 10 * SEC);
    let mut task = Task::new();
    let refused = Cause::ConnectFailed("refused");
    assert_eq!(task.poll(&mut events), down(refused, 1, 10 * SEC));
    let mut events = events.backoff(SEC, 2 * SEC).jitter(Jitter::None);
    clock.advance(10 * SEC - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    assert_eq!(lab.calls(), 1);
    clock.advance(NANO);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut events), up(1, 10 * SEC));
    lab.feed(0).push(Err("reset"));
    assert_eq!(task.poll(&mut events), down(Cause::Failed("reset"), 2, SEC));
}

#[test]
fn r7_stable_after_changed_while_up_applies_to_the_source_that_is_up() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Fail("refused")]);
    let mut events = lab_stream(&lab, &clock);
    let mut task = Task::new();
    assert_eq!(
        task.poll(&mut events),
        down(Cause::ConnectFailed("refused"), 1, SEC)
    );
    clock.advance(SEC);
    assert_eq!(task.poll(&mut events), up(1, SEC));
    clock.advance(10 * SEC); // short of the default 30 s
    let mut events = events.stable_after(10 * SEC);
    lab.feed(0).push(Err("reset"));
    // Up for 10 s, now long enough: the backoff starts again from 1 s, not 2 s.
    assert_eq!(task.poll(&mut events), down(Cause::Failed("reset"), 2, SEC));
}

#[test]
fn r7_max_restarts_set_after_the_first_poll_counts_the_restarts_from_then_on() {
    let (lab, clock) = (Lab::default(), ManualClock::new());
    lab.plan([Plan::Fail("refused"); 10]);
    let mut events = lab_stream(&lab, &clock).backoff(SEC, SEC);
    let mut task = Task::new();
    let refused = || Cause::ConnectFailed("refused");
    for attempt in 1..=3 {
        assert_eq!(task.poll(&mut events), down(refused(), attempt, SEC));
        clock.advance(SEC);
    }
    let mut events = events.max_restarts(1, 60 * SEC);
    assert_eq!(task.poll(&mut events), down(refused(), 4, SEC)); // the first since
    clock.advance(SEC);
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::GaveUp {
            cause: refused(),
            restarts: 4
        }))
    );
}
