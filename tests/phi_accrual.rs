//! The adaptive watchdog (φ accrual; its rules, A1–A8, are in the docs of
//! `HeartbeatExt::watchdog_adaptive`, and a test of a rule starts its name with
//! the rule's number): exact timing on the manual clock, properties of φ, the
//! `Result` variant, `restarting` with it, and one run in real time.

use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::channel::mpsc;
use futures::stream::{self, Stream, StreamExt};
use futures_heartbeat::clock::ManualClock;
use futures_heartbeat::restart::{restarting, restarting_on, Cause, Restart};
use futures_heartbeat::{AdaptiveWatchdog, Event, HeartbeatExt, PhiAccrual, TimedOut, TimeoutKind};
use futures_test::task::new_count_waker;
use proptest::prelude::*;

const SECOND: Duration = Duration::from_secs(1);
const NANO: Duration = Duration::from_nanos(1);
/// The acceptable pause of the real-time tests.
const PAUSE: Duration = Duration::from_millis(500);

type Beats = AdaptiveWatchdog<mpsc::UnboundedReceiver<u32>, ManualClock>;

/// A producer on the far side of a channel, a consumer that always waits, and the manual clock.
struct Harness {
    clock: ManualClock,
    tx: mpsc::UnboundedSender<u32>,
    beats: Beats,
}

impl Harness {
    fn new(detector: PhiAccrual) -> Harness {
        let clock = ManualClock::new();
        let (tx, rx) = mpsc::unbounded();
        let beats = rx.watchdog_adaptive_on(detector, clock.clone());
        Harness { clock, tx, beats }
    }

    fn poll(&mut self) -> Poll<Option<u32>> {
        let (waker, _) = new_count_waker();
        self.beats.poll_next_unpin(&mut Context::from_waker(&waker))
    }

    /// The consumer waits, the producer sends after `gap`, the consumer takes the item.
    fn beat_after(&mut self, gap: Duration) {
        assert!(self.poll().is_pending(), "the consumer should wait");
        self.clock.advance(gap);
        self.tx.unbounded_send(0).unwrap();
        assert_eq!(self.poll(), Poll::Ready(Some(0)), "the beat after {gap:?}");
    }
}

#[test]
fn a4_fires_exactly_when_phi_reaches_the_threshold_and_wakes_the_task() {
    let mut h = Harness::new(PhiAccrual::new(SECOND));
    for _ in 0..50 {
        h.beat_after(SECOND);
    }
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(h.beats.poll_next_unpin(&mut cx).is_pending());
    let limit = h.beats.silence_limit();

    // The timer of an earlier wait, moved lazily as the watchdog's, may wake the
    // task once on the way; the poll it causes moves the timer to the crossing.
    h.clock.advance(limit - NANO);
    assert!(h.beats.phi() < 8.0);
    assert!(h.beats.poll_next_unpin(&mut cx).is_pending());
    let woken = wakes.get();

    h.clock.advance(NANO);
    assert_eq!(wakes.get(), woken + 1, "not woken at the crossing");
    assert!(h.beats.phi() >= 8.0);
    assert_eq!(h.beats.poll_next_unpin(&mut cx), Poll::Ready(None));
    assert!(h.beats.timed_out());
    assert!(
        h.beats.get_ref().is_none(),
        "the stream is dropped when it fires"
    );
    assert_eq!(h.clock.live_timers(), 0);
}

#[test]
fn a4_the_limit_is_the_published_formula_inverted() {
    // Gaps alternating 0.9 s and 1.1 s: mean 1 s, deviation 0.1 s (the minimum too).
    let detector = PhiAccrual::new(SECOND).max_samples(100);
    let mut h = Harness::new(detector);
    for i in 0..102 {
        h.beat_after(Duration::from_millis(if i % 2 == 0 { 900 } else { 1100 }));
    }
    let (mean, deviation) = h.beats.learned_rhythm();
    assert!((mean.as_secs_f64() - 1.0).abs() < 1e-6, "{mean:?}");
    assert!(
        (deviation.as_secs_f64() - 0.1).abs() < 1e-6,
        "{deviation:?}"
    );
    // φ = 8 at 5.612 deviations (Φ⁻¹(1 − 10⁻⁸) = 5.6120), past the mean and the pause.
    let expected = 1.0 + 1.0 + 5.612 * 0.1;
    let limit = h.beats.silence_limit().as_secs_f64();
    assert!(
        (limit - expected).abs() < 1e-4,
        "{limit} s, not {expected} s"
    );
    let phi = detector.phi(h.beats.silence_limit(), mean, deviation);
    assert!((8.0..8.000_001).contains(&phi), "{phi}");
}

