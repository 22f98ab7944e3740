//! Server-Sent Events that resume after the last event and notice a server that
//! stalls: the client reconnects with `Last-Event-ID`, and counts silence on the
//! bytes under its parser, where the keep-alive comments of a quiet but healthy
//! server still arrive; the parser drops them, as every SSE parser does.
//!
//! The server sends numbered events (`id: n`, `data: update n`), falls quiet
//! after every few of them with a keep-alive comment (`: keep-alive`) now and
//! then, hangs up once and stalls once (no byte at all, the connection open).
//! The client gets every event once, in order: the hang-up ends the source, the
//! stall is a silence, and the quiet spells are neither. With
//! `--silence-on events` the client counts silence on the parsed events
//! instead, and drops the healthy server in every quiet spell.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example sse                  # a server and a client in one process
//! cargo run --example sse -- --silence-on events
//! cargo run --example sse -- server        # then, in another terminal:
//! cargo run --example sse -- client
//! ```
//!
//! The server and the client are written by hand on a TCP socket, to need no
//! HTTP library; with reqwest and an SSE parser the shape is the same, as
//! docs/patterns.md shows.

#[path = "support/args.rs"]
mod args;

use std::collections::VecDeque;
use std::io;
use std::pin::pin;
use std::time::Duration;

use futures::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use futures::stream::{self, BoxStream, Stream, StreamExt};
use futures_heartbeat::restart::{resuming_if_keyed, Restart};
use futures_heartbeat::HeartbeatExt;
use smol::net::{TcpListener, TcpStream};
use smol::Timer;

const USAGE: &str = "\
Server-Sent Events that resume by Last-Event-ID and notice a stalled server.

usage: cargo run --example sse [-- ROLE] [FLAGS]

roles:
  (none)   a server and a client, in one process
  server   send events on --addr
  client   subscribe to the server on --addr

server flags: --every-ms MS (100), --quiet-every N (5), --quiet-ms MS (1500),
              --comment-ms MS (250), --hang-up-after N (7), --stall-after N (12)
client flags: --silence-ms MS (600), --silence-on bytes|events (bytes), --until N (15)
all: --addr HOST:PORT (127.0.0.1:9002), --help";

/// One Server-Sent Event: its data, and the last event ID the stream set.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: Option<String>,
    data: String,
}

// The server.

/// How the server sends: an event every `every`; after every `quiet_every`
/// events, a quiet spell of `quiet_for` with a comment every `comment_every`;
/// and, on the connection that sends them, a hang-up after event
/// `hang_up_after` and a stall after event `stall_after`.
#[derive(Debug, Clone, Copy)]
struct Pace {
    every: Duration,
    quiet_every: Option<u64>,
    quiet_for: Duration,
    comment_every: Duration,
    hang_up_after: Option<u64>,
    stall_after: Option<u64>,
}

async fn serve(listener: TcpListener, pace: Pace) -> io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        smol::spawn(async move {
            if let Err(error) = serve_one(socket, pace).await {
                println!("server: client gone: {error}");
            }
        })
        .detach();
    }
}

async fn serve_one(socket: TcpStream, pace: Pace) -> io::Result<()> {
    let mut reader = BufReader::new(socket.clone());
    let from = read_last_event_id(&mut reader)
        .await?
        .map_or(1, |last| last + 1);
    println!("server: connected, from event {from}");
    let mut socket = socket;
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
    socket.write_all(head.as_bytes()).await?;
    for n in from.. {
        Timer::after(pace.every).await;
        let event = format!("id: {n}\ndata: update {n}\n\n");
        socket.write_all(event.as_bytes()).await?;
        println!("server: sent {n}");
        if pace.hang_up_after == Some(n) {
            println!("server: hung up");
            return Ok(());
        }
        if pace.stall_after == Some(n) {
            println!("server: stalled");
            return wait_until_the_client_leaves(reader).await;
        }
        if pace.quiet_every.is_some_and(|every| n % every == 0) {
            quiet_spell(&mut socket, pace).await?;
        }
    }
    Ok(())
}

/// Reads the request's head, and returns the number in its `Last-Event-ID` header, if any.
async fn read_last_event_id(
    reader: &mut (impl AsyncBufReadExt + Unpin),
) -> io::Result<Option<u64>> {
    let mut last_event_id = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            return Ok(last_event_id);
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("last-event-id") {
                last_event_id = value.trim().parse().ok();
            }
        }
    }
}

