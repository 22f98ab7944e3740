//! A measuring device, not a clock to use: the least a timer for heartbeats can
//! do, so that the scale harness can show what the executor and the harness
//! cost with almost no timer at all (`--clock floor`).
//!
//! It gives the same precision as `WheelClock` for one interval (deadlines
//! rounded up to the widest power-of-two milliseconds within a twentieth of the
//! interval) and nothing else: no fault tolerance (a waker that panics kills its
//! thread and every timer with it), no reset to an earlier deadline, no removal
//! of a dropped timer's waker, and one lock per registration. One thread sleeps
//! until each boundary of the grain and wakes the wakers registered for it.

use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_heartbeat::clock::{Clock, Timer};

/// The grain boundaries a ring of slots covers: leads up to this many grains.
const SLOTS: u64 = 4096;

#[derive(Debug, Clone, Copy)]
pub struct FloorClock;

pub struct FloorTimer {
    deadline: Instant,
}

pub struct Floor {
    origin: Instant,
    grain: Duration,
    /// The wakers waiting for each boundary, by boundary number modulo `SLOTS`.
    slots: Vec<Mutex<Vec<(u64, Waker)>>>,
}

static FLOOR: OnceLock<Floor> = OnceLock::new();

impl FloorClock {
    /// Sets the grain from the one interval the harness uses, and starts the
    /// thread that fires the boundaries.
    pub fn start(interval: Duration) {
        let floor = Self::set_up(interval);
        std::thread::spawn(move || floor.run());
    }

    /// Sets the grain, with no thread: the caller fires the boundaries, from a
    /// task of the executor that runs the streams (`--clock floor-hosted`).
    pub fn start_hosted(interval: Duration) -> &'static Floor {
        Self::set_up(interval)
    }

    fn set_up(interval: Duration) -> &'static Floor {
        let slack_millis = (interval.as_millis() / 20).max(1) as u64;
        let grain_millis = 1 << (63 - slack_millis.leading_zeros());
        let floor = Floor {
            origin: Instant::now(),
            grain: Duration::from_millis(grain_millis),
            slots: (0..SLOTS).map(|_| Mutex::new(Vec::new())).collect(),
        };
        assert!(FLOOR.set(floor).is_ok(), "started twice");
        FLOOR.get().unwrap()
    }
}

impl Floor {
    /// The first boundary at or after `deadline`.
    fn boundary_at_or_after(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.origin).as_nanos();
        let grain = self.grain.as_nanos();
        nanos.div_ceil(grain) as u64
    }

    pub fn grain(&self) -> Duration {
        self.grain
    }

    /// When `boundary` starts.
    pub fn start_of(&self, boundary: u64) -> Instant {
        self.origin + self.grain * boundary as u32
    }

    fn run(&self) {
        let mut wakers = Vec::new();
        for boundary in 1.. {
            std::thread::sleep(
                self.start_of(boundary)
                    .saturating_duration_since(Instant::now()),
            );
            self.fire(boundary, &mut wakers);
        }
    }

    /// Wakes the wakers registered for `boundary`; `wakers` is scratch space.
    pub fn fire(&self, boundary: u64, wakers: &mut Vec<Waker>) {
        let mut slot = self.slots[(boundary % SLOTS) as usize].lock().unwrap();
        let mut index = 0;
        while index < slot.len() {
            if slot[index].0 <= boundary {
                wakers.push(slot.swap_remove(index).1);
            } else {
                index += 1; // a lead longer than the ring: a later round
            }
        }
        drop(slot);
        wakers.drain(..).for_each(Waker::wake);
    }
}

impl Clock for FloorClock {
    type Timer = FloorTimer;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer_at(&self, deadline: Instant) -> FloorTimer {
        FloorTimer { deadline }
    }
}

impl Timer for FloorTimer {
    fn reset(self: std::pin::Pin<&mut Self>, deadline: Instant) {
        self.get_mut().deadline = deadline;
    }

    fn poll_expired(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let floor = FLOOR.get().expect("FloorClock::start first");
        let boundary = floor.boundary_at_or_after(self.deadline);
        let slot = &floor.slots[(boundary % SLOTS) as usize];
        slot.lock().unwrap().push((boundary, cx.waker().clone()));
        Poll::Pending
    }
}

