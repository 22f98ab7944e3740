//! `probe`, rule by rule (P1–P15, stated in the docs of `HeartbeatExt::probe`;
//! a test of a rule starts its name with the rule's number), on the manual
//! clock: exact times, the task's wakeups, and what went out on the write half.
//! A `Fed` stream stands in for the read half and a `Wire` for the write half.

mod support;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::sink::{Sink, SinkExt};
use futures::stream::{FusedStream, StreamExt};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::{
    Duplex, EveryFrame, HeartbeatExt, PingBackoff, TimedOut, TimeoutKind, TryProbe,
};
use futures_test::task::{new_count_waker, AwokenCount};
use support::wire::Wire;
use support::{Fed, Feed, Task};

const IDLE: Duration = Duration::from_secs(30);
const ACK: Duration = Duration::from_secs(10);
const NANO: Duration = Duration::from_nanos(1);
const SEC: Duration = Duration::from_secs(1);

type Conn<T> = Duplex<Fed<T>, Wire>;

fn connection<T>() -> (Feed<T>, Wire, Conn<T>) {
    let (feed, fed) = Feed::new();
    let wire = Wire::default();
    (feed, wire.clone(), Duplex::new(fed, wire))
}

type TryConn =
    TryProbe<Conn<io::Result<u8>>, fn() -> &'static str, EveryFrame<io::Result<u8>>, ManualClock>;

/// A `try_probe` on `clock` whose ping has gone unanswered for the whole ack
/// timeout, polled up to the moment the timeout falls due: its next poll ends it.
fn try_probe_at_its_ack_timeout(
    clock: &ManualClock,
) -> (Feed<io::Result<u8>>, Wire, TryConn, Task) {
    let (feed, wire, conn) = connection::<io::Result<u8>>();
    let ping: fn() -> &'static str = || "ping";
    let mut conn = conn
        .try_probe_on(IDLE, ping, clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(IDLE);
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(ACK);
    (feed, wire, conn, task)
}

/// The caller's `poll_close`, from a task of its own.
fn close<S: Sink<&'static str> + Unpin>(conn: &mut S) -> Poll<Result<(), S::Error>> {
    Pin::new(conn).poll_close(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

/// A task of its own that closes the probe, and counts its wakeups.
struct Closer {
    waker: Waker,
    woken: AwokenCount,
    seen: usize,
}

impl Closer {
    fn new() -> Closer {
        let (waker, woken) = new_count_waker();
        Closer {
            waker,
            woken,
            seen: 0,
        }
    }

    fn poll_close<S: Sink<&'static str> + Unpin>(
        &self,
        conn: &mut S,
    ) -> Poll<Result<(), S::Error>> {
        Pin::new(conn).poll_close(&mut Context::from_waker(&self.waker))
    }

    /// Whether it was woken since the last call.
    fn was_woken(&mut self) -> bool {
        let total = self.woken.get();
        let woken = total > self.seen;
        self.seen = total;
        woken
    }
}

fn is_pong(frame: &&str) -> bool {
    *frame == "pong"
}

#[test]
fn p1_p7_frames_pass_through_in_order_and_the_users_writes_go_to_the_connection() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    for n in 0..100u32 {
        feed.push(n);
    }
    let frames: Vec<u32> = futures::executor::block_on(conn.by_ref().take(100).collect());
    assert_eq!(frames, (0..100).collect::<Vec<_>>());
    futures::executor::block_on(conn.send("hello")).unwrap();
    assert_eq!(wire.written(), ["hello"]);
}

#[test]
fn p2_a_ping_goes_out_exactly_idle_after_the_first_wait_and_wakes_the_task() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    clock.advance(10 * IDLE); // before the first poll: nobody waits yet
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE - NANO);
    assert!(!task.was_woken());
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 0);
    clock.advance(NANO);
    assert!(task.was_woken(), "not woken when the ping fell due");
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    assert!(
        wire.shared.lock().unwrap().flushes >= 1,
        "the ping was not flushed"
    );
}

#[test]
fn p2_idle_is_measured_from_the_last_inbound_frame_never_from_the_last_ping() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending); // ping 1 at 30 s
    clock.advance(ACK / 2);
    feed.push("pong"); // answered at 35 s
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some("pong")));
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    // 30 s after ping 1 is not 30 s after the answer: no ping yet.
    clock.advance(IDLE - ACK / 2);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    clock.advance(ACK / 2 - NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    clock.advance(NANO); // 30 s after the answer
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 2);
}

