//! The events of the `tracing` feature: one when a watchdog fires, one when a
//! source is restarted or given up, one when the default clock's scheduler
//! recovers from a fault. None is on the path of a ready item. Without the
//! feature each is an empty inline function.

#[cfg(not(feature = "tracing"))]
use std::time::Duration;

#[cfg(feature = "tracing")]
mod events {
    use std::time::Duration;

    const UNNAMED: &str = "unnamed";

    pub(crate) fn watchdog_fired(name: Option<&str>, silence: Duration) {
        tracing::warn!(
            stream = name.unwrap_or(UNNAMED),
            ?silence,
            "watchdog fired: the stream was silent too long and was dropped"
        );
    }

    pub(crate) fn source_down(name: Option<&str>, cause: &str, attempt: u32, retry_in: Duration) {
        tracing::warn!(
            stream = name.unwrap_or(UNNAMED),
            cause,
            attempt,
            ?retry_in,
            "restarting: the source was dropped; retrying"
        );
    }

    pub(crate) fn gave_up(name: Option<&str>, cause: &str, restarts: u32) {
        tracing::error!(
            stream = name.unwrap_or(UNNAMED),
            cause,
            restarts,
            "restarting: gave up"
        );
    }

    #[cfg_attr(all(target_arch = "wasm32", target_os = "unknown"), allow(dead_code))] // no scheduler thread there
    pub(crate) fn scheduler_recovered(fault: &str) {
        tracing::warn!(
            fault,
            "futures-heartbeat's timer scheduler recovered from a fault"
        );
    }
}

#[cfg(feature = "tracing")]
pub(crate) use events::*;

#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn watchdog_fired(_name: Option<&str>, _silence: Duration) {}

#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn source_down(_name: Option<&str>, _cause: &str, _attempt: u32, _retry_in: Duration) {}

#[cfg(not(feature = "tracing"))]
#[inline(always)]
pub(crate) fn gave_up(_name: Option<&str>, _cause: &str, _restarts: u32) {}

#[cfg(not(feature = "tracing"))]
#[inline(always)]
#[cfg_attr(all(target_arch = "wasm32", target_os = "unknown"), allow(dead_code))] // no scheduler thread there
pub(crate) fn scheduler_recovered(_fault: &str) {}
