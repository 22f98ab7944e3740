#!/usr/bin/env python3
"""Proves that the checks can fail: breaks the code on purpose, one way at a
time, and checks that the suite guarding it catches each break. The adapters'
breaks must be caught by the property tests (`cargo test --test properties`);
restarting's by its own property tests (`--test restart_properties`); the
scheduler's, by its loom models (`--cfg futures_heartbeat_loom`); the scheduler
thread's, by the fault tests (`tests/wheel_*.rs`, with `--cfg
futures_heartbeat_fault_injection`) and the count of its idle wakeups
(`tests/idle_wakeups.rs`); the cost of a pulse in shared locks, by the lock count
(`tests/wheel_lock_counts.rs`, with `--cfg futures_heartbeat_lock_counter`).

Run from the repository root: python3 .ci/mutants.py [NAME ...]
Every source file is restored after each mutant, even on error or Ctrl-C.
`python3 .ci/mutants.py --check` only checks that every mutant's text is still
in its file, once: a quick look after editing the code it mutates.

A suite that has not finished after HANG_AFTER_SECS is killed, with every
process it started, and its mutant counted as caught: it hung instead of
passing, which for this crate is a failure the tests exist to notice.
"""
import os
import signal
import subprocess
import sys

HANG_AFTER_SECS = 15 * 60

HEARTBEAT = "src/heartbeat/with_heartbeat.rs"
CLOCK = "src/clock.rs"
WATCHDOG = "src/watchdog/machine.rs"
SILENCE = "src/watchdog/silence.rs"
KEEP_ALIVE = "src/heartbeat/keep_alive.rs"
RESTARTING = "src/restart/stream.rs"
PHI_RHYTHM = "src/watchdog/phi_accrual/rhythm.rs"
SCHEDULER = "src/clock/wheel/scheduler.rs"
SCHEDULE = "src/clock/wheel/schedule.rs"
DRIVER = "src/clock/wheel/driver.rs"
WHEEL = "src/clock/wheel.rs"
TOKIO_CLOCK = "src/clock/tokio.rs"
WEB_DRIVER = "src/clock/wheel/web_driver.rs"
WATCHDOG_WRITES = "src/watchdog/writes.rs"

PROPERTIES = (["cargo", "test", "-q", "--test", "properties"], {})
RESTART_PROPERTIES = (["cargo", "test", "-q", "--test", "restart_properties"], {})
PHI_TESTS = (["cargo", "test", "-q", "--test", "phi_accrual"], {})
# The fault points and the lock counter are --cfg flags; the target dir and flags are
# those of .ci/run's test hooks step, whose build these reuse.
TEST_HOOKS = {"RUSTFLAGS": "--cfg futures_heartbeat_fault_injection --cfg futures_heartbeat_lock_counter",
              "CARGO_TARGET_DIR": "target/hooks"}
FAULT_TESTS = (["cargo", "test", "-q", "--all-features", "--test", "wheel_waker_faults",
                "--test", "wheel_blocking_waker", "--test", "wheel_driver_restart",
                "--test", "wheel_spawn_failure", "--test", "idle_wakeups"], TEST_HOOKS)
LOCK_COUNTS = (["cargo", "test", "-q", "--all-features", "--test", "wheel_lock_counts"], TEST_HOOKS)
BUSY_STREAM = (["cargo", "test", "-q", "--all-features", "--test", "busy_stream"], {})
WASM_TESTS = (["cargo", "test", "-q", "--target", "wasm32-unknown-unknown", "--test", "wasm"],
              {"CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER": "wasm-bindgen-test-runner"})
LOOM_MODELS = (["cargo", "test", "-q", "--release", "--lib", "loom_models"],
               {"RUSTFLAGS": "--cfg futures_heartbeat_loom", "CARGO_TARGET_DIR": "target/loom"})

