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
//! (`select`, `raw`, `internal`) tells apart.
//!
//! [`Error::kind`]: crate::Error::kind

use crate::intercept::{Flow, Interceptor, Operation, Outcome, Rows};
use crate::Db;
use ::metrics::{counter, gauge, histogram, Unit};

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
/// one), which kept handles would never reach.
pub(crate) struct Metrics {
    /// A handle on the same pool for [`Db::pool_status`], with a context of
    /// its own: this interceptor lives in the `Db`'s context, and holding
    /// that context here would keep it, and the pool, alive forever.
    pool: Option<Db>,
}

impl Metrics {
    pub(crate) fn new(pool: Option<Db>) -> Self {
        Metrics { pool }
    }

    fn publish_pool(&self) {
        let Some(status) = self.pool.as_ref().and_then(Db::pool_status) else {
            return;
        };
        gauge!(POOL_CONNECTIONS, "state" => "idle").set(status.idle);
        gauge!(POOL_CONNECTIONS, "state" => "in_use").set(status.in_use);
        gauge!(POOL_MAX_CONNECTIONS).set(status.max_connections);
        gauge!(POOL_WAITING).set(status.waiting);
        counter!(POOL_TIMEOUTS_TOTAL).absolute(status.timeouts);
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
    /// The pool as each operation finds it, before it takes a connection:
    /// published after the statement instead, the gauges would count the
    /// statement's own connection, and an idle service would show one in
    /// use forever.
    fn before(&self, _: &mut Operation<'_>) -> crate::Result<Flow> {
        self.publish_pool();
        Ok(Flow::Continue)
    }

    fn after(&self, outcome: &Outcome<'_>) {
        let model = outcome.model().map_or("", |m| m.name);
        let action = outcome.action().as_str();
        let label = match outcome.result() {
            _ if outcome.skipped() => "skipped",
            Ok(Rows::Returned(rows) | Rows::Affected(rows)) => {
                counter!(ROWS_TOTAL, "model" => model, "action" => action).increment(rows);
                "ok"
            }
            Err(error) => {
                let kind = error.kind();
                if matches!(error, crate::Error::PoolTimedOut) {
                    // The timeout count, and the waiter gone, at once.
                    self.publish_pool();
                }
                counter!(ERRORS_TOTAL, "model" => model, "action" => action, "kind" => kind)
                    .increment(1);
                "error"
            }
        };
        counter!(QUERIES_TOTAL, "model" => model, "action" => action, "outcome" => label)
            .increment(1);
        // No statement: a `before` hook or the rendering failed, in no
        // measurable time that would only drag the histogram down.
        if outcome.query().is_some() {
            histogram!(QUERY_DURATION_SECONDS, "model" => model, "action" => action)
                .record(outcome.duration());
            if self.pool.is_some() {
                histogram!(POOL_ACQUIRE_SECONDS).record(outcome.pool_wait());
            }
        }
    }
}
