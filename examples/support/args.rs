//! The examples' command lines: `--name value` flags and `--name` switches, a usage
//! text for `--help`, and a clear refusal of anything else.
#![allow(dead_code)] // each example uses part of it

use std::process;
use std::str::FromStr;

/// A parsed command line.
pub struct Args {
    usage: &'static str,
    given: Vec<(String, Option<String>)>,
    positional: Vec<String>,
}

impl Args {
    /// Parses the command line. `flags` take a value, `switches` do not, `roles`
    /// are the words allowed in first position. `--help` prints `usage` and exits;
    /// anything unknown prints what is wrong and the usage, and exits with code 2.
    pub fn parse(usage: &'static str, flags: &[&str], switches: &[&str], roles: &[&str]) -> Args {
        let mut args = Args {
            usage,
            given: Vec::new(),
            positional: Vec::new(),
        };
        let mut words = std::env::args().skip(1);
        while let Some(word) = words.next() {
            if word == "--help" || word == "-h" {
                println!("{usage}");
                process::exit(0);
            } else if flags.contains(&word.as_str()) {
                match words.next() {
                    Some(value) => args.given.push((word, Some(value))),
                    None => args.refuse(&format!("{word} needs a value")),
                }
            } else if switches.contains(&word.as_str()) {
                args.given.push((word, None));
            } else if args.positional.is_empty() && roles.contains(&word.as_str()) {
                args.positional.push(word);
            } else {
                args.refuse(&format!("unknown argument {word:?}"));
            }
        }
        args
    }

    pub fn refuse(&self, what: &str) -> ! {
        eprintln!("error: {what}\n\n{}", self.usage);
        process::exit(2);
    }

    /// The value of flag `name`, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(given, _)| given == name)
            .and_then(|(_, value)| value.as_deref())
    }

    /// The value of flag `name` parsed, `None` if absent; a value that does not parse is refused.
    pub fn parsed<T: FromStr>(&self, name: &str) -> Option<T> {
        let value = self.value(name)?;
        match value.parse() {
            Ok(parsed) => Some(parsed),
            Err(_) => self.refuse(&format!("{name} {value:?} is not valid here")),
        }
    }

    /// Whether switch `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.given.iter().any(|(given, _)| given == name)
    }

    /// The role given first on the command line, if any.
    pub fn role(&self) -> Option<&str> {
        self.positional.first().map(String::as_str)
    }
}
