//! Crate-private plumbing, one job a file, used across the families.
//!
//! - `delegate_access_inner.rs`, `forward_stream.rs`, `forward_sink.rs`: the
//!   forwarding to a wrapped value, as futures-util's delegate macros do: the
//!   wrapped stream's accessors, `Stream`, `Sink`.
//! - `time_out_as_error.rs`: the `Result` wrapper of every `try_` adapter
//!   (the watchdogs' and the probe's), which yields the time-out as an error.
//! - `yielded.rs`: the slot through which that error reaches a restarting
//!   stream as a silence, not a failure.
//! - `wakers.rs`: the waker one side of an adapter keeps for the other.
//! - `optional_timer.rs`: a timer armed only while a deadline is set, as the
//!   probe's ack and the restarting stream's connect and backoff are.

pub(crate) mod delegate_access_inner;
pub(crate) mod forward_sink;
pub(crate) mod forward_stream;
pub(crate) mod optional_timer;
pub(crate) mod time_out_as_error;
pub(crate) mod wakers;
pub(crate) mod yielded;
