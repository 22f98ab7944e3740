//! Hostile inner streams: one that panics, one that must not be polled after its
//! end, one that wakes spuriously, and one that yields a huge burst.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::stream::{self, Stream};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{Event, HeartbeatExt, MAX_ITEMS_BEFORE_PULSE};
use support::Task;

const SEC: Duration = Duration::from_secs(1);

/// Yields one item, then panics on its next poll.
fn panics_on_second_poll() -> impl Stream<Item = u8> + Unpin {
    let mut polled = false;
    stream::poll_fn(move |_| {
        assert!(!polled, "inner stream exploded");
        polled = true;
        Poll::Ready(Some(1))
    })
}

#[test]
fn a_panic_in_the_inner_stream_propagates_and_breaks_nothing_else() {
    let clock = ManualClock::new();
    let mut events = panics_on_second_poll().with_heartbeat_on(SEC, clock.clone());
    let mut items = panics_on_second_poll().watchdog_on(SEC, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Item(1))));
    assert_eq!(task.poll(&mut items), Poll::Ready(Some(1)));
    let heartbeat_panic = catch_unwind(AssertUnwindSafe(|| task.poll(&mut events)));
    let watchdog_panic = catch_unwind(AssertUnwindSafe(|| task.poll(&mut items)));
    for panic in [heartbeat_panic.unwrap_err(), watchdog_panic.unwrap_err()] {
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"inner stream exploded"));
    }

    // The clock and its other users go on working.
    let mut survivor = stream::pending::<u8>().watchdog_on(SEC, clock.clone());
    assert!(task.poll(&mut survivor).is_pending());
    clock.advance(SEC);
    assert_eq!(task.poll(&mut survivor), Poll::Ready(None));

    drop((events, items, survivor));
    assert_eq!(clock.live_timers(), 0, "a timer leaked through the panic");
}

/// Yields `items`, ends, and fails the test if it is polled after that.
fn must_not_be_polled_after_end(items: u8) -> (impl Stream<Item = u8> + Unpin, Arc<AtomicBool>) {
    let polled_after_end = Arc::new(AtomicBool::new(false));
    let flag = polled_after_end.clone();
    let mut left = Some(items);
    let stream = stream::poll_fn(move |_| match left {
        Some(0) => {
            left = None;
            Poll::Ready(None)
        }
        Some(n) => {
            left = Some(n - 1);
            Poll::Ready(Some(n))
        }
        None => {
            flag.store(true, Ordering::SeqCst);
            Poll::Ready(None)
        }
    });
    (stream, polled_after_end)
}

#[test]
fn an_ended_inner_stream_is_never_polled_again() {
    let clock = ManualClock::new();
    let mut task = Task::new();
    let (inner, heartbeat_misuse) = must_not_be_polled_after_end(3);
    let mut events = inner.with_heartbeat_on(SEC, clock.clone());
    let (inner, watchdog_misuse) = must_not_be_polled_after_end(3);
    let mut items = inner.watchdog_on(SEC, clock.clone());
    for _ in 0..10 {
        let _ = task.poll(&mut events);
        let _ = task.poll(&mut items);
        clock.advance(SEC);
    }
    assert!(
        !heartbeat_misuse.load(Ordering::SeqCst),
        "the heartbeat polled an ended stream"
    );
    assert!(
        !watchdog_misuse.load(Ordering::SeqCst),
        "the watchdog polled an ended stream"
    );
}

/// Never has an item, but wakes its task on every poll, as a buggy or busy producer might.
fn wakes_spuriously() -> impl Stream<Item = u8> + Unpin {
    stream::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

#[test]
fn spurious_wakeups_of_the_inner_stream_change_no_timing() {
    let clock = ManualClock::new();
    let mut events = wakes_spuriously().with_heartbeat_on(SEC, clock.clone());
    let mut items = wakes_spuriously().watchdog_on(3 * SEC, clock.clone());
    let mut task = Task::new();
    let step = SEC / 10;
    for tenths in 0..30u32 {
        // Each spurious wakeup makes the executor poll again; nothing may come early or twice.
        let mut pulses = 0;
        for _ in 0..5 {
            match task.poll(&mut events) {
                Poll::Ready(Some(Event::Pulse)) => pulses += 1,
                Poll::Pending => {}
                other => panic!("unexpected {other:?}"),
            }
            assert!(
                task.poll(&mut items).is_pending(),
                "a timeout at {tenths} tenths"
            );
        }
        let pulse_due = tenths > 0 && tenths % 10 == 0;
        assert_eq!(pulses, u32::from(pulse_due), "pulses at {tenths} tenths");
        clock.advance(step);
    }
    assert_eq!(
        task.poll(&mut items),
        Poll::Ready(None),
        "the watchdog fires on time all the same"
    );
}

#[test]
fn a_huge_burst_passes_whole_with_pulses_between() {
    let clock = ManualClock::new();
    let burst = 1_000_000u32;
    let burst = if cfg!(miri) { burst / 1000 } else { burst };
    let mut events = stream::iter(0..burst)
        .watchdog_on(SEC, clock.clone())
        .with_heartbeat_on(SEC, clock.clone());
    let mut task = Task::new();
    let mut next = 0;
    let mut pulses = 0;
    let mut items_since_advance = 0;
    loop {
        match task.poll(&mut events) {
            Poll::Ready(Some(Event::Item(n))) => {
                assert_eq!(n, next);
                next += 1;
                items_since_advance += 1;
                // Time moves in the middle of the burst: a pulse falls due each time.
                if n % 10_000 == 9_999 {
                    clock.advance(SEC);
                    items_since_advance = 0;
                }
                assert!(items_since_advance <= MAX_ITEMS_BEFORE_PULSE + 10_000);
            }
            Poll::Ready(Some(Event::Pulse)) => pulses += 1,
            Poll::Ready(None) => break,
            Poll::Pending => panic!("the burst is always ready"),
        }
    }
    assert_eq!(next, burst, "every item of the burst came through");
    assert_eq!(
        pulses,
        burst / 10_000,
        "one pulse for each interval that passed"
    );
    assert!(
        !events.get_ref().timed_out(),
        "a ready stream is never silent"
    );
}