# name: (file, text to replace, replacement, what the break does)
MUTANTS = {
    "heartbeat-bursts": (HEARTBEAT,
        "    match grid_point_after(*next_pulse, now, interval) {",
        "    match next_pulse.checked_add(interval) {",
        "missed pulses are queued and delivered in a burst after a stall"),
    "expiry-waits-for-the-driver": (WHEEL,
        "        if tick::tick_started_by(Instant::now()) >= self.ready {",
        "        if false {",
        "a busy stream's look at a deadline its scheduler was not told of waits for the scheduler: "
        "a pulse that fell due while the consumer was away comes many items late"),
    "expiry-look-never-tells": (WHEEL,
        "        if wheel.scheduler.tell(self.key.get(), self.due()) {\n            wheel.wake_driver();\n        }\n",
        "",
        "a busy stream's look does not tell the scheduler of its deadline, which it then never fires: "
        "the stream starves"),
    "expiry-tokio-waits-for-its-driver": (TOKIO_CLOCK,
        "    ::tokio::time::Instant::now() >= sleep.deadline()",
        "    { let _ = sleep; false }",
        "TokioClock's timer is expired only once tokio's driver fired it, so a busy stream starves"),
    "heartbeat-starves": (HEARTBEAT,
        "                *this.items_before_check -= 1;",
        "                *this.items_before_check = this.items_before_check.saturating_sub(1).max(1);",
        "an always-ready stream keeps pulses out forever"),
    "heartbeat-trailing-pulse": (HEARTBEAT,
        "            Poll::Ready(None) => self.end(),\n",
        "            Poll::Ready(None) => {\n"
        "                if self.as_mut().pulse_if_due(cx).is_ready() {\n"
        "                    return Poll::Ready(Some(Event::Pulse));\n"
        "                }\n"
        "                self.end()\n"
        "            }\n",
        "a pulse after the inner stream ended (and the ended stream polled again)"),
    "heartbeat-starves-a-timer-without-a-cheap-look": (CLOCK,
        "    fn may_have_expired(self: Pin<&mut Self>, _: Sealed) -> bool {\n        true\n",
        "    fn may_have_expired(self: Pin<&mut Self>, _: Sealed) -> bool {\n        false\n",
        "a timer with no fast path (any from outside the crate, and the manual clock's) is never "
        "polled while items are ready: an always-ready stream gets no pulse"),
    "heartbeat-drifts": (HEARTBEAT,
        "    match grid_point_after(*next_pulse, now, interval) {",
        "    match now.checked_add(interval) {",
        "the next pulse is scheduled from the time of firing, not on the grid"),
    "heartbeat-drops-an-item": (HEARTBEAT,
        "                    *this.items_before_check = MAX_ITEMS_BEFORE_PULSE;\n"
        "                    return Some(Poll::Ready(Some(Event::Pulse)));\n",
        "                    *this.items_before_check = MAX_ITEMS_BEFORE_PULSE;\n"
        "                    let _ = this.stream.as_mut().poll_next(cx);\n"
        "                    return Some(Poll::Ready(Some(Event::Pulse)));\n",
        "an item taken from the inner stream is thrown away when a pulse goes first"),
    "heartbeat-skips-the-timer-when-pending": (HEARTBEAT,
        "        *this.items_before_check = MAX_ITEMS_BEFORE_PULSE;\n        let Phase::Running",
        "        if *this.items_before_check != MAX_ITEMS_BEFORE_PULSE {\n"
        "            *this.items_before_check = MAX_ITEMS_BEFORE_PULSE;\n"
        "            return Poll::Pending;\n"
        "        }\n        let Phase::Running",
        "returns Pending without registering the timer's wakeup"),
    "watchdog-fires-while-ready": (WATCHDOG,
        "        let mut this = self.as_mut().project();\n        // The stream is dropped",
        "        let mut this = self.as_mut().project();\n"
        "        if this.stream.is_some() && !this.silence.delivered_since_last_wait() {\n"
        "            if poll_silence(this.silence.as_mut(), this.clock, this.limit, cx).is_ready() {\n"
        "                return fire(this.stream, this.writer, this.silence, this.state);\n"
        "            }\n"
        "        }\n        // The stream is dropped",
        "the deadline is checked before the stream, so a ready item is lost to a timeout"),
    "watchdog-counts-consumer-time": (WATCHDOG,
        "                this.silence.restart();\n                Poll::Ready(Some(item))",
        "                this.silence.as_mut().restart();\n"
        "                let _ = poll_silence(this.silence, this.clock, this.limit, &mut Context::from_waker(std::task::Waker::noop()));\n"
        "                Poll::Ready(Some(item))",
        "silence is counted from the item's delivery, so a slow consumer causes a timeout"),
    "watchdog-keeps-the-stream": (WATCHDOG_WRITES,
        "    connection.set(None);\n",
        "    let _ = &mut connection;\n",
        "the inner stream is not dropped when the watchdog fires"),
    "phi-learns-censored-gaps": (PHI_RHYTHM,
        "if after_arrival && last.after_arrival && gap <= last.limit {",
        "if after_arrival && last.after_arrival {",
        "a gap that ended while the consumer was away is learned as if seen whole"),
    "phi-learns-start-up": (PHI_RHYTHM,
        "if after_arrival && last.after_arrival && gap <= last.limit {",
        "if after_arrival && gap <= last.limit {",
        "the time to the first item is learned as a gap of the rhythm"),
    "phi-fires-early": (PHI_RHYTHM,
        "while !self.reaches_threshold(fit, limit) {",
        "while false && !self.reaches_threshold(fit, limit) {",
        "the timer may be aimed a hair before φ reaches the threshold"),
    "phi-reads-the-clock-per-item": (WATCHDOG,
        "                this.silence.restart();\n                Poll::Ready(Some(item))",
        "                this.silence.restart();\n                let _ = this.clock.now();\n                Poll::Ready(Some(item))",
        "the watchdogs, the adaptive one among them, read the clock for every ready item"),
    "silence-trusts-a-stale-timer": (SILENCE,
        "        if *armed_for == Some(deadline) {",
        "        if armed_for.is_some() {",
        "a timer armed for an earlier wait ends the current one (watchdog and keep-alive)"),
    "watchdog-never-restarts": (WATCHDOG,
        "                this.silence.restart();\n",
        "",
        "items do not restart the silence count"),
    "keep-alive-bursts": (KEEP_ALIVE,
        "        idle.restart();\n",
        "",
        "after a pulse the count does not start again: pulses come in a burst"),
    "keep-alive-pulses-while-busy": (KEEP_ALIVE,
        "                this.idle.restart();\n",
        "",
        "items do not count as activity, so a busy stream pulses"),
    "keep-alive-pulse-before-item": (KEEP_ALIVE,
        "        let this = self.as_mut().project();\n        if *this.ended {",
        "        let mut this = self.as_mut().project();\n"
        "        if !*this.ended && this.idle.as_mut().poll_elapsed(this.clock, *this.idle_time, cx).is_ready() {\n"
        "            this.idle.as_mut().restart();\n"
        "            return Poll::Ready(Some(Event::Pulse));\n"
        "        }\n        if *this.ended {",
        "a due pulse goes before a ready item"),
    "keep-alive-trailing-pulse": (KEEP_ALIVE,
        "            Poll::Ready(None) => self.end(),",
        "            Poll::Ready(None) => {\n"
        "                if self.as_mut().pulse_when_idle(cx).is_ready() {\n"
        "                    return Poll::Ready(Some(Event::Pulse));\n"
        "                }\n"
        "                self.end()\n"
        "            }",
        "a pulse after the inner stream ended"),
    "restart-resets-the-backoff-on-connect": (RESTARTING,
        "                this.silence.set(SilenceTimer::new());",
        "                this.silence.set(SilenceTimer::new());\n                this.settings.backoff.reset();",
        "a mere connect resets the backoff, so a flapping source retries at full speed"),
    "restart-keeps-the-old-source": (RESTARTING,
        "        let mut this = self.project();\n        this.source.set(None);\n        *this.connecting = None;\n        this.silence.as_mut().stop();",
        "        let mut this = self.project();\n        *this.connecting = None;\n        this.silence.as_mut().stop();",
        "the failed source lives on until the next one replaces it, after connect ran"),
    "restart-downtime-from-any-down": (RESTARTING,
        "        let settings = &mut *this.settings;\n        if let State::Up",
        "        *this.down_since = Some(now);\n        let settings = &mut *this.settings;\n        if let State::Up",
        "downtime restarts at a failed connect, not at the loss of the source"),
    "restart-connects-early": (RESTARTING,
        "                    if poll_timer(this.timer, cx).is_pending() {\n                        remember(this.reader, cx.waker()); // for a close, which drops the timer\n                        return Poll::Pending;\n                    }",
        "                    let _ = poll_timer(this.timer, cx);",
        "the next attempt does not wait for the backoff's delay"),
    "scheduler-registers-after-the-tick-fired": (SCHEDULER,
        "        if due.ready <= schedule.fired_through {\n"
        "            drop(schedule);\n"
        "            return Polled::Ready; // fired while the lock was free",
        "        if false {\n"
        "            drop(schedule);\n"
        "            return Polled::Ready; // fired while the lock was free",
        "a waker registered just after its tick fired is never woken (lost wakeup)"),
    "scheduler-links-a-hand-over-whose-tick-fired": (SCHEDULER,
        "let replaced = if due.ready <= schedule.fired_through {",
        "let replaced = if false {",
        "a waker handed over just after its tick fired is never woken (lost wakeup)"),
    "scheduler-reused-key-keeps-its-waker": (SCHEDULE,
        "let waker = self.timer_mut(key).waker.take();",
        "let waker = self.timer_mut(key).waker.clone();",
        "a new timer inherits the waker of the dropped timer whose key it reuses"),
    "scheduler-arm-leaves-the-driver-asleep": (SCHEDULER,
        "let earlier = tick < schedule.driver_wakes_at;",
        "let earlier = tick < schedule.driver_wakes_at && false;",
        "a timer armed before the driver's next tick does not wake the driver"),
    "scheduler-fires-early": (SCHEDULER,
        "let earliest = schedule.fire_through(tick, wakers);",
        "let earliest = schedule.fire_through(tick + 1, wakers);",
        "the driver fires the tick after the one that has started"),
    "scheduler-drops-a-waker-under-the-lock": (SCHEDULER,
        "        drop(schedule);\n        drop(old);",
        "        drop(old);\n        drop(schedule);",
        "a replaced waker is dropped with the lock held, so a waker that re-enters deadlocks"),
    "scheduler-hand-over-leaves-the-driver-asleep": (SCHEDULER,
        "        ready < self.published.driver_wakes_at.load(Ordering::SeqCst)\n",
        "        { let _ = ready; false }\n",
        "a waker handed over for a tick before the driver's next does not wake the driver"),
    "scheduler-driver-sleeps-past-a-late-hand-over": (SCHEDULER,
        "            if !self.apply_hand_overs(&mut schedule) {\n                break next;",
        "            if !self.apply_hand_overs(&mut schedule) || true {\n                break next;",
        "a hand-over that came while the driver fired is not seen before it sleeps"),
    "locks-wheel-clones-between-two-locks": (WHEEL,
        "let prefetched = timer.waker_may_be_taken(wheel).then(|| cx.waker().clone());",
        "let prefetched = None;",
        "each pulse locks the scheduler, twice, instead of handing its waker over without the lock"),
    "web-driver-never-arms-its-timeout": (WEB_DRIVER,
        "fn arm_timeout(tick: Tick) {\n    if tick == Tick::MAX {",
        "fn arm_timeout(tick: Tick) {\n    if tick == Tick::MAX || tick != Tick::MAX {",
        "in the browser, the scheduler never asks the host for a timeout: no timer fires"),
    "driver-lets-a-waker-panic-escape": (DRIVER,
        "if panic::catch_unwind(AssertUnwindSafe(code)).is_err() {",
        "if { code(); false } {",
        "a panicking waker kills the driver thread (which is then restarted)"),
    "driver-is-not-supervised": (DRIVER,
        "if stuck_in.is_some() && stuck_in == seen_in_waker {",
        "if stuck_in.is_some() && stuck_in == seen_in_waker && false {",
        "a driver blocked in a waker is never replaced"),
    "driver-dies-holding-the-wakers": (DRIVER,
        "            self.hand_over(fired_wakers);\n"
        "            faults::after_collecting_wakers();\n",
        "            faults::after_collecting_wakers();\n"
        "            self.hand_over(fired_wakers);\n",
        "the wakers a driver collected are lost with it when it dies"),
    "driver-supervisor-is-never-woken": (DRIVER,
        "        if self.supervisor.waiting.load(Ordering::SeqCst) {\n            self.wake_supervisor();",
        "        if self.supervisor.waiting.load(Ordering::SeqCst) && false {\n            self.wake_supervisor();",
        "the supervisor, waiting for a batch, is not woken when one starts: a blocked waker is never seen"),
    "driver-failed-restart-leaves-the-supervisor-asleep": (DRIVER,
        "            // No stream may call in again: the supervisor tries every period until one starts.\n            self.wake_supervisor();",
        "            // No stream may call in again: the supervisor tries every period until one starts.",
        "a driver that dies in a quiet process and cannot be restarted leaves its timers to a sleeping supervisor"),
    "driver-supervisor-looks-when-idle": (DRIVER,
        "            thread::park();\n",
        "            thread::park_timeout(SUPERVISION_PERIOD);\n",
        "the supervisor wakes every period with no waker running: the process is never quiet"),
    "driver-start-failure-is-silent": (DRIVER,
        "        if let Err(cause) = self.ensure_driver() {\n            panic!(",
        "        if let Err(cause) = self.ensure_driver() {\n            return;\n            panic!(",
        "a scheduler thread that cannot start leaves the streams waiting forever"),
}


