//! Writing through the adapters, rule by rule (H8 of `with_heartbeat`, K6 of
//! `keep_alive`, W11 of `watchdog`, A8 of `watchdog_adaptive`; a test of a rule
//! starts its name with the rule's number): the write goes to the wrapped connection, a write is never
//! life, and a watchdog that has dropped its connection refuses writes with a
//! reason. On the manual clock, with a `Fed` stream for the read half and a
//! `Wire` for the write half; then through a real channel, and a real
//! WebSocket on 127.0.0.1.
#![cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]

mod support;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::channel::mpsc;
use futures::sink::{Sink, SinkExt};
use futures::stream::{Stream, StreamExt};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{
    AdaptiveWatchdog, Duplex, Event, HeartbeatExt, PhiAccrual, TryAdaptiveWatchdog, TryWatchdog,
    Watchdog, WriteError,
};
use futures_test::task::{new_count_waker, AwokenCount};
use support::wire::Wire;
use support::{Fed, Feed, Task};

const INTERVAL: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(5);
const NANO: Duration = Duration::from_nanos(1);

type Conn<T> = Duplex<Fed<T>, Wire>;

fn connection<T>() -> (Feed<T>, Wire, Conn<T>) {
    let (feed, fed) = Feed::new();
    let wire = Wire::default();
    (feed, wire.clone(), Duplex::new(fed, wire))
}

/// A task that writes, with its wakeups counted: the other side of `split`.
struct Writer {
    waker: Waker,
    woken: AwokenCount,
}

impl Writer {
    fn new() -> Writer {
        let (waker, woken) = new_count_waker();
        Writer { waker, woken }
    }

    fn call<S, R>(&self, sink: &mut S, call: fn(Pin<&mut S>, &mut Context<'_>) -> R) -> R
    where
        S: Unpin,
    {
        call(Pin::new(sink), &mut Context::from_waker(&self.waker))
    }

    fn poll_ready<S: Sink<&'static str> + Unpin>(
        &self,
        sink: &mut S,
    ) -> Poll<Result<(), S::Error>> {
        self.call(sink, |sink, cx| sink.poll_ready(cx))
    }

    fn poll_flush<S: Sink<&'static str> + Unpin>(
        &self,
        sink: &mut S,
    ) -> Poll<Result<(), S::Error>> {
        self.call(sink, |sink, cx| sink.poll_flush(cx))
    }

    fn poll_close<S: Sink<&'static str> + Unpin>(
        &self,
        sink: &mut S,
    ) -> Poll<Result<(), S::Error>> {
        self.call(sink, |sink, cx| sink.poll_close(cx))
    }

    /// `poll_ready`, then `start_send` if it was ready: one write, as `SinkExt::feed` makes it.
    fn write<S: Sink<&'static str> + Unpin>(
        &self,
        sink: &mut S,
        message: &'static str,
    ) -> Poll<Result<(), S::Error>> {
        match self.poll_ready(sink) {
            Poll::Ready(Ok(())) => Poll::Ready(Pin::new(sink).start_send(message)),
            other => other,
        }
    }

    fn wakeups(&self) -> usize {
        self.woken.get()
    }
}

#[track_caller]
fn assert_ready_ok<E: std::fmt::Debug>(polled: Poll<Result<(), E>>) {
    assert!(matches!(polled, Poll::Ready(Ok(()))), "{polled:?}");
}

fn is_broken_pipe(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::BrokenPipe
}

// ---------------------------------------------------------------- with_heartbeat

#[test]
fn h8_writes_go_to_the_connection_unchanged_its_errors_included() {
    let (_feed, wire, conn) = connection::<u8>();
    let mut events = conn.with_heartbeat_on(INTERVAL, ManualClock::new());
    let writer = Writer::new();

    assert_ready_ok(writer.write(&mut events, "hello"));
    assert_ready_ok(writer.poll_flush(&mut events));
    assert_eq!(wire.written(), ["hello"]);

    wire.set(|state| state.failing = true);
    match writer.poll_ready(&mut events) {
        Poll::Ready(Err(error)) => assert!(is_broken_pipe(&error), "{error:?}"),
        other => panic!("the wire's error, unchanged, expected: {other:?}"),
    }
    wire.set(|state| state.failing = false);
    assert_ready_ok(writer.poll_close(&mut events));
}

