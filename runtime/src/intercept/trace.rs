//! The built-in interceptor: tracing, the slow-query warning, and the
//! statement record of `observe::Scope`.

use super::{Interceptor, Outcome, Query, Rows};
use std::time::Duration;
use tracing::field::{debug, Empty};
use tracing::Span;

/// The interceptor every [`Db`](crate::Db) runs first (outermost), set up
/// through [`DbBuilder::slow_query_threshold`](crate::DbBuilder::slow_query_threshold)
/// and [`DbBuilder::log_values`](crate::DbBuilder::log_values).
///
/// Per statement the executor opens a span `strata.query` (target
/// `strata::query`, level INFO) with the fields `model`, `action`, `sql`,
/// `values` (only with `log_values(true)`: values may be personal data),
/// and, once it ran, `rows`, `duration_us`, `pool_wait_us` and `error`.
/// Inside it this interceptor's `after` emits a DEBUG event (target
/// `strata::query`) with the SQL, and a WARN event (target
/// `strata::slow_query`) with the SQL when the statement took at least the
/// slow-query threshold (1 s unless set).
#[derive(Debug, Clone)]
pub struct Tracing {
    pub(crate) slow: Duration,
    pub(crate) values: bool,
}

impl Default for Tracing {
    fn default() -> Self {
        Tracing {
            slow: Duration::from_secs(1),
            values: false,
        }
    }
}

impl Tracing {
    /// The span a statement runs in; `Span::none()` when no subscriber
    /// wants it, which the executor then does not enter at all.
    pub(crate) fn span(&self, query: &Query<'_>) -> Span {
        if !spans_wanted() {
            return Span::none();
        }
        let span = tracing::info_span!(
            target: "strata::query",
            "strata.query",
            model = query.model.map(|m| m.name),
            action = query.action.as_str(),
            sql = query.sql,
            values = Empty,
            rows = Empty,
            duration_us = Empty,
            pool_wait_us = Empty,
            error = Empty,
        );
        if self.values && !span.is_disabled() {
            span.record("values", debug(query.values));
        }
        span
    }
}

impl Tracing {
    /// Whether a subscriber would see a statement's duration: its span,
    /// its debug event or the slow-query warning (any threshold: a
    /// statement may take longer than it).
    pub(crate) fn wants_duration(&self) -> bool {
        spans_wanted()
            || tracing::enabled!(target: "strata::query", tracing::Level::DEBUG)
            || tracing::enabled!(target: "strata::slow_query", tracing::Level::WARN)
    }
}

impl Interceptor for Tracing {
    fn after(&self, outcome: &Outcome<'_>) {
        let Some(query) = outcome.query else {
            return;
        };
        let sql = query.sql;
        crate::observe::record(sql);
        let rows = match outcome.result {
            Ok(Rows::Returned(n) | Rows::Affected(n)) => Some(n),
            Err(_) => None,
        };
        // The statement's span is the current one (the executor entered
        // it); none is looked up, made or dropped when no subscriber wants
        // spans.
        if spans_wanted() {
            let span = Span::current();
            if !span.is_disabled() {
                span.record("rows", rows);
                span.record("duration_us", micros(outcome.duration));
                span.record("pool_wait_us", micros(outcome.pool_wait));
                if let Err(e) = outcome.result {
                    span.record("error", tracing::field::display(e));
                }
            }
        }
        let elapsed = outcome.duration;
        tracing::debug!(target: "strata::query", ?elapsed, rows, "{sql}");
        if elapsed >= self.slow {
            let threshold = self.slow;
            tracing::warn!(
                target: "strata::slow_query",
                model = query.model.map(|m| m.name),
                action = query.action.as_str(),
                ?elapsed,
                ?threshold,
                "slow query: {elapsed:?} (threshold {threshold:?}): {sql}",
            );
        }
    }
}

/// Whether a subscriber wants `strata.query` spans: a callsite check, far
/// cheaper than creating, entering and dropping a disabled span per
/// statement (about 1,500 instructions on a point query, callgrind).
fn spans_wanted() -> bool {
    tracing::enabled!(target: "strata::query", tracing::Level::INFO)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