#[test]
fn a6_ready_items_never_read_the_clock_or_touch_the_timer() {
    let clock = ManualClock::new();
    let items =
        stream::iter(0..10_000).watchdog_adaptive_on(PhiAccrual::new(SECOND), clock.clone());
    assert_eq!(futures::executor::block_on(items.count()), 10_000);
    let counts = clock.counts();
    assert_eq!(counts.time_reads, 0);
    assert_eq!(counts.timers_created, 0);
}

#[test]
fn a6_one_clock_read_and_at_most_one_timer_move_per_wait() {
    let mut h = Harness::new(PhiAccrual::new(SECOND));
    h.beat_after(SECOND);
    let before = h.clock.counts();
    for _ in 0..100 {
        // A burst of items between two waits costs nothing more.
        for _ in 0..10 {
            h.tx.unbounded_send(1).unwrap();
        }
        assert!(h.poll().is_ready());
        while let Poll::Ready(Some(_)) = h.poll() {}
        h.clock.advance(SECOND);
        h.tx.unbounded_send(0).unwrap();
        assert_eq!(h.poll(), Poll::Ready(Some(0)));
    }
    let counts = h.clock.counts();
    assert_eq!(counts.time_reads - before.time_reads, 100);
    assert!(counts.timer_resets - before.timer_resets <= 100);
    assert_eq!(counts.timers_created, 1);
}

#[test]
fn a3_the_first_gap_is_start_up_not_a_sample() {
    let mut h = Harness::new(PhiAccrual::new(SECOND));
    let first_estimate = h.beats.learned_rhythm();
    h.beat_after(3 * SECOND); // connecting took long
    assert!(h.poll().is_pending());
    assert_eq!(h.beats.learned_rhythm(), first_estimate);
}

#[test]
fn a1_a3_a_gap_that_ended_while_the_consumer_was_away_is_censored() {
    let mut h = Harness::new(PhiAccrual::new(SECOND));
    for _ in 0..20 {
        h.beat_after(SECOND);
    }
    assert!(h.poll().is_pending());
    let learned = h.beats.learned_rhythm();
    let limit = h.beats.silence_limit();
    // The consumer goes off after its poll (a `select!` on something else); the
    // item comes late, and is ready when the consumer is back.
    h.clock.advance(limit + SECOND);
    h.tx.unbounded_send(0).unwrap();
    assert_eq!(h.poll(), Poll::Ready(Some(0)), "an item ready wins");
    assert!(h.poll().is_pending());
    assert_eq!(
        h.beats.learned_rhythm(),
        learned,
        "the censored gap was learned"
    );
    assert!(!h.beats.timed_out());
}

#[test]
fn a2_a_slow_consumer_never_causes_a_timeout_and_phi_is_zero_while_it_is_away() {
    let mut h = Harness::new(PhiAccrual::new(SECOND));
    for _ in 0..20 {
        h.beat_after(SECOND);
    }
    // The consumer holds an item for an hour; nothing counts meanwhile.
    h.clock.advance(Duration::from_secs(3600));
    assert_eq!(h.beats.phi(), 0.0);
    h.beat_after(SECOND);
    assert!(!h.beats.timed_out());
}

