use core::fmt;
use std::error::Error;
use std::io;
use std::time::Duration;

/// The error a [`TryWatchdog`](crate::TryWatchdog) yields when its stream has been silent too long.
///
/// It converts into [`std::io::Error`] (of kind [`TimedOut`](io::ErrorKind::TimedOut)),
/// so a stream of `io::Result` items can be watched without mapping its errors.
///
/// ```
/// use futures_heartbeat::TimedOut;
/// use std::io;
///
/// fn is_timeout(error: &io::Error) -> bool {
///     error.kind() == io::ErrorKind::TimedOut
/// }
/// # let error: io::Error = futures::executor::block_on(async {
/// #     use futures::StreamExt;
/// #     use futures_heartbeat::HeartbeatExt;
/// #     let mut s = futures::stream::pending::<io::Result<u8>>().try_watchdog(std::time::Duration::from_millis(1));
/// #     s.next().await.unwrap().unwrap_err()
/// # });
/// assert!(is_timeout(&error));
/// assert!(error.get_ref().unwrap().is::<TimedOut>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    silence: Duration,
}

impl TimedOut {
    pub(crate) fn new(silence: Duration) -> Self {
        TimedOut { silence }
    }

    /// The silence that was allowed, and exceeded.
    pub fn silence(&self) -> Duration {
        self.silence
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream was silent for longer than {:?}", self.silence)
    }
}

impl Error for TimedOut {}

impl From<TimedOut> for io::Error {
    fn from(timed_out: TimedOut) -> Self {
        io::Error::new(io::ErrorKind::TimedOut, timed_out)
    }
}