#[test]
fn h8_writes_neither_delay_nor_add_a_pulse() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<u8>();
    let mut events = conn.with_heartbeat_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    let writer = Writer::new();

    assert!(task.poll(&mut events).is_pending());
    for message in ["a", "b", "c"] {
        clock.advance(INTERVAL / 4);
        assert_ready_ok(writer.write(&mut events, message));
        assert!(task.poll(&mut events).is_pending(), "a write made a pulse");
    }
    clock.advance(INTERVAL - 3 * (INTERVAL / 4));
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    assert_eq!(wire.written(), ["a", "b", "c"]);
}

// ---------------------------------------------------------------- keep_alive

#[test]
fn k6_writes_go_to_the_connection_unchanged_its_errors_included() {
    let (_feed, wire, conn) = connection::<u8>();
    let mut events = conn.keep_alive_on(INTERVAL, ManualClock::new());
    let writer = Writer::new();

    assert_ready_ok(writer.write(&mut events, "hello"));
    assert_eq!(wire.written(), ["hello"]);
    wire.set(|state| state.failing = true);
    match writer.poll_ready(&mut events) {
        Poll::Ready(Err(error)) => assert!(is_broken_pipe(&error), "{error:?}"),
        other => panic!("the wire's error, unchanged, expected: {other:?}"),
    }
}

#[test]
fn k6_writes_are_not_activity_a_quiet_inbound_line_still_pulses_every_idle() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<u8>();
    let mut events = conn.keep_alive_on(INTERVAL, clock.clone());
    let mut task = Task::new();
    let writer = Writer::new();

    for round in 0..3 {
        assert!(task.poll(&mut events).is_pending());
        clock.advance(INTERVAL / 2);
        assert_ready_ok(writer.write(&mut events, "busy"));
        assert!(task.poll(&mut events).is_pending(), "round {round}");
        clock.advance(INTERVAL - INTERVAL / 2);
        assert!(task.was_woken(), "round {round}");
        assert_eq!(task.poll(&mut events), Poll::Ready(Some(Event::Pulse)));
    }
    assert_eq!(wire.written().len(), 3);
}

// ---------------------------------------------------------------- the watchdogs

/// What the W11 tests need of each watchdog: the silence its current wait allows.
trait Watched: Stream + Sink<&'static str, Error = WriteError<io::Error>> + Unpin + Sized {
    fn limit(&self) -> Duration;
    fn timed_out(&self) -> bool;
}

impl Watched for Watchdog<Conn<u8>, ManualClock> {
    fn limit(&self) -> Duration {
        self.timeout()
    }
    fn timed_out(&self) -> bool {
        Watchdog::timed_out(self)
    }
}

impl Watched for TryWatchdog<Conn<io::Result<u8>>, ManualClock> {
    fn limit(&self) -> Duration {
        self.timeout()
    }
    fn timed_out(&self) -> bool {
        TryWatchdog::timed_out(self)
    }
}

impl Watched for AdaptiveWatchdog<Conn<u8>, ManualClock> {
    fn limit(&self) -> Duration {
        self.silence_limit()
    }
    fn timed_out(&self) -> bool {
        AdaptiveWatchdog::timed_out(self)
    }
}

impl Watched for TryAdaptiveWatchdog<Conn<io::Result<u8>>, ManualClock> {
    fn limit(&self) -> Duration {
        self.silence_limit()
    }
    fn timed_out(&self) -> bool {
        TryAdaptiveWatchdog::timed_out(self)
    }
}

/// A watchdog over a connection, its two ends, and its clock.
struct Case<T, W> {
    name: &'static str,
    feed: Feed<T>,
    wire: Wire,
    watched: W,
    clock: ManualClock,
}

fn detector() -> PhiAccrual {
    PhiAccrual::new(INTERVAL)
}

