//! The heartbeat family: adapters that yield [`Event`](crate::Event)s, each of
//! the stream's items and a pulse when it has been quiet.
//!
//! - `with_heartbeat.rs`: [`WithHeartbeat`], pulses on a fixed grid while the
//!   stream is quiet, the worker's side of the heartbeat pattern. Rules H1–H8,
//!   in the docs of [`with_heartbeat`](crate::HeartbeatExt::with_heartbeat);
//!   tests in `tests/heartbeat.rs`, named by them.
//! - `keep_alive.rs`: [`KeepAlive`], one pulse each time the stream has been
//!   idle for a while, the moment to send a ping. Rules K1–K6, in the docs of
//!   [`keep_alive`](crate::HeartbeatExt::keep_alive); tests in
//!   `tests/keep_alive.rs`.
//!
//! Both hold what they wrap for as long as they live, and hand its accessors
//! and its `Sink` through the forwarding macros of `support/`; the keep-alive
//! counts idleness with the watchdogs' `SilenceTimer` (`watchdog/silence.rs`).

mod keep_alive;
mod with_heartbeat;

pub use self::keep_alive::KeepAlive;
pub use self::with_heartbeat::{WithHeartbeat, MAX_ITEMS_BEFORE_PULSE};
