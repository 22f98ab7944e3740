//! Heartbeats and watchdogs for any [`Stream`](futures_core::Stream), on any executor.
//!
//! Go programs show that a worker is alive with the heartbeat pattern (Katherine
//! Cox-Buday, *Concurrency in Go*, ch. 5): the worker pulses on a ticker while it
//! works, dropping pulses nobody waits for, and its consumer gives up when neither
//! a pulse nor a result arrives in time. This crate brings both sides to `Stream`:
//!
//! - [`with_heartbeat`](HeartbeatExt::with_heartbeat) yields [`Event::Pulse`] every
//!   interval while the stream is quiet, and [`Event::Item`] for each of its items;
//! - [`watchdog`](HeartbeatExt::watchdog) ends a stream that has been silent too
//!   long while its consumer waited, drops it, and tells you it
//!   [timed out](Watchdog::timed_out);
//!   [`watchdog_adaptive`](HeartbeatExt::watchdog_adaptive) learns how long is too
//!   long from the stream's rhythm (the φ accrual failure detector, [`PhiAccrual`]).
//!
//! ```
//! use futures::{channel::mpsc, StreamExt};
//! use futures_heartbeat::{Event, HeartbeatExt};
//! use std::time::Duration;
//!
//! # futures::executor::block_on(async {
//! let (tx, rx) = mpsc::unbounded();
//!
//! // The worker: its results, with a pulse every 10 ms while it has none.
//! let worker = async move {
//!     let mut events = futures::stream::iter(1..=3).then(|n| async move {
//!         futures_timer::Delay::new(Duration::from_millis(25)).await;
//!         n * n
//!     }).with_heartbeat(Duration::from_millis(10)).boxed();
//!     while let Some(event) = events.next().await {
//!         if tx.unbounded_send(event).is_err() {
//!             break;
//!         }
//!     }
//! };
//!
//! // The consumer: gives up after 100 ms with neither a pulse nor a result.
//! let consumer = async {
//!     let mut events = rx.watchdog(Duration::from_millis(100));
//!     let mut results = Vec::new();
//!     while let Some(event) = events.next().await {
//!         if let Event::Item(square) = event {
//!             results.push(square);
//!         }
//!     }
//!     assert!(!events.timed_out()); // the worker finished and closed its side
//!     results
//! };
//!
//! let ((), results) = futures::join!(worker, consumer);
//! assert_eq!(results, [1, 4, 9]);
//! # });
//! ```
//!
//! Both adapters work under any executor: their timers come from a [`Clock`](clock::Clock),
//! by default a [shared timer wheel](clock::WheelClock) that needs no runtime.
//! The [`clock`] module has the others, including a [`ManualClock`](clock::ManualClock)
//! for deterministic tests of your own code.
//!
//! # Cost
//!
//! While the wrapped stream has items ready, neither adapter reads the clock, arms
//! a timer or allocates per item: the watchdog sets a flag, the heartbeat counts
//! down to its next look at the timer.
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod adaptive_watchdog;
pub mod clock;
mod duplex;
mod event;
mod ext;
mod heartbeat;
mod keep_alive;
mod phi_accrual;
mod probe;
pub mod restart;
mod silence;
mod timed_out;
mod trace;
mod try_adaptive_watchdog;
mod try_probe;
mod try_watchdog;
mod watchdog;

pub use crate::adaptive_watchdog::AdaptiveWatchdog;
pub use crate::duplex::Duplex;
pub use crate::event::Event;
pub use crate::ext::HeartbeatExt;
pub use crate::heartbeat::{WithHeartbeat, MAX_ITEMS_BEFORE_PULSE};
pub use crate::keep_alive::KeepAlive;
pub use crate::phi_accrual::PhiAccrual;
pub use crate::probe::{EveryFrame, PingBackoff, Probe};
pub use crate::timed_out::TimedOut;
pub use crate::try_adaptive_watchdog::TryAdaptiveWatchdog;
pub use crate::try_probe::TryProbe;
pub use crate::try_watchdog::TryWatchdog;
pub use crate::watchdog::Watchdog;

// Runs the README's example as a doc test, so that it cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
