//! A write half for the two-way tests: it records what was written, and can be
//! made not ready, slow to flush, or failing; and a wrapper that logs its drop.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use futures::sink::Sink;
use futures::stream::Stream;

/// The write half: records what was written, and can be made not ready, slow to
/// flush, or failing.
#[derive(Clone, Default)]
pub struct Wire {
    pub shared: Arc<Mutex<WireState>>,
}

#[derive(Default)]
pub struct WireState {
    pub written: Vec<&'static str>,
    pub blocked: bool,
    pub flush_blocked: bool,
    pub failing: bool,
    /// Fails `start_send` only: a write half that breaks after `poll_ready`
    /// said it was ready.
    pub send_failing: bool,
    /// Fails `poll_flush` only.
    pub flush_failing: bool,
    pub ready_polls: usize,
    pub flushes: usize,
    pub waker: Option<Waker>,
    /// Calls of `poll_close`; a failing wire fails them, one slow to flush keeps them pending.
    pub closes: usize,
}

impl Wire {
    pub fn written(&self) -> Vec<&'static str> {
        self.shared.lock().unwrap().written.clone()
    }

    pub fn pings(&self) -> usize {
        self.written().iter().filter(|m| **m == "ping").count()
    }

    pub fn set(&self, change: impl FnOnce(&mut WireState)) {
        let waker = {
            let mut state = self.shared.lock().unwrap();
            change(&mut state);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn ready_polls(&self) -> usize {
        self.shared.lock().unwrap().ready_polls
    }

    pub fn closes(&self) -> usize {
        self.shared.lock().unwrap().closes
    }
}

impl Sink<&'static str> for Wire {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.shared.lock().unwrap();
        state.ready_polls += 1;
        if state.failing {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if state.blocked {
            state.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, message: &'static str) -> io::Result<()> {
        let mut state = self.shared.lock().unwrap();
        assert!(!state.blocked, "start_send without poll_ready");
        if state.send_failing {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        state.written.push(message);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.shared.lock().unwrap();
        if state.flush_blocked {
            state.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if state.flush_failing {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        state.flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.shared.lock().unwrap();
        state.closes += 1;
        if state.failing {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if state.flush_blocked {
            state.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }
}

/// `inner`, which writes `name` to `log` when it is dropped.
pub struct DropLog<T> {
    pub inner: T,
    pub name: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl<T> Drop for DropLog<T> {
    fn drop(&mut self) {
        self.log.lock().unwrap().push(format!("drop {}", self.name));
    }
}

impl<T: Stream + Unpin> Stream for DropLog<T> {
    type Item = T::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

impl<M, T: Sink<M> + Unpin> Sink<M> for DropLog<T> {
    type Error = T::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T::Error>> {
        Pin::new(&mut self.inner).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, message: M) -> Result<(), T::Error> {
        Pin::new(&mut self.inner).start_send(message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T::Error>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T::Error>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
