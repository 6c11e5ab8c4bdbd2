//! Metrics through the [`metrics`](https://docs.rs/metrics) facade: per
//! statement counts and durations by model and action, errors by kind, and
//! the pool's connections. Turned on with `Db::builder().metrics(true)`
//! (cargo feature `metrics`); they go to whatever recorder the program
//! installed (`metrics-exporter-prometheus`, ..), none by default.
//!
//! Every label value comes from a bounded set: model names, action names,
//! error kinds, a fixed outcome. Never SQL text or a bound value.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `strata_queries_total` | counter | `model`, `action`, `outcome` (`ok`, `error`, `skipped`) |
//! | `strata_query_duration_seconds` | histogram | `model`, `action` |
//! | `strata_rows_total` | counter | `model`, `action` |
//! | `strata_errors_total` | counter | `model`, `action`, `kind` ([`Error::kind`]) |
//! | `strata_pool_acquire_seconds` | histogram | |
//! | `strata_pool_connections` | gauge | `state` (`idle`, `in_use`) |
//! | `strata_pool_max_connections` | gauge | |
//! | `strata_pool_waiting` | gauge | |
//! | `strata_pool_timeouts_total` | counter | |
//!
//! `model` is the model's Rust name (`User`), or empty for the select
//! builder, `sql!` and strata's own statements, which the `action` label
//! (`select`, `raw`, `internal`) tells apart. The pool metrics are the
//! primary's, sampled as an operation starts, at most every 100 ms.
//!
//! [`Error::kind`]: crate::Error::kind

use crate::intercept::{Action, Flow, Interceptor, Operation, Outcome, Rows};
use crate::Db;
use ::metrics::{counter, gauge, histogram, Key, Label, Level, Metadata, Unit};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Statements finished, by outcome: one per statement sent, or one for an
/// operation a `before` hook failed (`error`) or answered (`skipped`).
pub const QUERIES_TOTAL: &str = "strata_queries_total";
/// From sending a statement to its last row, pool wait included.
pub const QUERY_DURATION_SECONDS: &str = "strata_query_duration_seconds";
/// Rows returned by reads and changed by writes.
pub const ROWS_TOTAL: &str = "strata_rows_total";
/// Failed operations by [`Error::kind`](crate::Error::kind).
pub const ERRORS_TOTAL: &str = "strata_errors_total";
/// How long each statement waited for a pooled connection.
pub const POOL_ACQUIRE_SECONDS: &str = "strata_pool_acquire_seconds";
/// Open connections of the pool, `state` `idle` or `in_use`.
pub const POOL_CONNECTIONS: &str = "strata_pool_connections";
pub const POOL_MAX_CONNECTIONS: &str = "strata_pool_max_connections";
/// Statements and transactions waiting for a connection.
pub const POOL_WAITING: &str = "strata_pool_waiting";
/// Acquires that gave up after the pool's `acquire_timeout`.
pub const POOL_TIMEOUTS_TOTAL: &str = "strata_pool_timeouts_total";

/// Gives every strata metric its description and unit on the current
/// recorder. Exporters show them (Prometheus `# HELP`); call it after
/// installing the recorder. `Db::builder().metrics(true)` calls it on
/// connecting, which covers a recorder installed before that.
pub fn describe() {
    use ::metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        QUERIES_TOTAL,
        "Statements strata ran, by model, action and outcome"
    );
    describe_histogram!(
        QUERY_DURATION_SECONDS,
        Unit::Seconds,
        "Time from sending a statement to its last row, pool wait included"
    );
    describe_counter!(ROWS_TOTAL, "Rows returned by reads and changed by writes");
    describe_counter!(ERRORS_TOTAL, "Failed operations, by error kind");
    describe_histogram!(
        POOL_ACQUIRE_SECONDS,
        Unit::Seconds,
        "Time each statement waited for a pooled connection"
    );
    describe_gauge!(POOL_CONNECTIONS, "Open pool connections, idle or in use");
    describe_gauge!(POOL_MAX_CONNECTIONS, "The pool's max_connections");
    describe_gauge!(POOL_WAITING, "Statements waiting for a connection now");
    describe_counter!(
        POOL_TIMEOUTS_TOTAL,
        "Acquires that gave up after the pool's acquire_timeout"
    );
}

