//! Errors and causes that say what happened (W9, P15, and the `restart` module's
//! "Silences found inside the source", R16): the `try_` adapters' time-outs convert
//! into any error type made from `io::Error`, `TimedOut::find` finds them again
//! in it, and a `restarting` stream reports them as `Cause::Silent`, while a
//! real error of its source stays `Cause::Failed`.
#![cfg(not(target_arch = "wasm32"))] // tokio-tungstenite is a native dev-dependency

mod support;

use std::error::Error;
use std::fmt;
use std::io;
use std::task::Poll;
use std::time::Duration;

use futures::channel::mpsc;
use futures::future;
use futures::stream::{self, PollNext, StreamExt, TryStreamExt};
use futures::SinkExt;
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::restart::{restarting_on, Cause, Jitter, Restart};
use futures_heartbeat::{Duplex, HeartbeatExt, TimedOut, TimeoutKind};
use support::wire::Wire;
use support::{Feed, Task};
use tokio_tungstenite::tungstenite::{self, Message};

const LIMIT: Duration = Duration::from_secs(5);
const IDLE: Duration = Duration::from_secs(30);
const ACK: Duration = Duration::from_secs(10);
const BACKOFF: Duration = Duration::from_secs(60);
/// Far more than the real-time test needs on a loaded machine; only a hang gets near it.
const GENEROUS: Duration = Duration::from_secs(10);

/// The error a `try_watchdog` of `LIMIT` yields, as an `io::Error`.
fn watchdog_time_out() -> io::Error {
    let clock = ManualClock::new();
    let mut frames = stream::pending::<io::Result<u8>>().try_watchdog_on(LIMIT, clock.clone());
    let mut task = Task::new();
    assert!(task.poll(&mut frames).is_pending());
    clock.advance(LIMIT);
    match task.poll(&mut frames) {
        Poll::Ready(Some(Err(error))) => error,
        other => panic!("expected the time-out, got {other:?}"),
    }
}

/// A user's error type, as thiserror writes it with `#[from] io::Error`.
#[derive(Debug)]
enum FeedError {
    Io(io::Error),
    BadFrame,
}

impl From<io::Error> for FeedError {
    fn from(error: io::Error) -> Self {
        FeedError::Io(error)
    }
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Io(_) => f.write_str("transport error"),
            FeedError::BadFrame => f.write_str("bad frame"),
        }
    }
}

impl Error for FeedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            FeedError::Io(error) => Some(error),
            FeedError::BadFrame => None,
        }
    }
}

#[test]
fn w9_find_looks_inside_the_io_error_payload() {
    let error = watchdog_time_out();
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    let timed_out = *TimedOut::find(&error).expect("not found in the io::Error");
    assert_eq!(timed_out.kind(), TimeoutKind::Silence);
    assert_eq!(timed_out.silence(), LIMIT);
    // Wrapped once more, as a layer above may do: still found.
    let wrapped = io::Error::new(io::ErrorKind::Other, error);
    assert_eq!(TimedOut::find(&wrapped), Some(&timed_out));
}

#[test]
fn w9_find_looks_inside_a_tungstenite_error() {
    let error = tungstenite::Error::from(watchdog_time_out());
    assert!(matches!(error, tungstenite::Error::Io(_)));
    let timed_out = TimedOut::find(&error).expect("not found in the tungstenite::Error");
    assert_eq!(timed_out.silence(), LIMIT);
}

#[test]
fn w9_find_follows_the_source_of_a_users_error_type() {
    let error = FeedError::from(watchdog_time_out());
    let timed_out = TimedOut::find(&error).expect("not found through source()");
    assert_eq!(timed_out.silence(), LIMIT);
    assert!(TimedOut::find(&FeedError::BadFrame).is_none());
}

#[test]
fn w9_find_looks_inside_a_boxed_error() {
    let boxed: Box<dyn Error + Send + Sync> = watchdog_time_out().into();
    assert_eq!(TimedOut::find(&*boxed).map(TimedOut::silence), Some(LIMIT));
}

