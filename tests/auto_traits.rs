//! `Send`, `Sync` and `Unpin` of the adapters follow the stream they wrap, checked at compile time.

use std::cell::Cell;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::rc::Rc;

use futures::stream::{BoxStream, Stream};
use futures_heartbeat::clock::{FuturesTimerClock, ManualClock, WheelClock};
use futures_heartbeat::{
    AdaptiveWatchdog, TryAdaptiveWatchdog, TryWatchdog, Watchdog, WithHeartbeat,
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
