mod keep_alive;
mod with_heartbeat;

pub use self::keep_alive::KeepAlive;
pub use self::with_heartbeat::{WithHeartbeat, MAX_ITEMS_BEFORE_PULSE};
