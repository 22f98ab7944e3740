//! The wire format and the two roles of the `tcp` example; `tests/tcp.rs` uses them too.
//!
//! One frame per line, in UTF-8 text. The client asks first:
//!
//! | line | meaning |
//! |---|---|
//! | `from <n>` | send the results numbered `n` and on |
//!
//! and the server answers:
//!
//! | line | meaning |
//! |---|---|
//! | `pulse` | the server is alive and has nothing to send |
//! | `item <n> <text>` | result number `n`; the text has no line break |
//! | `end` | the server has finished; it closes the connection next |
//!
//! Any other line is malformed. Results are numbered the same by every server
//! process, so that a client that reconnects, to the same server or to one
//! restarted, resumes with `from` one past the last result it got.
#![allow(dead_code)] // the example and the test each use part of it

use std::fmt;
use std::io;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures::future::{self, Either};
use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use futures_heartbeat::restart::{resuming, Attempt, Restart};
use futures_heartbeat::{Event, HeartbeatExt};
use smol::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use smol::net::{TcpListener, TcpStream};
use smol::Timer;

/// One line from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Pulse,
    Item { seq: u64, text: String },
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
            Frame::Item { seq, text } => format!("item {seq} {text}\n"),
            Frame::End => "end\n".to_string(),
        }
    }

    pub fn decode(line: &str) -> Result<Frame, MalformedFrame> {
        match line {
            "pulse" => Ok(Frame::Pulse),
            "end" => Ok(Frame::End),
            _ => {
                let item = line
                    .strip_prefix("item ")
                    .and_then(|item| item.split_once(' '));
                match item.and_then(|(seq, text)| Some((seq.parse().ok()?, text))) {
                    Some((seq, text)) => Ok(Frame::Item {
                        seq,
                        text: text.to_string(),
                    }),
                    None => Err(MalformedFrame {
                        line: line.to_string(),
                    }),
                }
            }
        }
    }
}

impl From<Event<u64>> for Frame {
    fn from(event: Event<u64>) -> Self {
        match event {
            Event::Pulse => Frame::Pulse,
            Event::Item(seq) => Frame::Item {
                seq,
                text: format!("result {seq}"),
            },
        }
    }
}

/// What a server sends to each client.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub pulse_interval: Duration,
    /// Time between results; `None` for a server that is healthy but has nothing to send.
    pub item_every: Option<Duration>,
    /// Results (numbered from 0) before the `end` frame; `None` for no end.
    pub items: Option<u64>,
    /// Send a malformed line after this many results.
    pub malformed_after: Option<u64>,
    /// Hang up, without `end`, after this many results on one connection: a flaky server.
    pub drop_after: Option<u64>,
    /// Serve clients, each in its own task, until killed, instead of serving one and exiting.
    pub forever: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            pulse_interval: Duration::from_millis(100),
            item_every: Some(Duration::from_millis(500)),
            items: Some(10),
            malformed_after: None,
            drop_after: None,
            forever: false,
        }
    }
}

/// Serves one client, or every client with `forever`. `report` gets a line per result
/// sent, `sent <n>`, after it was written to the socket.
pub async fn serve(
    listener: TcpListener,
    options: ServerOptions,
    report: impl Fn(String) + Clone + Send + Sync + 'static,
) -> io::Result<()> {
    loop {
        let (client, _) = listener.accept().await?;
        if !options.forever {
            return serve_client(client, &options, &report).await;
        }
        let (options, report) = (options.clone(), report.clone());
        smol::spawn(async move {
            // A client that hangs up is the client's business, not the server's.
            if let Err(error) = serve_client(client, &options, &report).await {
                report(format!("client gone: {error}"));
            }
        })
        .detach();
    }
}

/// Results `from` on, one per `item_every`, up to `items`.
fn results(options: &ServerOptions, from: u64) -> impl Stream<Item = u64> {
    let (count, every) = (options.items.unwrap_or(u64::MAX), options.item_every);
    let ticks = match every {
        Some(every) => Timer::interval(every).boxed(),
        None => stream::pending().boxed(),
    };
    ticks.zip(stream::iter(from..count)).map(|(_, seq)| seq)
}

