//! `restarting` with a two-way source (the "Two-way connections" section of the
//! `restart` module's docs, rules R13 to R15, which the tests' names cite, and
//! `Restarting`'s `Sink` impl): the stream is also a
//! `Sink` of outbound messages to the current connection, and closing it ends
//! the stream, on the manual clock.
//! Each connection is a `Fed` read half and a `Wire` write half, both logging
//! their drop.

mod support;

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{self, Ready};
use futures::sink::Sink;
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::restart::{
    restarting_on, resuming_if_keyed_on, Attempt, Cause, Disconnected, Jitter, Restart,
};
use futures_heartbeat::{Duplex, HeartbeatExt, TimeoutKind};
use futures_test::task::new_count_waker;
use support::wire::{DropLog, Wire};
use support::{Fed, Feed, Task};

const SEC: Duration = Duration::from_secs(1);
const BACKOFF: Duration = Duration::from_secs(60);

type Frame = io::Result<&'static str>;
type Conn = Duplex<DropLog<Fed<Frame>>, DropLog<Wire>>;

/// The far end of one connection: what the test feeds it, and what it was sent.
type FarEnd = (Feed<Frame>, Wire);

/// The far ends of the connections made so far, and a log of connects and drops.
#[derive(Clone, Default)]
struct Peers {
    ends: Arc<Mutex<Vec<FarEnd>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Peers {
    fn connect<K>(&self) -> impl FnMut(Attempt<K>) -> Ready<io::Result<Conn>> {
        let peers = self.clone();
        move |attempt| {
            let n = attempt.number;
            peers.log.lock().unwrap().push(format!("connect {n}"));
            let (feed, fed) = Feed::new();
            let wire = Wire::default();
            peers.ends.lock().unwrap().push((feed, wire.clone()));
            let read = logged(fed, format!("read {n}"), &peers.log);
            let write = logged(wire, format!("write {n}"), &peers.log);
            future::ready(Ok(Duplex::new(read, write)))
        }
    }

    fn push(&self, n: usize, frame: Frame) {
        self.ends.lock().unwrap()[n].0.push(frame);
    }

    fn end(&self, n: usize) {
        self.ends.lock().unwrap()[n].0.end();
    }

    fn wire(&self, n: usize) -> Wire {
        self.ends.lock().unwrap()[n].1.clone()
    }

    fn connections(&self) -> usize {
        self.ends.lock().unwrap().len()
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn logged<T>(inner: T, name: String, log: &Arc<Mutex<Vec<String>>>) -> DropLog<T> {
    DropLog {
        inner,
        name,
        log: log.clone(),
    }
}

/// The writer's side, polled by hand from a task of its own whose wakeups are counted.
struct Writer {
    waker: std::task::Waker,
    woken: futures_test::task::AwokenCount,
    seen: usize,
}

impl Writer {
    fn new() -> Writer {
        let (waker, woken) = new_count_waker();
        Writer {
            waker,
            woken,
            seen: 0,
        }
    }

    fn poll_ready<S: Sink<&'static str> + Unpin>(
        &self,
        sink: &mut S,
    ) -> Poll<Result<(), S::Error>> {
        Pin::new(sink).poll_ready(&mut Context::from_waker(&self.waker))
    }

    fn send<S: Sink<&'static str> + Unpin>(&self, sink: &mut S, message: &'static str)
    where
        S::Error: std::fmt::Debug,
    {
        assert!(matches!(self.poll_ready(sink), Poll::Ready(Ok(()))));
        Pin::new(&mut *sink).start_send(message).unwrap();
        let flushed = Pin::new(sink).poll_flush(&mut Context::from_waker(&self.waker));
        assert!(matches!(flushed, Poll::Ready(Ok(()))));
    }

    fn poll_close<S: Sink<&'static str> + Unpin>(
        &self,
        sink: &mut S,
    ) -> Poll<Result<(), S::Error>> {
        Pin::new(sink).poll_close(&mut Context::from_waker(&self.waker))
    }

    fn was_woken(&mut self) -> bool {
        let total = self.woken.get();
        let woken = total > self.seen;
        self.seen = total;
        woken
    }
}

