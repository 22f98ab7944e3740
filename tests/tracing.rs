//! The `tracing` feature: one event when a watchdog fires, when a source is
//! restarted or given up, and when the default clock's scheduler recovers from a
//! fault, with the stream's name; none per item.
#![cfg(feature = "tracing")]

mod support;

use std::fmt::{self, Write};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use futures::stream;
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::restart::{restarting_on, Restart};
use futures_heartbeat::HeartbeatExt;
use support::wheel::{pending_timer, quietly, wait_for, waker_with};
use support::{Feed, Task};
use tracing::field::{Field, Visit};
use tracing::{span, Event, Metadata, Subscriber};

/// A subscriber that keeps each event as a line: its level, then its fields.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

#[test]
fn a_watchdog_that_fires_says_so_once_with_its_name() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        let clock = ManualClock::new();
        let mut items = stream::pending::<u8>()
            .watchdog_on(Duration::from_secs(2), clock.clone())
            .named("orders");
        let mut task = Task::new();
        assert_eq!(task.poll(&mut items), Poll::Pending);
        clock.advance(Duration::from_secs(2));
        assert_eq!(task.poll(&mut items), Poll::Ready(None));
        assert_eq!(task.poll(&mut items), Poll::Ready(None));
    });
    let lines = recorder.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("WARN"), "{lines:?}");
    assert!(
        lines[0].contains("stream=\"orders\"") && lines[0].contains("silence=2s"),
        "{lines:?}"
    );
}

#[test]
fn items_make_no_event() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        let clock = ManualClock::new();
        let (feed, fed) = Feed::new();
        let mut items = fed.watchdog_on(Duration::from_secs(2), clock.clone());
        let mut task = Task::new();
        for n in 0..1000 {
            feed.push(n);
            assert_eq!(task.poll(&mut items), Poll::Ready(Some(n)));
        }
        feed.end();
        assert_eq!(task.poll(&mut items), Poll::Ready(None));
    });
    assert!(recorder.lines().is_empty(), "{:?}", recorder.lines());
}

#[test]
fn each_restart_and_giving_up_is_an_event_with_the_cause() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        let clock = ManualClock::new();
        let events = restarting_on(
            |_| async { Err::<stream::Empty<Result<u8, &str>>, _>("refused") },
            clock.clone(),
        )
        .backoff(Duration::from_secs(1), Duration::from_secs(1))
        .max_restarts(1, Duration::from_secs(60))
        .named("prices");
        let mut task = Task::new();
        let mut events = Box::pin(events);
        assert!(matches!(
            task.poll(&mut events),
            Poll::Ready(Some(Restart::Down { .. }))
        ));
        clock.advance(Duration::from_secs(1));
        assert!(matches!(
            task.poll(&mut events),
            Poll::Ready(Some(Restart::GaveUp { .. }))
        ));
    });
    let lines = recorder.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("WARN")
            && lines[0].contains("cause=\"connect failed\"")
            && lines[0].contains("attempt=1"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("ERROR")
            && lines[1].contains("stream=\"prices\"")
            && lines[1].contains("restarts=1"),
        "{lines:?}"
    );
}

#[test]
#[cfg_attr(miri, ignore = "waits for the scheduler in real time")]
fn the_scheduler_says_when_it_recovers_from_a_faulty_waker() {
    // The scheduler's thread has no subscriber of its own: the global one hears it.
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();
    let panics = waker_with(|| panic!("a faulty executor's waker"));
    let _timer = pending_timer(Duration::from_millis(5), &panics);
    quietly(|| {
        wait_for(Duration::from_secs(10), "the recovery event", || {
            recorder
                .lines()
                .iter()
                .any(|line| line.contains("a waker panicked"))
        })
    });
}
