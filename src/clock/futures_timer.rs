use crate::clock::Instant;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::{Clock, Timer};

/// Timers from the [`futures-timer`](https://docs.rs/futures-timer) crate.
///
/// It runs under any executor, with no runtime at all: the timers are driven by
/// one helper thread per process, started on first use. Deadlines are rounded up
/// to the next millisecond (see [Precision](crate::clock#precision)), which cut its
/// CPU four to five times for thousands of streams.
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{clock::FuturesTimerClock, HeartbeatExt};
/// use std::time::Duration;
///
/// let events = stream::iter([1, 2]).with_heartbeat_on(Duration::from_millis(10), FuturesTimerClock);
/// let items: Vec<_> = futures::executor::block_on(events.filter_map(|e| async move { e.into_item() }).collect());
/// assert_eq!(items, [1, 2]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FuturesTimerClock;

/// Timer of [`FuturesTimerClock`].
#[derive(Debug)]
pub struct FuturesTimerTimer {
    delay: ::futures_timer::Delay,
    /// The deadline, rounded up as the delay's. The delay is ready only once the
    /// helper thread has fired it; a poll after the deadline says it has passed
    /// even if that thread is late.
    deadline: Instant,
}

impl Clock for FuturesTimerClock {
    type Timer = FuturesTimerTimer;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer_at(&self, deadline: Instant) -> FuturesTimerTimer {
        let deadline = super::tick::round_up(deadline);
        FuturesTimerTimer {
            delay: ::futures_timer::Delay::new(until(deadline)),
            deadline,
        }
    }
}

impl Timer for FuturesTimerTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let timer = self.get_mut();
        timer.deadline = super::tick::round_up(deadline);
        timer.delay.reset(until(timer.deadline));
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timer = self.get_mut();
        if Instant::now() >= timer.deadline {
            return Poll::Ready(());
        }
        Pin::new(&mut timer.delay).poll(cx)
    }
}

// futures-timer only takes durations; it adds them back to its own reading of
// `Instant::now()`. `deadline` is already rounded up.
fn until(deadline: Instant) -> std::time::Duration {
    deadline.saturating_duration_since(Instant::now())
}
