mod timed_out;
mod write_error;

pub(crate) use self::timed_out::yielded;
pub use self::timed_out::{TimedOut, TimeoutKind};
pub use self::write_error::WriteError;
