mod timed_out;
mod write_error;

pub use self::timed_out::{TimedOut, TimeoutKind};
pub use self::write_error::WriteError;
