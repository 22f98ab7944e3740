//! Rules H7, W7, K5 and A6 (the docs of `HeartbeatExt::with_heartbeat`, `watchdog`,
//! `keep_alive` and `watchdog_adaptive`): no allocation per item while items are ready.
//! (No clock read and no timer re-arm per item is checked on the manual clock,
//! in `heartbeat.rs`, `watchdog.rs`, `keep_alive.rs` and `phi_accrual.rs`.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{self, Stream};
use futures::task::noop_waker;
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{HeartbeatExt, PhiAccrual};

/// Counts the allocations made by this thread only, so the timer's helper thread cannot interfere.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Polls `items` ready items out of `stream` and returns the allocations made meanwhile,
/// after a first poll that may set up the timer.
fn allocations_while_ready<S: Stream + Unpin>(mut stream: S, items: usize) -> u64 {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(matches!(
        Pin::new(&mut stream).poll_next(&mut cx),
        Poll::Ready(Some(_))
    ));
    let before = allocations();
    for _ in 1..items {
        assert!(matches!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(Some(_))
        ));
    }
    allocations() - before
}

const ITEMS: usize = 100_000;
const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn h7_heartbeat_does_not_allocate_per_item() {
    assert_eq!(
        allocations_while_ready(stream::repeat(1u8).with_heartbeat(HOUR), ITEMS),
        0
    );
}

#[test]
fn w7_watchdog_does_not_allocate_per_item() {
    assert_eq!(
        allocations_while_ready(stream::repeat(1u8).watchdog(HOUR), ITEMS),
        0
    );
}

#[test]
fn h7_w7_both_chained_do_not_allocate_per_item() {
    let chained = stream::repeat(1u8).watchdog(HOUR).with_heartbeat(HOUR);
    assert_eq!(allocations_while_ready(chained, ITEMS), 0);
}

#[test]
fn k5_keep_alive_does_not_allocate_per_item() {
    assert_eq!(
        allocations_while_ready(stream::repeat(1u8).keep_alive(HOUR), ITEMS),
        0
    );
}

#[test]
fn a6_adaptive_watchdog_does_not_allocate_per_item() {
    let adaptive = stream::repeat(1u8).watchdog_adaptive(PhiAccrual::new(HOUR));
    assert_eq!(allocations_while_ready(adaptive, ITEMS), 0);
}

/// Yields items, returning `Pending` (after waking its task) before every `period`-th one.
struct PendingEvery {
    period: u64,
    polls: u64,
}

impl Stream for PendingEvery {
    type Item = u64;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        self.polls += 1;
        if self.polls % self.period == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Some(self.polls))
    }
}

#[test]
fn a6_adaptive_watchdog_learns_without_allocating() {
    // A wait every 8 items: each learns a gap and aims the timer, and the ring of
    // 1,000 samples fills and slides many times over; all of it in the memory
    // allocated when the adapter was built.
    let clock = ManualClock::new();
    let mut adaptive = PendingEvery {
        period: 8,
        polls: 0,
    }
    .watchdog_adaptive_on(PhiAccrual::new(HOUR), clock.clone());
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut poll_many = |polls: usize| {
        for _ in 0..polls {
            let _ = Pin::new(&mut adaptive).poll_next(&mut cx);
            clock.advance(Duration::from_micros(1));
        }
    };
    poll_many(100); // the timer is created at the first wait
    let before = allocations();
    poll_many(ITEMS);
    assert_eq!(allocations() - before, 0);
    assert!(!adaptive.timed_out());
}

#[test]
fn the_allocation_counter_sees_allocations() {
    // Guards the guard: a counter stuck at zero would pass the tests above.
    let boxed = stream::repeat(1u8).with_heartbeat(HOUR);
    let allocating = futures::StreamExt::map(boxed, Box::new);
    assert!(allocations_while_ready(allocating, 10) >= 9);
}
