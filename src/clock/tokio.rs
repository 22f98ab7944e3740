use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Instant;

use super::{Clock, Sealed, Timer};

/// Timers from [`tokio::time`](https://docs.rs/tokio/latest/tokio/time/), on the runtime's time driver.
///
/// The adapters must be polled inside a tokio runtime built with the time
/// driver enabled (`enable_time`, or `enable_all`). Because both the time and
/// the timers come from tokio, `tokio::time::pause()` and `advance()` drive the
/// adapters in your own tests. Each timer is boxed once, when it is first armed,
/// because tokio's `Sleep` must stay pinned.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::TokioClock, Event, HeartbeatExt};
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let mut events = stream::pending::<u8>().with_heartbeat_on(Duration::from_secs(60), TokioClock);
/// // With time paused, tokio jumps to the next timer instead of waiting a minute.
/// assert_eq!(events.next().await, Some(Event::Pulse));
/// # });
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokioClock;

/// Timer of [`TokioClock`].
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Debug)]
pub struct TokioTimer(Pin<Box<::tokio::time::Sleep>>);

impl Clock for TokioClock {
    type Timer = TokioTimer;

    fn now(&self) -> Instant {
        ::tokio::time::Instant::now().into_std()
    }

    fn timer_at(&self, deadline: Instant) -> TokioTimer {
        TokioTimer(Box::pin(::tokio::time::sleep_until(deadline.into())))
    }
}

impl Timer for TokioTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.get_mut().0.as_mut().reset(deadline.into());
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = self.get_mut().0.as_mut();
        if deadline_passed(&sleep) {
            return Poll::Ready(());
        }
        // Not `is_elapsed` first: a runtime that shuts down marks its timers
        // elapsed, and only `poll` says that it is gone.
        sleep.poll(cx)
    }

    fn may_have_expired(self: Pin<&mut Self>, _: Sealed) -> bool {
        self.0.is_elapsed() || deadline_passed(&self.0)
    }
}

/// By tokio's clock, paused or not. A `Sleep` is elapsed only once tokio's time
/// driver has fired it, and it is registered with the driver only at its first
/// poll: a stream that stays ready never polls it, and on a runtime whose driver
/// is not running at the moment (a busy current-thread runtime), nothing fires
/// it. The deadline itself is known without either.
fn deadline_passed(sleep: &::tokio::time::Sleep) -> bool {
    ::tokio::time::Instant::now() >= sleep.deadline()
}