/// Nothing to send for `quiet_for`: a comment every `comment_every` keeps the line alive.
async fn quiet_spell(socket: &mut TcpStream, pace: Pace) -> io::Result<()> {
    let comments = pace.quiet_for.as_nanos() / pace.comment_every.as_nanos().max(1);
    for _ in 0..comments {
        Timer::after(pace.comment_every).await;
        socket.write_all(b": keep-alive\n\n").await?;
    }
    Timer::after(
        pace.quiet_for
            .saturating_sub(pace.comment_every * comments as u32),
    )
    .await;
    Ok(())
}

/// A stalled server: the connection stays open and nothing is written on it.
async fn wait_until_the_client_leaves(mut reader: impl AsyncRead + Unpin) -> io::Result<()> {
    let mut byte = [0];
    while reader.read(&mut byte).await? > 0 {}
    println!("server: the client left the stalled connection");
    Ok(())
}

// The client.

/// Where the client counts silence: on the bytes under the parser, or on the events it yields.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SilenceOn {
    Bytes,
    Events,
}

#[derive(Debug, Clone, Copy)]
struct ClientSettings {
    silence: Duration,
    silence_on: SilenceOn,
}

/// The subscription: every event once, in order, across hang-ups and stalls.
fn subscribe(
    addr: String,
    settings: ClientSettings,
) -> impl Stream<Item = Restart<Event, io::Error>> {
    let events = resuming_if_keyed(
        move |attempt| connect(addr.clone(), attempt.cursor, settings),
        // Events without an ID leave the cursor where it is, as SSE's last event ID does.
        |event: &Event| event.id.clone(),
    )
    .backoff(Duration::from_millis(100), Duration::from_secs(2));
    match settings.silence_on {
        SilenceOn::Bytes => events,
        // What the parser yields: a quiet server's comments never reach it.
        SilenceOn::Events => events.silence(settings.silence),
    }
}

/// Connects, asks for the events after `last_event_id`, and returns them.
async fn connect(
    addr: String,
    last_event_id: Option<String>,
    settings: ClientSettings,
) -> io::Result<impl Stream<Item = io::Result<Event>>> {
    let mut socket = TcpStream::connect(&addr).await?;
    let mut request =
        format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
    if let Some(id) = &last_event_id {
        request += &format!("Last-Event-ID: {id}\r\n");
    }
    socket
        .write_all(format!("{request}\r\n").as_bytes())
        .await?;
    let mut reader = BufReader::new(socket);
    read_response_head(&mut reader).await?;
    let bytes = chunks(reader);
    let bytes = match settings.silence_on {
        // Silence counted on the bytes, comments included. Its time-out is an
        // `io::Error` that the parser passes on in the same poll, so that it
        // reaches the restarting stream as `Cause::Silent`. (With reqwest, whose
        // error cannot be made outside its crate: `.map_err(io::Error::other)`
        // first, then the watchdog.)
        SilenceOn::Bytes => bytes
            .try_watchdog(settings.silence)
            .named("sse bytes")
            .boxed(),
        SilenceOn::Events => bytes.boxed(),
    };
    Ok(parse(bytes))
}

async fn read_response_head(reader: &mut (impl AsyncBufReadExt + Unpin)) -> io::Result<()> {
    let mut status = String::new();
    reader.read_line(&mut status).await?;
    if !status.starts_with("HTTP/1.1 200") {
        let answer = format!("the server answered {status:?}");
        return Err(io::Error::new(io::ErrorKind::Other, answer));
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if line.trim_end().is_empty() {
            return Ok(());
        }
    }
}

/// The bytes of the response's body, as they come: what an HTTP client's body stream yields.
fn chunks(
    reader: impl AsyncRead + Unpin + Send + 'static,
) -> BoxStream<'static, io::Result<Vec<u8>>> {
    stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        let mut buffer = vec![0; 4096];
        match reader.read(&mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                Some((Ok(buffer), Some(reader)))
            }
            Err(error) => Some((Err(error), None)),
        }
    })
    .boxed()
}

/// The events in `bytes`. An error is passed on as soon as it comes, in the
/// same poll, as an SSE parser does with its transport's errors.
fn parse(bytes: BoxStream<'static, io::Result<Vec<u8>>>) -> impl Stream<Item = io::Result<Event>> {
    stream::unfold(
        (bytes, Parser::default()),
        |(mut bytes, mut parser)| async move {
            loop {
                if let Some(event) = parser.ready.pop_front() {
                    return Some((Ok(event), (bytes, parser)));
                }
                match bytes.next().await? {
                    Ok(chunk) => parser.push(&chunk),
                    Err(error) => return Some((Err(error), (bytes, parser))),
                }
            }
        },
    )
}

