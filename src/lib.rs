//! Heartbeats, watchdogs, keep-alives and reconnects for any
//! [`Stream`](futures_core::Stream), on any executor.
//!
//! Go programs show that a worker is alive with the heartbeat pattern (Katherine
//! Cox-Buday, *Concurrency in Go*, ch. 5): the worker pulses on a ticker while it
//! works, dropping pulses nobody waits for, and its consumer gives up when neither
//! a pulse nor a result arrives in time. This crate brings both sides to `Stream`,
//! and the loop every network client writes next. [`HeartbeatExt`] adds to every
//! stream:
//!
//! - [`with_heartbeat`](HeartbeatExt::with_heartbeat), which yields
//!   [`Event::Pulse`] every interval while the stream is quiet, and
//!   [`Event::Item`] for each of its items;
//! - [`watchdog`](HeartbeatExt::watchdog), which ends a stream that has been
//!   silent too long while its consumer waited, drops it, and tells you it
//!   [timed out](Watchdog::timed_out); [`try_watchdog`](HeartbeatExt::try_watchdog)
//!   ends a stream of `Result`s with one error that holds a [`TimedOut`] instead, and
//!   [`watchdog_adaptive`](HeartbeatExt::watchdog_adaptive) learns how long is too
//!   long from the stream's rhythm (the φ accrual failure detector, [`PhiAccrual`]);
//! - [`keep_alive`](HeartbeatExt::keep_alive), which pulses only when the line
//!   has been idle: the moment to send a ping;
//! - [`probe`](HeartbeatExt::probe), which sends that ping itself on a two-way
//!   connection's own write half, and ends the connection when nothing answers.
//!
//! The [`restart`] module reconnects a source that ended, failed or fell silent,
//! with backoff, and tells the consumer in band.
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
//! # Semantics
//!
//! Each adapter states its rules, numbered, in the docs of the method that makes
//! it, and the crate's tests cite those numbers: the heartbeat's (H1, H2, …)
//! under [`with_heartbeat`](HeartbeatExt::with_heartbeat), the watchdog's (W)
//! under [`watchdog`](HeartbeatExt::watchdog), the adaptive watchdog's (A) under
//! [`watchdog_adaptive`](HeartbeatExt::watchdog_adaptive), the keep-alive's (K)
//! under [`keep_alive`](HeartbeatExt::keep_alive), the probe's (P) under
//! [`probe`](HeartbeatExt::probe), and the restarting stream's (R) in the
//! [`restart`] module's docs. In short: no item is lost, reordered or held back by an
//! adapter; timing starts at the first poll; silence counts only while the
//! consumer waits, so a slow consumer never causes a timeout; pulses missed
//! during a stall are dropped, never delivered in a burst; an adapter that gives
//! up drops what it wraps at once; a setting changed after the first poll is
//! never silently wrong, and each says in its docs when it applies; an adapter
//! over a connection that is also a `Sink` is one too, and writes through it are
//! not life.
//!
//! The order of adapters says what counts as life: a watchdog on the far side of
//! a channel from a producer's heartbeat counts its pulses as life, while one
//! over its own task's heartbeat never times out.
//! [`watchdog`](HeartbeatExt::watchdog) lists the shapes, under "What keeps it alive".
//!
//! # Keeping a connection alive
//!
//! [`probe`](HeartbeatExt::probe) keeps a connection that is a `Stream` of
//! inbound frames and a `Sink` of outbound ones alive from its own write half, by
//! gRPC's keepalive rules; [`Duplex`] joins two halves into one such connection.
//! [`restart::resuming_if_keyed`] reconnects it, resumes after the last update
//! delivered, and is itself a `Sink` to the current connection.
//! [docs/patterns.md](https://docs.rs/crate/futures-heartbeat/latest/source/docs/patterns.md)
//! shows the whole client, and the choice of its limits.
//!
//! # Learning the rhythm
//!
//! [`watchdog_adaptive`](HeartbeatExt::watchdog_adaptive) (and
//! [`Restarting::silence_adaptive`](restart::Restarting::silence_adaptive))
//! replaces a fixed timeout with [`PhiAccrual`]: it learns the gaps between
//! items and ends the stream when a silence becomes improbable for them.
//! [docs/phi-accrual.md](https://docs.rs/crate/futures-heartbeat/latest/source/docs/phi-accrual.md)
//! shows it at work, says how it decides, and compares it with fixed timeouts.
//!
//! # Clocks, and the threads they start
//!
//! Every adapter takes its timers from a [`Clock`](clock::Clock): the methods
//! without a suffix use [`DefaultClock`](clock::DefaultClock), and each has an
//! `_on` twin that takes the clock last, such as
//! [`with_heartbeat_on`](HeartbeatExt::with_heartbeat_on) or
//! [`restarting_on`](restart::restarting_on). The [`clock`] module lists the
//! clocks, including a [`ManualClock`](clock::ManualClock) for deterministic
//! tests of your own code, and how to write one.
//!
//! The default clock needs no runtime. Its timers are [`WheelClock`](clock::WheelClock)'s,
//! which starts two threads per process at its first timer, and none before:
//! `futures-heartbeat-wheel`, which fires the timers and wakes their tasks, and
//! `futures-heartbeat-wheel-supervisor`, which starts a successor when the first
//! is stuck in a waker that blocks. Both sleep with no timeout while no timer is due. A
//! program that may run where threads cannot be started calls
//! [`WheelClock::start`](clock::WheelClock::start) first to find out. With the
//! `tokio` feature, inside a current-thread tokio runtime whose clock is paused
//! or advanced, the default clock's timers are tokio's instead, so that paused
//! tests run in virtual time ([`DefaultClock`](clock::DefaultClock) states the
//! rule).
//!
//! # Features
//!
//! All are off by default and additive.
//!
//! | feature | adds |
//! |---|---|
//! | `tokio` | `clock::TokioClock`, on tokio's time driver; the default clock follows a paused tokio clock |
//! | `async-io` | `clock::AsyncIoClock`, on async-io's reactor (smol's): no thread of the crate's |
//! | `serde` | `Serialize` and `Deserialize` for [`Event`] |
//! | `tracing` | one `tracing` event when a watchdog fires, a source is restarted or given up, or the default clock's scheduler recovers from a fault; nothing per item |
//!
//! # In the browser
//!
//! The crate builds for `wasm32-unknown-unknown` with its default features, and
//! every adapter runs under `wasm-bindgen-futures`, where WebSocket clients need
//! application-level heartbeats most: the browser's WebSocket API has no ping
//! frames. There the default clock starts no thread: its scheduler is driven by
//! the host's `setTimeout`, still one timeout for all the timers due in the same
//! millisecond, and [`clock::Instant`] reads `performance.now()` (on native
//! targets it is `std::time::Instant`).
//!
//! ```sh
//! cargo build --example web_client --target wasm32-unknown-unknown   # pings when idle, drops a silent server
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown --test wasm         # the adapters, in Node
//! ```
//!
//! The test runner comes from `cargo install wasm-bindgen-cli --version` with
//! the `wasm-bindgen` version in `Cargo.lock`.
//!
//! # Cost
//!
//! While the wrapped stream has items ready, no adapter reads the clock, arms a
//! timer or allocates per item: the watchdog sets a flag, the heartbeat counts
//! down to its next look at the timer (every
//! [`MAX_ITEMS_BEFORE_PULSE`] items), and a [`restart::Restarting`] stream
//! clears a thread-local slot at each poll of its source, which lets a
//! time-out found inside the source reach the consumer as a silence (R16).
//! [docs/performance.md](https://docs.rs/crate/futures-heartbeat/latest/source/docs/performance.md)
//! has the figures, per item and for many idle streams, and the commands that
//! measure them.
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod clock;
mod error;
mod event;
mod ext;
mod heartbeat;
mod probe;
pub mod restart;
mod support;
mod trace;
mod watchdog;

pub use crate::error::{TimedOut, TimeoutKind, WriteError};
pub use crate::event::Event;
pub use crate::ext::HeartbeatExt;
pub use crate::heartbeat::{KeepAlive, WithHeartbeat, MAX_ITEMS_BEFORE_PULSE};
pub use crate::probe::{Duplex, EveryFrame, PingBackoff, Probe, TryProbe};
pub use crate::watchdog::{
    AdaptiveWatchdog, PhiAccrual, TryAdaptiveWatchdog, TryWatchdog, Watchdog,
};

// Runs the examples of the README and of the docs/ reports as doc tests, so
// that they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[doc = include_str!("../docs/patterns.md")]
#[cfg(doctest)]
pub struct PatternsDoctests;

#[doc = include_str!("../docs/phi-accrual.md")]
#[cfg(doctest)]
pub struct PhiAccrualDoctests;
