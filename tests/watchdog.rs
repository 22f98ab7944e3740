//! `watchdog` and `try_watchdog`, rule by rule, on the manual clock: exact times, and the task's wakeups.
//! `wN_` in a test's name is rule WN, stated in the docs of `HeartbeatExt::watchdog`.

mod support;

use std::io;
use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, FusedStream, Stream};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{HeartbeatExt, TimedOut, TimeoutKind};
use support::{Feed, Task};

const TIMEOUT: Duration = Duration::from_secs(2);
const NANO: Duration = Duration::from_nanos(1);

#[test]
fn w1_items_pass_through_unchanged_in_order() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    let mut seen = Vec::new();
    for n in 0..100u32 {
        feed.push(n);
        if n % 3 == 0 {
            feed.push(1000 + n);
        }
        clock.advance(TIMEOUT / 2);
        while let Poll::Ready(Some(item)) = task.poll(&mut items) {
            seen.push(item);
        }
    }
    let expected: Vec<u32> = (0..100u32)
        .flat_map(|n| std::iter::once(n).chain((n % 3 == 0).then_some(1000 + n)))
        .collect();
    assert_eq!(seen, expected);
    assert!(!items.timed_out());
}

#[test]
fn w2_clock_starts_at_first_poll() {
    let clock = ManualClock::new();
    let mut items = stream::pending::<()>().watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    clock.advance(10 * TIMEOUT);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT - NANO);
    assert!(!task.was_woken());
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(items.timed_out());
}

#[test]
fn w2_time_between_an_item_and_the_next_poll_does_not_count() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    feed.push(1);
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));

    clock.advance(100 * TIMEOUT); // the consumer is busy with item 1
    assert_eq!(
        task.poll(&mut items),
        Poll::Pending,
        "the count restarts here"
    );
    clock.advance(TIMEOUT - NANO);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
}

#[test]
fn w2_each_item_restarts_the_count() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    for n in 0..50 {
        assert_eq!(task.poll(&mut items), Poll::Pending);
        clock.advance(TIMEOUT - NANO);
        feed.push(n);
        assert_eq!(task.poll(&mut items), Poll::Ready(Some(n)));
    }
    assert!(!items.timed_out());
}

#[test]
fn w3_a_ready_item_is_delivered_however_late_the_consumer_comes() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT - NANO);
    feed.push(1);
    feed.push(2);
    clock.advance(50 * TIMEOUT); // the deadline passed while the items waited for the consumer
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(2)));
    assert_eq!(task.poll(&mut items), Poll::Pending, "no false timeout");
    assert!(!items.timed_out());
}

#[test]
fn w3_fires_only_once_the_stream_is_pending_and_the_timeout_has_passed() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT);
    feed.push(1);
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT);
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(items.timed_out());
}

#[test]
fn w4_firing_drops_the_stream_and_the_timer_at_once_and_stays_ended() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::<u8>::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    assert_eq!(clock.live_timers(), 1);
    clock.advance(TIMEOUT);
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(
        feed.is_dropped(),
        "the stream is dropped when the watchdog fires"
    );
    assert_eq!(clock.live_timers(), 0);
    assert!(items.timed_out());
    assert!(items.is_terminated());
    assert!(items.get_ref().is_none());
    assert_eq!(items.size_hint(), (0, Some(0)));
    feed.push(1);
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
}

#[test]
fn w5_a_stream_that_ends_by_itself_is_not_a_timeout() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    feed.push(1);
    feed.end();
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(!items.timed_out());
    assert!(items.is_terminated());
    assert_eq!(clock.live_timers(), 0, "the timer is released at the end");
    clock.advance(10 * TIMEOUT);
    // Fed panics if polled after its end.
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(!items.timed_out());
}

#[test]
fn w6_zero_timeout_ends_at_the_first_pending() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(Duration::ZERO, clock.clone());
    let mut task = Task::new();
    feed.push(1);
    feed.push(2);
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(2)));
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(items.timed_out());
    assert!(feed.is_dropped());
}

#[test]
fn w6_max_timeout_never_fires_and_never_overflows() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(Duration::MAX, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    assert_eq!(
        clock.live_timers(),
        0,
        "no timer for a deadline that can never come"
    );
    clock.advance(Duration::from_secs(100 * 365 * 24 * 3600));
    assert_eq!(task.poll(&mut items), Poll::Pending);
    feed.push(1);
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    assert_eq!(task.poll(&mut items), Poll::Pending);
    assert!(!items.timed_out());
}