/// The part of the SSE format this example needs: `id` and `data` fields,
/// comments, and a blank line to end an event.
#[derive(Default)]
struct Parser {
    line: Vec<u8>,
    last_event_id: Option<String>,
    data: Vec<String>,
    ready: VecDeque<Event>,
}

impl Parser {
    fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.line);
                self.line_ended(String::from_utf8_lossy(&line).trim_end_matches('\r'));
            } else {
                self.line.push(byte);
            }
        }
    }

    fn line_ended(&mut self, line: &str) {
        if line.is_empty() {
            if !self.data.is_empty() {
                let data = std::mem::take(&mut self.data).join("\n");
                let id = self.last_event_id.clone();
                self.ready.push_back(Event { id, data });
            }
            return;
        }
        if line.starts_with(':') {
            return; // a comment: a keep-alive, and nothing for the consumer
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => self.last_event_id = Some(value.to_string()),
            "data" => self.data.push(value.to_string()),
            _ => {} // event, retry and unknown fields: not needed here
        }
    }
}

/// Prints what the subscription yields until event `until`; returns the numbers of the events.
async fn run_client(addr: String, settings: ClientSettings, until: u64) -> Vec<u64> {
    let mut events = pin!(subscribe(addr, settings));
    let mut numbers = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Restart::Item(event) => {
                println!(
                    "client: {} (id {})",
                    event.data,
                    event.id.as_deref().unwrap_or("none")
                );
                let number = event
                    .data
                    .strip_prefix("update ")
                    .and_then(|n| n.parse().ok());
                numbers.extend(number);
                if number == Some(until) {
                    break;
                }
            }
            Restart::Up { attempt, .. } => println!("client: up (attempt {attempt})"),
            Restart::Down {
                cause, retry_in, ..
            } => {
                println!("client: down: {cause}; retry in {retry_in:?}")
            }
            Restart::GaveUp { cause, .. } => println!("client: gave up: {cause}"),
            _ => {} // events a later release may add
        }
    }
    numbers
}

fn main() -> io::Result<()> {
    let args = args::Args::parse(
        USAGE,
        &[
            "--addr",
            "--every-ms",
            "--quiet-every",
            "--quiet-ms",
            "--comment-ms",
            "--hang-up-after",
            "--stall-after",
            "--silence-ms",
            "--silence-on",
            "--until",
        ],
        &[],
        &["server", "client"],
    );
    let millis = |name, default| Duration::from_millis(args.parsed(name).unwrap_or(default));
    let pace = Pace {
        every: millis("--every-ms", 100),
        // 0 for none: there is no event 0 to hang up or stall after.
        quiet_every: Some(args.parsed("--quiet-every").unwrap_or(5)).filter(|every| *every > 0),
        quiet_for: millis("--quiet-ms", 1500),
        comment_every: millis("--comment-ms", 250),
        hang_up_after: Some(args.parsed("--hang-up-after").unwrap_or(7)),
        stall_after: Some(args.parsed("--stall-after").unwrap_or(12)),
    };
    let settings = ClientSettings {
        silence: millis("--silence-ms", 600),
        silence_on: match args.value("--silence-on") {
            None | Some("bytes") => SilenceOn::Bytes,
            Some("events") => SilenceOn::Events,
            Some(other) => args.refuse(&format!("--silence-on {other:?}: bytes or events")),
        },
    };
    let until = args.parsed("--until").unwrap_or(15);
    let addr = args.value("--addr").unwrap_or("127.0.0.1:9002").to_string();
    smol::block_on(async {
        match args.role() {
            Some("server") => {
                let listener = TcpListener::bind(&addr).await?;
                println!("server: listening on {}", listener.local_addr()?);
                serve(listener, pace).await
            }
            Some("client") => {
                run_client(addr, settings, until).await;
                Ok(())
            }
            _ => {
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let addr = listener.local_addr()?.to_string();
                println!("server: listening on {addr}");
                let _server = smol::spawn(serve(listener, pace));
                let numbers = run_client(addr, settings, until).await;
                let in_order = numbers.iter().copied().eq(1..=until);
                println!(
                    "client: {} events; {}",
                    numbers.len(),
                    if in_order {
                        "every event once, in order"
                    } else {
                        "EVENTS LOST OR REPEATED"
                    }
                );
                Ok(())
            }
        }
    })
}
