//! `with_heartbeat`, rule by rule, on the manual clock: exact times, and the task's wakeups.
//! `hN_` in a test's name is rule HN, stated in the docs of `HeartbeatExt::with_heartbeat`.

mod support;

use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, FusedStream, Stream};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{Event, HeartbeatExt, MAX_ITEMS_BEFORE_PULSE};
use support::{Feed, Task};

const INTERVAL: Duration = Duration::from_secs(1);
const NANO: Duration = Duration::from_nanos(1);

fn pulse<T>() -> Poll<Option<Event<T>>> {
    Poll::Ready(Some(Event::Pulse))
}

fn item<T>(item: T) -> Poll<Option<Event<T>>> {
    Poll::Ready(Some(Event::Item(item)))
}

#[test]
fn h1_items_pass_through_unchanged_in_order() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    let mut seen = Vec::new();
    for round in 0..20u32 {
        for n in 0..round % 4 {
            feed.push(round * 10 + n);
        }
        clock.advance(INTERVAL / 3);
        while let Poll::Ready(Some(event)) = task.poll(&mut events) {
            seen.push(event);
        }
    }
    let items: Vec<u32> = seen.iter().filter_map(|e| e.into_item()).collect();
    let expected: Vec<u32> = (0..20u32)
        .flat_map(|r| (0..r % 4).map(move |n| r * 10 + n))
        .collect();
    assert_eq!(items, expected);
    assert!(seen.iter().any(Event::is_pulse), "pulses were interleaved");
}

#[test]
fn h2_clock_starts_at_first_poll_and_first_pulse_is_one_interval_later() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>().with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();

    clock.advance(10 * INTERVAL); // time before the first poll does not count
    assert_eq!(clock.live_timers(), 0, "no timer before the first poll");
    assert_eq!(task.poll(&mut events), Poll::Pending);

    clock.advance(INTERVAL - NANO);
    assert!(!task.was_woken());
    assert_eq!(task.poll(&mut events), Poll::Pending);

    clock.advance(NANO);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut events), pulse());
    assert_eq!(task.poll(&mut events), Poll::Pending);
}

#[test]
fn h3_pulses_stay_on_the_grid_without_drift() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>().with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    let start = clock.uncounted_now();

    // The consumer comes a little late for every pulse; the lateness must not add up.
    for k in 1..=1000u32 {
        let due = clock.next_deadline().expect("a pulse is always armed");
        assert_eq!(due, start + k * INTERVAL);
        clock.advance(due - clock.uncounted_now() + INTERVAL / 10);
        assert!(task.was_woken());
        assert_eq!(task.poll(&mut events), pulse(), "pulse {k}");
        assert_eq!(task.poll(&mut events), Poll::Pending);
    }
}

#[test]
fn h3_a_stall_leaves_at_most_one_pulse_then_the_grid_resumes() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>().with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    let start = clock.uncounted_now();

    clock.advance(10 * INTERVAL + INTERVAL / 2); // the consumer is away for ten and a half intervals
    assert_eq!(task.poll(&mut events), pulse());
    assert_eq!(
        task.poll(&mut events),
        Poll::Pending,
        "missed pulses are dropped, not queued"
    );
    assert_eq!(clock.next_deadline(), Some(start + 11 * INTERVAL));

    clock.advance(INTERVAL / 2);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut events), pulse());
}

#[test]
fn h3_a_stall_ending_exactly_on_a_grid_point_skips_to_the_next_one() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>().with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    let start = clock.uncounted_now();

    clock.advance(3 * INTERVAL);
    assert_eq!(task.poll(&mut events), pulse());
    assert_eq!(task.poll(&mut events), Poll::Pending);
    assert_eq!(clock.next_deadline(), Some(start + 4 * INTERVAL));
}

#[test]
fn h4_an_always_ready_stream_does_not_starve_pulses() {
    let clock = ManualClock::new();
    let mut events = stream::iter(0u64..).with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    assert_eq!(
        task.poll(&mut events),
        item(0),
        "the first poll starts the clock"
    );
    let mut next_item = 1;
    for _ in 0..5 {
        clock.advance(INTERVAL);
        let mut items_before_pulse = 0;
        loop {
            match task.poll(&mut events) {
                Poll::Ready(Some(Event::Item(n))) => {
                    assert_eq!(n, next_item, "no item lost or repeated");
                    next_item += 1;
                    items_before_pulse += 1;
                }
                Poll::Ready(Some(Event::Pulse)) => break,
                other => panic!("unexpected {other:?}"),
            }
            assert!(
                items_before_pulse <= MAX_ITEMS_BEFORE_PULSE,
                "a due pulse waited more than {MAX_ITEMS_BEFORE_PULSE} items"
            );
        }
    }
}