#[test]
fn w7_ready_items_cost_no_clock_read_and_no_timer() {
    let clock = ManualClock::new();
    let items = 10_000u64;
    let mut watched = stream::iter(0..items).watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    for expected in 0..items {
        assert_eq!(task.poll(&mut watched), Poll::Ready(Some(expected)));
    }
    assert_eq!(clock.counts(), Default::default());
}

#[test]
fn w7_a_busy_stream_re_arms_its_timer_at_most_once_per_timeout() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    // An item every tenth of the timeout, each followed by a wait: 1000 waits over 50 timeouts.
    for n in 0..1000 {
        assert_eq!(task.poll(&mut items), Poll::Pending);
        clock.advance(TIMEOUT / 20);
        feed.push(n);
        assert_eq!(task.poll(&mut items), Poll::Ready(Some(n)));
    }
    let counts = clock.counts();
    assert_eq!(counts.timers_created, 1);
    assert!(counts.timer_resets <= 51, "{} re-arms", counts.timer_resets);
    assert!(!items.timed_out());
}

#[test]
fn w8_first_item_timeout_applies_until_the_first_item() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed
        .watchdog_on(TIMEOUT, clock.clone())
        .first_item_timeout(10 * TIMEOUT);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(10 * TIMEOUT - NANO);
    assert!(!task.was_woken());
    feed.push(1);
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT - NANO);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(NANO);
    assert!(
        task.was_woken(),
        "the shorter steady timeout re-armed the timer earlier"
    );
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
}

#[test]
fn w8_first_item_timeout_fires_on_a_stream_that_never_starts() {
    let clock = ManualClock::new();
    let mut items = stream::pending::<()>()
        .watchdog_on(TIMEOUT, clock.clone())
        .first_item_timeout(5 * TIMEOUT);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(5 * TIMEOUT - NANO);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(NANO);
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(items.timed_out());
}

#[test]
fn w10_first_item_timeout_lengthened_during_the_first_wait_moves_its_deadline() {
    let clock = ManualClock::new();
    let mut items = stream::pending::<()>().watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending); // the first wait starts
    clock.advance(TIMEOUT / 2);
    let mut items = items.first_item_timeout(5 * TIMEOUT);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT / 2);
    assert_eq!(
        task.poll(&mut items),
        Poll::Pending,
        "ended at the old deadline"
    );
    clock.advance(4 * TIMEOUT - NANO);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    task.wakeups();
    clock.advance(NANO); // five timeouts after the first poll
    assert!(task.was_woken(), "not woken at the new deadline");
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(items.timed_out());
}

#[test]
fn w10_first_item_timeout_shortened_during_the_first_wait_moves_its_deadline() {
    let clock = ManualClock::new();
    let mut items = stream::pending::<()>()
        .watchdog_on(TIMEOUT, clock.clone())
        .first_item_timeout(10 * TIMEOUT);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(2 * TIMEOUT);
    let mut items = items.first_item_timeout(3 * TIMEOUT);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT - NANO);
    assert!(!task.was_woken());
    clock.advance(NANO); // three timeouts after the first poll
    assert!(task.was_woken(), "not woken at the new deadline");
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
}

#[test]
fn w10_first_item_timeout_set_after_the_first_item_changes_nothing() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut items = fed.watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    feed.push(1);
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    let mut items = items.first_item_timeout(10 * TIMEOUT);
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(TIMEOUT);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
}

#[test]
fn w10_try_watchdog_first_item_timeout_during_the_first_wait_moves_its_deadline() {
    let clock = ManualClock::new();
    let mut frames = stream::pending::<io::Result<u8>>().try_watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    assert!(task.poll(&mut frames).is_pending());
    let mut frames = frames.first_item_timeout(3 * TIMEOUT);
    clock.advance(3 * TIMEOUT - NANO);
    assert!(task.poll(&mut frames).is_pending());
    clock.advance(NANO);
    match task.poll(&mut frames) {
        Poll::Ready(Some(Err(error))) => assert_eq!(error.kind(), io::ErrorKind::TimedOut),
        other => panic!("expected the timeout error, got {other:?}"),
    }
}

