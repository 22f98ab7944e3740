//! The adapters on `wasm32-unknown-unknown`, in Node (as in a browser), on the
//! default clock, whose scheduler there is driven by the host's `setTimeout`.
//! Real time with wide margins: what the manual-clock suites check exactly,
//! these check can happen at all where there are no threads.
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown --test wasm
//! ```
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::mpsc;
use futures::stream::{self, StreamExt};
use futures_heartbeat::clock::Instant;
use futures_heartbeat::restart::{restarting, Cause, Restart};
use futures_heartbeat::{Event, HeartbeatExt};
use futures_timer::Delay;
use wasm_bindgen_test::wasm_bindgen_test;

const MS: Duration = Duration::from_millis(1);
/// Far beyond any wait here, on a loaded machine; only a timer that never fires gets near it.
const GENEROUS: Duration = Duration::from_secs(5);

/// `work`, or a failure after `GENEROUS`: a timer that never fires must fail the
/// test, not hang it. The deadline is futures-timer's, not the clock under test.
async fn within<T>(work: impl std::future::Future<Output = T>) -> T {
    match futures::future::select(Box::pin(work), Delay::new(GENEROUS)).await {
        futures::future::Either::Left((done, _)) => done,
        futures::future::Either::Right(_) => {
            panic!("nothing after {GENEROUS:?}: a timer never fired")
        }
    }
}

#[wasm_bindgen_test]
async fn the_first_pulse_comes_one_interval_after_the_first_poll() {
    let start = Instant::now();
    let mut events = stream::pending::<u8>().with_heartbeat(20 * MS);
    assert_eq!(within(events.next()).await, Some(Event::Pulse));
    let waited = start.elapsed();
    assert!(waited >= 20 * MS && waited < GENEROUS, "{waited:?}");
}

#[wasm_bindgen_test]
async fn pulses_keep_coming_while_the_stream_is_pending() {
    let start = Instant::now();
    let events = stream::pending::<u8>().with_heartbeat(10 * MS);
    let pulses: Vec<_> = within(events.take(5).collect()).await;
    assert_eq!(pulses, [Event::Pulse; 5]);
    let waited = start.elapsed();
    assert!(waited >= 50 * MS && waited < GENEROUS, "{waited:?}");
}

#[wasm_bindgen_test]
async fn items_pass_in_order_with_pulses_while_the_producer_is_quiet() {
    let (tx, rx) = mpsc::unbounded();
    wasm_bindgen_futures::spawn_local(async move {
        for n in 0..5 {
            Delay::new(25 * MS).await;
            tx.unbounded_send(n).unwrap();
        }
    });
    let events: Vec<_> = within(rx.with_heartbeat(10 * MS).collect()).await;
    let items: Vec<u32> = events
        .iter()
        .filter_map(|event| event.as_ref().into_item().copied())
        .collect();
    assert_eq!(items, [0, 1, 2, 3, 4]);
    assert!(
        events.iter().any(Event::is_pulse),
        "no pulse while the producer slept"
    );
}

/// A stream that never yields and notes when it is dropped.
struct Silent(Rc<Cell<bool>>);

impl futures::Stream for Silent {
    type Item = u8;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<u8>> {
        std::task::Poll::Pending
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[wasm_bindgen_test]
async fn the_watchdog_ends_a_silent_stream_and_drops_it() {
    let dropped = Rc::new(Cell::new(false));
    let start = Instant::now();
    let mut items = Silent(dropped.clone()).watchdog(30 * MS);
    assert_eq!(within(items.next()).await, None);
    assert!(items.timed_out());
    assert!(dropped.get(), "the silent stream outlived the watchdog");
    let waited = start.elapsed();
    assert!(waited >= 30 * MS && waited < GENEROUS, "{waited:?}");
}

#[wasm_bindgen_test]
async fn keep_alive_pulses_only_once_the_line_is_idle() {
    let events = stream::iter([1, 2, 3])
        .chain(stream::pending())
        .keep_alive(15 * MS);
    let got: Vec<_> = within(events.take(5).collect()).await;
    assert_eq!(
        got,
        [
            Event::Item(1),
            Event::Item(2),
            Event::Item(3),
            Event::Pulse,
            Event::Pulse
        ]
    );
}

#[wasm_bindgen_test]
async fn restarting_reconnects_after_a_failure_with_backoff() {
    let events = restarting(|attempt| async move {
        let items = [Ok(attempt.number), Err("reset")];
        Ok::<_, &str>(stream::iter(items))
    })
    .backoff(5 * MS, 5 * MS);
    let events: Vec<_> = within(Box::pin(events).take(6).collect()).await;
    assert!(
        matches!(events[0], Restart::Up { attempt: 0, .. }),
        "{events:?}"
    );
    assert_eq!(events[1], Restart::Item(0));
    assert!(matches!(
        events[2],
        Restart::Down {
            cause: Cause::Failed("reset"),
            attempt: 1,
            ..
        }
    ));
    assert!(matches!(events[3], Restart::Up { attempt: 1, .. }));
    assert_eq!(events[4], Restart::Item(1));
}

/// The browser's case: no ping frames, so an application-level ping goes out on
/// the socket's own write half (a `Duplex` of channels standing in for it).
#[wasm_bindgen_test]
async fn a_probe_pings_a_quiet_server_and_ends_when_it_stops_answering() {
    #[derive(Debug, PartialEq)]
    enum FromServer {
        Update(u32),
        Pong,
    }
    let (to_client, from_server) = mpsc::unbounded();
    let (to_server, mut pings) = mpsc::unbounded::<&str>();
    let answered = Rc::new(Cell::new(0));
    let counted = answered.clone();
    wasm_bindgen_futures::spawn_local(async move {
        to_client.unbounded_send(FromServer::Update(1)).unwrap();
        // Answers three pings, then freezes with the connection open.
        for _ in 0..3 {
            assert_eq!(pings.next().await, Some("ping"));
            to_client.unbounded_send(FromServer::Pong).unwrap();
            counted.set(counted.get() + 1);
        }
        futures::future::pending::<()>().await;
    });
    let start = Instant::now();
    let mut socket = futures_heartbeat::Duplex::new(from_server, to_server)
        .probe(20 * MS, || "ping")
        .ack_timeout(20 * MS)
        .control_frames(|message| *message == FromServer::Pong);
    let got: Vec<_> = within(socket.by_ref().collect()).await;
    assert_eq!(got, [FromServer::Update(1)]); // the pongs were life, not messages
    assert!(socket.timed_out());
    assert_eq!(answered.get(), 3);
    // Three answered pings, 20 ms apart at least, then 20 ms + 20 ms without an answer.
    let waited = start.elapsed();
    assert!(waited >= 100 * MS && waited < GENEROUS, "{waited:?}");
}
