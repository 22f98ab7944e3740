//! A server child process for the socket tests: the test binary run again, in
//! the role of one of its tests (`child_server_role`), with its arguments in an
//! environment variable. The child says where it listens on its first line, and
//! is killed and reaped on drop, also when a test panics.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ChildServer {
    child: Child,
    pub addr: String,
    /// What the server printed after its first line, line by line.
    said: Arc<Mutex<Vec<String>>>,
}

impl ChildServer {
    /// Runs this test binary's test `role` with `args` in the variable `env`,
    /// and waits for its `listening ADDR` line.
    pub fn start(role: &str, env: &str, args: &str) -> ChildServer {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", role, "--nocapture", "--test-threads=1", "-q"])
            .env(env, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("listening ").map(str::to_string));
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not say where it listens");
        };
        let said = Arc::new(Mutex::new(Vec::new()));
        let sink = said.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        ChildServer { child, addr, said }
    }

    /// Sends `signal` (`-STOP`, `-CONT`, `-KILL`) to the child.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} failed");
    }

    /// Stops the child with `SIGSTOP`, and returns once every one of its threads
    /// is stopped (read from `/proc` where there is one). A stop signal takes
    /// effect some time after `kill` returns: on this machine the child was once
    /// seen still running, long enough to complete a WebSocket handshake.
    pub fn freeze(&self) {
        self.signal("-STOP");
        let tasks = format!("/proc/{}/task", self.child.id());
        let deadline = Instant::now() + Duration::from_secs(5);
        while !all_stopped(&tasks) {
            assert!(Instant::now() < deadline, "the child did not stop");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The lines it printed so far, after the first.
    pub fn said(&self) -> Vec<String> {
        self.said.lock().unwrap().clone()
    }

    /// The numbers of its `sent N` lines: the items it wrote to a socket.
    pub fn sent_items(&self) -> Vec<u64> {
        let said = self.said.lock().unwrap();
        said.iter()
            .filter_map(|line| line.strip_prefix("sent ")?.parse().ok())
            .collect()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL also ends a stopped process
        let _ = self.child.wait();
    }
}

/// Whether every thread listed in `tasks` (`/proc/PID/task`) is stopped; `true`
/// where there is no such directory, as on systems without `/proc`.
fn all_stopped(tasks: &str) -> bool {
    let Ok(threads) = std::fs::read_dir(tasks) else {
        return true;
    };
    threads.filter_map(Result::ok).all(|thread| {
        let stat = std::fs::read_to_string(thread.path().join("stat")).unwrap_or_default();
        // The state follows the command name, which is in parentheses and may hold spaces.
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        matches!(
            state.and_then(|rest| rest.chars().next()),
            Some('T' | 't') | None
        )
    })
}

/// A port on 127.0.0.1 that was free a moment ago, for a server to be restarted on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
