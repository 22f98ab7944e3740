//! The cost per item while items are ready: each adapter against the bare stream
//! on the same executor, and against the peers (`tokio-stream`'s `timeout`,
//! `heartbeat-stream`) on tokio, in the same run.
//!
//! `ready/*` streams are always ready; `pending-every-64/*` streams return
//! `Pending` (and wake their task at once) every 64 items, as a channel that a
//! fast producer keeps fed does, so the adapters' timer paths run too.
//!
//! Run with `cargo bench --bench ready_path`; `python3 benches/ratios.py` then
//! prints ns/item and the ratios to the bare stream (and, for the adaptive
//! watchdog, to the plain one) from criterion's results.

use std::future::Future;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::{HeartbeatExt, PhiAccrual};

const ITEMS: u64 = 10_000_000;
const HOUR: Duration = Duration::from_secs(3600);

/// Counts the items of `stream`, keeping each one observable to the optimiser.
async fn drain<S: Stream>(stream: S) -> u64 {
    let mut stream = pin!(stream);
    let mut count = 0;
    while let Some(item) = stream.next().await {
        black_box(item);
        count += 1;
    }
    count
}

/// Yields `0..len`, returning `Pending` (after waking its task) before every 64th item.
struct PendingEvery64 {
    next: u64,
    len: u64,
    pending_done: bool,
}

fn pending_every_64(len: u64) -> PendingEvery64 {
    PendingEvery64 {
        next: 0,
        len,
        pending_done: false,
    }
}

impl Stream for PendingEvery64 {
    type Item = u64;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        if self.next == self.len {
            return Poll::Ready(None);
        }
        if self.next % 64 == 63 && !self.pending_done {
            self.pending_done = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pending_done = false;
        self.next += 1;
        Poll::Ready(Some(self.next - 1))
    }
}

fn on_futures_executor<F: Future<Output = u64>>(run: impl Fn() -> F) -> impl FnMut() -> u64 {
    move || futures::executor::block_on(run())
}

fn bench_group<S: Stream + 'static>(
    c: &mut Criterion,
    name: &str,
    source: fn(u64) -> S,
    with_tokio_peers: bool,
) where
    S::Item: Copy,
{
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(ITEMS));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    group.bench_function("futures/bare", |b| {
        b.iter(on_futures_executor(|| drain(source(ITEMS))))
    });
    group.bench_function("futures/with_heartbeat", |b| {
        b.iter(on_futures_executor(|| {
            drain(source(ITEMS).with_heartbeat(HOUR))
        }))
    });
    group.bench_function("futures/watchdog", |b| {
        b.iter(on_futures_executor(|| drain(source(ITEMS).watchdog(HOUR))))
    });
    group.bench_function("futures/watchdog_adaptive", |b| {
        b.iter(on_futures_executor(|| {
            drain(source(ITEMS).watchdog_adaptive(PhiAccrual::new(HOUR)))
        }))
    });
    group.bench_function("futures/watchdog+with_heartbeat", |b| {
        b.iter(on_futures_executor(|| {
            drain(source(ITEMS).watchdog(HOUR).with_heartbeat(HOUR))
        }))
    });

    if with_tokio_peers {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        group.bench_function("tokio/bare", |b| {
            b.iter(|| runtime.block_on(drain(source(ITEMS))))
        });
        group.bench_function("tokio/with_heartbeat", |b| {
            b.iter(|| runtime.block_on(drain(source(ITEMS).with_heartbeat(HOUR))))
        });
        group.bench_function("tokio/watchdog", |b| {
            b.iter(|| runtime.block_on(drain(source(ITEMS).watchdog(HOUR))))
        });
        group.bench_function("tokio/watchdog_adaptive", |b| {
            b.iter(|| {
                runtime.block_on(drain(
                    source(ITEMS).watchdog_adaptive(PhiAccrual::new(HOUR)),
                ))
            })
        });
        // The peers arm their timers when they are built, so they are built inside the runtime.
        group.bench_function("tokio/tokio-stream-timeout", |b| {
            b.iter(|| {
                runtime.block_on(async {
                    drain(tokio_stream::StreamExt::timeout(source(ITEMS), HOUR)).await
                })
            })
        });
        group.bench_function("tokio/heartbeat-stream", |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let interval =
                        tokio::time::interval_at(tokio::time::Instant::now() + HOUR, HOUR);
                    drain(heartbeat_stream::HeartbeatStream::new(
                        source(ITEMS),
                        interval,
                    ))
                    .await
                })
            })
        });
    }
    group.finish();
}

fn ready(c: &mut Criterion) {
    bench_group(c, "ready", |len| stream::iter(0..len), true);
}

fn pending_every_64_items(c: &mut Criterion) {
    bench_group(c, "pending-every-64", pending_every_64, true);
}

criterion_group!(benches, ready, pending_every_64_items);
criterion_main!(benches);