fn is_up<T, E>(polled: Poll<Option<Restart<T, E>>>, number: u32) -> bool {
    matches!(polled, Poll::Ready(Some(Restart::Up { attempt, .. })) if attempt == number)
}

#[test]
fn r13_writes_go_to_the_current_connection_and_wait_while_there_is_none() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    let mut writer = Writer::new();

    assert!(
        writer.poll_ready(&mut events).is_pending(),
        "ready before any connection"
    );
    assert!(is_up(task.poll(&mut events), 0));
    assert!(
        writer.was_woken(),
        "the writer was not woken when the connection came up"
    );
    writer.send(&mut events, "hello");
    assert_eq!(peers.wire(0).written(), ["hello"]);

    peers.end(0);
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Ended,
            ..
        }))
    ));
    for _ in 0..3 {
        assert!(
            writer.poll_ready(&mut events).is_pending(),
            "ready while down"
        );
        clock.advance(BACKOFF / 4);
    }
    assert!(!writer.was_woken());
    clock.advance(BACKOFF / 4);
    assert!(is_up(task.poll(&mut events), 1));
    assert!(writer.was_woken());
    writer.send(&mut events, "again");
    assert_eq!(peers.wire(0).written(), ["hello"]);
    assert_eq!(peers.wire(1).written(), ["again"]);
}

#[test]
fn r13_a_failed_write_brings_the_connection_down_as_failed_and_is_not_resent() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    let writer = Writer::new();

    assert!(is_up(task.poll(&mut events), 0));
    assert!(task.poll(&mut events).is_pending()); // the reader waits
    writer.send(&mut events, "order 1");
    peers.wire(0).set(|wire| wire.failing = true);
    assert!(
        writer.poll_ready(&mut events).is_pending(),
        "ready on a failed connection"
    );
    assert!(
        task.was_woken(),
        "the reader was not told of the failed write"
    );
    match task.poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Failed(error),
            ..
        })) => assert_eq!(error.kind(), io::ErrorKind::BrokenPipe),
        other => panic!("expected Down for the failed write, got {other:?}"),
    }
    assert_eq!(peers.log(), ["connect 0", "drop read 0", "drop write 0"]);
    clock.advance(BACKOFF);
    assert!(is_up(task.poll(&mut events), 1));
    assert!(
        peers.wire(1).written().is_empty(),
        "the adapter resent a message: at most once is the promise"
    );
}

#[test]
fn r2_r13_both_halves_are_dropped_before_the_next_connect() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    for n in 0..3 {
        assert!(is_up(task.poll(&mut events), n));
        peers.push(n as usize, Err(io::ErrorKind::ConnectionReset.into()));
        assert!(matches!(
            task.poll(&mut events),
            Poll::Ready(Some(Restart::Down {
                cause: Cause::Failed(_),
                ..
            }))
        ));
        clock.advance(BACKOFF);
    }
    assert_eq!(
        peers.log()[..9],
        [
            "connect 0",
            "drop read 0",
            "drop write 0",
            "connect 1",
            "drop read 1",
            "drop write 1",
            "connect 2",
            "drop read 2",
            "drop write 2",
        ]
    );
}

#[test]
fn r15_probing_belongs_to_each_connection_so_nothing_is_sent_while_down() {
    const IDLE: Duration = Duration::from_secs(30);
    const ACK: Duration = Duration::from_secs(10);
    let clock = ManualClock::new();
    let peers = Peers::default();
    let probe_clock = clock.clone();
    let mut connect = peers.connect::<()>();
    let events = restarting_on(
        move |attempt| {
            let probe_clock = probe_clock.clone();
            let connecting = connect(attempt);
            async move {
                let conn = connecting.await?;
                Ok(conn
                    .try_probe_on(IDLE, || "ping", probe_clock)
                    .ack_timeout(ACK))
            }
        },
        clock.clone(),
    )
    .jitter(Jitter::None)
    .backoff(BACKOFF, BACKOFF);
    let mut events = std::pin::pin!(events);
    let mut task = Task::new();
    let mut poll =
        |events: &mut Pin<&mut _>| -> Poll<Option<Restart<&str, io::Error>>> { task.poll(events) };
    let polled = poll(&mut events);
    assert!(is_up(polled, 0));
    assert!(poll(&mut events).is_pending());
    clock.advance(IDLE);
    assert!(poll(&mut events).is_pending());
    assert_eq!(peers.wire(0).pings(), 1);
    clock.advance(ACK); // no answer
    match poll(&mut events) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Silent(timed_out),
            ..
        })) => assert_eq!(timed_out.kind(), TimeoutKind::PingUnanswered),
        other => panic!("expected Down for the unanswered ping, got {other:?}"),
    }
    // Backing off for 60 s, two idle intervals: no connection, so no ping and no pulse.
    for _ in 0..5 {
        clock.advance(BACKOFF / 6);
        assert!(poll(&mut events).is_pending());
    }
    assert_eq!(peers.wire(0).pings(), 1);
    assert_eq!(peers.connections(), 1);
    clock.advance(BACKOFF / 6);
    assert!(is_up(poll(&mut events), 1));
    assert!(poll(&mut events).is_pending());
    assert_eq!(
        peers.wire(1).pings(),
        0,
        "the new connection's idle count started early"
    );
    clock.advance(IDLE);
    assert!(poll(&mut events).is_pending());
    assert_eq!(peers.wire(1).pings(), 1);
    assert_eq!(peers.wire(0).pings(), 1);
}