#[test]
fn p2_a_frame_that_keeps_coming_means_no_ping_at_all() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    for n in 0..100u32 {
        assert_eq!(task.poll(&mut conn), Poll::Pending);
        clock.advance(IDLE - NANO);
        feed.push(n);
        assert_eq!(task.poll(&mut conn), Poll::Ready(Some(n)));
    }
    assert_eq!(wire.pings(), 0);
}

#[test]
fn p1_control_frames_count_as_life_but_are_not_yielded() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK)
        .control_frames(is_pong);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    clock.advance(ACK - NANO);
    feed.push("pong");
    assert_eq!(task.poll(&mut conn), Poll::Pending, "a pong was yielded");
    clock.advance(ACK); // past the first ping's ack deadline: the pong answered it
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(!conn.timed_out());
    feed.push("update");
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some("update")));
}

#[test]
fn p5_no_frame_within_the_ack_timeout_ends_the_stream_exactly_then() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    task.wakeups(); // the ping's
    clock.advance(ACK - NANO);
    assert!(!task.was_woken(), "woken before the ack timeout passed");
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken(), "not woken when the ack timeout passed");
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
    assert!(conn.is_terminated());
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert_eq!(wire.pings(), 1);
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p5_a_connection_that_ends_by_itself_is_not_timed_out() {
    let clock = ManualClock::new();
    let (feed, _wire, conn) = connection();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    feed.push(1);
    feed.end();
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some(1)));
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(!conn.timed_out());
    assert!(conn.is_terminated());
    assert_eq!(task.poll(&mut conn), Poll::Ready(None)); // fused: the connection is not polled again
}

#[test]
fn p3_at_most_one_ping_is_outstanding() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(Duration::MAX);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    for _ in 0..50 {
        clock.advance(IDLE);
        assert_eq!(task.poll(&mut conn), Poll::Pending);
    }
    assert_eq!(wire.pings(), 1);
    assert!(!conn.timed_out()); // an ack timeout of Duration::MAX never passes
}

#[test]
fn p2_time_the_consumer_spends_away_never_causes_a_ping() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    feed.push(1);
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some(1)));
    clock.advance(100 * IDLE); // the consumer is busy elsewhere
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 0);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
}

#[test]
fn p4_no_ping_while_a_write_is_pending_and_one_once_the_write_half_is_ready() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    wire.set(|state| state.blocked = true);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    for _ in 0..5 {
        assert_eq!(task.poll(&mut conn), Poll::Pending);
    }
    assert_eq!(
        wire.pings(),
        0,
        "a ping was written while the write half was not ready"
    );
    task.wakeups();
    clock.advance(ACK / 2);
    wire.set(|state| state.blocked = false);
    assert!(
        task.was_woken(),
        "not woken when the write half became ready"
    );
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(
        wire.pings(),
        1,
        "not exactly one ping once ready: no pile-up"
    );
}

#[test]
fn p4_a_write_half_that_stays_blocked_is_detected_within_idle_plus_ack() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    wire.set(|state| state.blocked = true);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK - NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(NANO);
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
    assert_eq!(wire.pings(), 0);
}

#[test]
fn p4_a_ping_the_wire_is_slow_to_flush_is_flushed_by_later_polls() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    wire.set(|state| state.flush_blocked = true);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.shared.lock().unwrap().flushes, 0);
    wire.set(|state| state.flush_blocked = false);
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.shared.lock().unwrap().flushes, 1);
    assert_eq!(wire.pings(), 1);
}

#[test]
fn p8_backoff_doubles_the_interval_from_the_next_count() {
    let clock = ManualClock::new();
    let backoff = PingBackoff::new();
    let (feed, wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK)
        .ping_backoff(backoff.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    backoff.double(); // the peer answered "too many pings"
    assert_eq!(conn.interval(), 2 * IDLE);
    feed.push("too many pings");
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some("too many pings")));
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(2 * IDLE - NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    clock.advance(NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 2);
}

#[test]
fn p8_a_default_backoff_is_a_new_one_and_doubles() {
    let (made_new, made_default) = (PingBackoff::new(), PingBackoff::default());
    assert_eq!(made_default.factor(), made_new.factor());
    made_new.double();
    made_default.double();
    assert_eq!(made_default.factor(), 2);
    assert_eq!(made_default.factor(), made_new.factor());
}