#[test]
fn a4_a5_a_stream_that_ends_by_itself_is_no_time_out_and_its_phi_is_zero() {
    let mut h = Harness::new(PhiAccrual::new(SECOND));
    for _ in 0..5 {
        h.beat_after(SECOND);
    }
    assert!(h.poll().is_pending());
    h.clock.advance(SECOND);
    assert!(h.beats.phi() > 0.0, "a wait is going on");
    h.tx.close_channel();
    assert_eq!(h.poll(), Poll::Ready(None));
    assert!(!h.beats.timed_out());
    assert_eq!(h.beats.phi(), 0.0);
    assert!(h.beats.get_ref().is_none(), "the ended stream is let go of");
    assert_eq!(h.poll(), Poll::Ready(None), "fused");
    assert!(futures::stream::FusedStream::is_terminated(&h.beats));
    assert_eq!(h.clock.live_timers(), 0);
}

#[test]
fn a5_phi_keeps_rising_past_the_threshold_while_nobody_polls() {
    let mut h = Harness::new(PhiAccrual::new(SECOND));
    for _ in 0..20 {
        h.beat_after(SECOND);
    }
    assert!(h.poll().is_pending());
    h.clock.advance(h.beats.silence_limit());
    let at_the_limit = h.beats.phi();
    assert!(at_the_limit >= 8.0, "{at_the_limit}");
    // The timer has fired, but the task has not polled: the stream is not ended
    // yet, and the suspicion goes on growing with the silence.
    h.clock.advance(SECOND);
    let later = h.beats.phi();
    assert!(later > at_the_limit, "φ {later} after {at_the_limit}");
    h.clock.advance(10 * SECOND);
    assert!(h.beats.phi() > later);
    assert!(!h.beats.timed_out());

    assert_eq!(h.poll(), Poll::Ready(None));
    assert!(h.beats.timed_out());
    // Ended by the watchdog, it still tells how suspect the silence has become.
    let at_the_end = h.beats.phi();
    h.clock.advance(SECOND);
    assert!(h.beats.phi() > at_the_end);
}

#[test]
fn a3_the_learned_deviation_is_the_populations() {
    // Two samples, 1 s and 2 s: the population's deviation is 0.5 s; the
    // sample's (divided by n − 1) would be 0.71 s.
    let mut h = Harness::new(PhiAccrual::new(SECOND).max_samples(2));
    h.beat_after(SECOND); // start-up, not a sample
    h.beat_after(SECOND);
    h.beat_after(2 * SECOND);
    assert!(h.poll().is_pending()); // learns the last gap
    let (mean, deviation) = h.beats.learned_rhythm();
    assert_eq!(mean, Duration::from_millis(1500));
    assert_eq!(deviation, Duration::from_millis(500));
}

#[test]
fn a3_the_first_estimate_is_the_learned_rhythm_up_to_a_deviation_as_large_as_the_mean() {
    for (mean, deviation) in [(SECOND, Duration::from_millis(250)), (SECOND, SECOND)] {
        let h = Harness::new(PhiAccrual::new(SECOND).first_estimate(mean, deviation));
        assert_eq!(h.beats.learned_rhythm(), (mean, deviation));
    }
}

#[test]
#[should_panic(expected = "the first estimate's deviation (2s) is larger than its mean (1s)")]
fn a3_a_first_estimate_with_a_deviation_larger_than_its_mean_panics() {
    let _ = PhiAccrual::new(SECOND).first_estimate(SECOND, 2 * SECOND);
}

#[test]
fn a1_pulses_count_as_arrivals() {
    let clock = ManualClock::new();
    let (tx, rx) = mpsc::unbounded::<Event<u8>>();
    let mut events = rx.watchdog_adaptive_on(PhiAccrual::new(SECOND), clock.clone());
    let (waker, _) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    for _ in 0..100 {
        assert!(events.poll_next_unpin(&mut cx).is_pending());
        clock.advance(3 * SECOND); // longer than the first limit, 3.4 s, would allow twice
        tx.unbounded_send(Event::Pulse).unwrap();
        assert_eq!(
            events.poll_next_unpin(&mut cx),
            Poll::Ready(Some(Event::Pulse))
        );
    }
    assert!(!events.timed_out());
    let (mean, _) = events.learned_rhythm();
    assert!(
        mean > 2 * SECOND,
        "the pulses' rhythm was learned: {mean:?}"
    );
}

