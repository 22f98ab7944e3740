//! The wire format and the two roles of the `tcp` example; `tests/tcp.rs` uses them too.
//!
//! One frame per line, in UTF-8 text:
//!
//! | line | meaning |
//! |---|---|
//! | `pulse` | the server is alive and has nothing to send |
//! | `item <text>` | a result; the text has no line break |
//! | `end` | the server has finished; it closes the connection next |
//!
//! Any other line is malformed.
#![allow(dead_code)] // the example and the test each use part of it

use std::fmt;
use std::io;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures::future::{self, Either};
use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::{Event, HeartbeatExt};
use smol::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use smol::net::{TcpListener, TcpStream};
use smol::Timer;

/// One line on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Pulse,
    Item(String),
    End,
}

/// A line that is not a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedFrame {
    line: String,
}

impl fmt::Display for MalformedFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed frame {:?}", self.line)
    }
}

impl std::error::Error for MalformedFrame {}

impl From<MalformedFrame> for io::Error {
    fn from(malformed: MalformedFrame) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, malformed)
    }
}

impl Frame {
    pub fn encode(&self) -> String {
        match self {
            Frame::Pulse => "pulse\n".to_string(),
            Frame::Item(text) => format!("item {text}\n"),
            Frame::End => "end\n".to_string(),
        }
    }

    pub fn decode(line: &str) -> Result<Frame, MalformedFrame> {
        match line {
            "pulse" => Ok(Frame::Pulse),
            "end" => Ok(Frame::End),
            _ => match line.strip_prefix("item ") {
                Some(text) => Ok(Frame::Item(text.to_string())),
                None => Err(MalformedFrame {
                    line: line.to_string(),
                }),
            },
        }
    }
}

impl From<Event<String>> for Frame {
    fn from(event: Event<String>) -> Self {
        match event {
            Event::Pulse => Frame::Pulse,
            Event::Item(text) => Frame::Item(text),
        }
    }
}

/// What a server sends to each client.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub pulse_interval: Duration,
    /// Time between results; `None` for a server that is healthy but has nothing to send.
    pub item_every: Option<Duration>,
    /// Results before the `end` frame; `None` for no end.
    pub items: Option<u64>,
    /// Send a malformed line after this many results.
    pub malformed_after: Option<u64>,
    /// Serve clients one after another until killed, instead of serving one and exiting.
    pub forever: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            pulse_interval: Duration::from_millis(100),
            item_every: Some(Duration::from_millis(500)),
            items: Some(10),
            malformed_after: None,
            forever: false,
        }
    }
}

/// Serves one client, or every client with `forever`. `report` gets a line per result
/// sent, after it was written to the socket.
pub async fn serve(
    listener: TcpListener,
    options: ServerOptions,
    report: impl Fn(String),
) -> io::Result<()> {
    loop {
        let (client, _) = listener.accept().await?;
        match serve_client(client, &options, &report).await {
            // A client that hangs up is the client's business, not the server's.
            Err(error) if options.forever => report(format!("client gone: {error}")),
            outcome => outcome?,
        }
        if !options.forever {
            return Ok(());
        }
    }
}

fn results(options: &ServerOptions) -> impl Stream<Item = String> {
    let (count, every) = (options.items.unwrap_or(u64::MAX), options.item_every);
    let ticks = match every {
        Some(every) => Timer::interval(every).boxed(),
        None => stream::pending().boxed(),
    };
    ticks
        .zip(stream::iter(0..count))
        .map(|(_, n)| format!("result {n}"))
}

async fn serve_client(
    mut client: TcpStream,
    options: &ServerOptions,
    report: &impl Fn(String),
) -> io::Result<()> {
    let mut events = pin!(results(options).with_heartbeat(options.pulse_interval));
    let mut sent = 0;
    while let Some(event) = events.next().await {
        let frame = Frame::from(event);
        client.write_all(frame.encode().as_bytes()).await?;
        if let Frame::Item(text) = frame {
            report(format!("sent {text}"));
            sent += 1;
            if options.malformed_after == Some(sent) {
                client.write_all(b"this is not a frame\n").await?;
            }
        }
    }
    client.write_all(Frame::End.encode().as_bytes()).await?;
    Ok(())
}

/// The frames a client reads from `connection`; a malformed line is an `InvalidData` error.
pub fn frames(connection: TcpStream) -> impl Stream<Item = io::Result<Frame>> {
    BufReader::new(connection)
        .lines()
        .map(|line| Ok(Frame::decode(&line?)?))
}

/// How a client's watch of a server ended.
#[derive(Debug)]
pub enum Outcome {
    /// The server sent `end`.
    Ended,
    /// The connection closed, or was reset, without an `end`: the server died.
    Closed,
    /// Neither pulse nor item came for the whole timeout: the server hung.
    TimedOut,
    /// The server sent a line that is not a frame.
    Malformed(String),
    /// Another I/O error.
    Failed(io::Error),
    /// The client stopped watching after the time it was given; the server was still alive.
    StillAlive,
}

/// What a client saw.
#[derive(Debug)]
pub struct Report {
    pub outcome: Outcome,
    pub items: Vec<String>,
    pub pulses: u64,
    /// When the outcome was decided.
    pub at: Instant,
}

/// Connects to `server` and reads its frames until the server ends, dies, hangs for `timeout`,
/// misbehaves, or `watch_for` has passed. `on_item` sees each item as it arrives.
pub async fn watch(
    server: &str,
    timeout: Duration,
    watch_for: Option<Duration>,
    mut on_item: impl FnMut(&str),
) -> io::Result<Report> {
    let connection = TcpStream::connect(server).await?;
    let mut frames = pin!(frames(connection).try_watchdog(timeout));
    let mut stop = pin!(match watch_for {
        Some(duration) => Timer::after(duration),
        None => Timer::never(),
    });
    let mut report = Report {
        outcome: Outcome::StillAlive,
        items: Vec::new(),
        pulses: 0,
        at: Instant::now(),
    };
    report.outcome = loop {
        let frame = match future::select(frames.next(), stop.as_mut()).await {
            Either::Left((frame, _)) => frame,
            Either::Right(_) => break Outcome::StillAlive,
        };
        match frame {
            Some(Ok(Frame::Pulse)) => report.pulses += 1,
            Some(Ok(Frame::Item(text))) => {
                on_item(&text);
                report.items.push(text);
            }
            Some(Ok(Frame::End)) => break Outcome::Ended,
            Some(Err(_)) if frames.timed_out() => break Outcome::TimedOut,
            Some(Err(error)) if error.kind() == io::ErrorKind::InvalidData => {
                break Outcome::Malformed(error.to_string())
            }
            Some(Err(error)) if is_connection_lost(&error) => break Outcome::Closed,
            Some(Err(error)) => break Outcome::Failed(error),
            None => break Outcome::Closed,
        }
    };
    report.at = Instant::now();
    Ok(report)
}

fn is_connection_lost(error: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
    )
}
