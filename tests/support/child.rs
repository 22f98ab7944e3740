//! A server child process for the socket tests: an example's binary (built
//! through [`examples`](super::examples)) run in its server role. The child
//! says where it listens on its first line, and is killed and reaped on drop,
//! also when a test panics.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::examples::example;

/// How long the child's output may take to show what a test waits for: far
/// more than a loaded machine needs; only a missing line gets near it.
const OUTPUT_DEADLINE: Duration = Duration::from_secs(10);

pub struct ChildServer {
    child: Child,
    pub addr: String,
    /// What the server printed after its first line, line by line.
    said: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl ChildServer {
    /// Runs example `name` with `args`, and waits for its line
    /// `listening ADDR` (or `listening on ADDR`).
    ///
    /// The examples that run a server and its clients in one process prefix
    /// their server's lines with `server: `; it is taken off every line.
    pub fn start(name: &str, args: &[&str]) -> ChildServer {
        let mut child = Command::new(example(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .map(|line| unprefixed(&line).to_string());
        let addr = lines.by_ref().find_map(|line| {
            let at = line.strip_prefix("listening ")?;
            Some(at.strip_prefix("on ").unwrap_or(at).to_string())
        });
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not say where it listens");
        };
        let said = Arc::new(Mutex::new(Vec::new()));
        let sink = said.clone();
        let reader = std::thread::spawn(move || {
            for line in lines {
                sink.lock().unwrap().push(line);
            }
        });
        ChildServer {
            child,
            addr,
            said,
            reader: Some(reader),
        }
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

    /// Waits until what the server printed satisfies `wanted`, polling, and
    /// returns it; panics after a generous deadline, saying `what` was awaited.
    /// The child's lines cross a pipe and a reader thread: a line the server
    /// printed before the client saw the effect may still be on its way.
    pub fn wait_until(&self, what: &str, wanted: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + OUTPUT_DEADLINE;
        loop {
            let said = self.said();
            if wanted(&said) {
                return said;
            }
            assert!(
                Instant::now() < deadline,
                "the server never printed {what}; it printed {said:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the child and returns every line it printed: all of them, as its
    /// output is read to its end.
    pub fn kill_and_read_all(mut self) -> Vec<String> {
        let _ = self.child.kill(); // SIGKILL also ends a stopped process
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.said()
    }
}

/// The numbers of the `sent N` lines in `said`: the items a server wrote to a socket.
pub fn sent_numbers(said: &[String]) -> Vec<u64> {
    said.iter()
        .filter_map(|line| line.strip_prefix("sent ")?.parse().ok())
        .collect()
}

fn unprefixed(line: &str) -> &str {
    line.strip_prefix("server: ").unwrap_or(line)
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