#[test]
fn h4_a_pulse_never_pre_empts_a_ready_item_before_the_item_budget_is_spent() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    feed.push(1);
    clock.advance(INTERVAL);
    assert_eq!(task.poll(&mut events), item(1), "a ready item wins a tie");
    assert_eq!(task.poll(&mut events), pulse());
}

#[test]
fn h5_ends_at_once_with_no_trailing_pulse_and_stays_ended() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    feed.push(7);
    feed.end();
    clock.advance(5 * INTERVAL); // a pulse is due as well
    assert_eq!(task.poll(&mut events), item(7));
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert!(events.is_terminated());
    assert_eq!(events.size_hint(), (0, Some(0)));
    assert_eq!(clock.live_timers(), 0, "the timer is released at the end");

    // Fed panics if polled after its end: the heartbeat must not poll it again.
    clock.advance(5 * INTERVAL);
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
}

#[test]
#[should_panic(expected = "interval must be greater than zero")]
fn h6_zero_interval_panics_naming_the_interval() {
    let _ = stream::iter([1]).with_heartbeat_on(Duration::ZERO, ManualClock::new());
}

#[test]
fn h6_max_interval_never_pulses_and_never_overflows() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.with_heartbeat_on(Duration::MAX, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    assert_eq!(
        clock.live_timers(),
        0,
        "no timer for a pulse that can never come"
    );
    clock.advance(Duration::from_secs(100 * 365 * 24 * 3600));
    assert_eq!(task.poll(&mut events), Poll::Pending);
    feed.push(1);
    assert_eq!(task.poll(&mut events), item(1));
}

#[test]
fn h6_an_interval_that_overflows_later_stops_pulsing_instead_of_panicking() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>().with_heartbeat_on(Duration::MAX / 2, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    match clock.next_deadline() {
        // The first pulse fits on this platform's Instant: after it, the second cannot.
        Some(due) => {
            clock.advance(due - clock.uncounted_now());
            assert_eq!(task.poll(&mut events), pulse());
            assert_eq!(task.poll(&mut events), Poll::Pending);
            assert_eq!(clock.live_timers(), 0);
        }
        None => assert_eq!(clock.live_timers(), 0),
    }
}

#[test]
fn h7_ready_items_cost_no_clock_read_and_few_timer_polls() {
    let clock = ManualClock::new();
    let items = 10_000u64;
    let mut events = stream::iter(0..items).with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    for expected in 0..items {
        assert_eq!(task.poll(&mut events), item(expected));
    }
    let counts = clock.counts();
    assert_eq!(counts.time_reads, 1, "one reading, at the first poll");
    assert_eq!(counts.timers_created, 1);
    assert_eq!(counts.timer_resets, 0);
    assert!(
        counts.timer_polls <= items / u64::from(MAX_ITEMS_BEFORE_PULSE) + 1,
        "{} timer polls for {items} items",
        counts.timer_polls
    );
}

#[test]
fn size_hint_keeps_the_inner_lower_bound_and_has_no_upper_bound() {
    let events = stream::iter([1, 2, 3]).with_heartbeat_on(INTERVAL, ManualClock::new());
    assert_eq!(events.size_hint(), (3, None));
}

#[test]
fn idle_heartbeat_wakes_its_task_once_per_pulse() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>().with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    for _ in 0..100 {
        clock.advance(INTERVAL / 4);
        assert_eq!(task.wakeups(), 0);
        clock.advance(INTERVAL * 3 / 4);
        assert_eq!(task.wakeups(), 1);
        assert_eq!(task.poll(&mut events), pulse());
        assert_eq!(task.poll(&mut events), Poll::Pending);
    }
    assert_eq!(
        clock.counts().timers_created,
        1,
        "one timer, re-armed, for the whole life"
    );
}
