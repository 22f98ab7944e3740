//! What each adapter on the default clock adds to the stream it wraps: held by
//! every stream a program watches, so a field that grows one shows here first.
//! A boxed inner stream (16 bytes) stands for any stream; the `Option` some
//! adapters keep it in costs it nothing.
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
const INNER: usize = 16;
// With the `tokio` feature, the default clock's timer says whether it is the
// wheel's or, on tokio's virtual time, tokio's in values the wheel's timer never
// takes (in the byte that says what it knows of its deadline): no tag, no byte more.

#[test]
fn with_heartbeat_adds_72_bytes() {
    // The timer (32: its tick, its waker's first tick, its key, its coalescing
    // and what it knows of its tick), the next pulse (16), the interval (16) and the item counter
    // (8 with its padding).
    assert_eq!(size_of::<WithHeartbeat<Inner>>() - INNER, 72);
}

#[test]
fn watchdog_adds_136_bytes_and_try_watchdog_8_more() {
    // The silence timer (64: the timer, the deadline it is armed for, the
    // current one), the two timeouts (32), the name (16), two flags, and the
    // waker of a write left pending on a stream that is also a `Sink` (16),
    // woken when the watchdog drops the stream (W9).
    assert_eq!(size_of::<Watchdog<Inner>>() - INNER, 136);
    // Its own flag, in a word of its own.
    assert_eq!(size_of::<TryWatchdog<Inner>>() - INNER, 144);
}

#[test]
fn keep_alive_adds_88_bytes() {
    // The idle timer (64), the idle time (16) and the flag (8 with its padding).
    assert_eq!(size_of::<KeepAlive<Inner>>() - INNER, 88);
}

#[test]
fn adaptive_watchdog_adds_288_bytes_and_its_ring_of_samples() {
    // The silence timer (64), the learned rhythm (184: the settings 80, the
    // crossing, the sums and the ring's handle and position 64, the wait in
    // progress 40), the name (16), the state, and the pending write's waker
    // (16), as in the watchdog. The samples themselves, 4 bytes each (4 KB at
    // the default 1,000), are on the heap, allocated once.
    assert_eq!(size_of::<AdaptiveWatchdog<Inner>>() - INNER, 288);
    assert_eq!(size_of::<TryAdaptiveWatchdog<Inner>>() - INNER, 296);
}
