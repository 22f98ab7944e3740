//! `Send`, `Sync` and `Unpin` of the adapters follow the stream they wrap, checked at compile time,
//! and so does `Sink` (rules H8, K6 and W9).
//! `Restarting` is `Unpin` when its source is, whatever its connect function's future.

use std::cell::Cell;
use std::future::Future;
use std::marker::{PhantomData, PhantomPinned};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, Stream};
use futures_heartbeat::clock::{FuturesTimerClock, ManualClock, WheelClock};
use futures_heartbeat::restart::{Attempt, Restarting};
use futures_heartbeat::{
    AdaptiveWatchdog, Duplex, EveryFrame, KeepAlive, Probe, TryAdaptiveWatchdog, TryProbe,
    TryWatchdog, Watchdog, WithHeartbeat, WriteError,
};

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}
fn is_unpin<T: Unpin>() {}

/// Compiles only if `T` lacks the trait: two blanket impls make the call ambiguous otherwise.
macro_rules! assert_not_impl {
    ($ty:ty: $trait:path) => {
        const _: fn() = || {
            struct Check<T: ?Sized>(T);
            trait AmbiguousIfImpl<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfImpl<()> for Check<T> {}
            impl<T: ?Sized + $trait> AmbiguousIfImpl<u8> for Check<T> {}
            <Check<$ty> as AmbiguousIfImpl<_>>::some_item()
        };
    };
}

type SendSyncUnpin = futures::stream::Iter<std::vec::IntoIter<u8>>;
type NotSend = futures::stream::Iter<std::vec::IntoIter<Rc<u8>>>;
type NotSync = futures::stream::Iter<std::vec::IntoIter<Cell<u8>>>;

/// A stream that must stay pinned.
struct PinnedStream(PhantomPinned);

impl Stream for PinnedStream {
    type Item = u8;
    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<u8>> {
        std::task::Poll::Ready(None)
    }
}

#[test]
fn adapters_are_send_sync_and_unpin_when_the_stream_is() {
    is_send::<WithHeartbeat<SendSyncUnpin>>();
    is_sync::<WithHeartbeat<SendSyncUnpin>>();
    is_unpin::<WithHeartbeat<SendSyncUnpin>>();
    is_send::<Watchdog<SendSyncUnpin>>();
    is_sync::<Watchdog<SendSyncUnpin>>();
    is_unpin::<Watchdog<SendSyncUnpin>>();
    is_send::<TryWatchdog<SendSyncUnpin>>();
    is_sync::<TryWatchdog<SendSyncUnpin>>();
    is_unpin::<TryWatchdog<SendSyncUnpin>>();
    is_send::<AdaptiveWatchdog<SendSyncUnpin>>();
    is_sync::<AdaptiveWatchdog<SendSyncUnpin>>();
    is_unpin::<AdaptiveWatchdog<SendSyncUnpin>>();
    is_send::<TryAdaptiveWatchdog<SendSyncUnpin>>();
    is_sync::<TryAdaptiveWatchdog<SendSyncUnpin>>();
    is_unpin::<TryAdaptiveWatchdog<SendSyncUnpin>>();

    is_send::<WithHeartbeat<BoxStream<'static, u8>, ManualClock>>();
    is_unpin::<Watchdog<BoxStream<'static, u8>, ManualClock>>();
    is_send::<WithHeartbeat<SendSyncUnpin, FuturesTimerClock>>();
    is_sync::<Watchdog<SendSyncUnpin, FuturesTimerClock>>();
    is_unpin::<Watchdog<SendSyncUnpin, FuturesTimerClock>>();
    is_send::<WithHeartbeat<SendSyncUnpin, WheelClock>>();
    is_sync::<Watchdog<SendSyncUnpin, WheelClock>>();
    is_unpin::<Watchdog<SendSyncUnpin, WheelClock>>();
}

/// A two-way connection made of `S` and a write half that is `Send`, `Sync` and `Unpin`.
type Conn<S> = Duplex<S, futures::channel::mpsc::UnboundedSender<u8>>;
type ProbeOf<S> = Probe<Conn<S>, fn() -> u8, EveryFrame<u8>>;
type TryProbeOf<S> = TryProbe<Conn<S>, fn() -> u8, EveryFrame<u8>>;

#[test]
fn probes_are_send_sync_and_unpin_when_the_connection_is() {
    is_send::<ProbeOf<SendSyncUnpin>>();
    is_sync::<ProbeOf<SendSyncUnpin>>();
    is_unpin::<ProbeOf<SendSyncUnpin>>();
    is_send::<TryProbeOf<SendSyncUnpin>>();
    is_sync::<TryProbeOf<SendSyncUnpin>>();
    is_unpin::<TryProbeOf<SendSyncUnpin>>();
    is_send::<Conn<SendSyncUnpin>>();
    is_sync::<Conn<SendSyncUnpin>>();
    is_unpin::<Conn<SendSyncUnpin>>();
}

/// Writing `u8`s to `T` fails with `E`.
fn is_sink<T: futures::Sink<u8, Error = E>, E>() {}
type SendError = futures::channel::mpsc::SendError;
type IoConn = Conn<futures::stream::Iter<std::vec::IntoIter<std::io::Result<u8>>>>;