#[test]
fn p9_no_clock_read_or_timer_work_per_inbound_frame() {
    let clock = ManualClock::new();
    let (feed, _wire, conn) = connection();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    let before = clock.counts();
    for n in 0..10_000u32 {
        feed.push(n);
    }
    for n in 0..10_000u32 {
        assert_eq!(task.poll(&mut conn), Poll::Ready(Some(n)));
    }
    assert_eq!(clock.counts(), before);
}

#[test]
fn p1_a_flood_of_control_frames_yields_to_other_tasks() {
    let clock = ManualClock::new();
    let (feed, _wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .control_frames(is_pong);
    let mut task = Task::new();
    for _ in 0..1000 {
        feed.push("pong");
    }
    feed.push("update");
    let mut polls = 0;
    loop {
        polls += 1;
        match task.poll(&mut conn) {
            Poll::Ready(frame) => {
                assert_eq!(frame, Some("update"));
                break;
            }
            Poll::Pending => assert!(task.was_woken(), "yielded without a wakeup"),
        }
    }
    assert!(polls > 1, "a thousand pongs taken in one poll");
}

// Settings changed after the first poll (P14).

#[test]
fn p14_control_frames_set_while_a_ping_is_outstanding_keeps_the_ack_deadline() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    task.wakeups(); // the ping's
    let mut conn = conn.control_frames(is_pong);
    clock.advance(ACK - NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(NANO);
    assert!(task.was_woken(), "not woken at the ack deadline");
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
    assert_eq!(wire.pings(), 1);
}

#[test]
fn p14_ack_timeout_shortened_while_a_ping_is_outstanding_moves_its_deadline() {
    let clock = ManualClock::new();
    let (_feed, _wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending); // the ping fell due
    clock.advance(4 * SEC);
    let mut conn = conn.ack_timeout(5 * SEC);
    assert_eq!(conn.ack_timeout_limit(), 5 * SEC);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    task.wakeups();
    clock.advance(SEC - NANO);
    assert!(!task.was_woken());
    clock.advance(NANO); // 5 s after the ping fell due
    assert!(task.was_woken(), "not woken at the new ack deadline");
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
}

#[test]
fn p14_ack_timeout_shortened_past_the_time_already_waited_ends_at_the_next_poll() {
    let clock = ManualClock::new();
    let (_feed, _wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(8 * SEC);
    let mut conn = conn.ack_timeout(5 * SEC);
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
}

#[test]
fn p14_ack_timeout_lengthened_while_a_ping_is_outstanding_moves_its_deadline() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    let mut conn = conn.ack_timeout(2 * ACK);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK);
    assert_eq!(
        task.poll(&mut conn),
        Poll::Pending,
        "ended at the old deadline"
    );
    clock.advance(ACK - NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    feed.push("pong"); // just in time
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some("pong")));
    assert!(!conn.timed_out());
    assert_eq!(wire.pings(), 1);
}

#[test]
fn p14_ack_timeout_set_forever_while_a_ping_is_outstanding_never_ends_it() {
    let clock = ManualClock::new();
    let (_feed, _wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    let mut conn = conn.ack_timeout(Duration::MAX);
    clock.advance(1000 * ACK);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(!conn.timed_out());
    let mut conn = conn.ack_timeout(ACK); // and back: 10 s after the ping fell due, long past
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
}

#[test]
fn p14_a_doubling_during_an_idle_count_moves_its_deadline() {
    let clock = ManualClock::new();
    let backoff = PingBackoff::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending); // the idle count starts
    clock.advance(IDLE / 2);
    let mut conn = conn.ping_backoff(backoff.clone());
    backoff.double();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE / 2);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(
        wire.pings(),
        0,
        "pinged at the interval before the doubling"
    );
    clock.advance(IDLE - NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 0);
    task.wakeups();
    clock.advance(NANO); // twice the interval after the count started
    assert!(task.was_woken(), "not woken when the ping fell due");
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
}

#[test]
fn p14_control_frames_set_while_idle_keeps_the_idle_count() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE / 2);
    let mut conn = conn.control_frames(is_pong);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE / 2);
    assert!(task.was_woken(), "not woken when the ping fell due");
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1, "the idle count started again");
}

