//! A silence counted only while the consumer waits: the watchdog ends a stream
//! on it, the keep-alive pulses on it.
//!
//! The count starts at the first poll that finds the stream pending after a
//! [`restart`](SilenceTimer::restart) (or at the first one ever), so the time a
//! consumer spends between polls never counts. Its deadline is the start plus
//! the limit given at each poll, so that a setting changed during a wait moves
//! that wait's deadline.

use core::fmt;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::time::Duration;

use crate::clock::Instant;

use pin_project_lite::pin_project;

use crate::clock::{Clock, Timer};

pin_project! {
    pub(crate) struct SilenceTimer<T> {
        // Created at the first wait; `stop` drops it.
        #[pin]
        timer: Option<T>,
        // The deadline the timer is armed for; it may lag behind the current one (see `poll_deadline`).
        armed_for: Option<Instant>,
        silence: Silence,
    }
}

impl<T> fmt::Debug for SilenceTimer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SilenceTimer")
            .field("silence", &self.silence)
            .field("armed_for", &self.armed_for)
            .finish()
    }
}

/// Where the current silence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Silence {
    // Nothing was polled yet: the first `Pending` starts the first count.
    FirstWait,
    // Something was just delivered: the next `Pending` starts a new count.
    Restart,
    // Counting since then.
    Since(Instant),
}

impl<T: Timer> SilenceTimer<T> {
    pub(crate) fn new() -> Self {
        SilenceTimer {
            timer: None,
            armed_for: None,
            silence: Silence::FirstWait,
        }
    }

    /// Something was delivered: the next wait counts afresh. One store: it is on
    /// the path of every ready item.
    #[inline(always)]
    pub(crate) fn restart(self: Pin<&mut Self>) {
        *self.project().silence = Silence::Restart;
    }

    /// Whether the next wait is the first after a [`restart`](Self::restart), that is
    /// whether something was delivered since the last count started.
    pub(crate) fn delivered_since_last_wait(&self) -> bool {
        self.silence == Silence::Restart
    }

    /// The stream is pending: `Ready` once it has been silent for `limit` while the
    /// consumer waited (at once for a zero `limit`); otherwise the task is woken
    /// when it has. A `limit` too long to represent never ends the silence.
    ///
    /// `limit` is counted from the start of the count in progress at every poll:
    /// a longer or shorter one than at the last poll moves the deadline.
    #[inline]
    pub(crate) fn poll_elapsed<C>(
        self: Pin<&mut Self>,
        clock: &C,
        limit: Duration,
        cx: &mut Context<'_>,
    ) -> Poll<()>
    where
        C: Clock<Timer = T>,
    {
        self.poll_elapsed_with(clock, |_| limit, cx)
    }

    /// [`poll_elapsed`](Self::poll_elapsed), with the limit chosen by `limit_of`:
    /// given `Some(now)` when a count starts at `now`, `None` while one goes on.
    /// The adaptive watchdog learns the gap that ended at the start before it
    /// decides how long the next silence may last, and keeps that limit.
    pub(crate) fn poll_elapsed_with<C>(
        self: Pin<&mut Self>,
        clock: &C,
        limit_of: impl FnOnce(Option<Instant>) -> Duration,
        cx: &mut Context<'_>,
    ) -> Poll<()>
    where
        C: Clock<Timer = T>,
    {
        let this = self.project();
        let (since, limit) = match *this.silence {
            Silence::Since(since) => (since, limit_of(None)),
            Silence::FirstWait | Silence::Restart => {
                let now = clock.now();
                *this.silence = Silence::Since(now);
                let limit = limit_of(Some(now));
                if limit.is_zero() {
                    return Poll::Ready(()); // with no timer: a zero limit ends at the first wait, exactly
                }
                (now, limit)
            }
        };
        let Some(deadline) = since.checked_add(limit) else {
            return Poll::Pending; // too long to represent: never
        };
        poll_deadline(this.timer, this.armed_for, clock, deadline, cx)
    }

    /// Lets go of the timer: the stream has ended.
    pub(crate) fn stop(self: Pin<&mut Self>) {
        self.project().timer.set(None);
    }
}

/// `Ready` once `deadline` has passed.
///
/// The timer is moved lazily. Deadlines mostly move later, as items arrive, so
/// a timer armed for an earlier silence is left alone until it fires, and only
/// then moved to the current deadline: a busy stream costs at most one re-arm
/// per limit, not one per item. An earlier deadline (after a longer
/// first-item timeout, or a limit shortened during a wait) moves it at once.
fn poll_deadline<C: Clock>(
    mut timer: Pin<&mut Option<C::Timer>>,
    armed_for: &mut Option<Instant>,
    clock: &C,
    deadline: Instant,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let Some(mut armed) = timer.as_mut().as_pin_mut() else {
        timer.set(Some(clock.timer_at(deadline)));
        *armed_for = Some(deadline);
        return poll_deadline(timer, armed_for, clock, deadline, cx);
    };
    if *armed_for > Some(deadline) {
        armed.as_mut().reset(deadline);
        *armed_for = Some(deadline);
    }
    loop {
        ready!(armed.as_mut().poll_expired(cx));
        if *armed_for == Some(deadline) {
            return Poll::Ready(());
        }
        armed.as_mut().reset(deadline);
        *armed_for = Some(deadline);
    }
}
