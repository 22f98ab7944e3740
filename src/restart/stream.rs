//! The stream's state machine: not started, connecting, up, backing off,
//! done. What the stream yields, and when: rules R1 to R12 of the
//! [module](super), but R7, which the settings keep.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};

use super::{Attempt, Cause, Connect, Restart, Restarting, Shutdown, State};
use crate::clock::Clock;
use crate::support::optional_timer::{arm, poll_timer};
use crate::support::wakers::{remember, wake};
use crate::support::yielded;
use crate::trace;
use crate::watchdog::{poll_silence, SilenceTimer, SourceLimit};

/// What the stream yields, for the connect function `F`.
type RestartOf<F, K> = Restart<<F as Connect<K>>::Ok, <F as Connect<K>>::Error>;

impl<F, K, C> Restarting<F, K, C>
where
    F: Connect<K>,
    K: Clone,
    C: Clock,
{
    /// Calls the connect function for the current attempt and arms its timeout.
    fn start_connecting(self: Pin<&mut Self>) {
        let this = self.project();
        let attempt = Attempt {
            number: *this.attempt,
            cursor: this.cursor.clone(),
        };
        *this.connecting = Some(Box::pin(this.connect.connect(attempt)));
        let now = this.clock.now();
        arm(
            this.timer,
            this.clock,
            now.checked_add(this.settings.connect_timeout),
        );
        *this.state = State::Connecting { since: now };
    }

    /// Drops the source (or the connection attempt) for `cause`, and either
    /// schedules the next attempt or gives up.
    #[cold]
    #[inline(never)]
    fn go_down(self: Pin<&mut Self>, cause: Cause<F::Error>) -> Poll<Option<RestartOf<F, K>>> {
        if self.shutdown != Shutdown::Open {
            // The caller closed: the stream ends with its source, whatever ended
            // the source (the peer's answer to the close, an error, a silence).
            self.end();
            return Poll::Ready(None);
        }
        let mut this = self.project();
        this.source.set(None);
        *this.connecting = None;
        this.silence.as_mut().stop();
        let now = this.clock.now();
        let settings = &mut *this.settings;
        if let State::Up { since, .. } = *this.state {
            // A source was lost: the downtime starts. A failed connect does not restart it.
            *this.down_since = Some(now);
            if now.saturating_duration_since(since) >= settings.stable_after {
                settings.backoff.reset();
            }
        }
        let fatal = match &cause {
            Cause::Failed(error) | Cause::ConnectFailed(error) => settings
                .is_fatal
                .as_mut()
                .is_some_and(|is_fatal| is_fatal(error)),
            _ => false,
        };
        let within_budget = settings.max_restarts.map_or(true, |(count, within)| {
            while this
                .recent_restarts
                .front()
                .is_some_and(|&at| now.saturating_duration_since(at) >= within)
            {
                this.recent_restarts.pop_front();
            }
            this.recent_restarts.len() < count as usize
        });
        let delay = if fatal || !within_budget {
            None
        } else {
            settings.backoff.next_delay()
        };
        let Some(delay) = delay else {
            this.timer.set(None);
            *this.state = State::Done;
            wake(this.writer); // to hear that nothing more can be sent
            trace::gave_up(*this.name, cause.kind(), *this.restarts);
            return Poll::Ready(Some(Restart::GaveUp {
                cause,
                restarts: *this.restarts,
            }));
        };
        let retry_in = settings.jitter.apply(delay, &mut settings.rng);
        *this.restarts += 1;
        *this.attempt += 1;
        if settings.max_restarts.is_some() {
            this.recent_restarts.push_back(now);
        }
        arm(this.timer, this.clock, now.checked_add(retry_in));
        *this.state = State::BackingOff;
        trace::source_down(*this.name, cause.kind(), *this.attempt, retry_in);
        Poll::Ready(Some(Restart::Down {
            cause,
            attempt: *this.attempt,
            retry_in,
        }))
    }

    /// The source yielded `error`: a time-out if a `try_` adapter polled as part of
    /// the source yielded one in this poll and was not polled again after it (the
    /// source's error type is the user's, and says nothing the stream can read),
    /// a failure otherwise.
    #[cold]
    fn source_failed(self: Pin<&mut Self>, error: F::Error) -> Poll<Option<RestartOf<F, K>>> {
        let cause = match yielded::take() {
            Some(timed_out) => Cause::Silent(timed_out),
            None => Cause::Failed(error),
        };
        self.go_down(cause)
    }

    /// The source ended by itself.
    #[cold]
    fn source_ended(self: Pin<&mut Self>) -> Poll<Option<RestartOf<F, K>>> {
        if self.settings.restart_on_end {
            return self.go_down(Cause::Ended);
        }
        self.end();
        Poll::Ready(None)
    }

    /// Connecting: `Up` once the source is there, `Down` if connecting fails or times out.
    fn poll_connecting(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<RestartOf<F, K>>> {
        let mut this = self.as_mut().project();
        let connecting = this.connecting.as_mut();
        let connected = match connecting.map(|future| future.as_mut().poll(cx)) {
            Some(Poll::Ready(connected)) => connected,
            _ => {
                if poll_timer(this.timer, cx).is_ready() {
                    return self.go_down(Cause::ConnectTimedOut);
                }
                remember(this.reader, cx.waker()); // for a close, which drops the connect
                return Poll::Pending;
            }
        };
        *this.connecting = None;
        this.timer.set(None);
        match connected {
            Err(error) => self.go_down(Cause::ConnectFailed(error)),
            Ok(source) => {
                this.source.set(Some(source));
                let now = this.clock.now();
                let downtime = this
                    .down_since
                    .map_or(Duration::ZERO, |since| now.saturating_duration_since(since));
                *this.state = State::Up {
                    since: now,
                    seen_item: false,
                };
                this.silence.set(SilenceTimer::new());
                if let Some(rhythm) = &mut this.settings.adaptive_silence {
                    rhythm.forget_last_wait();
                }
                wake(this.writer); // a source to write to, at last
                Poll::Ready(Some(Restart::Up {
                    attempt: *this.attempt,
                    downtime,
                }))
            }
        }
    }

    /// Up: the source's items, and `Down` when it fails, ends or falls silent.
    #[inline]
    fn poll_source(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<RestartOf<F, K>>> {
        let mut this = self.as_mut().project();
        let Some(source) = this.source.as_mut().as_pin_mut() else {
            debug_assert!(false, "`Up` has a source: a failed write is handled first");
            // Safe all the same: the source is gone, as if it had ended.
            return self.source_ended();
        };
        // A time-out that a `try_` adapter yields within this poll is the source's
        // silence, not a failure (see `source_failed`): one thread-local store
        // per poll forgets any from before.
        yielded::clear();
        match source.poll_next(cx) {
            Poll::Ready(Some(Ok(item))) => {
                this.silence.restart();
                if let State::Up { seen_item, .. } = this.state {
                    *seen_item = true;
                }
                if let Some(key) = this.cursor_of.as_mut().and_then(|key_of| key_of(&item)) {
                    *this.cursor = Some(key);
                }
                Poll::Ready(Some(Restart::Item(item)))
            }
            Poll::Ready(Some(Err(error))) => self.source_failed(error),
            Poll::Ready(None) => self.source_ended(),
            Poll::Pending => {
                // A write that fails from another task must wake this one.
                remember(this.reader, cx.waker());
                let State::Up { seen_item, .. } = *this.state else {
                    debug_assert!(false, "the source is polled only while `Up`");
                    // Safe all the same: the source, which has just returned `Pending`, wakes the task.
                    return Poll::Pending;
                };
                let settings = &mut *this.settings;
                let first_item_timeout = settings.first_item_timeout.filter(|_| !seen_item);
                let learned = settings.adaptive_silence.as_mut();
                let Some(mut limit) =
                    SourceLimit::choose(first_item_timeout, learned, settings.silence)
                else {
                    return Poll::Pending;
                };
                match poll_silence(this.silence, this.clock, &mut limit, cx) {
                    Poll::Ready(timed_out) => {
                        let name = *this.name;
                        self.go_down(Cause::Silent(timed_out.named(name)))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<F, K, C> Stream for Restarting<F, K, C>
where
    F: Connect<K>,
    K: Clone,
    C: Clock,
{
    type Item = RestartOf<F, K>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(error) = self.as_mut().project().write_failed.take() {
            return self.go_down(Cause::Failed(error));
        }
        loop {
            match self.state {
                State::Up { .. } => return self.poll_source(cx),
                State::Connecting { .. } => return self.poll_connecting(cx),
                State::NotStarted => {
                    let now = self.clock.now();
                    *self.as_mut().project().down_since = Some(now);
                    self.as_mut().start_connecting();
                }
                // R5: backing off polls only the timer of the delay.
                State::BackingOff => {
                    let this = self.as_mut().project();
                    if poll_timer(this.timer, cx).is_pending() {
                        remember(this.reader, cx.waker()); // for a close, which drops the timer
                        return Poll::Pending;
                    }
                    self.as_mut().start_connecting();
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            State::Done => (0, Some(0)),
            // Sources come and go: nothing is certain, and there is no bound.
            _ => (0, None),
        }
    }
}

impl<F, K, C> FusedStream for Restarting<F, K, C>
where
    F: Connect<K>,
    K: Clone,
    C: Clock,
{
    fn is_terminated(&self) -> bool {
        self.state == State::Done
    }
}

impl<F: Connect<K>, K, C: Clock> Restarting<F, K, C> {
    /// Ends the stream for good: the source, a pending connect and the timers go,
    /// and a writer waiting for a source hears that none will come.
    pub(super) fn end(self: Pin<&mut Self>) {
        let mut this = self.project();
        this.source.set(None);
        *this.connecting = None;
        this.timer.set(None);
        this.silence.stop();
        *this.state = State::Done;
        wake(this.writer);
    }
}