// Hostile write halves.

#[test]
fn p6_a_write_half_that_fails_is_left_to_the_ack_timeout_without_a_busy_loop() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    wire.set(|state| state.failing = true);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    task.wakeups(); // the ping's
    for _ in 0..10 {
        assert_eq!(task.poll(&mut conn), Poll::Pending);
    }
    assert_eq!(
        wire.ready_polls(),
        1,
        "the failed write half was asked again"
    );
    assert!(!task.was_woken(), "a busy loop: the task woke itself");
    clock.advance(ACK);
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
}

#[test]
fn p5_p6_try_probe_reports_a_failed_ping_at_once_and_ends() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection::<io::Result<u8>>();
    let mut conn = conn.try_probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    wire.set(|state| state.failing = true);
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(IDLE);
    match task.poll(&mut conn) {
        Poll::Ready(Some(Err(error))) => assert_eq!(error.kind(), io::ErrorKind::BrokenPipe),
        other => panic!("expected the write half's error, got {other:?}"),
    }
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
    feed.push(Ok(1)); // too late: it ended with the error
    assert!(matches!(task.poll(&mut conn), Poll::Ready(None)));
    assert!(conn.is_terminated());
}

/// Where the write half fails while the probe writes its ping: its `start_send`,
/// its `poll_flush`, or a later flush of a ping the wire was slow to take.
#[derive(Debug, Clone, Copy)]
enum PingBreaksAt {
    Send,
    Flush,
    LaterFlush,
}

/// A probe (or, with `try_probe`, a `TryProbe`) whose ping falls due now on a
/// wire that breaks as `breaks` says, polled until the ping has met the break.
fn ping_on_a_wire_that_breaks<T>(
    breaks: PingBreaksAt,
    clock: &ManualClock,
    conn: &mut T,
    wire: &Wire,
    task: &mut Task,
) -> Poll<Option<T::Item>>
where
    T: futures::Stream + Unpin,
{
    assert!(task.poll(conn).is_pending());
    match breaks {
        PingBreaksAt::Send => wire.set(|state| state.send_failing = true),
        PingBreaksAt::Flush => wire.set(|state| state.flush_failing = true),
        PingBreaksAt::LaterFlush => wire.set(|state| state.flush_blocked = true),
    }
    clock.advance(IDLE);
    task.wakeups(); // the ping's
    let polled = task.poll(conn);
    if let PingBreaksAt::LaterFlush = breaks {
        assert!(polled.is_pending(), "{breaks:?}: the flush was blocked");
        assert_eq!(wire.pings(), 1);
        wire.set(|state| {
            state.flush_blocked = false;
            state.flush_failing = true;
        });
        assert!(
            task.was_woken(),
            "{breaks:?}: the wire did not wake the task"
        );
        return task.poll(conn);
    }
    polled
}

#[test]
fn p6_a_ping_whose_send_or_flush_fails_counts_as_sent_and_try_probe_reports_it() {
    for breaks in [
        PingBreaksAt::Send,
        PingBreaksAt::Flush,
        PingBreaksAt::LaterFlush,
    ] {
        let clock = ManualClock::new();
        let (_feed, wire, conn) = connection::<io::Result<u8>>();
        let mut conn = conn.try_probe_on(IDLE, || "ping", clock.clone());
        let mut task = Task::new();
        match ping_on_a_wire_that_breaks(breaks, &clock, &mut conn, &wire, &mut task) {
            Poll::Ready(Some(Err(error))) => {
                assert_eq!(error.kind(), io::ErrorKind::BrokenPipe, "{breaks:?}")
            }
            other => panic!("{breaks:?}: expected the write half's error, got {other:?}"),
        }
        assert!(
            matches!(task.poll(&mut conn), Poll::Ready(None)),
            "{breaks:?}"
        );

        let clock = ManualClock::new();
        let (_feed, wire, conn) = connection::<&str>();
        let mut conn = conn
            .probe_on(IDLE, || "ping", clock.clone())
            .ack_timeout(ACK);
        let mut task = Task::new();
        let polled = ping_on_a_wire_that_breaks(breaks, &clock, &mut conn, &wire, &mut task);
        assert_eq!(
            polled,
            Poll::Pending,
            "{breaks:?}: the probe waits for an answer"
        );
        assert!(!task.was_woken(), "{breaks:?}: a busy loop");
        let (written, ready_polls) = (wire.written(), wire.ready_polls());
        clock.advance(ACK - NANO);
        assert_eq!(task.poll(&mut conn), Poll::Pending, "{breaks:?}");
        clock.advance(NANO);
        assert_eq!(task.poll(&mut conn), Poll::Ready(None), "{breaks:?}");
        assert!(conn.timed_out(), "{breaks:?}");
        assert_eq!(
            wire.written(),
            written,
            "{breaks:?}: the ping was written again"
        );
        assert_eq!(
            wire.ready_polls(),
            ready_polls,
            "{breaks:?}: the failed write half was asked again"
        );
    }
}

