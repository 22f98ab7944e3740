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

/// A value alone on its cache line, or rather on its pair of lines, since x86-64
/// and Arm cores fetch lines in pairs.
///
/// What one thread writes often must not share a line with what every other
/// thread reads: each write takes the line away from the readers' caches, and
/// each of their next reads misses. The scheduler's thread writes its progress
/// at every waker it calls, and every poll reads whether it runs; on one line,
/// a pulse's poll missed on that read about as often as it pulsed.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(super) struct OwnLine<T>(pub(super) T);

impl<T> core::ops::Deref for OwnLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

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
