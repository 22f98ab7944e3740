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
