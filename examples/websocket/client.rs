//! The client: a subscription to the server's updates that pings when the line
//! is idle, reconnects with backoff, and resumes after the last update it got.
//! One object is read, written and kept alive; nothing is shared. Closing it
//! (`SinkExt::close`) closes the WebSocket and ends the subscription.

use std::time::Duration;

use futures::{Sink, Stream};
use futures_heartbeat::restart::{resuming_if_keyed, Attempt, Disconnected, Restart};
use futures_heartbeat::HeartbeatExt;
use tokio_tungstenite::tungstenite::{Bytes, Error, Message};

/// The client's timing.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Ping after this long without a frame from the server.
    pub idle: Duration,
    /// Reconnect when nothing comes back this long after a ping fell due.
    pub ack_timeout: Duration,
    /// Give up on a connection attempt (TCP and WebSocket handshakes) after this long.
    pub connect_timeout: Duration,
}

/// The number of an update frame, or `None` for any other frame.
pub fn update_number(frame: &Message) -> Option<u64> {
    frame.to_text().ok()?.strip_prefix("update ")?.parse().ok()
}

/// The updates of the server at `url` (`ws://host:port`), kept alive and resumed;
/// also a `Sink` of messages to the server, whose `close` ends the subscription.
pub fn updates(
    url: String,
    settings: Settings,
) -> impl Stream<Item = Restart<Message, Error>> + Sink<Message, Error = Disconnected> {
    let connect = move |attempt: Attempt<u64>| {
        let from = attempt.cursor.map_or(1, |last| last + 1);
        let url = format!("{url}/?from={from}");
        async move {
            let (socket, _response) = tokio_tungstenite::connect_async(url).await?;
            let socket = socket
                .try_probe(settings.idle, || Message::Ping(Bytes::new()))
                .ack_timeout(settings.ack_timeout)
                .control_frames(|frame| matches!(frame, Ok(Message::Pong(_))));
            Ok(socket)
        }
    };
    resuming_if_keyed(connect, update_number)
        .connect_timeout(settings.connect_timeout)
        .backoff(Duration::from_millis(20), Duration::from_millis(500))
}