#[test]
fn r12_resuming_if_keyed_leaves_the_cursor_on_frames_without_a_key() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let cursors = Arc::new(Mutex::new(Vec::new()));
    let seen = cursors.clone();
    let mut connect = peers.connect::<u32>();
    let mut events = resuming_if_keyed_on(
        move |attempt: Attempt<u32>| {
            seen.lock().unwrap().push(attempt.cursor);
            connect(attempt)
        },
        |frame| frame.strip_prefix("update ")?.parse::<u32>().ok(),
        clock.clone(),
    )
    .jitter(Jitter::None)
    .backoff(SEC, SEC);
    let mut task = Task::new();
    assert!(is_up(task.poll(&mut events), 0));
    for frame in ["update 1", "update 2", "pong", "welcome"] {
        peers.push(0, Ok(frame));
        assert!(
            matches!(task.poll(&mut events), Poll::Ready(Some(Restart::Item(f))) if f == frame)
        );
    }
    assert_eq!(events.cursor(), Some(&2));
    peers.end(0);
    assert!(task.poll(&mut events).is_ready()); // Down
    clock.advance(SEC);
    assert!(is_up(task.poll(&mut events), 1));
    assert_eq!(*cursors.lock().unwrap(), [None, Some(2)]);
}

#[test]
fn r13_once_given_up_writes_fail_with_disconnected() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone()).max_restarts(0, SEC);
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    peers.end(0);
    writer.send(&mut events, "last words");
    assert!(matches!(
        task.poll(&mut events),
        Poll::Ready(Some(Restart::GaveUp { .. }))
    ));
    assert!(matches!(
        writer.poll_ready(&mut events),
        Poll::Ready(Err(Disconnected { .. }))
    ));
    let sent = Pin::new(&mut events).start_send("too late");
    assert!(sent.is_err());
    assert_eq!(peers.wire(0).written(), ["last words"]);
}

// Closing (the `Sink` impl's "Closing" paragraph): the caller is done.

fn is_item<E>(polled: Poll<Option<Restart<&str, E>>>, frame: &str) -> bool {
    matches!(polled, Poll::Ready(Some(Restart::Item(f))) if f == frame)
}

fn is_end<T, E>(polled: &Poll<Option<Restart<T, E>>>) -> bool {
    matches!(polled, Poll::Ready(None))
}

#[test]
fn r14_closing_delivers_what_is_on_its_way_then_ends_and_the_peers_reply_is_no_down() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    peers.push(0, Ok("update 1")); // on its way when the caller closes

    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(
        peers.wire(0).closes(),
        1,
        "not closed through the connection"
    );
    // The peer answers the close: what it still had, its own close, and the end.
    peers.push(0, Ok("update 2"));
    peers.push(0, Ok("close"));
    peers.end(0);
    for frame in ["update 1", "update 2", "close"] {
        assert!(is_item(task.poll(&mut events), frame), "{frame} lost");
    }
    let polled = task.poll(&mut events);
    assert!(is_end(&polled), "the close was answered by {polled:?}");

    assert!(futures::stream::FusedStream::is_terminated(&events));
    clock.advance(10 * BACKOFF);
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(peers.connections(), 1, "reconnected after close");
    assert_eq!(peers.log(), ["connect 0", "drop read 0", "drop write 0"]);
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(peers.wire(0).closes(), 1, "the connection was closed twice");
}

