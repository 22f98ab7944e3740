//! [`DefaultClock`], what the adapters use unless given a clock: the timers of
//! [`WheelClock`], or, with the `tokio` feature, tokio's own where a tokio
//! runtime's clock is paused. That is the one case where the wheel, which follows
//! the real time, would be wrong: a paused runtime's auto-advance jumps only to
//! tokio's timers. The choice is made once per timer, when it is created; the
//! rest of this file forwards to the timer chosen.

use core::pin::Pin;
use core::task::{Context, Poll};

use super::{Clock, Instant, Sealed, Timer, WheelClock, WheelTimer};
#[cfg(feature = "tokio")]
use super::{TokioClock, TokioTimer};

/// The time source of [`with_heartbeat`](crate::HeartbeatExt::with_heartbeat),
/// [`watchdog`](crate::HeartbeatExt::watchdog),
/// [`keep_alive`](crate::HeartbeatExt::keep_alive) and
/// [`restarting`](crate::restart::restarting): the time the program runs on.
///
/// Its timers are [`WheelClock`]'s, one scheduler thread for the whole
/// process, which need no runtime (see [`WheelClock`] for what they cost). With the
/// `tokio` feature, one case differs: a timer armed inside a tokio runtime whose
/// clock is not the real one (paused with `tokio::time::pause()` or
/// `start_paused`, or advanced while it was) is tokio's own, so that the
/// adapters follow tokio's virtual time as `tokio::time::sleep` does. Tokio's
/// auto-advance jumps to them, and `tokio::time::advance` moves them: a paused
/// test with a 30 s watchdog ends in microseconds of real time.
///
/// That is the whole rule, and it adds nothing a program outside such a runtime
/// can see. Outside tokio, and in any tokio runtime on real time, the timers
/// are the wheel's, whoever turned the feature on. Which timer a stream gets is
/// settled when the timer is created, at the stream's first poll: a stream
/// created in one runtime and polled in another, or in none, keeps working. A
/// stream whose timer is tokio's cannot outlive its runtime: polled after the
/// runtime shut down, it panics with tokio's message saying so.
///
/// To keep the wheel even on tokio's virtual time, pass [`WheelClock`] to the
/// `_on` methods; to always use tokio's timer, `TokioClock` (feature `tokio`).
///
/// ```
/// use futures::stream::{self, StreamExt};
/// use futures_heartbeat::{Event, HeartbeatExt};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// // No runtime: the wheel's scheduler fires the pulses.
/// let mut events = stream::pending::<u8>().with_heartbeat(Duration::from_millis(5));
/// assert_eq!(events.next().await, Some(Event::Pulse));
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultClock;

/// Timer of [`DefaultClock`]: the wheel's, or, on tokio's virtual time, tokio's.
#[derive(Debug)]
pub struct DefaultTimer(Backend);

#[derive(Debug)]
enum Backend {
    Wheel(WheelTimer),
    #[cfg(feature = "tokio")]
    Tokio(TokioTimer),
}

impl Clock for DefaultClock {
    type Timer = DefaultTimer;

    /// Tokio's time inside a tokio runtime (feature `tokio`), which is the real
    /// time unless the runtime's clock is paused; the real time elsewhere.
    fn now(&self) -> Instant {
        #[cfg(feature = "tokio")]
        return ::tokio::time::Instant::now().into_std();
        #[cfg(not(feature = "tokio"))]
        Instant::now()
    }

    fn timer_at(&self, deadline: Instant) -> DefaultTimer {
        #[cfg(feature = "tokio")]
        if tokio_time::is_virtual() {
            return DefaultTimer(Backend::Tokio(TokioClock.timer_at(deadline)));
        }
        DefaultTimer(Backend::Wheel(WheelClock.timer_at(deadline)))
    }
}

impl Timer for DefaultTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        match &mut self.get_mut().0 {
            Backend::Wheel(timer) => Pin::new(timer).reset(deadline),
            #[cfg(feature = "tokio")]
            Backend::Tokio(timer) => Pin::new(timer).reset(deadline),
        }
    }

    fn reset_read_at(self: Pin<&mut Self>, deadline: Instant, now: Instant, sealed: Sealed) {
        match &mut self.get_mut().0 {
            Backend::Wheel(timer) => Pin::new(timer).reset_read_at(deadline, now, sealed),
            #[cfg(feature = "tokio")]
            Backend::Tokio(timer) => Pin::new(timer).reset_read_at(deadline, now, sealed),
        }
    }

    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.get_mut().0 {
            Backend::Wheel(timer) => Pin::new(timer).poll_expired(cx),
            #[cfg(feature = "tokio")]
            Backend::Tokio(timer) => Pin::new(timer).poll_expired(cx),
        }
    }

    #[inline]
    fn may_have_expired(self: Pin<&mut Self>, sealed: Sealed) -> bool {
        match &mut self.get_mut().0 {
            Backend::Wheel(timer) => Pin::new(timer).may_have_expired(sealed),
            #[cfg(feature = "tokio")]
            Backend::Tokio(timer) => Pin::new(timer).may_have_expired(sealed),
        }
    }
}

#[cfg(feature = "tokio")]
mod tokio_time {
    use ::tokio::runtime::{Handle, RuntimeFlavor};
    use std::time::Instant;

    /// Whether this thread is inside a tokio runtime whose clock is not the real
    /// one: paused, or moved away from the real time while it was.
    ///
    /// Tokio says neither whether its clock is paused nor by how much it was
    /// advanced, so this compares it with the real clock across a step of the
    /// real clock. A clock on real time reads no earlier than the real one read
    /// before it, and no later than the real one read after it; a paused one
    /// does not move while the real one steps. Nothing can advance a paused
    /// clock meanwhile: only its runtime's thread does, and this runs on it,
    /// inside a poll. Only a current-thread runtime can be paused.
    pub(super) fn is_virtual() -> bool {
        let Ok(runtime) = Handle::try_current() else {
            return false;
        };
        if runtime.runtime_flavor() == RuntimeFlavor::MultiThread {
            return false;
        }
        let tokio_before = ::tokio::time::Instant::now().into_std();
        let real_before = Instant::now();
        if tokio_before > real_before {
            return true; // ahead of the real time
        }
        let mut real_after = Instant::now();
        while real_after == real_before {
            real_after = Instant::now();
        }
        let tokio_after = ::tokio::time::Instant::now().into_std();
        tokio_after == tokio_before || tokio_after < real_after
    }
}
