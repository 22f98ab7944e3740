//! The watchdog family: adapters that end a stream, and drop it, once it has
//! been silent too long while its consumer waited. The rules are in the docs of
//! [`watchdog`](crate::HeartbeatExt::watchdog) (W1–W11) and
//! [`watchdog_adaptive`](crate::HeartbeatExt::watchdog_adaptive) (A1–A8); the
//! tests in `tests/watchdog.rs`, `tests/phi_accrual.rs` and `tests/sink.rs` are
//! named by them.
//!
//! - `machine.rs`: the one state machine of both watchdogs, generic over how
//!   the limit of a wait is found: the poll order, the end, the firing
//!   (W1–W5, W7; A1, A2, A4).
//! - `limit.rs`: that limit, fixed, with its first-item timeout (W8, W10), or
//!   learned; and the one check of a silence against it, which a restarting
//!   stream's `silence` and `silence_adaptive` use too.
//! - `fixed.rs`, `adaptive.rs`: [`Watchdog`] and [`AdaptiveWatchdog`], thin
//!   types over the machine, with their docs.
//! - `phi_accrual/`: [`PhiAccrual`], the detector's settings and its φ, and
//!   `rhythm.rs`, the gaps it learns and the limit they allow (A3–A5).
//! - `silence.rs`: `SilenceTimer`, a silence counted only while the consumer
//!   waits, with one timer moved lazily (W2, W6, W7); the keep-alive and the
//!   probe count their idleness with it too.
//! - `writes.rs`: the write half, and why it fails once the connection is
//!   dropped (W11, A8).
//! - `try_watchdog.rs`, `try_adaptive.rs`: [`TryWatchdog`] and
//!   [`TryAdaptiveWatchdog`], the time-out as the stream's last error (W9, A7),
//!   through the `Result` wrapper of `support/time_out_as_error.rs`.

mod adaptive;
mod fixed;
mod limit;
mod machine;
mod phi_accrual;
mod silence;
mod try_adaptive;
mod try_watchdog;
mod writes;

pub use self::adaptive::AdaptiveWatchdog;
pub use self::fixed::Watchdog;
pub(crate) use self::limit::{poll_silence, SourceLimit};
pub use self::phi_accrual::PhiAccrual;
pub(crate) use self::phi_accrual::Rhythm;
pub(crate) use self::silence::SilenceTimer;
pub use self::try_adaptive::TryAdaptiveWatchdog;
pub use self::try_watchdog::TryWatchdog;
pub(crate) use self::writes::{let_go, Writes};
