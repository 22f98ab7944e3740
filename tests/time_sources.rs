//! The same behavioural checks on every time source and under several executors.
//!
//! Each check is written once, generic over the `Clock`, and measures time on
//! that clock. Real clocks run in real time, so the checks assert lower bounds
//! exactly (nothing fires early) and upper bounds only generously. The manual
//! clock runs beside a task that advances it a millisecond at a time, so the
//! same checks run there in virtual time.

use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::{self, Either};
use futures::stream::{self, StreamExt};
use futures_heartbeat::clock::{Clock, Timer};
use futures_heartbeat::{Event, HeartbeatExt, TimedOut};

const MS: Duration = Duration::from_millis(1);
/// Far more than any check needs on a loaded machine; only a hang gets near it.
const GENEROUS: Duration = Duration::from_secs(10);

/// Waits on a timer of `clock` until `deadline`.
struct Sleep<T>(Pin<Box<T>>);

impl<T: Timer> Future for Sleep<T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll_expired(cx)
    }
}

fn sleep<C: Clock>(clock: &C, duration: Duration) -> Sleep<C::Timer> {
    Sleep(Box::pin(clock.timer_at(clock.now() + duration)))
}

async fn heartbeat_pulses_while_quiet_and_never_early<C: Clock + Clone>(clock: C) {
    let interval = 20 * MS;
    let mut events = pin!(stream::pending::<()>().with_heartbeat_on(interval, clock.clone()));
    let start = clock.now();
    for k in 1..=3u32 {
        assert_eq!(events.next().await, Some(Event::Pulse));
        let elapsed = clock.now() - start;
        assert!(
            elapsed >= k * interval,
            "pulse {k} came early, after {elapsed:?}"
        );
        assert!(elapsed < k * interval + GENEROUS);
    }
}

async fn heartbeat_passes_every_item_and_ends_with_the_stream<C: Clock + Clone>(clock: C) {
    let events = stream::iter(0..10_000u32).with_heartbeat_on(MS, clock);
    let items: Vec<u32> = events
        .filter_map(|e| future::ready(e.into_item()))
        .collect()
        .await;
    assert_eq!(items, (0..10_000).collect::<Vec<_>>());
}

async fn heartbeat_after_a_stall_does_not_burst<C: Clock + Clone>(clock: C) {
    let interval = 10 * MS;
    let mut events = pin!(stream::pending::<()>().with_heartbeat_on(interval, clock.clone()));
    assert!(futures::poll!(events.next()).is_pending());
    sleep(&clock, 20 * interval).await; // the consumer is away for twenty intervals
    let window_start = clock.now();
    let mut pulses = 0;
    let mut window = pin!(sleep(&clock, 3 * interval));
    loop {
        match future::select(events.next(), window.as_mut()).await {
            Either::Left((Some(Event::Pulse), _)) => pulses += 1,
            Either::Left((other, _)) => panic!("unexpected {other:?}"),
            Either::Right(((), _)) => break,
        }
    }
    // One pulse for the stall, then one per grid point crossed in the window.
    let crossed = ((clock.now() - window_start).as_nanos() / interval.as_nanos()) as usize + 1;
    assert!(pulses >= 1, "the stall left no pulse");
    assert!(
        pulses <= 1 + crossed,
        "{pulses} pulses in {crossed} intervals: a burst"
    );
}

async fn watchdog_ends_a_silent_stream_and_never_early<C: Clock + Clone>(clock: C) {
    let timeout = 30 * MS;
    let mut items = pin!(stream::pending::<()>().watchdog_on(timeout, clock.clone()));
    let start = clock.now();
    assert_eq!(items.next().await, None);
    let elapsed = clock.now() - start;
    assert!(items.timed_out());
    assert!(elapsed >= timeout, "fired early, after {elapsed:?}");
    assert!(elapsed < timeout + GENEROUS);
}

