//! What the PgBouncer stress tests share: the tally of outcomes.

pub mod raw;
pub mod stress;

use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Once;
use std::task::Poll;

/// Runs `fut`, turning a panic into an error: sqlx's PostgreSQL driver
/// panics (an index out of bounds in `DataRow`) when a row of another
/// statement arrives with fewer columns than the one it prepared.
pub async fn unpanicked<T>(fut: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    quiet_driver_panics();
    let mut fut = pin!(fut);
    poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(outcome)) => Poll::Ready(outcome),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                Poll::Ready(Err(format!("sqlx panicked: {message}")))
            }
        },
    )
    .await
}

/// Keeps the panics of sqlx's driver (caught by [`unpanicked`]) out of the
/// output; every other panic is reported as usual.
fn quiet_driver_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_driver = info
                .location()
                .is_some_and(|l| l.file().contains("sqlx-postgres"));
            if !in_driver {
                default(info)
            }
        }));
    });
}

/// Outcomes of a stress run: every statement is right, wrong (it answered
/// with values that were not its own) or an error.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub right: u64,
    pub wrong: u64,
    pub errors: u64,
    /// The first few error messages, to show what kind they were.
    pub samples: Vec<String>,
}

impl Tally {
    pub fn record(&mut self, outcome: Result<bool, String>) {
        match outcome {
            Ok(true) => self.right += 1,
            Ok(false) => self.wrong += 1,
            Err(message) => {
                self.errors += 1;
                if self.samples.len() < 3 && !self.samples.contains(&message) {
                    self.samples.push(message);
                }
            }
        }
    }

    pub fn add(&mut self, other: Tally) {
        self.right += other.right;
        self.wrong += other.wrong;
        self.errors += other.errors;
        for message in other.samples {
            if self.samples.len() < 3 && !self.samples.contains(&message) {
                self.samples.push(message);
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.right + self.wrong + self.errors
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} statements: {} errors, {} wrong",
            self.total(),
            self.errors,
            self.wrong
        )?;
        for sample in &self.samples {
            write!(f, "\n    e.g. {sample}")?;
        }
        Ok(())
    }
}