def suite(name):
    """The command that must catch mutant `name`, and its environment."""
    if name.startswith("restart-"):
        return RESTART_PROPERTIES
    if name.startswith("phi-"):
        return PHI_TESTS
    if name.startswith("scheduler-"):
        return LOOM_MODELS
    if name.startswith("locks-"):
        return LOCK_COUNTS
    if name.startswith("expiry-"):
        return BUSY_STREAM
    if name.startswith("driver-"):
        return FAULT_TESTS
    if name.startswith("web-driver-"):
        return WASM_TESTS
    command, env = PROPERTIES
    # Only the properties of the adapter broken, to keep the run short.
    for prefix, properties in (("heartbeat-", "heartbeat"), ("watchdog-", "watchdog"),
                               ("keep-alive-", "keep_alive")):
        if name.startswith(prefix):
            return command + ["--", properties], env
    return command, env


def original_text(name):
    """The source file mutant `name` breaks, checked to hold its text exactly once."""
    path, old, _, _ = MUTANTS[name]
    original = open(path).read()
    if original.count(old) != 1:
        sys.exit(f"{name}: the text to mutate is not found exactly once in {path}; update this script")
    return original


def run_suite(command, env):
    """The suite's return code and output; `None` for the code if it hung and was killed."""
    # A session of its own, so that a hang is ended with every test binary cargo started.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env={**os.environ, **env}, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=HANG_AFTER_SECS)
        return process.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        return None, out
    finally:
        if process.poll() is None:  # interrupted: leave no test binary behind
            os.killpg(process.pid, signal.SIGKILL)