/// The client's `from <n>` line.
async fn read_request(client: &TcpStream) -> io::Result<u64> {
    let mut line = String::new();
    BufReader::new(client.clone()).read_line(&mut line).await?;
    line.trim()
        .strip_prefix("from ")
        .and_then(|from| from.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad request {line:?}")))
}

async fn serve_client(
    mut client: TcpStream,
    options: &ServerOptions,
    report: &impl Fn(String),
) -> io::Result<()> {
    let from = read_request(&client).await?;
    let mut events = pin!(results(options, from).with_heartbeat(options.pulse_interval));
    let mut sent = 0;
    while let Some(event) = events.next().await {
        let frame = Frame::from(event);
        client.write_all(frame.encode().as_bytes()).await?;
        if let Frame::Item { seq, .. } = frame {
            report(format!("sent {seq}"));
            sent += 1;
            if options.malformed_after == Some(sent) {
                client.write_all(b"this is not a frame\n").await?;
            }
            if options.drop_after == Some(sent) {
                return Ok(()); // hangs up without `end`
            }
        }
    }
    client.write_all(Frame::End.encode().as_bytes()).await?;
    Ok(())
}

/// Connects to `server` and asks for the results from `from` on.
async fn connect(server: &str, from: u64) -> io::Result<TcpStream> {
    let mut connection = TcpStream::connect(server).await?;
    connection
        .write_all(format!("from {from}\n").as_bytes())
        .await?;
    Ok(connection)
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
    /// The numbers of the results it got, in order.
    pub items: Vec<u64>,
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
    mut on_item: impl FnMut(u64),
) -> io::Result<Report> {
    let connection = connect(server, 0).await?;
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
            Some(Ok(Frame::Item { seq, .. })) => {
                on_item(seq);
                report.items.push(seq);
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

/// One connection's results from `from` on, as a source for [`subscribe`]: pulses
/// count as life for a watchdog of `timeout` and are then left out; `end` ends the
/// source; a connection that closes without `end` is an error.
async fn open(
    server: String,
    from: u64,
    timeout: Duration,
) -> io::Result<impl Stream<Item = io::Result<(u64, String)>>> {
    let connection = connect(&server, from).await?;
    let closed_early = stream::once(async {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection closed without `end`",
        ))
    });
    Ok(frames(connection)
        .chain(closed_early)
        .try_take_while(|frame| future::ready(Ok(*frame != Frame::End)))
        .try_watchdog(timeout)
        .try_filter_map(|frame| {
            future::ready(Ok(match frame {
                Frame::Item { seq, text } => Some((seq, text)),
                Frame::Pulse | Frame::End => None,
            }))
        }))
}

/// What a subscriber saw across its connections.
#[derive(Debug, Default)]
pub struct Subscription {
    /// The results it got, in order, with their numbers.
    pub items: Vec<(u64, String)>,
    /// The cause of each restart, in order.
    pub restarts: Vec<String>,
    /// Connections made.
    pub connections: u32,
    /// The server sent `end`.
    pub ended: bool,
}

/// Keeps a subscription to `server`'s results: reconnects when the connection
/// fails, closes early or is silent for `timeout` (pulses count as life), with
/// backoff, and resumes after the last result received. Stops when the server
/// sends `end`, or when `done` says so. `on_event` sees a line for each event.
pub async fn subscribe(
    server: &str,
    timeout: Duration,
    mut done: impl FnMut(&Subscription) -> bool,
    mut on_event: impl FnMut(String),
) -> Subscription {
    let server = server.to_string();
    let events = resuming(
        move |attempt: Attempt<u64>| {
            let from = attempt.cursor.map_or(0, |last| last + 1);
            open(server.clone(), from, timeout)
        },
        |item| item.0,
    )
    .connect_timeout(timeout)
    .backoff(Duration::from_millis(20), Duration::from_millis(500))
    .restart_on_end(false);
    let mut events = pin!(events);
    let mut seen = Subscription::default();
    while !done(&seen) {
        match events.next().await {
            Some(Restart::Item((seq, text))) => {
                on_event(format!("got {seq}: {text}"));
                seen.items.push((seq, text));
            }
            Some(Restart::Up { attempt, downtime }) => {
                seen.connections += 1;
                on_event(format!(
                    "connected (attempt {attempt}, {downtime:?} without a connection)"
                ));
            }
            Some(Restart::Down {
                cause,
                attempt,
                retry_in,
            }) => {
                on_event(format!("lost: {cause}; attempt {attempt} in {retry_in:?}"));
                seen.restarts.push(cause.to_string());
            }
            Some(Restart::GaveUp { cause, .. }) => on_event(format!("gave up: {cause}")),
            Some(_) => {} // events a later release may add
            None => {
                seen.ended = true;
                break;
            }
        }
    }
    seen
}