#[test]
fn try_probe_has_the_accessors_of_probe() {
    let (_feed, _wire, conn) = connection::<io::Result<u8>>();
    let conn = conn.try_probe(IDLE, || "ping");
    assert_eq!(conn.ack_timeout_limit(), Duration::from_secs(20)); // gRPC's default
    assert_eq!(conn.interval(), IDLE);
    let conn = conn.ack_timeout(ACK).control_frames(|_| false);
    assert_eq!(conn.ack_timeout_limit(), ACK);
    assert_eq!(conn.interval(), IDLE);
}

#[test]
fn p5_try_probe_reports_its_timeout_once_even_if_a_setting_is_changed_afterwards() {
    let clock = ManualClock::new();
    let (_feed, _wire, mut conn, mut task) = try_probe_at_its_ack_timeout(&clock);
    assert!(matches!(task.poll(&mut conn), Poll::Ready(Some(Err(_)))));
    let mut conn = conn.ack_timeout(2 * ACK);
    assert!(matches!(task.poll(&mut conn), Poll::Ready(None)));
}

#[test]
fn p5_try_probe_ends_with_a_timed_out_error_naming_the_whole_silence() {
    let clock = ManualClock::new();
    let (_feed, _wire, mut conn, mut task) = try_probe_at_its_ack_timeout(&clock);
    let error = match task.poll(&mut conn) {
        Poll::Ready(Some(Err(error))) => error,
        other => panic!("expected a timeout error, got {other:?}"),
    };
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    let timed_out = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<futures_heartbeat::TimedOut>())
        .expect("no TimedOut inside");
    assert_eq!(timed_out.silence(), IDLE + ACK);
    assert!(conn.timed_out());
    assert!(matches!(task.poll(&mut conn), Poll::Ready(None)));
    assert!(conn.is_terminated());
}

#[test]
fn p15_try_probe_error_says_a_ping_went_unanswered_with_both_limits() {
    let clock = ManualClock::new();
    let (_feed, _wire, mut conn, mut task) = try_probe_at_its_ack_timeout(&clock);
    let error = match task.poll(&mut conn) {
        Poll::Ready(Some(Err(error))) => error,
        other => panic!("expected a timeout error, got {other:?}"),
    };
    assert_eq!(
        error.to_string(),
        "no answer to a ping within 10s after 30s idle"
    );
    let timed_out = TimedOut::find(&error).expect("no TimedOut inside");
    assert_eq!(timed_out.kind(), TimeoutKind::PingUnanswered);
    assert_eq!(timed_out.ack_timeout(), Some(ACK));
    assert_eq!(timed_out.silence(), IDLE + ACK);
    assert_eq!(timed_out.name(), None);
}

#[test]
fn p8_p15_the_unanswered_ping_names_the_interval_the_backoff_made() {
    let clock = ManualClock::new();
    let backoff = PingBackoff::new();
    backoff.double();
    let (_feed, _wire, conn) = connection::<io::Result<u8>>();
    let mut conn = conn
        .try_probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK)
        .ping_backoff(backoff);
    let mut task = Task::new();
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(2 * IDLE);
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(ACK);
    match task.poll(&mut conn) {
        Poll::Ready(Some(Err(error))) => assert_eq!(
            error.to_string(),
            "no answer to a ping within 10s after 60s idle"
        ),
        other => panic!("expected a timeout error, got {other:?}"),
    }
}

#[test]
#[should_panic(expected = "must be greater than zero")]
fn p10_a_zero_idle_is_refused() {
    let (_feed, _wire, conn) = connection::<u8>();
    let _ = conn.probe(Duration::ZERO, || "ping");
}