#[test]
fn w9_try_watchdog_ends_with_one_error_item() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::<io::Result<u8>>::new();
    let mut frames = fed.try_watchdog_on(TIMEOUT, clock.clone());
    let mut task = Task::new();
    feed.push(Ok(1));
    feed.push(Err(io::Error::other(
        "the stream's own error passes through",
    )));
    assert!(matches!(task.poll(&mut frames), Poll::Ready(Some(Ok(1)))));
    assert!(
        matches!(task.poll(&mut frames), Poll::Ready(Some(Err(e))) if e.kind() == io::ErrorKind::Other)
    );
    assert!(task.poll(&mut frames).is_pending());
    assert!(!frames.is_terminated());
    clock.advance(TIMEOUT);
    match task.poll(&mut frames) {
        Poll::Ready(Some(Err(error))) => {
            assert_eq!(error.kind(), io::ErrorKind::TimedOut);
            let timed_out = error.get_ref().unwrap().downcast_ref::<TimedOut>().unwrap();
            assert_eq!(timed_out.silence(), TIMEOUT);
            assert_eq!(TimedOut::find(&error), Some(timed_out));
        }
        other => panic!("expected the timeout error, got {other:?}"),
    }
    assert!(frames.timed_out());
    assert!(feed.is_dropped());
    assert!(frames.is_terminated());
    assert!(task.poll(&mut frames).is_ready_none());
    assert!(task.poll(&mut frames).is_ready_none());
}

#[test]
fn w8_w9_try_watchdog_reports_the_first_item_timeout_it_exceeded() {
    let clock = ManualClock::new();
    let mut frames = stream::pending::<io::Result<u8>>()
        .try_watchdog_on(TIMEOUT, clock.clone())
        .first_item_timeout(3 * TIMEOUT);
    let mut task = Task::new();
    assert!(task.poll(&mut frames).is_pending());
    clock.advance(3 * TIMEOUT);
    match task.poll(&mut frames) {
        Poll::Ready(Some(Err(error))) => {
            assert_eq!(TimedOut::find(&error).unwrap().silence(), 3 * TIMEOUT);
            assert_eq!(error.to_string(), "no item for 6s");
        }
        other => panic!("expected the timeout error, got {other:?}"),
    }
}

#[test]
fn w9_try_watchdog_has_the_accessors_of_watchdog() {
    let frames = stream::pending::<io::Result<u8>>().try_watchdog(TIMEOUT);
    assert_eq!(frames.timeout(), TIMEOUT);
    assert_eq!(frames.name(), None);
    // The first-item timeout is a setting of its own: `timeout` stays the steady one.
    let frames = frames.first_item_timeout(3 * TIMEOUT).named("frames");
    assert_eq!(frames.timeout(), TIMEOUT);
    assert_eq!(frames.name(), Some("frames"));
}

#[test]
fn w9_try_watchdog_adds_no_error_when_the_stream_ends_by_itself() {
    let clock = ManualClock::new();
    let mut frames = stream::iter([Ok::<u8, io::Error>(1)]).try_watchdog_on(TIMEOUT, clock);
    let mut task = Task::new();
    assert!(matches!(task.poll(&mut frames), Poll::Ready(Some(Ok(1)))));
    assert!(task.poll(&mut frames).is_ready_none());
    assert!(frames.is_terminated());
}

#[test]
fn w9_try_watchdog_error_says_no_item_came_for_the_limit_after_its_name() {
    let clock = ManualClock::new();
    let mut frames = stream::pending::<io::Result<u8>>().try_watchdog_on(TIMEOUT, clock.clone());
    let mut named = stream::pending::<io::Result<u8>>()
        .try_watchdog_on(TIMEOUT, clock.clone())
        .named("frames");
    let mut task = Task::new();
    assert!(task.poll(&mut frames).is_pending());
    assert!(task.poll(&mut named).is_pending());
    clock.advance(TIMEOUT);
    for (frames, message, name) in [
        (&mut frames, "no item for 2s", None),
        (&mut named, "frames: no item for 2s", Some("frames")),
    ] {
        let Poll::Ready(Some(Err(error))) = task.poll(frames) else {
            panic!("expected the timeout error")
        };
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(error.to_string(), message);
        let timed_out = TimedOut::find(&error).expect("no TimedOut inside");
        assert_eq!(timed_out.kind(), TimeoutKind::Silence);
        assert_eq!(timed_out.silence(), TIMEOUT);
        assert_eq!(timed_out.ack_timeout(), None);
        assert_eq!(timed_out.name(), name);
        assert_eq!(timed_out.to_string(), message);
    }
}

#[test]
fn size_hint_has_no_lower_bound_and_keeps_the_inner_upper_bound() {
    let items = stream::iter([1, 2, 3]).watchdog_on(TIMEOUT, ManualClock::new());
    assert_eq!(items.size_hint(), (0, Some(3)));
    let frames =
        stream::iter([Ok::<u8, io::Error>(1)]).try_watchdog_on(TIMEOUT, ManualClock::new());
    assert_eq!(
        frames.size_hint(),
        (0, Some(2)),
        "one more for the timeout error"
    );
}

trait PollExt {
    fn is_ready_none(&self) -> bool;
}

impl<T> PollExt for Poll<Option<T>> {
    fn is_ready_none(&self) -> bool {
        matches!(self, Poll::Ready(None))
    }
}
