//! The errors a program handles: [`TimedOut`], what ran out (a watchdog's
//! silence, a probe's unanswered ping or close), and [`WriteError`], why a
//! watchdog's write half has no connection left to write to.

mod timed_out;
mod write_error;

pub use self::timed_out::{TimedOut, TimeoutKind};
pub use self::write_error::WriteError;