/// The built-in interceptor behind `Db::builder().metrics(true)`.
///
/// It registers each metric at each use instead of keeping handles: a
/// handle is bound to the recorder current when it was made, and a program
/// may install its recorder after connecting (or a test a thread-local
/// one), which kept handles would never reach. What it keeps are the keys,
/// made once per model and action: building one allocates its labels and
/// hashes them, which was most of this interceptor's cost per statement.
pub(crate) struct Metrics {
    /// A handle on the same pool for [`Db::pool_status`], with a context of
    /// its own: this interceptor lives in the `Db`'s context, and holding
    /// that context here would keep it, and the pool, alive forever.
    pool: Option<Db>,
    keys: RwLock<HashMap<(&'static str, Action), Arc<OpKeys>>>,
    /// When the pool gauges are next due, in nanoseconds since `start`.
    pool_due: AtomicU64,
    start: Instant,
}

/// How often the pool gauges are sampled at most. Reading the pool status
/// takes a lock of the lease path, more than the rest of this interceptor;
/// exporters are scraped every few seconds, so a sample per statement
/// would be work no one reads.
const POOL_SAMPLE_EVERY: Duration = Duration::from_millis(100);

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// The keys of one model and action.
struct OpKeys {
    ok: Key,
    error: Key,
    skipped: Key,
    rows: Key,
    duration: Key,
}

impl OpKeys {
    fn new(model: &'static str, action: &'static str) -> OpKeys {
        let key = |name: &'static str, outcome: Option<&'static str>| {
            let mut labels = vec![
                Label::from_static_parts("model", model),
                Label::from_static_parts("action", action),
            ];
            labels.extend(outcome.map(|o| Label::from_static_parts("outcome", o)));
            Key::from_parts(name, labels)
        };
        OpKeys {
            ok: key(QUERIES_TOTAL, Some("ok")),
            error: key(QUERIES_TOTAL, Some("error")),
            skipped: key(QUERIES_TOTAL, Some("skipped")),
            rows: key(ROWS_TOTAL, None),
            duration: key(QUERY_DURATION_SECONDS, None),
        }
    }
}

impl Metrics {
    pub(crate) fn new(pool: Option<Db>) -> Self {
        Metrics {
            pool,
            keys: RwLock::default(),
            pool_due: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    /// Runs `f` with the keys of `model` and `action`, made on first use.
    fn with_keys(&self, model: &'static str, action: Action, f: impl FnOnce(&OpKeys)) {
        let read = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(keys) = read.get(&(model, action)) {
            return f(keys);
        }
        drop(read);
        let keys = Arc::new(OpKeys::new(model, action.as_str()));
        let mut write = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        f(write.entry((model, action)).or_insert(keys))
    }

    /// Samples the pool if the last sample is older than
    /// [`POOL_SAMPLE_EVERY`], or at once with `now`.
    fn publish_pool(&self, now: bool) {
        let Some(pool) = &self.pool else {
            return;
        };
        let elapsed = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if !now && elapsed < self.pool_due.load(Ordering::Relaxed) {
            return;
        }
        let every = u64::try_from(POOL_SAMPLE_EVERY.as_nanos()).unwrap_or(u64::MAX);
        self.pool_due
            .store(elapsed.saturating_add(every), Ordering::Relaxed);
        let Some(status) = pool.pool_status() else {
            return;
        };
        // Literal names and labels: the macros make these keys statics.
        gauge!("strata_pool_connections", "state" => "idle").set(status.idle);
        gauge!("strata_pool_connections", "state" => "in_use").set(status.in_use);
        gauge!("strata_pool_max_connections").set(status.max_connections);
        gauge!("strata_pool_waiting").set(status.waiting);
        counter!("strata_pool_timeouts_total").absolute(status.timeouts);
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("pool", &self.pool.is_some())
            .finish()
    }
}

impl Interceptor for Metrics {
    /// The pool as an operation finds it, before it takes a connection:
    /// sampled after the statement instead, the gauges would count the
    /// statement's own connection, and an idle service would show one in
    /// use forever.
    fn before(&self, _: &mut Operation<'_>) -> crate::Result<Flow> {
        self.publish_pool(false);
        Ok(Flow::Continue)
    }

    fn after(&self, outcome: &Outcome<'_>) {
        let model = outcome.model().map_or("", |m| m.name);
        let action = outcome.action();
        if let Err(error) = outcome.result() {
            if matches!(error, crate::Error::PoolTimedOut) {
                // The timeout count, and the waiter gone, at once.
                self.publish_pool(true);
            }
            let (action, kind) = (action.as_str(), error.kind());
            counter!(ERRORS_TOTAL, "model" => model, "action" => action, "kind" => kind)
                .increment(1);
        }
        self.with_keys(model, action, |keys| {
            ::metrics::with_recorder(|recorder| {
                let counted = match outcome.result() {
                    _ if outcome.skipped() => &keys.skipped,
                    Ok(Rows::Returned(rows) | Rows::Affected(rows)) => {
                        recorder
                            .register_counter(&keys.rows, &METADATA)
                            .increment(rows);
                        &keys.ok
                    }
                    Err(_) => &keys.error,
                };
                recorder.register_counter(counted, &METADATA).increment(1);
                // No statement: a `before` hook or the rendering failed, in
                // no measurable time that would only drag the histogram down.
                if outcome.query().is_some() {
                    recorder
                        .register_histogram(&keys.duration, &METADATA)
                        .record(outcome.duration());
                }
            })
        });
        if outcome.query().is_some() && self.pool.is_some() {
            histogram!("strata_pool_acquire_seconds").record(outcome.pool_wait());
        }
    }
}
