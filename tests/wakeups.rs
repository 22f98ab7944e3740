//! Wakeup accounting: the adapters wake the task that polled them last, exactly
//! when there is something to see, on whichever thread it now runs.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::clock::{Clock, FuturesTimerClock, ManualClock};
use futures_heartbeat::{Event, HeartbeatExt};
use support::Task;

const SEC: Duration = Duration::from_secs(1);

/// An inner stream that never has anything and never wakes anyone: a hung producer.
fn hung() -> impl Stream<Item = u8> + Unpin {
    stream::poll_fn(|_| Poll::Pending)
}

#[test]
fn idle_watchdog_wakes_its_task_once_when_it_fires() {
    let clock = ManualClock::new();
    let mut items = hung().watchdog_on(10 * SEC, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    for _ in 0..9 {
        clock.advance(SEC);
        assert_eq!(task.wakeups(), 0, "woken before the deadline");
    }
    clock.advance(SEC);
    assert_eq!(task.wakeups(), 1);
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    clock.advance(100 * SEC);
    assert_eq!(task.wakeups(), 0, "woken after the end");
}

#[test]
fn a_hung_producer_that_never_wakes_still_lets_the_watchdog_fire() {
    let clock = ManualClock::new();
    let mut items = hung().watchdog_on(SEC, clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut items), Poll::Pending);
    clock.advance(SEC);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut items), Poll::Ready(None));
    assert!(items.timed_out());
}

#[test]
fn only_the_latest_waker_is_woken_on_the_manual_clock() {
    let clock = ManualClock::new();
    let mut events = hung().with_heartbeat_on(SEC, clock.clone());
    let mut items = hung().watchdog_on(SEC, clock.clone());
    let (mut first, mut second) = (Task::new(), Task::new());
    assert_eq!(first.poll(&mut events), Poll::Pending);
    assert_eq!(first.poll(&mut items), Poll::Pending);
    assert_eq!(second.poll(&mut events), Poll::Pending);
    assert_eq!(second.poll(&mut items), Poll::Pending);
    clock.advance(SEC);
    assert_eq!(first.wakeups(), 0, "a waker that was replaced was woken");
    assert_eq!(second.wakeups(), 2, "both adapters wake the latest waker");
}

/// Polls `stream` with waker A, then with waker B, then waits in real time for
/// B to be woken, and checks that A never is.
fn only_the_latest_waker_is_woken_in_real_time<S: Stream + Unpin>(mut stream: S) {
    let (mut first, mut second) = (Task::new(), Task::new());
    assert!(first.poll(&mut stream).is_pending());
    assert!(second.poll(&mut stream).is_pending());
    let waited = Instant::now();
    while second.wakeups() == 0 {
        assert!(
            waited.elapsed() < 10 * SEC,
            "the latest waker was never woken"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(first.wakeups(), 0, "a waker that was replaced was woken");
}

#[test]
#[cfg_attr(miri, ignore = "real time and a timer thread")]
fn only_the_latest_waker_is_woken_with_futures_timer() {
    only_the_latest_waker_is_woken_in_real_time(hung().with_heartbeat(Duration::from_millis(10)));
    only_the_latest_waker_is_woken_in_real_time(hung().watchdog(Duration::from_millis(10)));
}

#[test]
#[cfg_attr(miri, ignore = "real time and a timer thread")]
fn only_the_latest_waker_is_woken_with_the_wheel() {
    use futures_heartbeat::clock::WheelClock;
    let interval = Duration::from_millis(10);
    only_the_latest_waker_is_woken_in_real_time(hung().with_heartbeat_on(interval, WheelClock));
    only_the_latest_waker_is_woken_in_real_time(hung().watchdog_on(interval, WheelClock));
}

#[cfg(feature = "async-io")]
#[test]
#[cfg_attr(miri, ignore = "real time and a reactor thread")]
fn only_the_latest_waker_is_woken_with_async_io() {
    use futures_heartbeat::clock::AsyncIoClock;
    let interval = Duration::from_millis(10);
    only_the_latest_waker_is_woken_in_real_time(hung().with_heartbeat_on(interval, AsyncIoClock));
    only_the_latest_waker_is_woken_in_real_time(hung().watchdog_on(interval, AsyncIoClock));
}

#[cfg(feature = "tokio")]
#[test]
#[cfg_attr(miri, ignore = "real time and a runtime")]
fn only_the_latest_waker_is_woken_with_tokio() {
    use futures_heartbeat::clock::TokioClock;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    // Polled by hand from this thread, inside the runtime's context; its driver runs on the worker.
    let _context = runtime.enter();
    let interval = Duration::from_millis(10);
    only_the_latest_waker_is_woken_in_real_time(hung().with_heartbeat_on(interval, TokioClock));
    only_the_latest_waker_is_woken_in_real_time(hung().watchdog_on(interval, TokioClock));
}

/// Wakes the thread that waits in `block_on_here`.
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal `block_on` that sleeps on this thread until woken: no executor, no timer of its own.
fn block_on_here<F: Future + Unpin>(mut future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = Pin::new(&mut future).poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// Polls on this thread, moves the adapters to another and checks they still wake it there.
fn a_task_moved_to_another_thread_is_still_woken<C>(clock: C, advance: impl FnOnce())
where
    C: Clock + Clone + Send + 'static,
    C::Timer: Send + Unpin,
{
    let mut events = hung().with_heartbeat_on(Duration::from_millis(10), clock.clone());
    let mut items = hung().watchdog_on(Duration::from_millis(10), clock);
    let mut here = Task::new();
    assert!(here.poll(&mut events).is_pending());
    assert!(here.poll(&mut items).is_pending());
    let there = std::thread::spawn(move || {
        let pulse = block_on_here(events.next());
        let end = block_on_here(items.next());
        (pulse, end, items.timed_out())
    });
    advance();
    assert_eq!(there.join().unwrap(), (Some(Event::Pulse), None, true));
}

#[test]
fn a_task_moved_to_another_thread_is_still_woken_on_the_manual_clock() {
    let clock = ManualClock::new();
    let driver = clock.clone();
    a_task_moved_to_another_thread_is_still_woken(clock, move || {
        // Let the other thread reach its first wait, then move time; it sleeps until woken.
        std::thread::sleep(Duration::from_millis(50));
        driver.advance(SEC);
    });
}

#[test]
#[cfg_attr(miri, ignore = "real time and a timer thread")]
fn a_task_moved_to_another_thread_is_still_woken_with_futures_timer() {
    a_task_moved_to_another_thread_is_still_woken(FuturesTimerClock, || ());
}

#[test]
#[cfg_attr(miri, ignore = "real time and a timer thread")]
fn a_task_moved_to_another_thread_is_still_woken_with_the_wheel() {
    a_task_moved_to_another_thread_is_still_woken(futures_heartbeat::clock::WheelClock, || ());
}

#[cfg(feature = "async-io")]
#[test]
#[cfg_attr(miri, ignore = "real time and a reactor thread")]
fn a_task_moved_to_another_thread_is_still_woken_with_async_io() {
    a_task_moved_to_another_thread_is_still_woken(futures_heartbeat::clock::AsyncIoClock, || ());
}