#[test]
fn a3_learns_a_slower_rhythm_and_then_tolerates_it() {
    // The first estimate says 1 s; the producer sends every 2.5 s, within the first limit.
    let mut h = Harness::new(PhiAccrual::new(SECOND).max_samples(50));
    for _ in 0..60 {
        h.beat_after(Duration::from_millis(2500));
    }
    assert!(h.poll().is_pending());
    assert!(h.beats.silence_limit() > Duration::from_millis(4000));
    h.clock.advance(Duration::from_millis(3500)); // would have ended it at first
    h.tx.unbounded_send(0).unwrap();
    assert_eq!(h.poll(), Poll::Ready(Some(0)));
}

#[test]
fn a7_try_variant_yields_one_timed_out_error_then_ends() {
    let clock = ManualClock::new();
    let mut jobs = stream::pending::<std::io::Result<u8>>()
        .try_watchdog_adaptive_on(PhiAccrual::new(SECOND), clock.clone())
        .named("jobs");
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(jobs.poll_next_unpin(&mut cx).is_pending());
    let limit = jobs.silence_limit();
    clock.advance(limit);
    assert_eq!(wakes.get(), 1);
    match jobs.poll_next_unpin(&mut cx) {
        Poll::Ready(Some(Err(error))) => {
            let timed_out = TimedOut::find(&error).expect("no TimedOut inside");
            assert_eq!(timed_out.kind(), TimeoutKind::Silence);
            assert_eq!(timed_out.silence(), limit);
            assert_eq!(timed_out.name(), Some("jobs"));
            assert_eq!(
                error.to_string(),
                format!("jobs: no item for {limit:?}, the limit learned from the stream's rhythm")
            );
        }
        other => panic!("expected the error, got {other:?}"),
    }
    assert!(jobs.timed_out());
    assert!(matches!(jobs.poll_next_unpin(&mut cx), Poll::Ready(None)));
    assert!(futures::stream::FusedStream::is_terminated(&jobs));
}

#[test]
fn a7_try_variant_has_the_accessors_of_the_adaptive_watchdog_and_learns_the_same_rhythm() {
    let detector = PhiAccrual::new(SECOND).threshold(12.0);
    let mut h = Harness::new(detector);
    let (tx, rx) = mpsc::unbounded::<std::io::Result<u32>>();
    let jobs = rx.try_watchdog_adaptive_on(detector, h.clock.clone());
    assert_eq!(jobs.name(), None);
    let mut jobs = jobs.named("jobs");
    assert_eq!(jobs.name(), Some("jobs"));
    assert_eq!(jobs.detector(), detector);
    assert_eq!(jobs.learned_rhythm(), h.beats.learned_rhythm());
    // Both fed the same gaps of 2 s, both waited for by their consumer.
    let (waker, _) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    for _ in 0..20 {
        assert!(jobs.poll_next_unpin(&mut cx).is_pending());
        h.beat_after(2 * SECOND);
        tx.unbounded_send(Ok(0)).unwrap();
        assert!(matches!(
            jobs.poll_next_unpin(&mut cx),
            Poll::Ready(Some(Ok(0)))
        ));
    }
    let learned = jobs.learned_rhythm();
    assert_ne!(learned, (SECOND, SECOND / 4), "nothing learned");
    assert_eq!(learned, h.beats.learned_rhythm());
}

