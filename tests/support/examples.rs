//! The example binaries, for the tests that run them: built once per test
//! binary through the cargo that runs the tests (`$CARGO`), with the features
//! the test was built with, so that a test run alone from a clean `target/`
//! builds what it needs, and after a whole `cargo test` the build has nothing
//! to do. The build can only make a test slower, never wrong: if another cargo
//! holds the target directory's lock, or the examples must be built from
//! scratch, it waits, up to the bound below, and fails only past it.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The examples a user runs, each with a command line of its own.
pub const EXAMPLES: [&str; 6] = [
    "heartbeat",
    "supervisor",
    "sse",
    "tcp",
    "web_client",
    "websocket",
];

/// From a clean `target/`, building the examples and running the tests of
/// `examples_cli` took 15 s on a loaded two-core machine (their dependencies
/// are the tests', built before they run); only a hang, or a cold build of much
/// more, gets near this.
const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// The path of example `name`'s binary, built with the others the first time
/// any is asked for.
pub fn example(name: &str) -> PathBuf {
    built_examples()
        .iter()
        .find(|(built, _)| built == name)
        .map(|(_, path)| path.clone())
        .unwrap_or_else(|| panic!("cargo built no example {name}"))
}

/// The crate's optional features, as cargo names them: the examples are built
/// with the ones this test was built with, so that after `cargo test` the build
/// reuses its library and examples rather than building others. (A feature
/// missing here costs a second build of the library, never a wrong result.)
fn features() -> String {
    [
        ("async-io", cfg!(feature = "async-io")),
        ("tokio", cfg!(feature = "tokio")),
        ("serde", cfg!(feature = "serde")),
        ("tracing", cfg!(feature = "tracing")),
    ]
    .iter()
    .filter(|(_, enabled)| *enabled)
    .map(|(name, _)| *name)
    .collect::<Vec<_>>()
    .join(",")
}

/// Builds the examples once for every test of the binary, and returns where each is.
fn built_examples() -> &'static Vec<(String, PathBuf)> {
    static BUILT: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    BUILT.get_or_init(|| {
        // Set by cargo for the tests it runs; the one on the PATH otherwise.
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--message-format=json-render-diagnostics"])
            .args(["--no-default-features", "--features", &features()]);
        for name in EXAMPLES {
            build.args(["--example", name]);
        }
        let output = output_within(build, BUILD_LIMIT);
        assert!(
            output.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // Cargo says where each binary is: no guess about the target directory.
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|message| message["reason"] == "compiler-artifact")
            .filter(|message| message["target"]["kind"][0] == "example")
            .filter_map(|message| {
                let name = message["target"]["name"].as_str()?.to_string();
                let executable = message["executable"].as_str()?.into();
                Some((name, executable))
            })
            .collect()
    })
}

/// Runs `command` to its end, or kills it and panics once `limit` has passed.
pub fn output_within(mut command: Command, limit: Duration) -> Output {
    let what = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {what}: {error}"));
    // Read on threads of their own: a child that fills a pipe nobody reads would block.
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().unwrap().unwrap(),
        stderr: stderr.join().unwrap().unwrap(),
    }
}