#[test]
fn r14_a_write_after_close_fails_with_disconnected() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone());
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    writer.send(&mut events, "before");
    peers.wire(0).set(|wire| wire.flush_blocked = true);
    assert!(writer.poll_close(&mut events).is_pending());
    assert!(
        matches!(
            writer.poll_ready(&mut events),
            Poll::Ready(Err(Disconnected { .. }))
        ),
        "ready while closing"
    );
    peers.wire(0).set(|wire| wire.flush_blocked = false);
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    assert!(
        matches!(
            writer.poll_ready(&mut events),
            Poll::Ready(Err(Disconnected { .. }))
        ),
        "ready after close"
    );
    assert!(matches!(
        Pin::new(&mut events).start_send("after"),
        Err(Disconnected { .. })
    ));
    assert_eq!(peers.wire(0).written(), ["before"]);
}

#[test]
fn r14_closing_while_backing_off_ends_the_stream_at_once_and_wakes_the_reader() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    peers.end(0);
    assert!(task.poll(&mut events).is_ready()); // Down
    assert!(task.poll(&mut events).is_pending()); // the reader waits out the backoff
    task.wakeups();

    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    assert!(
        task.was_woken(),
        "the reader was left waiting for the backoff"
    );
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(
        clock.live_timers(),
        0,
        "the backoff's timer outlived the close"
    );
    clock.advance(10 * BACKOFF);
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(peers.connections(), 1, "reconnected after close");
}

#[test]
fn r14_closing_while_connecting_drops_the_connect_and_ends_the_stream_at_once() {
    let clock = ManualClock::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let dropped = log.clone();
    let hangs = move |_: Attempt| {
        let guard = logged((), "connect".to_string(), &dropped);
        async move {
            let _guard = guard;
            future::pending::<io::Result<Conn>>().await
        }
    };
    let mut events = restarting_on(hangs, clock.clone());
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(task.poll(&mut events).is_pending()); // connecting
    task.wakeups();

    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    let dropped_so_far = log.lock().unwrap().clone();
    assert_eq!(dropped_so_far, ["drop connect"], "the connect was kept");
    assert!(
        task.was_woken(),
        "the reader was left waiting for the connect"
    );
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(
        clock.live_timers(),
        0,
        "the connect timeout outlived the close"
    );
    clock.advance(Duration::from_secs(3600));
    assert!(is_end(&task.poll(&mut events)));
}

#[test]
fn r14_closing_before_the_first_poll_means_no_connect_at_all() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone());
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(peers.connections(), 0);
}

#[test]
fn r14_after_close_a_source_that_fails_ends_the_stream_without_down() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone());
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    peers.push(0, Ok("last"));
    peers.push(0, Err(io::ErrorKind::ConnectionReset.into()));
    assert!(is_item(task.poll(&mut events), "last"));
    let polled = task.poll(&mut events);
    assert!(is_end(&polled), "the error after close came as {polled:?}");
    assert_eq!(peers.connections(), 1);
}

#[test]
fn r14_after_close_a_source_that_falls_silent_ends_the_stream_without_down() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone()).silence(SEC);
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    assert!(task.poll(&mut events).is_pending());
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    clock.advance(SEC);
    let polled = task.poll(&mut events);
    assert!(
        is_end(&polled),
        "the silence after close came as {polled:?}"
    );
    assert_eq!(peers.connections(), 1);
    assert_eq!(clock.live_timers(), 0);
}

#[test]
fn r14_a_close_that_fails_drops_the_connection_and_is_neither_down_nor_an_error() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone())
        .jitter(Jitter::None)
        .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    assert!(task.poll(&mut events).is_pending());
    peers.wire(0).set(|wire| wire.failing = true);

    assert!(
        matches!(writer.poll_close(&mut events), Poll::Ready(Ok(()))),
        "the failed close was reported to the caller"
    );
    assert!(task.was_woken(), "the reader was not told");
    let polled = task.poll(&mut events);
    assert!(is_end(&polled), "the failed close came as {polled:?}");
    assert_eq!(peers.log(), ["connect 0", "drop read 0", "drop write 0"]);
    clock.advance(10 * BACKOFF);
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(peers.connections(), 1);
}