#[test]
fn p7_the_probe_is_a_sink_whose_writes_are_not_life() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn.probe_on(IDLE, || "ping", clock.clone());
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE / 2);
    futures::executor::block_on(conn.send("order 1")).unwrap();
    clock.advance(IDLE / 2);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.written(), ["order 1", "ping"]);
}

// Closing: the caller is done.

#[test]
fn p11_no_ping_after_close() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(Duration::MAX);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(wire.closes(), 1, "not closed through the connection");
    for _ in 0..5 {
        clock.advance(IDLE);
        assert_eq!(task.poll(&mut conn), Poll::Pending);
    }
    assert_eq!(wire.pings(), 0, "pinged a connection being closed");
}

#[test]
fn p11_a_ping_that_was_due_is_not_written_after_close() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    wire.set(|state| state.blocked = true);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending); // due, waiting for the write half
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    wire.set(|state| state.blocked = false);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 0, "the due ping went out after close");
}

#[test]
fn p11_frames_after_close_are_yielded_and_pongs_held_back() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK)
        .control_frames(is_pong);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    feed.push("update");
    feed.push("pong");
    feed.push("close");
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some("update")));
    assert_eq!(
        task.poll(&mut conn),
        Poll::Ready(Some("close")),
        "a pong was yielded"
    );
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 0);
}

#[test]
fn p12_a_peer_that_completes_the_close_ends_the_probe_cleanly() {
    let clock = ManualClock::new();
    let (feed, _wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK / 2);
    feed.push("close");
    feed.end();
    assert_eq!(task.poll(&mut conn), Poll::Ready(Some("close")));
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(!conn.timed_out());
    assert!(conn.is_terminated());
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p12_try_probe_ends_a_clean_shutdown_without_error_even_with_a_ping_outstanding() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection::<io::Result<u8>>();
    let mut conn = conn
        .try_probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(IDLE);
    assert!(task.poll(&mut conn).is_pending());
    assert_eq!(wire.pings(), 1);
    clock.advance(ACK - NANO); // the ping is still unanswered...
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(())))); // ...when the caller closes
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(NANO); // the ping's ack deadline: the close replaced it
    let polled = task.poll(&mut conn);
    assert!(polled.is_pending(), "a clean shutdown got {polled:?}");
    clock.advance(ACK / 2);
    feed.end(); // the peer completes the close
    assert!(matches!(task.poll(&mut conn), Poll::Ready(None)));
    assert!(!conn.timed_out());
    assert!(conn.is_terminated());
}

#[test]
fn p13_a_close_the_peer_never_answers_times_out_ack_timeout_after_the_close() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE / 2);
    task.wakeups();
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert!(
        task.was_woken(),
        "the reader was not woken to count from the close"
    );
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK - NANO);
    assert!(!task.was_woken(), "woken before the close's ack timeout");
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(NANO);
    assert!(
        task.was_woken(),
        "not woken when the close's ack timeout passed"
    );
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
    assert!(conn.is_terminated());
    assert_eq!(wire.pings(), 0);
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_try_probe_reports_an_unanswered_close_once_as_its_timeout() {
    let clock = ManualClock::new();
    let (_feed, _wire, conn) = connection::<io::Result<u8>>();
    let mut conn = conn
        .try_probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert!(task.poll(&mut conn).is_pending());
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert!(task.poll(&mut conn).is_pending());
    clock.advance(ACK);
    let error = match task.poll(&mut conn) {
        Poll::Ready(Some(Err(error))) => error,
        other => panic!("expected the close's timeout, got {other:?}"),
    };
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    let timed_out = futures_heartbeat::TimedOut::find(&error).expect("no TimedOut inside");
    assert_eq!(
        timed_out.kind(),
        futures_heartbeat::TimeoutKind::CloseUnanswered
    );
    assert_eq!(
        timed_out.silence(),
        ACK,
        "the close waits the ack timeout alone"
    );
    assert_eq!(timed_out.ack_timeout(), Some(ACK));
    assert_eq!(
        timed_out.to_string(),
        format!("no answer to the close within {ACK:?}")
    );
    assert!(conn.timed_out());
    assert!(matches!(task.poll(&mut conn), Poll::Ready(None)));
    assert!(conn.is_terminated());
}