/// A Linux timerfd that expires at every boundary of `floor`'s grain from the
/// next one on, and the number of that next boundary.
#[cfg(target_os = "linux")]
fn periodic_timerfd(floor: &Floor) -> (std::os::fd::OwnedFd, u64) {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    fn timespec(span: Duration) -> libc::timespec {
        libc::timespec {
            tv_sec: span.as_secs() as libc::time_t,
            tv_nsec: span.subsec_nanos() as _,
        }
    }
    // SAFETY: plain system calls on a descriptor this function owns.
    let fd = unsafe {
        libc::timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
        )
    };
    assert!(
        fd >= 0,
        "timerfd_create: {}",
        std::io::Error::last_os_error()
    );
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let first = floor.boundary_at_or_after(Instant::now()) + 1;
    // Relative to a reading taken before the call: never earlier than the boundary.
    let delay = floor
        .start_of(first)
        .saturating_duration_since(Instant::now());
    let spec = libc::itimerspec {
        it_interval: timespec(floor.grain()),
        it_value: timespec(delay.max(Duration::from_nanos(1))),
    };
    let set = unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
    assert_eq!(
        set,
        0,
        "timerfd_settime: {}",
        std::io::Error::last_os_error()
    );
    (fd, first)
}

/// How many boundaries passed since the last read (0 if none).
#[cfg(target_os = "linux")]
fn expirations(fd: &std::os::fd::OwnedFd) -> u64 {
    use std::os::fd::AsRawFd;
    let mut expirations = 0u64;
    // SAFETY: reads 8 bytes into a u64 that lives across the call.
    let read = unsafe { libc::read(fd.as_raw_fd(), (&mut expirations as *mut u64).cast(), 8) };
    if read == 8 {
        expirations
    } else {
        0
    }
}

/// Fires the boundaries from a task on the executor's own reactor: a periodic
/// Linux timerfd registered with async-io, the reactor smol runs on, so that a
/// boundary costs the one wakeup of the reactor's thread.
#[cfg(target_os = "linux")]
pub async fn fire_on_async_io(floor: &'static Floor) {
    let (fd, mut boundary) = periodic_timerfd(floor);
    let source = async_io::Async::new(fd).expect("registered with the reactor");
    let mut wakers = Vec::new();
    loop {
        source.readable().await.expect("the timerfd stays readable");
        for _ in 0..expirations(source.get_ref()) {
            floor.fire(boundary, &mut wakers);
            boundary += 1;
        }
    }
}

/// Fires the boundaries inside async-io's reactor, with no task: the timerfd's
/// waker fires them itself, on whichever thread runs the reactor, and registers
/// itself again. This is all a library without a handle to the executor could do.
#[cfg(target_os = "linux")]
pub fn fire_inside_async_io(floor: &'static Floor) {
    use std::sync::Arc;
    use std::task::Wake;

    struct Inline {
        floor: &'static Floor,
        source: async_io::Async<std::os::fd::OwnedFd>,
        next: Mutex<(u64, Vec<Waker>)>,
    }
    impl Wake for Inline {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            let waker = Waker::from(self.clone());
            let mut next = self.next.lock().unwrap();
            loop {
                let (boundary, wakers) = &mut *next;
                for _ in 0..expirations(self.source.get_ref()) {
                    self.floor.fire(*boundary, wakers);
                    *boundary += 1;
                }
                let mut cx = Context::from_waker(&waker);
                if self.source.poll_readable(&mut cx).is_pending() {
                    return;
                }
            }
        }
    }
    let (fd, first) = periodic_timerfd(floor);
    let inline = Arc::new(Inline {
        floor,
        source: async_io::Async::new(fd).expect("registered with the reactor"),
        next: Mutex::new((first, Vec::new())),
    });
    inline.wake_by_ref();
}

/// Fires the boundaries from a task on tokio's own timer, which its workers
/// drive when they park: one wakeup a boundary.
pub async fn fire_on_tokio(floor: &'static Floor) {
    let mut boundary = floor.boundary_at_or_after(Instant::now()) + 1;
    let mut ticks = tokio::time::interval_at(floor.start_of(boundary).into(), floor.grain());
    let mut wakers = Vec::new();
    loop {
        ticks.tick().await;
        floor.fire(boundary, &mut wakers);
        boundary += 1;
    }
}