#[test]
fn w9_find_tells_other_errors_apart_even_of_the_same_io_kind() {
    let reset = io::Error::from(io::ErrorKind::ConnectionReset);
    assert!(TimedOut::find(&reset).is_none());
    // The socket's own time-out has the same kind, and is not the crate's.
    let socket_timeout = io::Error::new(io::ErrorKind::TimedOut, "read timed out");
    assert!(TimedOut::find(&socket_timeout).is_none());
    assert!(TimedOut::find(&io::Error::from(io::ErrorKind::TimedOut)).is_none());
    assert!(TimedOut::find(&tungstenite::Error::ConnectionClosed).is_none());
    assert!(TimedOut::find(&FeedError::from(socket_timeout)).is_none());
}

/// An error that is its own source: a chain that never ends.
#[derive(Debug)]
struct Looping;

impl fmt::Display for Looping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("looping")
    }
}

impl Error for Looping {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&Looping)
    }
}

#[test]
fn w9_find_gives_up_on_a_source_chain_that_loops() {
    assert!(TimedOut::find(&Looping).is_none());
}

#[test]
fn w9_try_watchdog_takes_any_error_type_made_from_io_error() {
    fn time_out_of<E: From<io::Error> + fmt::Debug>() -> E {
        let clock = ManualClock::new();
        let mut frames = stream::pending::<Result<u8, E>>().try_watchdog_on(LIMIT, clock.clone());
        let mut task = Task::new();
        assert!(task.poll(&mut frames).is_pending());
        clock.advance(LIMIT);
        match task.poll(&mut frames) {
            Poll::Ready(Some(Err(error))) => error,
            other => panic!("expected the time-out, got {other:?}"),
        }
    }
    let io_error: io::Error = time_out_of();
    let tungstenite_error: tungstenite::Error = time_out_of();
    let boxed: Box<dyn Error + Send + Sync> = time_out_of();
    let own: FeedError = time_out_of();
    assert!(TimedOut::find(&io_error).is_some());
    assert!(TimedOut::find(&tungstenite_error).is_some());
    assert!(TimedOut::find(&*boxed).is_some());
    assert!(TimedOut::find(&own).is_some());
}

#[test]
fn w9_try_watchdog_on_a_real_websocket_yields_a_tungstenite_error_holding_the_time_out() {
    const QUIET: Duration = Duration::from_millis(200);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The server says hello, then goes quiet with the connection open.
        let (done, server_may_go) = futures::channel::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            socket.send(Message::text("hello")).await.unwrap();
            let _ = server_may_go.await;
        });
        let client = async {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (socket, _) = tokio_tungstenite::client_async(format!("ws://{addr}/"), tcp)
                .await
                .unwrap();
            let mut frames = socket.try_watchdog(QUIET).named("updates");
            let hello = frames.next().await.unwrap().unwrap();
            assert_eq!(hello, Message::text("hello"));
            let error: tungstenite::Error = frames.next().await.unwrap().unwrap_err();
            assert!(matches!(error, tungstenite::Error::Io(_)), "{error:?}");
            let timed_out = TimedOut::find(&error).expect("no TimedOut in the tungstenite::Error");
            assert_eq!(timed_out.kind(), TimeoutKind::Silence);
            assert_eq!(timed_out.silence(), QUIET);
            assert_eq!(timed_out.name(), Some("updates"));
            assert!(frames.next().await.is_none());
        };
        let bounded = tokio::time::timeout(GENEROUS, client).await;
        let _ = done.send(());
        bounded.expect("the watchdog did not end the quiet WebSocket in time");
        server.await.unwrap();
    });
}

/// The source a connect function makes: the bytes of one connection under a
/// `try_watchdog` of `LIMIT`, then a parser that maps the errors to the user's
/// own type, as an SSE client's does.
type Parsed = futures::stream::BoxStream<'static, Result<u8, FeedError>>;

fn parsed(bytes: support::Fed<io::Result<u8>>, clock: &ManualClock) -> Parsed {
    bytes
        .try_watchdog_on(LIMIT, clock.clone())
        .named("bytes")
        .map_err(FeedError::from)
        .boxed()
}

