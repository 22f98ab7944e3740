use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

use super::{Clock, Timer};

/// Timers from [`async-io`](https://docs.rs/async-io), the reactor under smol.
///
/// The timers share the reactor's thread (or run on the thread that is blocked
/// in `async_io::block_on`), so no thread is added to a smol program. Deadlines
/// are rounded up to the next millisecond (see [Precision](crate::clock#precision)),
/// which cut its CPU four to seven times for thousands of streams.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::AsyncIoClock, HeartbeatExt};
/// use std::time::Duration;
///
/// let events = stream::iter([1, 2]).watchdog_on(Duration::from_secs(1), AsyncIoClock);
/// assert_eq!(smol::block_on(events.collect::<Vec<_>>()), [1, 2]);
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "async-io")))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AsyncIoClock;

/// Timer of [`AsyncIoClock`].
#[cfg_attr(docsrs, doc(cfg(feature = "async-io")))]
#[derive(Debug)]
pub struct AsyncIoTimer(::async_io::Timer);

impl Clock for AsyncIoClock {
    type Timer = AsyncIoTimer;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer_at(&self, deadline: Instant) -> AsyncIoTimer {
        AsyncIoTimer(::async_io::Timer::at(super::tick::round_up(deadline)))
    }
}

impl Timer for AsyncIoTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.get_mut().0.set_at(super::tick::round_up(deadline));
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.get_mut().0).poll(cx).map(drop)
    }
}
