//! Every closure the crate takes infers its argument types without an
//! annotation, as `StreamExt::filter`'s does: the bound sits on the method that
//! takes the closure. A closure below that needed one would not compile; each
//! test then checks that its closure was the one used.

use std::io;
use std::time::Duration;

use futures::channel::mpsc;
use futures::executor::block_on;
use futures::sink::SinkExt;
use futures::stream::{self, StreamExt};
use futures_heartbeat::restart::{
    restarting, resuming, resuming_if_keyed, resuming_if_keyed_on, resuming_on, Jitter, Restart,
};
use futures_heartbeat::{clock::ManualClock, Duplex, Event, HeartbeatExt};

const IDLE: Duration = Duration::from_secs(30);
const MS: Duration = Duration::from_millis(1);

#[test]
fn probe_takes_make_ping_and_control_frames_unannotated() {
    let (to_peer, mut peer_reads) = mpsc::unbounded::<&str>();
    let (peer_writes, from_peer) = mpsc::unbounded::<&str>();
    let clock = ManualClock::new();
    let mut conn = Duplex::new(from_peer, to_peer)
        .probe_on(IDLE, || "ping", clock.clone())
        .control_frames(|frame| *frame == "pong");
    block_on(async {
        assert!(futures::poll!(conn.next()).is_pending());
        clock.advance(IDLE);
        assert!(futures::poll!(conn.next()).is_pending());
        assert_eq!(peer_reads.next().await, Some("ping"));
        peer_writes.unbounded_send("pong").unwrap();
        peer_writes.unbounded_send("update").unwrap();
        assert_eq!(conn.next().await, Some("update"));
    });
}

#[test]
fn try_probe_takes_control_frames_unannotated() {
    let (to_peer, _peer_reads) = mpsc::unbounded::<&str>();
    let (peer_writes, from_peer) = mpsc::unbounded::<io::Result<&str>>();
    let to_peer = to_peer.sink_map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe));
    let mut conn = Duplex::new(from_peer, to_peer)
        .try_probe(IDLE, || "ping")
        .control_frames(|frame| matches!(frame, Ok("pong")));
    peer_writes.unbounded_send(Ok("pong")).unwrap();
    peer_writes.unbounded_send(Ok("update")).unwrap();
    assert_eq!(block_on(conn.next()).unwrap().unwrap(), "update");
}

#[test]
fn restarting_takes_connect_fatal_if_and_backoff_with_unannotated() {
    let events = restarting(|attempt| async move {
        Err::<stream::Empty<Result<u8, io::Error>>, _>(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("attempt {}", attempt.number),
        ))
    })
    .backoff_with(|| std::iter::repeat(MS).take(5))
    .jitter(Jitter::None)
    .fatal_if(|error| error.kind() == io::ErrorKind::PermissionDenied);
    let events: Vec<_> = block_on(events.collect());
    assert!(matches!(events[..], [Restart::GaveUp { restarts: 0, .. }]));
}

/// A source of three numbered records, from the one after `cursor`.
fn records_after(cursor: Option<u32>) -> Vec<Result<(u32, &'static str), ()>> {
    let from = cursor.map_or(0, |last| last + 1);
    (from..from + 3).map(|n| Ok((n, "record"))).collect()
}

#[test]
fn resuming_takes_key_of_unannotated_after_connect() {
    let mut events = resuming(
        |attempt| async move { Ok(stream::iter(records_after(attempt.cursor))) },
        |record| record.0,
    );
    let mut on_clock = resuming_on(
        |attempt| async move { Ok(stream::iter(records_after(attempt.cursor))) },
        |record| record.0,
        ManualClock::new(),
    );
    block_on(async {
        for _ in 0..3 {
            events.next().await; // Up, 0, 1
            on_clock.next().await;
        }
    });
    assert_eq!(events.cursor(), Some(&1));
    assert_eq!(on_clock.cursor(), Some(&1));
}

#[test]
fn resuming_if_keyed_takes_key_of_unannotated_after_connect() {
    let frames = || async { Ok::<_, ()>(stream::iter(["update 7", "pong"].map(Ok))) };
    let mut events = resuming_if_keyed(
        move |_| frames(),
        |frame| frame.strip_prefix("update ").map(str::to_string),
    );
    let mut on_clock = resuming_if_keyed_on(
        move |_| frames(),
        |frame| frame.strip_prefix("update ").map(str::to_string),
        ManualClock::new(),
    );
    block_on(async {
        for _ in 0..3 {
            events.next().await; // Up, "update 7", "pong"
            on_clock.next().await;
        }
    });
    assert_eq!(events.cursor().map(String::as_str), Some("7"));
    assert_eq!(on_clock.cursor().map(String::as_str), Some("7"));
}

#[test]
fn event_map_takes_its_closure_unannotated() {
    assert_eq!(Event::Item(2).map(|n| n * 10), Event::Item(20));
}
