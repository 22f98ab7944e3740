//! Cancellation and resources: dropping an adapter at any point drops the stream
//! it wraps and frees its timer; create/poll/drop cycles do not grow memory.

mod support;

use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, Stream};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::HeartbeatExt;
use support::{Feed, Task};

const SEC: Duration = Duration::from_secs(1);

/// Where in its life an adapter is dropped.
#[derive(Debug, Clone, Copy)]
enum DropAt {
    BeforeFirstPoll,
    WhileWaiting,
    AfterAnItem,
    AfterTheEnd,
    AfterTimingOut,
}

const EVERY_POINT: [DropAt; 5] = [
    DropAt::BeforeFirstPoll,
    DropAt::WhileWaiting,
    DropAt::AfterAnItem,
    DropAt::AfterTheEnd,
    DropAt::AfterTimingOut,
];

/// Takes `stream` to `point`, drops it, and checks that the inner stream and the timer are gone.
fn drop_at<S: Stream + Unpin>(
    point: DropAt,
    wrap: impl FnOnce(support::Fed<u8>, ManualClock) -> S,
) {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::new();
    let mut stream = wrap(fed, clock.clone());
    let mut task = Task::new();
    match point {
        DropAt::BeforeFirstPoll => {}
        DropAt::WhileWaiting => assert!(task.poll(&mut stream).is_pending()),
        DropAt::AfterAnItem => {
            assert!(task.poll(&mut stream).is_pending());
            feed.push(1);
            assert!(matches!(task.poll(&mut stream), Poll::Ready(Some(_))));
        }
        DropAt::AfterTheEnd => {
            assert!(task.poll(&mut stream).is_pending());
            feed.end();
            while let Poll::Ready(Some(_)) = task.poll(&mut stream) {}
        }
        DropAt::AfterTimingOut => {
            assert!(task.poll(&mut stream).is_pending());
            clock.advance(10 * SEC);
            while let Poll::Ready(Some(_)) = task.poll(&mut stream) {}
        }
    }
    drop(stream);
    assert!(
        feed.is_dropped(),
        "{point:?}: the inner stream outlived the adapter"
    );
    assert_eq!(
        clock.live_timers(),
        0,
        "{point:?}: the timer outlived the adapter"
    );
}

#[test]
fn dropping_a_heartbeat_at_any_point_drops_its_stream_and_timer() {
    for point in EVERY_POINT {
        drop_at(point, |fed, clock| fed.with_heartbeat_on(SEC, clock));
    }
}

#[test]
fn dropping_a_watchdog_at_any_point_drops_its_stream_and_timer() {
    for point in EVERY_POINT {
        drop_at(point, |fed, clock| fed.watchdog_on(5 * SEC, clock));
    }
}

#[test]
fn dropping_a_try_watchdog_at_any_point_drops_its_stream_and_timer() {
    for point in EVERY_POINT {
        drop_at(point, |fed, clock| {
            futures::StreamExt::map(fed, Ok::<u8, std::io::Error>).try_watchdog_on(5 * SEC, clock)
        });
    }
}

#[test]
fn dropping_chained_adapters_at_any_point_drops_their_stream_and_timers() {
    for point in EVERY_POINT {
        drop_at(point, |fed, clock| {
            fed.watchdog_on(5 * SEC, clock.clone())
                .with_heartbeat_on(SEC, clock)
        });
    }
}

#[test]
fn manual_clock_create_poll_drop_cycles_leave_no_timer_behind() {
    let clock = ManualClock::new();
    let cycles = if cfg!(miri) { 100 } else { 100_000 };
    let mut task = Task::new();
    for _ in 0..cycles {
        let mut events = stream::pending::<u8>().with_heartbeat_on(SEC, clock.clone());
        let mut items = stream::pending::<u8>().watchdog_on(SEC, clock.clone());
        assert!(task.poll(&mut events).is_pending());
        assert!(task.poll(&mut items).is_pending());
    }
    assert_eq!(clock.live_timers(), 0);
    assert_eq!(clock.counts().timers_created, 2 * cycles);
}

/// Resident memory of this process, from /proc (Linux only).
#[cfg(target_os = "linux")]
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(
    miri,
    ignore = "a million real timers: far too slow under Miri, and /proc is isolated"
)]
fn a_million_create_poll_drop_cycles_on_the_default_clock_do_not_grow_memory() {
    let mut task = Task::new();
    let mut cycle = |n: u32| {
        for _ in 0..n {
            let mut events = stream::pending::<u8>().with_heartbeat(SEC);
            let mut items = stream::pending::<u8>().watchdog(SEC);
            assert!(task.poll(&mut events).is_pending());
            assert!(task.poll(&mut items).is_pending());
        }
    };
    cycle(50_000); // warm up the allocator and the timer thread
    let before = resident_bytes();
    cycle(1_000_000);
    let grown = resident_bytes().saturating_sub(before);
    // Each cycle makes two timers; a leak of even one byte per cycle would show as ~1 MB.
    assert!(
        grown < 4 << 20,
        "resident memory grew by {grown} bytes over a million cycles"
    );
}
