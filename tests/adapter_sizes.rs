//! What each adapter on the default clock adds, at most, to the stream it wraps:
//! held by every stream a program watches, so a field that grows one shows here
//! first. A boxed inner stream (two pointers) stands for any stream; the
//! `Option` some adapters keep it in costs it nothing.
//!
//! The bounds are the sizes on 64-bit targets, where they are exact, with the
//! parts that make them up. They hold on 32-bit targets too, where every part is
//! no larger: pointers, wakers and `usize` halve, a `Duration` is 16 bytes or 12
//! (where a `u64` is aligned on 4 bytes, as on i686), and the other fields are
//! `u64`s and flags. Measured with `--nocapture` (2026-12-05): on i686, the
//! heartbeat adds 60 bytes, the watchdog 100, the keep-alive 72 and the adaptive
//! watchdog 212; on x86_64, the bounds. The `tokio` feature adds nothing (it
//! added 4 bytes on i686 and 8 on x86_64 before the timer's tag moved into a
//! niche, 2026-12-07).
//!
//! Durations are plain `Duration`s, and the wheel's timer keeps its coalescing
//! in plain fields (32 bytes). Packed, they saved 8 bytes in the timer and 8 in
//! the durations of the heartbeat, the watchdog and the keep-alive; no
//! measurement showed that to matter (the memory per stream of the scale
//! harness did not move when the heartbeat was packed: its task stayed in its
//! allocator's size class), so these are the sizes of the plain fields.
#![cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]

use std::mem::size_of;

use futures::stream::BoxStream;
use futures_heartbeat::{
    AdaptiveWatchdog, KeepAlive, TryAdaptiveWatchdog, TryWatchdog, Watchdog, WithHeartbeat,
};

type Inner = BoxStream<'static, ()>;
/// A flag of its own after a struct takes a word of that struct's alignment: 8 bytes at most.
const FLAG_WORD: usize = 8;

/// What `Adapter` adds to the stream it wraps, printed for the record.
fn added<Adapter>(name: &str) -> usize {
    let added = size_of::<Adapter>() - size_of::<Inner>();
    println!("{name}: {added} bytes on a {}-bit target", usize::BITS);
    added
}

#[test]
fn with_heartbeat_adds_at_most_72_bytes() {
    // The timer (32: its tick, its waker's first tick, its key, its
    // coalescing and what it knows of its tick), the next pulse (16), the
    // interval (16) and the item counter (8 with its padding). With the `tokio`
    // feature, the default clock's timer says whether it is the wheel's or, on
    // tokio's virtual time, tokio's, in values the wheel's timer never takes
    // (in the byte that says what it knows of its tick): no byte more.
    assert!(added::<WithHeartbeat<Inner>>("WithHeartbeat") <= 72);
}

#[test]
fn watchdog_adds_at_most_136_bytes_and_try_watchdog_a_flag_more() {
    // The silence timer (64: the timer, the deadline it is armed for, the
    // current one), the two timeouts (32; whether an item has come is in the
    // niche of one), the name (16), the state, and the waker of a write left
    // pending on a stream that is also a `Sink` (16), woken when the watchdog
    // drops the stream (W9).
    assert!(added::<Watchdog<Inner>>("Watchdog") <= 136);
    // Its own flag, in a word of its own.
    assert!(size_of::<TryWatchdog<Inner>>() <= size_of::<Watchdog<Inner>>() + FLAG_WORD);
}

#[test]
fn keep_alive_adds_at_most_88_bytes() {
    // The idle timer (64), the idle time (16) and the flag (8 with its padding).
    assert!(added::<KeepAlive<Inner>>("KeepAlive") <= 88);
}

#[test]
fn adaptive_watchdog_adds_at_most_288_bytes_and_its_ring_of_samples() {
    // The silence timer (64), the learned rhythm (184: the settings 80, the
    // crossing, the sums and the ring's handle and position 64, the wait in
    // progress 40), the name (16), the state, and the pending write's waker
    // (16), as in the watchdog. The samples themselves, 4 bytes each (4 KB at
    // the default 1,000), are on the heap, allocated once.
    assert!(added::<AdaptiveWatchdog<Inner>>("AdaptiveWatchdog") <= 288);
    assert!(
        size_of::<TryAdaptiveWatchdog<Inner>>() <= size_of::<AdaptiveWatchdog<Inner>>() + FLAG_WORD
    );
}
