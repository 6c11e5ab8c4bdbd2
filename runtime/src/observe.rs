//! Statement scopes: what ran inside one request or task, and the N+1
//! detector built on it.
//!
//! ```ignore
//! let (page, report) = strata::observe::Scope::new()
//!     .warn_repeats_over(10)
//!     .run(render_page(&db))
//!     .await;
//! assert!(report.count() <= 3);
//! ```
//!
//! Outside a scope strata records nothing; inside one, each statement's SQL
//! text is counted. strata's SQL text is stable per query shape (values are
//! always binds), so the same text running many times in one request is the
//! signature of an N+1: a loop issuing `find_unique` where one `include` or
//! `in_` would do.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;

tokio::task_local! {
    static CURRENT: RefCell<Recorder>;
}

/// Options of a statement scope. `Scope::new()` records; `warn_repeats_over`
/// adds the N+1 warning.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    threshold: Option<usize>,
}

impl Scope {
    pub fn new() -> Self {
        Scope::default()
    }

    /// The development default: warn when one statement shape runs more than
    /// 10 times in the scope, in debug builds only.
    pub fn development() -> Self {
        Scope {
            threshold: cfg!(debug_assertions).then_some(10),
        }
    }

    /// Emits a `tracing` warning (target `strata::n_plus_one`) the first time a
    /// statement shape runs more than `n` times inside the scope.
    pub fn warn_repeats_over(mut self, n: usize) -> Self {
        self.threshold = Some(n);
        self
    }

    /// Runs `future` inside this scope; returns its output and what ran.
    pub async fn run<F: Future>(self, future: F) -> (F::Output, ScopeReport) {
        let recorder = RefCell::new(Recorder {
            threshold: self.threshold,
            ..Recorder::default()
        });
        let (output, recorder) = CURRENT
            .scope(recorder, async move {
                let output = future.await;
                let report = CURRENT.with(|r| std::mem::take(&mut *r.borrow_mut()));
                (output, report)
            })
            .await;
        let report = ScopeReport {
            n_plus_one: (recorder.warned.into_iter())
                .map(|sql| {
                    let count = recorder.counts.get(&sql).copied().unwrap_or(0);
                    (sql, count)
                })
                .collect(),
            statements: recorder.statements,
        };
        (output, report)
    }
}

/// What a scope ran, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeReport {
    statements: Vec<String>,
    n_plus_one: Vec<(String, usize)>,
}

impl ScopeReport {
    /// How many statements ran.
    pub fn count(&self) -> usize {
        self.statements.len()
    }

    /// Their SQL text, in order.
    pub fn statements(&self) -> &[String] {
        &self.statements
    }

    /// The statement shapes the N+1 detector warned about, with how many
    /// times each ran in the whole scope.
    pub fn suspected_n_plus_one(&self) -> &[(String, usize)] {
        &self.n_plus_one
    }

    /// Statement shapes that ran more than once, with their counts, most first.
    pub fn repeated(&self) -> Vec<(&str, usize)> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for sql in &self.statements {
            *counts.entry(sql).or_default() += 1;
        }
        let mut repeated: Vec<_> = counts.into_iter().filter(|&(_, n)| n > 1).collect();
        repeated.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        repeated
    }
}

#[derive(Debug, Default)]
struct Recorder {
    threshold: Option<usize>,
    statements: Vec<String>,
    counts: HashMap<String, usize>,
    /// Shapes warned about, in the order they crossed the threshold.
    warned: Vec<String>,
}

/// Called by the executor for every statement it runs.
pub(crate) fn record(sql: &str) {
    let _ = CURRENT.try_with(|recorder| {
        let mut recorder = recorder.borrow_mut();
        recorder.statements.push(sql.to_owned());
        let threshold = recorder.threshold;
        let count = recorder.counts.entry(sql.to_owned()).or_default();
        *count += 1;
        if threshold.is_some_and(|n| *count == n + 1) {
            let count = *count;
            recorder.warned.push(sql.to_owned());
            tracing::warn!(
                target: "strata::n_plus_one",
                count,
                "possible N+1: the same statement ran {count} times in one scope; load the rows in one query with `include` or an `in_` filter: {sql}",
            );
        }
    });
}