#[test]
fn r16_a_try_watchdog_under_the_parser_inside_connect_is_a_silence_and_a_real_error_a_failure() {
    let clock = ManualClock::new();
    let feeds = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let connect = {
        let (feeds, clock) = (feeds.clone(), clock.clone());
        move |_| {
            let (feed, fed) = Feed::new();
            feeds.lock().unwrap().push(feed);
            future::ready(Ok::<_, FeedError>(parsed(fed, &clock)))
        }
    };
    let mut events = restarting_on(connect, clock.clone())
        .named("feed")
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    feeds.lock().unwrap()[0].push(Ok(1));
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Item(1)))
    ));
    assert!(task.poll(&mut events).is_pending());
    clock.advance(LIMIT);
    assert!(task.was_woken());
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Silent(timed_out),
            ..
        })) => {
            assert_eq!(timed_out.kind(), TimeoutKind::Silence);
            assert_eq!(timed_out.silence(), LIMIT);
            // The watchdog's own name, not the restarting stream's.
            assert_eq!(timed_out.name(), Some("bytes"));
        }
        other => panic!("expected Down for the inner silence, got {other:?}"),
    }
    clock.advance(BACKOFF);
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    feeds.lock().unwrap()[1].push(Err(io::ErrorKind::ConnectionReset.into()));
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Failed(FeedError::Io(error)),
            ..
        })) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected Down for the reset, got {other:?}"),
    }
}

type Frame = io::Result<&'static str>;

#[test]
fn p15_r15_r16_an_unanswered_ping_inside_connect_is_a_silence_and_a_real_error_a_failure() {
    let clock = ManualClock::new();
    let feeds = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let connect = {
        let (feeds, clock) = (feeds.clone(), clock.clone());
        move |_| {
            let (feed, fed) = Feed::<Frame>::new();
            feeds.lock().unwrap().push(feed);
            let conn = Duplex::new(fed, Wire::default())
                .try_probe_on(IDLE, || "ping", clock.clone())
                .ack_timeout(ACK);
            future::ready(Ok::<_, io::Error>(conn))
        }
    };
    let mut events = restarting_on(connect, clock.clone())
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    assert!(task.poll(&mut events).is_pending());
    clock.advance(IDLE);
    assert!(task.poll(&mut events).is_pending()); // the ping goes out
    clock.advance(ACK);
    let Poll::Ready(Some(Restart::Down { cause, .. })) = task.poll(&mut events) else {
        panic!("expected Down for the unanswered ping")
    };
    let Cause::Silent(timed_out) = &cause else {
        panic!("the unanswered ping was not a silence: {cause:?}")
    };
    assert_eq!(timed_out.kind(), TimeoutKind::PingUnanswered);
    assert_eq!(timed_out.ack_timeout(), Some(ACK));
    assert_eq!(timed_out.silence(), IDLE + ACK);
    assert_eq!(
        cause.to_string(),
        "the source went silent: no answer to a ping within 10s after 30s idle"
    );
    clock.advance(BACKOFF);
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    feeds.lock().unwrap()[1].push(Err(io::ErrorKind::ConnectionReset.into()));
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Failed(error),
            ..
        })) => {
            assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
            assert!(TimedOut::find(&error).is_none());
        }
        other => panic!("expected Down for the reset, got {other:?}"),
    }
}

#[test]
fn r16_a_time_out_yielded_outside_the_restarting_stream_does_not_make_its_next_error_a_silence() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::<io::Result<u8>>::new();
    let mut source = Some(fed);
    let mut events = restarting_on(
        move |_| future::ready(Ok::<_, io::Error>(source.take().unwrap())),
        clock.clone(),
    );
    let mut task = Task::new();
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    assert!(task.poll(&mut events).is_pending());
    // On the same thread, a watchdog of its own yields its time-out...
    let time_out = watchdog_time_out();
    assert!(TimedOut::find(&time_out).is_some());
    // ...and then the restarting stream's source fails for real.
    feed.push(Err(io::ErrorKind::ConnectionReset.into()));
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Failed(error),
            ..
        })) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected Down for the reset, got {other:?}"),
    }
}

