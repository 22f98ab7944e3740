//! The primitives the scheduler synchronises with: the standard library's, or
//! loom's when the models are checked (`RUSTFLAGS="--cfg futures_heartbeat_loom"`), so that the
//! models run the scheduler's real code.

#[cfg(futures_heartbeat_loom)]
pub(super) use loom::sync::{atomic::AtomicU64, Mutex, MutexGuard};
#[cfg(not(futures_heartbeat_loom))]
pub(super) use std::sync::{atomic::AtomicU64, Mutex, MutexGuard};