def run(name):
    path, old, new, what = MUTANTS[name]
    original = original_text(name)
    try:
        open(path, "w").write(original.replace(old, new))
        returncode, out = run_suite(*suite(name))
    finally:
        open(path, "w").write(original)
    if "could not compile" in out:
        sys.exit(f"{name}: the mutant does not compile; update this script\n{out}")
    failed = sorted({line.strip() for line in out.splitlines()
                     if line.startswith("    ") and line.strip().replace("_", "").isalnum()})
    reasons = sorted({line.split(" at tests/")[0] for line in out.splitlines() if line.startswith("Test failed")})
    caught = returncode != 0
    print(f"{'caught' if caught else 'MISSED'}  {name}: {what}")
    if returncode is None:
        print(f"          by a hang: the suite was killed after {HANG_AFTER_SECS} s")
    for test in failed:
        print(f"          by {test}")
    for reason in reasons:
        print(f"          {reason}")
    return caught


if sys.argv[1:] == ["--check"]:
    for name in MUTANTS:
        original_text(name)
    sys.exit(print(f"the text of each of the {len(MUTANTS)} mutants is in its file, once"))
names = sys.argv[1:] or list(MUTANTS)
missed = [name for name in names if not run(name)]
print(f"\n{len(names) - len(missed)} of {len(names)} mutants caught")
sys.exit(1 if missed else 0)