#[test]
fn r16_a_time_out_from_another_task_through_a_channel_is_a_failure_that_find_recognises() {
    let clock = ManualClock::new();
    let (tx, rx) = mpsc::unbounded::<io::Result<u8>>();
    let mut source = Some(rx);
    let mut events = restarting_on(
        move |_| future::ready(Ok::<_, io::Error>(source.take().unwrap())),
        clock.clone(),
    );
    let mut task = Task::new();
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    // The producer's own watchdog times out, and it forwards the error.
    tx.unbounded_send(Err(watchdog_time_out())).unwrap();
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Failed(error),
            ..
        })) => {
            let timed_out = TimedOut::find(&error).expect("the forwarded time-out");
            assert_eq!(timed_out.silence(), LIMIT);
        }
        other => panic!("expected Down with the forwarded error, got {other:?}"),
    }
}

/// Whether `item` is one of the crate's time-outs.
fn is_time_out(item: &io::Result<u8>) -> bool {
    matches!(item, Err(error) if TimedOut::find(error).is_some())
}

/// A source of two branches, polled `side` first: `side` drops its own time-out
/// (a `filter` that polls on), and `main`, fed by the test, fails for real.
fn source_with_a_side_branch<S>(
    side: S,
    main: support::Fed<io::Result<u8>>,
) -> impl futures::Stream<Item = io::Result<u8>> + Unpin
where
    S: futures::Stream<Item = io::Result<u8>> + Unpin,
{
    let side = side.filter(|item| future::ready(!is_time_out(item)));
    stream::select_with_strategy(side, main, |_: &mut ()| PollNext::Left)
}

#[test]
fn r16_a_time_out_dropped_inside_the_source_leaves_a_real_error_of_the_same_poll_a_failure() {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::<io::Result<u8>>::new();
    let mut parts = Some((fed, clock.clone()));
    let connect = move |_| {
        let (main, clock) = parts.take().unwrap();
        let side = stream::pending::<io::Result<u8>>().try_watchdog_on(LIMIT, clock);
        future::ready(Ok::<_, io::Error>(source_with_a_side_branch(side, main)))
    };
    let mut events = restarting_on(connect, clock.clone());
    let mut task = Task::new();
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    assert!(task.poll(&mut events).is_pending());
    // In one poll of the source: the side's watchdog fires, its time-out is
    // dropped, and the main branch fails.
    clock.advance(LIMIT);
    feed.push(Err(io::ErrorKind::ConnectionReset.into()));
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Failed(error),
            ..
        })) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected Down for the reset, got {other:?}"),
    }
}

#[test]
fn p15_r16_a_probe_time_out_dropped_inside_the_source_leaves_a_real_error_of_the_same_poll_a_failure(
) {
    let clock = ManualClock::new();
    let (feed, fed) = Feed::<io::Result<u8>>::new();
    let (_quiet_peer, from_peer) = Feed::<io::Result<u8>>::new();
    let mut parts = Some((fed, from_peer, clock.clone()));
    let connect = move |_| {
        let (main, from_peer, clock) = parts.take().unwrap();
        let side = Duplex::new(from_peer, Wire::default())
            .try_probe_on(IDLE, || "ping", clock)
            .ack_timeout(ACK);
        future::ready(Ok::<_, io::Error>(source_with_a_side_branch(side, main)))
    };
    let mut events = restarting_on(connect, clock.clone());
    let mut task = Task::new();
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    assert!(task.poll(&mut events).is_pending());
    clock.advance(IDLE);
    assert!(task.poll(&mut events).is_pending()); // the ping goes out
    clock.advance(ACK);
    feed.push(Err(io::ErrorKind::ConnectionReset.into()));
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Failed(error),
            ..
        })) => assert_eq!(error.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected Down for the reset, got {other:?}"),
    }
}
