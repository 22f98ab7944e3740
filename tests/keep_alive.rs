//! `keep_alive`, rule by rule (K1–K5, stated in the docs of `HeartbeatExt::keep_alive`), on the manual
//! clock: exact times, and the task's wakeups.

mod support;

use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, FusedStream, Stream, StreamExt};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{Event, HeartbeatExt};
use support::{Feed, Task};

const IDLE: Duration = Duration::from_secs(15);
const NANO: Duration = Duration::from_nanos(1);

#[test]
fn k1_items_pass_through_unchanged_in_order() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    let mut items = Vec::new();
    for n in 0..200u32 {
        for k in 0..n % 4 {
            feed.push(n * 10 + k);
        }
        while let Poll::Ready(Some(event)) = task.poll(&mut events) {
            if let Event::Item(item) = event {
                items.push(item);
            }
        }
        clock.advance(IDLE / 3 * (n % 5));
    }
    let expected: Vec<u32> = (0..200u32)
        .flat_map(|n| (0..n % 4).map(move |k| n * 10 + k))
        .collect();
    assert_eq!(items, expected);
}

#[test]
fn k2_a_silent_stream_pulses_every_idle_counted_from_the_first_poll() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<u8>().keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    clock.advance(10 * IDLE); // before the first poll: not idle, not yet watched
    for _ in 0..5 {
        assert_eq!(task.poll(&mut events), Poll::Pending);
        clock.advance(IDLE - NANO);
        assert!(
            !task.was_woken(),
            "woken before the stream was idle for `idle`"
        );
        assert_eq!(task.poll(&mut events), Poll::Pending);
        clock.advance(NANO);
        assert!(task.was_woken(), "not woken when the pulse fell due");
        assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    }
}

#[test]
fn k2_a_busy_stream_never_pulses() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    let rounds = if cfg!(miri) { 50 } else { 1000 }; // Miri runs thousands of times slower
    for n in 0..rounds {
        assert_eq!(task.poll(&mut events), Poll::Pending);
        clock.advance(IDLE - NANO); // an item just before the line would be idle
                                    // The timer of the previous wait may fire meanwhile (it is moved lazily,
                                    // when it fires, not at each item): a wakeup, never a pulse.
        assert_eq!(task.poll(&mut events), Poll::Pending);
        feed.push(n);
        assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Item(n))));
    }
}

#[test]
fn k2_idleness_counts_only_while_the_consumer_waits() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    feed.push(1);
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Item(1))));
    clock.advance(100 * IDLE); // the consumer is away: not idleness of the line
    assert_eq!(
        task.poll(&mut events),
        Poll::Pending,
        "the count starts here"
    );
    clock.advance(IDLE - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(NANO);
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));

    // After a pulse too: the count restarts at the next poll that finds nothing.
    clock.advance(100 * IDLE);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(IDLE - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(NANO);
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
}

#[test]
fn k3_after_a_stall_of_any_length_at_most_one_pulse_is_ready() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<u8>().keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(1000 * IDLE);
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    assert_eq!(task.poll(&mut events), Poll::Pending, "a burst of pulses");
}

#[test]
fn k3_a_ready_item_goes_before_a_due_pulse() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(IDLE); // the pulse is due...
    feed.push(7); // ...and an item is ready
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Item(7))));
    // The item was activity: the idle count starts again.
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(IDLE - NANO);
    assert_eq!(task.poll(&mut events), Poll::Pending);
}

#[test]
fn k4_it_ends_with_the_stream_with_no_trailing_pulse_and_is_fused() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(IDLE); // a pulse is due
    feed.push(1);
    feed.end();
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Item(1))));
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(None),
        "a pulse after the end"
    );
    assert!(events.is_terminated());
    // `Fed` panics if it is polled again: the keep-alive does not poll it.
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert_eq!(events.size_hint(), (0, Some(0)));
    assert_eq!(clock.counts().timers_created, 1);
}

#[test]
fn k4_it_lets_go_of_its_timer_when_the_stream_ends() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::<u8>::new();
    let mut events = fed.keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    assert_eq!(clock.live_timers(), 1);
    feed.end();
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert_eq!(clock.live_timers(), 0);
}

#[test]
#[should_panic(expected = "`idle`, must be greater than zero")]
fn k4_a_zero_idle_panics_naming_the_argument() {
    let _ = stream::pending::<u8>().keep_alive(Duration::ZERO);
}

#[test]
fn k4_duration_max_never_pulses_and_arms_no_timer() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<u8>().keep_alive_on(Duration::MAX, clock.clone());
    let mut task = Task::new();
    for _ in 0..10 {
        assert_eq!(task.poll(&mut events), Poll::Pending);
        clock.advance(Duration::from_secs(u64::from(u32::MAX)));
    }
    assert!(!task.was_woken());
    assert_eq!(clock.counts().timers_created, 0);
}

#[test]
fn k5_no_clock_read_or_timer_work_per_ready_item() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed.keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending); // starts the count: one read, one timer
    let before = clock.counts();
    let per_round = if cfg!(miri) { 50 } else { 1000 }; // Miri runs thousands of times slower
    for round in 0..10u32 {
        for n in 0..per_round {
            feed.push(round * per_round + n);
        }
        for _ in 0..per_round {
            assert!(matches!(
                task.poll(&mut events),
                Poll::Ready(Some(Event::Item(_)))
            ));
        }
        assert_eq!(task.poll(&mut events), Poll::Pending);
        clock.advance(IDLE / 100); // each wait's deadline is later than the armed one
    }
    let after = clock.counts();
    // One clock read for each switch from items to waiting, none per item.
    assert_eq!(after.time_reads - before.time_reads, 10);
    assert_eq!(after.timers_created, before.timers_created);
    assert_eq!(
        after.timer_resets, before.timer_resets,
        "re-armed while items flowed"
    );
}

#[test]
fn the_inbound_recipe_pings_a_quiet_peer_then_ends_when_it_does_not_answer() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let reply_timeout = Duration::from_secs(5);
    let mut events = fed
        .watchdog_on(IDLE + reply_timeout, clock.clone())
        .keep_alive_on(IDLE, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Event::Pulse)),
        "ping now"
    );
    feed.push("pong"); // the peer answers: alive
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Event::Item("pong")))
    );
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Event::Pulse)),
        "ping again"
    );
    clock.advance(reply_timeout); // no answer this time
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert!(events.get_ref().timed_out());
}

#[test]
fn keep_alive_then_watchdog_in_one_task_never_fires() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<u8>()
        .keep_alive_on(IDLE, clock.clone())
        .watchdog_on(2 * IDLE, clock.clone());
    let mut task = Task::new();
    for _ in 0..100 {
        assert_eq!(task.poll(&mut events), Poll::Pending);
        clock.advance(IDLE);
        assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    }
    assert!(!events.timed_out(), "its own pulses keep the watchdog fed");
}

#[test]
#[cfg_attr(miri, ignore = "real time")]
fn keep_alive_pulses_in_real_time_on_the_default_clock() {
    let events = stream::iter([1, 2])
        .chain(stream::pending())
        .keep_alive(Duration::from_millis(5));
    let got: Vec<_> = futures::executor::block_on(events.take(4).collect());
    assert_eq!(
        got,
        [Event::Item(1), Event::Item(2), Event::Pulse, Event::Pulse]
    );
}