/// Runs `check` on each of the four watchdogs over a fresh connection.
macro_rules! on_each_watchdog {
    ($check:ident) => {{
        let clock = ManualClock::new();
        let (feed, wire, conn) = connection::<u8>();
        $check(Case {
            name: "watchdog",
            watched: conn.watchdog_on(TIMEOUT, clock.clone()),
            feed,
            wire,
            clock,
        });
        let clock = ManualClock::new();
        let (feed, wire, conn) = connection::<io::Result<u8>>();
        $check(Case {
            name: "try_watchdog",
            watched: conn.try_watchdog_on(TIMEOUT, clock.clone()),
            feed,
            wire,
            clock,
        });
        let clock = ManualClock::new();
        let (feed, wire, conn) = connection::<u8>();
        $check(Case {
            name: "watchdog_adaptive",
            watched: conn.watchdog_adaptive_on(detector(), clock.clone()),
            feed,
            wire,
            clock,
        });
        let clock = ManualClock::new();
        let (feed, wire, conn) = connection::<io::Result<u8>>();
        $check(Case {
            name: "try_watchdog_adaptive",
            watched: conn.try_watchdog_adaptive_on(detector(), clock.clone()),
            feed,
            wire,
            clock,
        });
    }};
}

/// Polls until the stream ends; a `try_` watchdog yields its error first.
fn poll_to_the_end<W: Watched>(task: &mut Task, watched: &mut W) {
    for _ in 0..2 {
        match task.poll(watched) {
            Poll::Ready(None) => return,
            Poll::Ready(Some(_)) => continue,
            Poll::Pending => panic!("the watchdog should have ended"),
        }
    }
    panic!("the watchdog yielded more than its error");
}

/// Polls the watchdog until it is waiting, then lets its whole silence pass: it has fired.
fn fire<T, W: Watched>(case: &mut Case<T, W>, task: &mut Task) {
    assert!(task.poll(&mut case.watched).is_pending());
    case.clock.advance(case.watched.limit());
    poll_to_the_end(task, &mut case.watched);
    assert!(case.watched.timed_out(), "{}", case.name);
}

#[test]
fn w11_a8_writes_go_to_the_connection_unchanged_and_its_errors_as_connection_errors() {
    fn check<T, W: Watched>(mut case: Case<T, W>) {
        let writer = Writer::new();
        assert_ready_ok(writer.write(&mut case.watched, "hello"));
        assert_ready_ok(writer.poll_flush(&mut case.watched));
        assert_eq!(case.wire.written(), ["hello"], "{}", case.name);

        case.wire.set(|state| state.failing = true);
        match writer.poll_ready(&mut case.watched) {
            Poll::Ready(Err(WriteError::Connection(error))) => assert!(is_broken_pipe(&error)),
            other => panic!("{}: the wire's error expected: {other:?}", case.name),
        }
        // The connection's failure to write is its own: the watchdog still runs.
        assert!(!case.watched.timed_out());
        assert!(
            Task::new().poll(&mut case.watched).is_pending(),
            "{}",
            case.name
        );
    }
    on_each_watchdog!(check);
}

#[test]
fn w11_a8_writes_are_not_life_a_peer_that_reads_but_never_answers_still_times_out() {
    fn check<T, W: Watched>(mut case: Case<T, W>) {
        let mut task = Task::new();
        let writer = Writer::new();
        assert!(task.poll(&mut case.watched).is_pending());
        let limit = case.watched.limit();
        case.clock.advance(limit / 2);
        assert_ready_ok(writer.write(&mut case.watched, "ping?"));
        // A poll after the write: were the write life, the silence would restart here.
        assert!(task.poll(&mut case.watched).is_pending(), "{}", case.name);
        case.clock.advance(limit - limit / 2 - NANO);
        assert!(task.poll(&mut case.watched).is_pending(), "{}", case.name);
        case.clock.advance(NANO);
        assert!(task.was_woken(), "{}", case.name);
        poll_to_the_end(&mut task, &mut case.watched);
        assert!(case.watched.timed_out(), "{}", case.name);
        assert_eq!(case.wire.written(), ["ping?"]);
    }
    on_each_watchdog!(check);
}

