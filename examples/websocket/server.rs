//! The server: numbered updates (`update 1`, `update 2`, ...) on every
//! connection, from `?from=n` on, and a pong for every ping it reads.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::{future, SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

/// How fast updates come: one every `every`, and a pause of `quiet_for` after
/// every `quiet_every` of them (a quiet but healthy server).
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub every: Duration,
    pub quiet_every: Option<u64>,
    pub quiet_for: Duration,
}

/// Serves every client that connects to `listener`, reporting through `say`:
/// `connected` for each WebSocket handshake done, `sent N` once update N is
/// written, `pinged` for each ping read, `closed by client` for a close frame
/// read, and `lost: ERROR` when reading fails (a client gone without closing).
pub async fn serve(
    listener: TcpListener,
    pace: Pace,
    say: impl Fn(String) + Clone + Send + Sync + 'static,
) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve_one(socket, pace, say.clone()));
    }
}

/// The first update a client asks for: `?from=n`, or 1.
fn first_update(query: Option<&str>) -> u64 {
    let from = query.and_then(|query| query.strip_prefix("from="));
    from.and_then(|n| n.parse().ok()).unwrap_or(1)
}

// The handshake callback's error type is tungstenite's, large and not ours to choose.
#[allow(clippy::result_large_err)]
async fn serve_one(socket: TcpStream, pace: Pace, say: impl Fn(String) + Sync) {
    let mut from = 1;
    let asked = |request: &Request, response: Response| {
        from = first_update(request.uri().query());
        Ok(response)
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(socket, asked).await else {
        return;
    };
    say("connected".to_string());
    let (mut write, mut read) = socket.split();
    // Reading is what answers pings and closes: tungstenite queues a pong for
    // each ping, and the close frame that completes a client's close, and sends
    // them on the next read.
    let reader = async {
        while let Some(message) = read.next().await {
            match message {
                Ok(Message::Ping(_)) => say("pinged".to_string()),
                Ok(Message::Close(_)) => say("closed by client".to_string()),
                Ok(_) => {}
                Err(error) => return say(format!("lost: {error}")),
            }
        }
    };
    let writer = async {
        for n in from.. {
            tokio::time::sleep(pace.every).await;
            if write
                .send(Message::text(format!("update {n}")))
                .await
                .is_err()
            {
                return;
            }
            say(format!("sent {n}"));
            if pace.quiet_every.is_some_and(|every| n % every == 0) {
                tokio::time::sleep(pace.quiet_for).await;
            }
        }
    };
    // Whichever ends first (the client left, or a write failed) ends the connection.
    either(reader, writer).await;
}

async fn either(one: impl Future<Output = ()>, other: impl Future<Output = ()>) {
    future::select(pin!(one), pin!(other)).await;
}
