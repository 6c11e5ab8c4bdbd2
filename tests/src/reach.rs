//! What to do when a database server cannot be reached: on CI a missing server
//! is a broken build, so it panics; on a developer machine the suite still runs
//! on what is there, and says loudly what it skipped.

use crate::Backend;
use std::fmt::Display;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// The outcome of [`on_unreachable`]; each carries the message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Return no database: the calling test passes without running.
    Skip(String),
    /// Fail the calling test.
    Panic(String),
}

/// Decides what to do when `backend` at `url` (the admin URL) did not answer.
/// Pure, so the CI policy is testable without environment variables.
pub fn on_unreachable(ci: bool, backend: Backend, url: &str, err: &dyn Display) -> Decision {
    let url = redact(url);
    let (name, var) = (backend.name(), backend.url_env_var().unwrap_or("?"));
    if ci {
        Decision::Panic(format!(
            "{name} at {url} is unreachable and CI=true: start it or set {var} ({err})"
        ))
    } else {
        Decision::Skip(format!(
            "SKIPPING {name} tests: {name} at {url} is unreachable ({err}). \
             Start it or set {var}; with CI=true this is an error."
        ))
    }
}

/// Whether the environment says this is a CI run (`CI=true`, as CI services set it,
/// or `CI=1`).
pub fn ci_from_env() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Once a server failed to answer, later tests skip at once instead of each
/// waiting for its own connection attempt to fail.
static UNREACHABLE: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];
static WARNED: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];

pub(crate) fn known_unreachable(backend: Backend) -> bool {
    UNREACHABLE[backend as usize].load(Ordering::Relaxed)
}

/// Applies the decision for a failed admin connection: panics, or records the
/// backend as unreachable and warns once per process.
pub(crate) fn unreachable(backend: Backend, url: &str, err: &dyn Display) {
    match on_unreachable(ci_from_env(), backend, url, err) {
        Decision::Panic(message) => panic!("{message}"),
        Decision::Skip(message) => {
            UNREACHABLE[backend as usize].store(true, Ordering::Relaxed);
            if !WARNED[backend as usize].swap(true, Ordering::Relaxed) {
                skip_notice(&message);
            }
        }
    }
}

/// Written to the process's stderr directly: libtest captures `eprintln!` and
/// discards it for passing tests, and a skipped test passes.
fn skip_notice(message: &str) {
    let rule = "!".repeat(78);
    let _ = writeln!(std::io::stderr(), "\n{rule}\n!! {message}\n{rule}\n");
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => match url[start..start + at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..start], &url[start + at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