#[test]
fn p13_p14_ack_timeout_lengthened_while_a_close_is_awaited_moves_its_deadline() {
    let clock = ManualClock::new();
    let (_feed, _wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK - NANO);
    let mut conn = conn.ack_timeout(2 * ACK);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(NANO);
    assert_eq!(
        task.poll(&mut conn),
        Poll::Pending,
        "ended at the old deadline"
    );
    clock.advance(ACK - NANO);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(NANO); // 2 × ACK after the close
    assert!(task.was_woken(), "not woken at the new deadline");
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_p14_ack_timeout_lengthened_while_a_close_is_pending_moves_the_closers_deadline() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true);
    let mut closer = Closer::new();
    assert!(closer.poll_close(&mut conn).is_pending());
    clock.advance(ACK - NANO);
    let mut conn = conn.ack_timeout(2 * ACK);
    assert!(closer.poll_close(&mut conn).is_pending());
    clock.advance(NANO);
    assert!(
        closer.poll_close(&mut conn).is_pending(),
        "returned at the old deadline"
    );
    clock.advance(ACK - NANO);
    assert!(!closer.was_woken());
    clock.advance(NANO); // 2 × ACK after the close
    assert!(closer.was_woken(), "not woken at the new deadline");
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(()))));
    assert!(conn.timed_out());
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_p14_ack_timeout_shortened_past_the_time_a_close_waited_ends_at_the_next_poll() {
    let clock = ManualClock::new();
    let (_feed, _wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK / 2);
    let mut conn = conn.ack_timeout(ACK / 4);
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
}