#[test]
fn h8_k6_w9_adapters_are_sinks_when_the_stream_is_one() {
    is_sink::<WithHeartbeat<Conn<SendSyncUnpin>>, SendError>();
    is_sink::<KeepAlive<Conn<SendSyncUnpin>>, SendError>();
    is_sink::<Watchdog<Conn<SendSyncUnpin>>, WriteError<SendError>>();
    is_sink::<TryWatchdog<IoConn>, WriteError<SendError>>();
    is_sink::<AdaptiveWatchdog<Conn<SendSyncUnpin>>, WriteError<SendError>>();
    is_sink::<TryAdaptiveWatchdog<IoConn>, WriteError<SendError>>();
    is_sink::<Watchdog<WithHeartbeat<Conn<SendSyncUnpin>>>, WriteError<SendError>>();
    is_sink::<WithHeartbeat<Watchdog<Conn<SendSyncUnpin>>>, WriteError<SendError>>();
}

// And only then: over a stream that is not a `Sink`, none of them is one.
assert_not_impl!(WithHeartbeat<SendSyncUnpin>: futures::Sink<u8>);
assert_not_impl!(KeepAlive<SendSyncUnpin>: futures::Sink<u8>);
assert_not_impl!(Watchdog<SendSyncUnpin>: futures::Sink<u8>);
assert_not_impl!(TryWatchdog<UnpinSource>: futures::Sink<u8>);
assert_not_impl!(AdaptiveWatchdog<SendSyncUnpin>: futures::Sink<u8>);
assert_not_impl!(TryAdaptiveWatchdog<UnpinSource>: futures::Sink<u8>);
// Nor of another item than the wrapped sink's.
assert_not_impl!(Watchdog<Conn<SendSyncUnpin>>: futures::Sink<String>);

assert_not_impl!(ProbeOf<NotSend>: Send);
assert_not_impl!(ProbeOf<NotSync>: Sync);
assert_not_impl!(ProbeOf<PinnedStream>: Unpin);
assert_not_impl!(TryProbeOf<PinnedStream>: Unpin);
assert_not_impl!(Conn<PinnedStream>: Unpin);

#[cfg(feature = "async-io")]
#[test]
fn async_io_adapters_are_send_sync_and_unpin_when_the_stream_is() {
    use futures_heartbeat::clock::AsyncIoClock;
    is_send::<WithHeartbeat<SendSyncUnpin, AsyncIoClock>>();
    is_sync::<Watchdog<SendSyncUnpin, AsyncIoClock>>();
    is_unpin::<Watchdog<SendSyncUnpin, AsyncIoClock>>();
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_adapters_are_send_sync_and_unpin_when_the_stream_is() {
    use futures_heartbeat::clock::TokioClock;
    is_send::<WithHeartbeat<SendSyncUnpin, TokioClock>>();
    is_sync::<Watchdog<SendSyncUnpin, TokioClock>>();
    is_unpin::<Watchdog<SendSyncUnpin, TokioClock>>();
}

assert_not_impl!(WithHeartbeat<NotSend>: Send);
assert_not_impl!(Watchdog<NotSend>: Send);
assert_not_impl!(TryWatchdog<NotSend>: Send);
assert_not_impl!(WithHeartbeat<NotSync>: Sync);
assert_not_impl!(Watchdog<NotSync>: Sync);
assert_not_impl!(WithHeartbeat<PinnedStream>: Unpin);
assert_not_impl!(Watchdog<PinnedStream>: Unpin);
assert_not_impl!(TryWatchdog<PinnedStream>: Unpin);

/// A connect future that must stay pinned, as an `async` block holding a
/// `PhantomPinned` across an `.await` must; it yields a source of type `S`.
struct PinnedConnect<S>(PhantomPinned, PhantomData<S>);

impl<S> Future for PinnedConnect<S> {
    type Output = Result<S, ()>;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<S, ()>> {
        Poll::Pending
    }
}

/// A source of `Result`s that must stay pinned.
struct PinnedSource(PhantomPinned);

impl Stream for PinnedSource {
    type Item = Result<u8, ()>;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<u8, ()>>> {
        Poll::Ready(None)
    }
}

type UnpinSource = futures::stream::Iter<std::vec::IntoIter<Result<u8, ()>>>;
type NotSendSource = futures::stream::Iter<std::vec::IntoIter<Result<Rc<u8>, ()>>>;
type RestartingOf<S> = Restarting<fn(Attempt) -> PinnedConnect<S>>;

#[test]
fn restarting_is_unpin_when_its_source_is_even_if_the_connect_future_is_not() {
    is_unpin::<RestartingOf<UnpinSource>>();
    is_send::<RestartingOf<UnpinSource>>();
    is_unpin::<Restarting<fn(Attempt) -> PinnedConnect<UnpinSource>, (), ManualClock>>();
}

assert_not_impl!(PinnedConnect<UnpinSource>: Unpin);
assert_not_impl!(RestartingOf<PinnedSource>: Unpin);
assert_not_impl!(RestartingOf<NotSendSource>: Send);
// Never `Sync`: it keeps the user's `FnMut` callbacks (`fatal_if`, `backoff_with`, the cursor's
// key) boxed as `Send` only, so that they need not be `Sync`. docs/api.md states it.
assert_not_impl!(RestartingOf<UnpinSource>: Sync);
