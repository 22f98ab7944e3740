//! What the measuring tools share. The tools themselves are this package's
//! binaries: `scale` (many idle streams: CPU, memory, lateness) and
//! `phi_simulation` (the adaptive watchdog against fixed ones).

/// The command line, parsed as the crate's examples parse theirs, so that the
/// tools answer `--help` and refuse unknown flags the same way.
#[path = "../../examples/support/args.rs"]
pub mod args;
