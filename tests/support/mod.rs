//! Shared helpers for the integration tests: a stream the test feeds by hand,
//! and a task whose wakeups are counted.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use futures::stream::{Stream, StreamExt};
use futures_test::task::{new_count_waker, AwokenCount};

#[cfg(unix)]
pub mod child;
#[cfg(unix)]
pub mod examples;
pub mod restart_lab;
pub mod wheel;
pub mod wire;

/// The test's end of a [`Fed`] stream: push items, end it, see whether it was dropped.
#[derive(Clone)]
pub struct Feed<T> {
    shared: Arc<Mutex<FeedState<T>>>,
    polls: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

struct FeedState<T> {
    queue: VecDeque<T>,
    ended: bool,
    waker: Option<Waker>,
}

/// A stream that yields what its [`Feed`] pushed, is pending when the queue is
/// empty, and panics if it is polled after it has ended.
pub struct Fed<T> {
    shared: Arc<Mutex<FeedState<T>>>,
    polls: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
    finished: bool,
}

impl<T> Feed<T> {
    pub fn new() -> (Feed<T>, Fed<T>) {
        let shared = Arc::new(Mutex::new(FeedState {
            queue: VecDeque::new(),
            ended: false,
            waker: None,
        }));
        let polls = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let feed = Feed {
            shared: shared.clone(),
            polls: polls.clone(),
            dropped: dropped.clone(),
        };
        let fed = Fed {
            shared,
            polls,
            dropped,
            finished: false,
        };
        (feed, fed)
    }

    pub fn push(&self, item: T) {
        let waker = {
            let mut state = self.shared.lock().unwrap();
            state.queue.push_back(item);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn end(&self) {
        let waker = {
            let mut state = self.shared.lock().unwrap();
            state.ended = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Items pushed and not yet taken.
    pub fn queued(&self) -> usize {
        self.shared.lock().unwrap().queue.len()
    }

    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::SeqCst) > 0
    }
}

impl<T> Stream for Fed<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        assert!(!self.finished, "Fed stream polled after it ended");
        self.polls.fetch_add(1, Ordering::SeqCst);
        let mut state = self.shared.lock().unwrap();
        if let Some(item) = state.queue.pop_front() {
            return Poll::Ready(Some(item));
        }
        if state.ended {
            drop(state);
            self.finished = true;
            return Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T> Drop for Fed<T> {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls a stream by hand from a task whose wakeups are counted.
pub struct Task {
    waker: Waker,
    woken: AwokenCount,
    seen: usize,
}

impl Task {
    pub fn new() -> Task {
        let (waker, woken) = new_count_waker();
        Task {
            waker,
            woken,
            seen: 0,
        }
    }

    pub fn poll<S: Stream + Unpin>(&mut self, stream: &mut S) -> Poll<Option<S::Item>> {
        stream.poll_next_unpin(&mut Context::from_waker(&self.waker))
    }

    /// Wakeups since the last call.
    pub fn wakeups(&mut self) -> usize {
        let total = self.woken.get();
        let new = total - self.seen;
        self.seen = total;
        new
    }

    /// Whether the task was woken since the last call of `was_woken` or `wakeups`.
    pub fn was_woken(&mut self) -> bool {
        self.wakeups() > 0
    }
}