#[test]
fn p13_p14_ack_timeout_shortened_past_the_time_a_close_was_pending_returns_at_the_next_poll() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true);
    let closer = Closer::new();
    assert!(closer.poll_close(&mut conn).is_pending());
    clock.advance(ACK / 2);
    let mut conn = conn.ack_timeout(ACK / 4);
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(()))));
    assert!(conn.timed_out());
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_a_close_whose_write_half_never_finishes_returns_ok_at_the_deadline() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true); // a full send buffer to a frozen peer
    let mut closer = Closer::new();
    assert!(closer.poll_close(&mut conn).is_pending());
    clock.advance(ACK - NANO);
    assert!(!closer.was_woken(), "woken before the close's deadline");
    assert!(closer.poll_close(&mut conn).is_pending());
    clock.advance(NANO);
    assert!(closer.was_woken(), "not woken at the close's deadline");
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(()))));
    assert!(
        conn.timed_out(),
        "the stream side outlived the close's deadline"
    );
    let closes = wire.closes();
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(wire.closes(), closes, "a close that gave up waited again");
    assert_eq!(Task::new().poll(&mut conn), Poll::Ready(None));
    assert_eq!(wire.pings(), 0);
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_a_peer_that_keeps_sending_after_the_close_is_cut_at_the_deadline() {
    let clock = ManualClock::new();
    let (feed, _wire, conn) = connection();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    for _ in 0..3 {
        assert_eq!(task.poll(&mut conn), Poll::Pending);
        clock.advance(ACK / 4);
        feed.push("update");
        assert_eq!(task.poll(&mut conn), Poll::Ready(Some("update")));
    }
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    task.wakeups();
    clock.advance(ACK / 4); // the close's deadline, with frames still coming
    assert!(task.was_woken(), "not woken at the close's deadline");
    feed.push("update");
    assert_eq!(
        task.poll(&mut conn),
        Poll::Ready(None),
        "frames after the close held off its deadline"
    );
    assert!(conn.timed_out());
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_each_side_is_woken_at_the_close_deadline_when_the_closer_polled_last() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<io::Result<u8>>();
    let mut conn = conn
        .try_probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true);
    let mut task = Task::new();
    let mut closer = Closer::new();
    assert!(task.poll(&mut conn).is_pending());
    assert!(closer.poll_close(&mut conn).is_pending());
    assert!(
        task.was_woken(),
        "the reader was not woken to count from the close"
    );
    assert!(task.poll(&mut conn).is_pending());
    assert!(closer.poll_close(&mut conn).is_pending()); // the closer polls last
    clock.advance(ACK);
    assert!(
        closer.was_woken(),
        "the closer was not woken at the deadline"
    );
    assert!(task.was_woken(), "the reader was not woken at the deadline");
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(()))));
    assert!(
        conn.timed_out(),
        "the closer saw the deadline first: the stream side ends timed out at once"
    );
    let error = match task.poll(&mut conn) {
        Poll::Ready(Some(Err(error))) => error,
        other => panic!("expected the close's time-out, got {other:?}"),
    };
    let timed_out = TimedOut::find(&error).expect("no TimedOut inside");
    assert_eq!(timed_out.kind(), TimeoutKind::CloseUnanswered);
    assert!(
        matches!(task.poll(&mut conn), Poll::Ready(None)),
        "reported twice"
    );
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_each_side_is_woken_at_the_close_deadline_when_the_reader_polled_last() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true);
    let mut task = Task::new();
    let mut closer = Closer::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(closer.poll_close(&mut conn).is_pending());
    assert_eq!(task.poll(&mut conn), Poll::Pending); // the reader polls last
    task.wakeups();
    clock.advance(ACK);
    assert!(task.was_woken(), "the reader was not woken at the deadline");
    assert!(
        closer.was_woken(),
        "the closer was not woken at the deadline"
    );
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p12_p13_a_close_still_pending_when_the_connection_ends_is_still_bounded() {
    let clock = ManualClock::new();
    let (feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true);
    let mut task = Task::new();
    let mut closer = Closer::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(closer.poll_close(&mut conn).is_pending());
    assert_eq!(task.poll(&mut conn), Poll::Pending); // the reader polls last...
    clock.advance(ACK / 2);
    feed.end(); // ...and the peer ends the connection: the reader is done
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(!conn.timed_out());
    assert_eq!(clock.live_timers(), 1, "no timer left to bound the close");
    clock.advance(ACK / 2);
    assert!(closer.was_woken(), "not woken at the close's deadline");
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(()))));
    assert!(!conn.timed_out(), "a clean end became a time-out");
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_the_close_replaces_an_outstanding_pings_deadline_and_the_idle_count() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(IDLE);
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert_eq!(wire.pings(), 1);
    clock.advance(ACK / 2);
    assert!(matches!(close(&mut conn), Poll::Ready(Ok(()))));
    assert_eq!(
        clock.live_timers(),
        1,
        "the idle count or the ping's ack timer outlived the close"
    );
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    task.wakeups();
    clock.advance(ACK / 2); // the ping's deadline
    assert!(
        !task.was_woken(),
        "woken at the ping's deadline, after the close"
    );
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK / 2); // the close's
    assert!(task.was_woken());
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_a_reader_in_another_task_is_woken_when_a_pending_close_finishes_before_the_deadline() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true);
    let mut task = Task::new();
    let mut closer = Closer::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(closer.poll_close(&mut conn).is_pending());
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    assert!(closer.poll_close(&mut conn).is_pending()); // the closer polls last...
    task.wakeups();
    clock.advance(ACK / 2);
    wire.set(|state| state.flush_blocked = false);
    assert!(closer.was_woken());
    assert!(matches!(closer.poll_close(&mut conn), Poll::Ready(Ok(())))); // ...and is done
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    clock.advance(ACK / 2);
    assert!(
        task.was_woken(),
        "the reader was not woken at the close's deadline"
    );
    assert!(!closer.was_woken(), "the closer, done, was woken");
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
    assert_eq!(clock.live_timers(), 0, "the timers outlived the end");
}

#[test]
fn p13_a_close_abandoned_by_its_caller_still_leaves_the_reader_bounded() {
    let clock = ManualClock::new();
    let (_feed, wire, conn) = connection::<&str>();
    let mut conn = conn
        .probe_on(IDLE, || "ping", clock.clone())
        .ack_timeout(ACK);
    wire.set(|state| state.flush_blocked = true);
    let mut task = Task::new();
    assert_eq!(task.poll(&mut conn), Poll::Pending);
    {
        // A close raced against something else and dropped (as in a `select!`)
        // after it polled last.
        let closer = Closer::new();
        assert!(closer.poll_close(&mut conn).is_pending());
        assert_eq!(task.poll(&mut conn), Poll::Pending);
        assert!(closer.poll_close(&mut conn).is_pending());
    }
    task.wakeups();
    clock.advance(ACK);
    assert!(task.was_woken(), "the reader was not woken at the deadline");
    assert_eq!(task.poll(&mut conn), Poll::Ready(None));
    assert!(conn.timed_out());
}
