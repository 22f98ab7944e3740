//! The primitives the scheduler synchronises with: the standard library's, or
//! loom's when the models are checked (`RUSTFLAGS="--cfg futures_heartbeat_loom"`), so that the
//! models run the scheduler's real code.

#[cfg(futures_heartbeat_loom)]
pub(super) use loom::sync::{
    atomic::{fence, AtomicU64},
    Mutex, MutexGuard,
};
#[cfg(not(futures_heartbeat_loom))]
pub(super) use std::sync::{
    atomic::{fence, AtomicU64},
    Mutex, MutexGuard,
};

/// A queue that producers push to without a lock: `concurrent-queue`'s.
#[cfg(not(futures_heartbeat_loom))]
pub(super) struct Queue<T>(concurrent_queue::ConcurrentQueue<T>);

#[cfg(not(futures_heartbeat_loom))]
impl<T> Queue<T> {
    pub(super) fn new() -> Self {
        Queue(concurrent_queue::ConcurrentQueue::unbounded())
    }

    pub(super) fn push(&self, value: T) {
        // Never closed, and unbounded: pushing cannot fail.
        let _ = self.0.push(value);
    }

    pub(super) fn pop(&self) -> Option<T> {
        self.0.pop().ok()
    }
}

/// Under loom, the queue is a loom-locked `VecDeque`: the models check the
/// scheduler's protocol around the queue, not the queue itself, and this lock is
/// not the scheduler's (it is not counted).
#[cfg(futures_heartbeat_loom)]
pub(super) struct Queue<T>(Mutex<std::collections::VecDeque<T>>);

#[cfg(futures_heartbeat_loom)]
impl<T> Queue<T> {
    pub(super) fn new() -> Self {
        Queue(Mutex::new(std::collections::VecDeque::new()))
    }

    pub(super) fn push(&self, value: T) {
        self.0.lock().unwrap().push_back(value);
    }

    pub(super) fn pop(&self) -> Option<T> {
        self.0.lock().unwrap().pop_front()
    }
}

impl<T> core::fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Queue")
    }
}