#[test]
fn r6_restarting_with_an_adaptive_silence_restarts_a_source_that_stops_beating() {
    let clock = ManualClock::new();
    let connects = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let (tx, rx) = mpsc::unbounded::<Result<u8, ()>>();
    let mut rx = Some(rx);
    let counter = connects.clone();
    let events = restarting_on(
        move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let source = rx
                .take()
                .map(|rx| rx.boxed())
                .unwrap_or_else(|| stream::pending().boxed());
            async move { Ok::<_, ()>(source) }
        },
        clock.clone(),
    )
    .silence_adaptive(PhiAccrual::new(SECOND));
    let mut events = std::pin::pin!(events);
    let (waker, wakes) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(matches!(
        events.as_mut().poll_next(&mut cx),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    for _ in 0..50 {
        assert!(events.as_mut().poll_next(&mut cx).is_pending());
        clock.advance(SECOND);
        tx.unbounded_send(Ok(7)).unwrap();
        assert!(matches!(
            events.as_mut().poll_next(&mut cx),
            Poll::Ready(Some(Restart::Item(7)))
        ));
    }
    // The producer stops: it is restarted after about 2.6 s, the learned limit, not 3.4 s.
    assert!(events.as_mut().poll_next(&mut cx).is_pending());
    clock.advance(Duration::from_millis(2500));
    assert!(
        events.as_mut().poll_next(&mut cx).is_pending(),
        "restarted before the learned limit"
    );
    let woken = wakes.get();
    clock.advance(Duration::from_millis(100));
    assert_eq!(wakes.get(), woken + 1);
    match events.as_mut().poll_next(&mut cx) {
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Silent(timed_out),
            ..
        })) => {
            // The cause carries the learned limit that ran out.
            assert_eq!(timed_out.kind(), TimeoutKind::Silence);
            let limit = timed_out.silence();
            assert!(
                limit > Duration::from_millis(2500) && limit <= Duration::from_millis(2600),
                "{limit:?}"
            );
            assert_eq!(
                timed_out.to_string(),
                format!("no item for {limit:?}, the limit learned from the stream's rhythm")
            );
        }
        other => panic!("expected Down for the silence, got {other:?}"),
    }
    assert_eq!(connects.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn a4_ends_a_silent_stream_in_real_time_on_the_default_clock() {
    futures::executor::block_on(async {
        let started = Instant::now();
        let ticks = stream::iter(0..5)
            .then(|n| async move {
                futures_timer::Delay::new(Duration::from_millis(20)).await;
                n
            })
            .chain(stream::pending());
        // A long pause, so that a loaded machine's hiccup is not taken for a death.
        let detector = PhiAccrual::new(Duration::from_millis(20)).acceptable_pause(PAUSE);
        let mut ticks = std::pin::pin!(ticks.watchdog_adaptive(detector));
        let mut seen = 0;
        while ticks.next().await.is_some() {
            seen += 1;
        }
        assert_eq!(seen, 5);
        assert!(ticks.timed_out());
        // Five 20 ms gaps, then about 560 ms of silence: generous bounds.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(100) + PAUSE, "{took:?}");
        assert!(took < Duration::from_secs(10), "{took:?}");
    });
}

/// Polls `stream` once, with a waker that counts nothing.
fn poll_once<S: Stream + ?Sized>(stream: std::pin::Pin<&mut S>) -> Poll<Option<S::Item>> {
    let (waker, _) = new_count_waker();
    stream.poll_next(&mut Context::from_waker(&waker))
}

/// The consumer of `events` waits, the source beats a second later, the consumer takes the item.
fn beat<S>(
    mut events: std::pin::Pin<&mut S>,
    clock: &ManualClock,
    tx: &mpsc::UnboundedSender<Result<u8, ()>>,
) where
    S: Stream<Item = Restart<u8, ()>> + ?Sized,
{
    assert!(poll_once(events.as_mut()).is_pending());
    clock.advance(SECOND);
    tx.unbounded_send(Ok(1)).unwrap();
    assert!(matches!(
        poll_once(events),
        Poll::Ready(Some(Restart::Item(1)))
    ));
}

#[test]
fn r6_restarting_keeps_the_learned_rhythm_across_sources() {
    type Source = mpsc::UnboundedReceiver<Result<u8, ()>>;
    let clock = ManualClock::new();
    let (first_tx, first_rx) = mpsc::unbounded::<Result<u8, ()>>();
    let (second_tx, second_rx) = mpsc::unbounded::<Result<u8, ()>>();
    let mut sources: Vec<Source> = vec![second_rx, first_rx];
    let events = restarting_on(
        move |_| {
            let source = sources.pop().expect("two connects");
            async move { Ok::<_, ()>(source) }
        },
        clock.clone(),
    )
    .backoff(Duration::from_millis(1), Duration::from_millis(1))
    .silence_adaptive(PhiAccrual::new(SECOND));
    let mut events = std::pin::pin!(events);
    let up = |events: Poll<Option<Restart<u8, ()>>>| {
        matches!(events, Poll::Ready(Some(Restart::Up { .. })))
    };
    assert!(up(poll_once(events.as_mut())));
    for _ in 0..50 {
        beat(events.as_mut(), &clock, &first_tx);
    }
    drop(first_tx); // the first source ends: reconnect
    assert!(matches!(
        poll_once(events.as_mut()),
        Poll::Ready(Some(Restart::Down { .. }))
    ));
    assert!(poll_once(events.as_mut()).is_pending());
    clock.advance(Duration::from_millis(1));
    assert!(up(poll_once(events.as_mut())));
    beat(events.as_mut(), &clock, &second_tx); // start-up, not learned
    beat(events.as_mut(), &clock, &second_tx);
    // The second source stops: the rhythm learned from the first ends it at about
    // 2.6 s, where the first estimate alone would have waited 3.4 s.
    assert!(poll_once(events.as_mut()).is_pending());
    clock.advance(Duration::from_millis(2600));
    assert!(matches!(
        poll_once(events.as_mut()),
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Silent(_),
            ..
        }))
    ));
}