#[test]
fn w11_a8_after_a_time_out_every_write_fails_with_timed_out_naming_the_silence() {
    fn check<T, W: Watched>(mut case: Case<T, W>) {
        let mut task = Task::new();
        let writer = Writer::new();
        let limit = {
            assert!(task.poll(&mut case.watched).is_pending());
            case.watched.limit()
        };
        fire(&mut case, &mut task);

        let is_the_time_out = |error: WriteError<io::Error>| match error {
            WriteError::TimedOut(timed_out) => timed_out.silence() == limit,
            _ => false,
        };
        match writer.poll_ready(&mut case.watched) {
            Poll::Ready(Err(error)) => assert!(is_the_time_out(error), "{}", case.name),
            other => panic!("{}: a time-out expected: {other:?}", case.name),
        }
        // Even without a ready `poll_ready` first: no panic, no silent success.
        let sent = Pin::new(&mut case.watched).start_send("lost");
        assert!(is_the_time_out(sent.unwrap_err()), "{}", case.name);
        match writer.poll_flush(&mut case.watched) {
            Poll::Ready(Err(error)) => assert!(is_the_time_out(error), "{}", case.name),
            other => panic!("{}: a time-out expected: {other:?}", case.name),
        }
        // The connection was dropped, not closed: the close says so.
        match writer.poll_close(&mut case.watched) {
            Poll::Ready(Err(error)) => assert!(is_the_time_out(error), "{}", case.name),
            other => panic!("{}: a time-out expected: {other:?}", case.name),
        }
        assert!(case.wire.written().is_empty());
        assert!(case.feed.is_dropped(), "{}", case.name);
    }
    on_each_watchdog!(check);
}

#[test]
fn w11_a8_after_the_stream_ended_by_itself_writes_fail_with_ended_and_a_close_succeeds() {
    fn check<T, W: Watched>(mut case: Case<T, W>) {
        let mut task = Task::new();
        let writer = Writer::new();
        case.feed.end();
        assert_eq!(
            task.poll(&mut case.watched).map(|end| end.is_none()),
            Poll::Ready(true)
        );
        assert!(!case.watched.timed_out());

        assert!(matches!(
            writer.poll_ready(&mut case.watched),
            Poll::Ready(Err(WriteError::Ended))
        ));
        assert!(matches!(
            Pin::new(&mut case.watched).start_send("lost"),
            Err(WriteError::Ended)
        ));
        assert!(matches!(
            writer.poll_flush(&mut case.watched),
            Poll::Ready(Err(WriteError::Ended))
        ));
        // The peer ended it: a clean shutdown, not an error.
        assert_ready_ok(writer.poll_close(&mut case.watched));
        assert!(case.wire.written().is_empty(), "{}", case.name);
    }
    on_each_watchdog!(check);
}

#[test]
fn w11_a8_a_write_pending_when_the_watchdog_fires_is_woken_and_then_fails() {
    fn check<T, W: Watched>(mut case: Case<T, W>) {
        let mut task = Task::new();
        let writer = Writer::new();
        // The peer reads nothing: the write waits on the wire, which never wakes it.
        case.wire.set(|state| state.blocked = true);
        assert!(writer.write(&mut case.watched, "stuck").is_pending());
        fire(&mut case, &mut task);

        assert_eq!(
            writer.wakeups(),
            1,
            "{}: the pending write was not woken",
            case.name
        );
        assert!(matches!(
            writer.write(&mut case.watched, "stuck"),
            Poll::Ready(Err(WriteError::TimedOut(_)))
        ));
    }
    on_each_watchdog!(check);
}

#[test]
fn w11_a8_a_flush_pending_when_the_stream_ends_by_itself_is_woken_and_then_fails() {
    fn check<T, W: Watched>(mut case: Case<T, W>) {
        let mut task = Task::new();
        let writer = Writer::new();
        case.wire.set(|state| state.flush_blocked = true);
        assert_ready_ok(writer.write(&mut case.watched, "sent"));
        assert!(writer.poll_flush(&mut case.watched).is_pending());
        case.feed.end();
        assert_eq!(
            task.poll(&mut case.watched).map(|end| end.is_none()),
            Poll::Ready(true)
        );

        assert_eq!(
            writer.wakeups(),
            1,
            "{}: the pending flush was not woken",
            case.name
        );
        assert!(matches!(
            writer.poll_flush(&mut case.watched),
            Poll::Ready(Err(WriteError::Ended))
        ));
    }
    on_each_watchdog!(check);
}

