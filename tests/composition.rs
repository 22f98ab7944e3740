//! The two adapters chained, in both orders and across a channel: what each order means.

mod support;

use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, FusedStream};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{Event, HeartbeatExt};
use support::{Feed, Task};

const SEC: Duration = Duration::from_secs(1);

#[test]
fn watchdog_then_heartbeat_pulses_and_ends_after_the_timeout_without_an_item() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut events = fed
        .watchdog_on(5 * SEC, clock.clone())
        .with_heartbeat_on(SEC, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    for _ in 0..4 {
        clock.advance(SEC);
        assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    }
    feed.push("item at 4s");
    assert_eq!(
        task.poll(&mut events),
        Poll::Ready(Some(Event::Item("item at 4s")))
    );
    assert_eq!(task.poll(&mut events), Poll::Pending); // the silence restarts at 4 s
    for _ in 0..4 {
        clock.advance(SEC);
        assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    }
    clock.advance(SEC); // 9 s: five seconds without an item
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert!(events.get_ref().timed_out());
    assert!(events.is_terminated());
    assert!(feed.is_dropped());
}

#[test]
fn heartbeat_then_watchdog_in_one_task_never_times_out_while_polled() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>()
        .with_heartbeat_on(SEC, clock.clone())
        .watchdog_on(2 * SEC, clock.clone());
    let mut task = Task::new();
    for _ in 0..1000 {
        assert_eq!(task.poll(&mut events), Poll::Pending);
        clock.advance(SEC);
        assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    }
    assert!(!events.timed_out());
}

#[test]
fn heartbeat_then_watchdog_times_out_when_the_interval_exceeds_the_timeout() {
    let clock = ManualClock::new();
    let mut events = stream::pending::<()>()
        .with_heartbeat_on(3 * SEC, clock.clone())
        .watchdog_on(2 * SEC, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Pending);
    clock.advance(2 * SEC);
    assert_eq!(task.poll(&mut events), Poll::Ready(None));
    assert!(events.timed_out());
}

#[test]
fn a_watchdog_across_a_channel_counts_the_producers_pulses_as_life_and_ends_when_they_stop() {
    let clock = ManualClock::new();
    let (worker_feed, worker_results) = Feed::<u32>::new();
    let mut producer = worker_results.with_heartbeat_on(SEC, clock.clone());
    let (channel_in, channel_out) = Feed::new();
    let mut consumer = channel_out.watchdog_on(2 * SEC, clock.clone());
    let (mut producer_task, mut consumer_task) = (Task::new(), Task::new());

    // The producer task forwards what its heartbeat yields, for ten seconds.
    for second in 1..=10u32 {
        assert_eq!(producer_task.poll(&mut producer), Poll::Pending);
        assert_eq!(consumer_task.poll(&mut consumer), Poll::Pending);
        if second % 2 == 0 {
            worker_feed.push(second);
        }
        clock.advance(SEC);
        while let Poll::Ready(Some(event)) = producer_task.poll(&mut producer) {
            channel_in.push(event);
        }
        let mut got = Vec::new();
        while let Poll::Ready(Some(event)) = consumer_task.poll(&mut consumer) {
            got.push(event);
        }
        assert!(!got.is_empty(), "something every second at {second} s");
    }
    assert!(!consumer.timed_out());

    // Now the producer hangs: its task is never polled again.
    clock.advance(2 * SEC);
    assert!(consumer_task.was_woken());
    assert_eq!(consumer_task.poll(&mut consumer), Poll::Ready(None));
    assert!(consumer.timed_out());
}