#[test]
fn r14_a_close_in_progress_when_the_peer_ends_completes_and_wakes_the_closer() {
    let clock = ManualClock::new();
    let peers = Peers::default();
    let mut events = restarting_on(peers.connect(), clock.clone());
    let mut task = Task::new();
    let mut writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    writer.was_woken();
    peers.wire(0).set(|wire| wire.flush_blocked = true);
    assert!(writer.poll_close(&mut events).is_pending());

    peers.end(0); // the peer hung up before the close was flushed
    assert!(is_end(&task.poll(&mut events)));
    assert!(
        writer.was_woken(),
        "the closer was left waiting on a dropped connection"
    );
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(peers.connections(), 1);
}

#[test]
fn r14_r15_closing_a_probed_connection_whose_peer_never_answers_ends_after_the_ack_timeout() {
    const IDLE: Duration = Duration::from_secs(30);
    const ACK: Duration = Duration::from_secs(10);
    let clock = ManualClock::new();
    let peers = Peers::default();
    let probe_clock = clock.clone();
    let mut connect = peers.connect::<()>();
    let mut events = restarting_on(
        move |attempt| {
            let probe_clock = probe_clock.clone();
            let connecting = connect(attempt);
            async move {
                let conn = connecting.await?;
                Ok(conn
                    .try_probe_on(IDLE, || "ping", probe_clock)
                    .ack_timeout(ACK))
            }
        },
        clock.clone(),
    )
    .jitter(Jitter::None)
    .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    let writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    assert!(task.poll(&mut events).is_pending());
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    assert!(task.poll(&mut events).is_pending());
    clock.advance(ACK - SEC);
    assert!(task.poll(&mut events).is_pending());
    task.wakeups();
    clock.advance(SEC); // the close's ack timeout: the probe's time-out ends the stream
    assert!(task.was_woken(), "not woken at the close's ack timeout");
    let polled = task.poll(&mut events);
    assert!(is_end(&polled), "the unanswered close came as {polled:?}");
    assert_eq!(peers.wire(0).pings(), 0, "pinged after close");
    clock.advance(10 * BACKOFF);
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(peers.connections(), 1, "reconnected after close");
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn r14_r15_closing_a_probed_connection_whose_write_half_never_finishes_the_close_returns_at_the_ack_timeout(
) {
    const IDLE: Duration = Duration::from_secs(30);
    const ACK: Duration = Duration::from_secs(10);
    let clock = ManualClock::new();
    let peers = Peers::default();
    let probe_clock = clock.clone();
    let mut connect = peers.connect::<()>();
    let mut events = restarting_on(
        move |attempt| {
            let probe_clock = probe_clock.clone();
            let connecting = connect(attempt);
            async move {
                let conn = connecting.await?;
                Ok(conn
                    .try_probe_on(IDLE, || "ping", probe_clock)
                    .ack_timeout(ACK))
            }
        },
        clock.clone(),
    )
    .jitter(Jitter::None)
    .backoff(BACKOFF, BACKOFF);
    let mut task = Task::new();
    let mut writer = Writer::new();
    assert!(is_up(task.poll(&mut events), 0));
    peers.wire(0).set(|state| state.flush_blocked = true); // a frozen peer's full buffer
                                                           // `close().await` first, and only then read: the close alone must return.
    assert!(writer.poll_close(&mut events).is_pending());
    clock.advance(ACK - SEC);
    assert!(!writer.was_woken());
    assert!(writer.poll_close(&mut events).is_pending());
    clock.advance(SEC);
    assert!(
        writer.was_woken(),
        "the close was not woken at its ack timeout"
    );
    assert!(matches!(
        writer.poll_close(&mut events),
        Poll::Ready(Ok(()))
    ));
    let polled = task.poll(&mut events);
    assert!(is_end(&polled), "after the close gave up came {polled:?}");
    clock.advance(10 * BACKOFF);
    assert!(is_end(&task.poll(&mut events)));
    assert_eq!(peers.connections(), 1, "reconnected after close");
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}