// ---------------------------------------------------------------- real connections

/// Far more than any check needs on a loaded machine; only a hang gets near it.
const GENEROUS: Duration = Duration::from_secs(20);

#[test]
fn h8_k6_w11_a_channel_pair_written_through_the_adapters_in_real_time() {
    futures::executor::block_on(async {
        let (to_peer, mut peer_reads) = mpsc::channel::<u32>(4);
        let (mut peer_writes, from_peer) = mpsc::channel::<u32>(4);
        let mut conn = Duplex::new(from_peer, to_peer)
            .watchdog(GENEROUS)
            .keep_alive(GENEROUS)
            .with_heartbeat(GENEROUS);

        for n in 0..10 {
            conn.send(n).await.unwrap();
            assert_eq!(peer_reads.next().await, Some(n));
            peer_writes.send(n * 10).await.unwrap();
            assert_eq!(conn.next().await, Some(Event::Item(Event::Item(n * 10))));
        }
        // The peer stops reading: the channel's own error comes through the watchdog.
        drop(peer_reads);
        let error = conn.send(10).await.unwrap_err();
        assert!(matches!(error, WriteError::Connection(ref e) if e.is_disconnected()));
        // The peer closes its side: the stream ends, and so does writing.
        drop(peer_writes);
        assert_eq!(conn.next().await, None);
        assert!(matches!(conn.send(11).await, Err(WriteError::Ended)));
    });
}

mod websocket {
    use std::net::SocketAddr;

    use futures::{SinkExt, StreamExt};
    use futures_heartbeat::{HeartbeatExt, WriteError};
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::Message;

    use super::GENEROUS;
    use std::time::Duration;

    /// A WebSocket server on 127.0.0.1 that echoes each text frame, or, if
    /// `silent`, reads them and never answers.
    async fn server(silent: bool) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            while let Some(Ok(frame)) = socket.next().await {
                if frame.is_text() && !silent {
                    socket.send(frame).await.unwrap();
                }
            }
        });
        addr
    }

    fn within_generous<F: std::future::Future>(test: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::time::timeout(GENEROUS, test)
                .await
                .expect("the WebSocket test hung")
        })
    }

    #[test]
    fn w11_a_watched_websocket_is_still_a_websocket_to_write_to() {
        within_generous(async {
            let addr = server(false).await;
            let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}"))
                .await
                .unwrap();
            let mut ws = ws.watchdog(GENEROUS);

            ws.send(Message::text("hello")).await.unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));

            // Split, as a client that reads and writes at once does.
            let (mut write, mut read) = ws.split();
            write.send(Message::text("split")).await.unwrap();
            assert_eq!(read.next().await.unwrap().unwrap(), Message::text("split"));

            write.close().await.unwrap();
            let ws = read.reunite(write).unwrap();
            assert!(!ws.timed_out());
        });
    }

    #[test]
    fn w11_a_websocket_whose_peer_never_answers_times_out_and_then_refuses_writes() {
        const TIMEOUT: Duration = Duration::from_millis(300);
        within_generous(async {
            let addr = server(true).await;
            let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}"))
                .await
                .unwrap();
            let (mut write, mut read) = ws.watchdog(TIMEOUT).split();
            let writing = tokio::spawn(async move {
                // Writes every 50 ms: they are not life.
                loop {
                    let sent = write.send(Message::text("anyone?")).await;
                    if let Err(error) = sent {
                        return error;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
            assert!(read.next().await.is_none());
            match writing.await.unwrap() {
                WriteError::TimedOut(timed_out) => assert_eq!(timed_out.silence(), TIMEOUT),
                other => panic!("a time-out expected: {other:?}"),
            }
        });
    }
}
