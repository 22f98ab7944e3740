//! Each time source's primitives: arm a timer (and drop it), re-arm it, poll it
//! while pending, and fire it (arm for a passed deadline and poll until ready).
//!
//! Run with `cargo bench --all-features --bench time_sources`.

use std::hint::black_box;
use std::pin::Pin;
use std::task::Context;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use futures::task::noop_waker;
use futures_heartbeat::clock::{
    AsyncIoClock, Clock, FuturesTimerClock, ManualClock, Timer, TokioClock, WheelClock,
};

const HOUR: Duration = Duration::from_secs(3600);

fn primitives<C: Clock>(c: &mut Criterion, name: &str, clock: C)
where
    C::Timer: Unpin,
{
    let mut group = c.benchmark_group(format!("time-source/{name}"));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);

    group.bench_function("arm+drop", |b| {
        b.iter(|| drop(black_box(clock.timer_at(Instant::now() + HOUR))))
    });

    let mut timer = clock.timer_at(Instant::now() + HOUR);
    let base = Instant::now() + HOUR;
    let mut shift = 0u32;
    group.bench_function("re-arm", |b| {
        b.iter(|| {
            shift = shift.wrapping_add(1) % 1000;
            Pin::new(&mut timer).reset(base + Duration::from_millis(u64::from(shift)));
        })
    });

    group.bench_function("poll-pending", |b| {
        b.iter(|| assert!(Pin::new(&mut timer).poll_expired(&mut cx).is_pending()))
    });

    group.bench_function("fire", |b| {
        b.iter(|| {
            let mut timer = clock.timer_at(Instant::now());
            while Pin::new(&mut timer).poll_expired(&mut cx).is_pending() {
                std::thread::yield_now();
            }
        })
    });
    group.finish();
}

fn time_sources(c: &mut Criterion) {
    primitives(c, "wheel", WheelClock);
    primitives(c, "futures-timer", FuturesTimerClock);
    primitives(c, "async-io", AsyncIoClock);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let _context = runtime.enter();
    primitives(c, "tokio", TokioClock);
    primitives(c, "manual", ManualClock::new());
}

criterion_group!(benches, time_sources);
criterion_main!(benches);