async fn watchdog_passes_every_item_of_a_lively_producer<C: Clock + Clone>(clock: C) {
    let producer_clock = clock.clone();
    let producer = stream::unfold(0u32, move |n| {
        let clock = producer_clock.clone();
        async move {
            if n == 20 {
                return None;
            }
            sleep(&clock, MS).await;
            Some((n, n + 1))
        }
    });
    let mut items = pin!(producer.watchdog_on(GENEROUS, clock));
    let mut seen = Vec::new();
    while let Some(n) = items.next().await {
        seen.push(n);
    }
    assert_eq!(seen, (0..20).collect::<Vec<_>>());
    assert!(!items.timed_out());
}

async fn pulses_keep_a_watchdog_in_the_same_task_alive<C: Clock + Clone>(clock: C) {
    let mut events = pin!(stream::pending::<()>()
        .with_heartbeat_on(5 * MS, clock.clone())
        .watchdog_on(GENEROUS, clock));
    for _ in 0..5 {
        assert_eq!(events.next().await, Some(Event::Pulse));
    }
    assert!(!events.timed_out());
}

async fn try_watchdog_ends_with_a_timeout_error<C: Clock + Clone>(clock: C) {
    let mut frames = pin!(stream::iter([Ok(1)])
        .chain(stream::pending())
        .try_watchdog_on(20 * MS, clock));
    assert!(matches!(frames.next().await, Some(Ok::<u8, io::Error>(1))));
    match frames.next().await {
        Some(Err(error)) => assert!(TimedOut::find(&error).is_some(), "{error}"),
        other => panic!("expected the timeout error, got {other:?}"),
    }
    assert!(frames.next().await.is_none());
}

/// Real clocks move by themselves.
async fn time_flows_by_itself<C>(_clock: C) {
    future::pending().await
}

/// The manual clock moves a millisecond each time the executor comes round.
async fn time_flows_by_hand(clock: futures_heartbeat::clock::ManualClock) {
    loop {
        smol::future::yield_now().await;
        clock.advance(MS);
    }
}

fn on_futures_executor<F: Future>(check: F) -> F::Output {
    futures::executor::block_on(check)
}

fn on_smol<F: Future>(check: F) -> F::Output {
    smol::block_on(check)
}

fn on_smol_executor_threads<F: Future + Send + 'static>(check: F) -> F::Output
where
    F::Output: Send,
{
    smol::block_on(smol::spawn(check))
}

/// A tokio runtime without its time driver: timers from elsewhere must still work.
fn on_tokio_without_time_driver<F: Future>(check: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(check)
}

#[cfg(feature = "tokio")]
fn on_tokio_with_time<F: Future>(check: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(check)
}

#[cfg(feature = "tokio")]
fn on_tokio_paused<F: Future>(check: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(check)
}

macro_rules! behaviour_suite {
    ($suite:ident, clock: $clock_type:ty = $clock:expr, time: $flow:path, run: $run:path) => {
        mod $suite {
            use super::*;

            fn check<F: Future<Output = ()> + Send + 'static>(make: impl FnOnce($clock_type) -> F) {
                let clock: $clock_type = $clock;
                let flow = $flow(clock.clone());
                let checked = make(clock);
                let started = Instant::now();
                $run(async move {
                    match future::select(Box::pin(checked), Box::pin(flow)).await {
                        Either::Left(((), _)) => {}
                        Either::Right(_) => unreachable!("time never stops flowing"),
                    }
                });
                assert!(
                    started.elapsed() < 3 * GENEROUS,
                    "the check took {:?}",
                    started.elapsed()
                );
            }

            #[test]
            fn heartbeat_pulses_while_quiet_and_never_early() {
                check(super::heartbeat_pulses_while_quiet_and_never_early);
            }

            #[test]
            fn heartbeat_passes_every_item_and_ends_with_the_stream() {
                check(super::heartbeat_passes_every_item_and_ends_with_the_stream);
            }

            #[test]
            fn heartbeat_after_a_stall_does_not_burst() {
                check(super::heartbeat_after_a_stall_does_not_burst);
            }

            #[test]
            fn watchdog_ends_a_silent_stream_and_never_early() {
                check(super::watchdog_ends_a_silent_stream_and_never_early);
            }

            #[test]
            fn watchdog_passes_every_item_of_a_lively_producer() {
                check(super::watchdog_passes_every_item_of_a_lively_producer);
            }

            #[test]
            fn pulses_keep_a_watchdog_in_the_same_task_alive() {
                check(super::pulses_keep_a_watchdog_in_the_same_task_alive);
            }

            #[test]
            fn try_watchdog_ends_with_a_timeout_error() {
                check(super::try_watchdog_ends_with_a_timeout_error);
            }
        }
    };
}