#[test]
fn r6_restarting_uses_the_first_item_timeout_before_a_sources_first_item() {
    let clock = ManualClock::new();
    let events = restarting_on(
        |_| async { Ok::<_, ()>(stream::pending::<Result<u8, ()>>()) },
        clock.clone(),
    )
    .silence_adaptive(PhiAccrual::new(SECOND)) // would allow 3.4 s
    .first_item_timeout(10 * SECOND);
    let mut events = std::pin::pin!(events);
    let (waker, _) = new_count_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(matches!(
        events.as_mut().poll_next(&mut cx),
        Poll::Ready(Some(Restart::Up { .. }))
    ));
    assert!(events.as_mut().poll_next(&mut cx).is_pending());
    clock.advance(10 * SECOND - NANO);
    assert!(events.as_mut().poll_next(&mut cx).is_pending());
    clock.advance(NANO);
    assert!(matches!(
        events.as_mut().poll_next(&mut cx),
        Poll::Ready(Some(Restart::Down {
            cause: Cause::Silent(_),
            ..
        }))
    ));
}

#[test]
fn r6_restarting_with_an_adaptive_silence_in_real_time_on_the_default_clock() {
    futures::executor::block_on(async {
        let started = Instant::now();
        let events = restarting(|_| async {
            let beats = stream::iter(0..5u8)
                .then(|n| async move {
                    futures_timer::Delay::new(Duration::from_millis(20)).await;
                    Ok::<u8, ()>(n)
                })
                .chain(stream::pending());
            Ok::<_, ()>(beats)
        })
        // A long pause, so that a loaded machine's hiccup is not taken for a death.
        .silence_adaptive(PhiAccrual::new(Duration::from_millis(20)).acceptable_pause(PAUSE));
        let mut events = std::pin::pin!(events);
        let mut items = 0;
        loop {
            match events.next().await {
                Some(Restart::Item(_)) => items += 1,
                Some(Restart::Up { .. }) => {}
                Some(Restart::Down { cause, .. }) => {
                    assert!(matches!(cause, Cause::Silent(_)), "{cause:?}");
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(items, 5);
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(100) + PAUSE, "{took:?}");
        assert!(took < Duration::from_secs(10), "{took:?}");
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a5_phi_never_decreases_while_waiting(
        gaps in prop::collection::vec(700u64..1300, 0..40),
        steps in prop::collection::vec(1u64..400, 1..40),
    ) {
        let mut h = Harness::new(PhiAccrual::new(SECOND));
        for gap in gaps {
            h.beat_after(Duration::from_millis(gap));
        }
        prop_assert!(h.poll().is_pending());
        let mut last = h.beats.phi();
        for step in steps {
            h.clock.advance(Duration::from_millis(step));
            let phi = h.beats.phi();
            prop_assert!(phi >= last, "φ fell from {} to {}", last, phi);
            last = phi;
            if h.beats.timed_out() || h.poll().is_ready() {
                break;
            }
        }
    }

    #[test]
    fn a5_phi_resets_on_an_arrival(
        gaps in prop::collection::vec(700u64..1300, 1..40),
        silence in 500u64..2000,
    ) {
        let mut h = Harness::new(PhiAccrual::new(SECOND));
        for gap in gaps {
            h.beat_after(Duration::from_millis(gap));
        }
        prop_assert!(h.poll().is_pending());
        h.clock.advance(Duration::from_millis(silence));
        let before = h.beats.phi();
        h.tx.unbounded_send(0).unwrap();
        prop_assert_eq!(h.poll(), Poll::Ready(Some(0)));
        prop_assert_eq!(h.beats.phi(), 0.0);
        prop_assert!(h.poll().is_pending());
        let at_new_wait = h.beats.phi();
        prop_assert!(at_new_wait < 0.001, "φ at the start of a wait is {}", at_new_wait);
        // The new gap may change the fit, but never back to the suspicion of a long silence.
        if before >= 0.001 {
            prop_assert!(at_new_wait < before);
        }
    }

    #[test]
    fn a4_the_timer_fires_at_the_crossing_never_before(
        gaps in prop::collection::vec(500u64..2000, 0..60),
        threshold in 0.5f64..20.0,
        pause_ms in 0u64..3000,
        min_deviation_ms in 0u64..300,
    ) {
        let detector = PhiAccrual::new(SECOND)
            .threshold(threshold)
            .acceptable_pause(Duration::from_millis(pause_ms))
            .min_std_deviation(Duration::from_millis(min_deviation_ms));
        let mut h = Harness::new(detector);
        for gap in gaps {
            let gap = Duration::from_millis(gap);
            prop_assert!(h.poll().is_pending());
            if gap >= h.beats.silence_limit() {
                break; // that gap would end it: the crossing is tested below
            }
            h.clock.advance(gap);
            h.tx.unbounded_send(0).unwrap();
            prop_assert_eq!(h.poll(), Poll::Ready(Some(0)));
        }
        let (waker, wakes) = new_count_waker();
        let mut cx = Context::from_waker(&waker);
        prop_assert!(h.beats.poll_next_unpin(&mut cx).is_pending());
        let limit = h.beats.silence_limit();
        h.clock.advance(limit - NANO);
        prop_assert!(h.beats.phi() < threshold);
        prop_assert!(h.beats.poll_next_unpin(&mut cx).is_pending());
        let woken = wakes.get(); // perhaps once, by the timer of an earlier wait
        h.clock.advance(NANO); // the manual clock's tolerance is zero
        prop_assert_eq!(wakes.get(), woken + 1);
        prop_assert!(h.beats.phi() >= threshold);
        prop_assert_eq!(h.beats.poll_next_unpin(&mut cx), Poll::Ready(None));
        prop_assert!(h.beats.timed_out());
    }

    #[test]
    fn a3_the_sample_window_slides(
        window in 2usize..30,
        old_ms in 500u64..1500,
        new_ms in 500u64..1500,
    ) {
        let mut h = Harness::new(PhiAccrual::new(SECOND).max_samples(window));
        h.beat_after(SECOND); // start-up, not a sample
        for _ in 0..window {
            h.beat_after(Duration::from_millis(old_ms));
        }
        for _ in 0..window {
            h.beat_after(Duration::from_millis(new_ms));
        }
        prop_assert!(h.poll().is_pending()); // learns the last gap
        let (mean, deviation) = h.beats.learned_rhythm();
        prop_assert!((mean.as_secs_f64() - new_ms as f64 / 1000.0).abs() < 1e-5, "{:?}", mean);
        prop_assert!(deviation < Duration::from_micros(10), "{:?}", deviation);
    }
}