use futures_heartbeat::clock::{FuturesTimerClock, ManualClock, WheelClock};

behaviour_suite!(manual_on_futures_executor, clock: ManualClock = ManualClock::new(), time: time_flows_by_hand, run: on_futures_executor);
behaviour_suite!(manual_on_smol, clock: ManualClock = ManualClock::new(), time: time_flows_by_hand, run: on_smol);

behaviour_suite!(wheel_on_futures_executor, clock: WheelClock = WheelClock, time: time_flows_by_itself, run: on_futures_executor);
behaviour_suite!(wheel_on_smol, clock: WheelClock = WheelClock, time: time_flows_by_itself, run: on_smol);
behaviour_suite!(wheel_on_smol_executor_threads, clock: WheelClock = WheelClock, time: time_flows_by_itself, run: on_smol_executor_threads);
behaviour_suite!(wheel_on_tokio_without_time_driver, clock: WheelClock = WheelClock, time: time_flows_by_itself, run: on_tokio_without_time_driver);

/// `WheelClock` rounds a deadline up by as much as a twentieth of the timer's
/// lead, on grains from 1 ms to 32 ms here: on every one, nothing fires early.
#[test]
fn wheel_timers_of_every_grain_never_fire_early() {
    on_smol(async {
        let checks = [2u32, 30, 45, 130, 333, 700, 1_250].map(|millis| async move {
            let lead = millis * MS;
            let deadline = Instant::now() + lead;
            Sleep(Box::pin(WheelClock.timer_at(deadline))).await;
            let fired = Instant::now();
            assert!(fired >= deadline, "a timer with lead {lead:?} fired early");
            assert!(fired - deadline < (lead / 20).max(MS) + GENEROUS);
        });
        future::join_all(checks).await;
    });
}

behaviour_suite!(futures_timer_on_futures_executor, clock: FuturesTimerClock = FuturesTimerClock, time: time_flows_by_itself, run: on_futures_executor);
behaviour_suite!(futures_timer_on_smol, clock: FuturesTimerClock = FuturesTimerClock, time: time_flows_by_itself, run: on_smol);
behaviour_suite!(futures_timer_on_smol_executor_threads, clock: FuturesTimerClock = FuturesTimerClock, time: time_flows_by_itself, run: on_smol_executor_threads);
behaviour_suite!(futures_timer_on_tokio_without_time_driver, clock: FuturesTimerClock = FuturesTimerClock, time: time_flows_by_itself, run: on_tokio_without_time_driver);

#[cfg(feature = "async-io")]
mod async_io_backend {
    use super::*;
    use futures_heartbeat::clock::AsyncIoClock;

    behaviour_suite!(on_futures_executor, clock: AsyncIoClock = AsyncIoClock, time: time_flows_by_itself, run: on_futures_executor);
    behaviour_suite!(on_smol, clock: AsyncIoClock = AsyncIoClock, time: time_flows_by_itself, run: on_smol);
    behaviour_suite!(on_smol_executor_threads, clock: AsyncIoClock = AsyncIoClock, time: time_flows_by_itself, run: on_smol_executor_threads);
    behaviour_suite!(on_tokio_without_time_driver, clock: AsyncIoClock = AsyncIoClock, time: time_flows_by_itself, run: on_tokio_without_time_driver);
}

#[cfg(feature = "tokio")]
mod tokio_backend {
    use super::*;
    use futures_heartbeat::clock::TokioClock;

    behaviour_suite!(on_tokio, clock: TokioClock = TokioClock, time: time_flows_by_itself, run: on_tokio_with_time);
    behaviour_suite!(on_tokio_with_time_paused, clock: TokioClock = TokioClock, time: time_flows_by_itself, run: on_tokio_paused);
}
