//! Interceptors: middleware every operation strata runs passes through.
//!
//! An [`Interceptor`] registered with [`DbBuilder::interceptor`] sees each
//! operation three times:
//!
//! 1. [`before`](Interceptor::before), once per operation, with its model,
//!    [`Action`] and [`Args`]: the statement AST, mutable, because it is
//!    rendered only after every `before` hook has run. A hook may change it
//!    (e.g. [`Operation::and_filter`]), fail the operation with an error, or
//!    answer it without the database ([`Flow::Skip`]).
//! 2. [`sql`](Interceptor::sql), once per statement, with the SQL text
//!    about to be sent and its values.
//! 3. [`after`](Interceptor::after), once per statement sent (or once, with
//!    no statement, when a `before` hook failed or skipped the operation),
//!    with the rows returned or affected or the error, the duration and
//!    the time spent waiting for a pooled connection.
//!
//! Interceptors compose in registration order: `before` and `sql` hooks run
//! first-registered first, `after` hooks in reverse, like nested
//! middleware. `sql` and `after` run for exactly the interceptors whose
//! `before` ran: when one fails or skips, the later ones never see the
//! operation. strata's own statements ([`Action::Internal`]: EXPLAIN, the
//! saga tables, migrations' bookkeeping and backfills, introspection,
//! `push_schema`'s DDL) are not offered to `before` (there is nothing to
//! change in them) but pass every `sql` and `after` hook. BEGIN, COMMIT,
//! ROLLBACK and savepoints are no operation's and pass no hook; they keep
//! their debug event.
//!
//! Which statements a [`Db`](crate::Db) may send to a read replica
//! follows [`Action::reads`]; `sql!` always runs on the primary.
//! Hooks are synchronous and run on the task executing the statement: keep
//! them cheap, and take request context (a tenant, a user) from a
//! task-local or the interceptor's own state.
//!
//! Interceptors are attached to the [`Db`](crate::Db) and shared by all its
//! clones, including the `Db` a transaction body is given.
//!
//! # Example: a tenant filter
//!
//! ```
//! use strata::intercept::{Action, Flow, Interceptor, Operation};
//! use strata::query::ast::{CompareOp, Expr};
//! use strata::Value;
//!
//! /// Every operation on a model with a `tenant_id` column sees only
//! /// tenant `self.0`'s rows.
//! struct Tenant(i64);
//!
//! impl Interceptor for Tenant {
//!     fn before(&self, op: &mut Operation<'_>) -> strata::Result<Flow> {
//!         let Some(column) = op
//!             .model()
//!             .and_then(|m| m.columns.iter().find(|c| c.name == "tenant_id"))
//!         else {
//!             return Ok(Flow::Continue);
//!         };
//!         match op.action() {
//!             // Inserts have no WHERE: a real tenant interceptor would
//!             // check the rows they write instead.
//!             Action::Create | Action::CreateMany | Action::Upsert => {}
//!             _ => op.and_filter(Expr::Compare(
//!                 Box::new(Expr::Column(column)),
//!                 CompareOp::Eq,
//!                 Box::new(Expr::Value(Value::I64(self.0))),
//!             ))?,
//!         }
//!         Ok(Flow::Continue)
//!     }
//! }
//!
//! # async fn connect() -> strata::Result<strata::Db> {
//! let db = strata::Db::builder()
//!     .url("sqlite::memory:")
//!     .interceptor(Tenant(7))
//!     .connect()
//!     .await?;
//! # Ok(db) }
//! ```
//!
//! With a typed filter, for one model: `op.and_filter_for(Post::tenant_id().eq(7))`
//! ([`Operation::and_filter_for`]).
//!
//! # Built in: tracing
//!
//! Every `Db` runs the [`Tracing`] interceptor first (outermost): a
//! `strata.query` span per statement, the per-statement debug event, the
//! slow-query warning and the statement record behind
//! [`observe::Scope`](crate::observe::Scope)'s N+1 detector. See
//! [`DbBuilder::slow_query_threshold`] and [`DbBuilder::log_values`].
//!
//! [`DbBuilder::interceptor`]: crate::DbBuilder::interceptor
//! [`DbBuilder::slow_query_threshold`]: crate::DbBuilder::slow_query_threshold
//! [`DbBuilder::log_values`]: crate::DbBuilder::log_values

mod action;
pub(crate) mod chain;
mod operation;
mod outcome;
mod trace;

pub use action::Action;
pub use operation::{Args, Operation};
pub use outcome::{Outcome, Query, Rows};
pub use trace::Tracing;

use crate::error::Result;

/// Middleware over every operation a [`Db`](crate::Db) runs; see the
/// [module documentation](self). Every hook has a default that does
/// nothing, so an interceptor implements only the ones it needs.
pub trait Interceptor: Send + Sync + 'static {
    /// Before the operation is rendered: may change [`Operation::args_mut`],
    /// return an error (the operation fails with it, nothing is sent), or
    /// [`Flow::Skip`] it.
    fn before(&self, op: &mut Operation<'_>) -> Result<Flow> {
        let _ = op;
        Ok(Flow::Continue)
    }

    /// Each statement's SQL, just before it is sent. An error fails the
    /// operation without sending it.
    fn sql(&self, query: &Query<'_>) -> Result<()> {
        let _ = query;
        Ok(())
    }

    /// After each statement (or after a failed or skipped `before`): the
    /// result, the duration and the pool wait. Runs inside the statement's
    /// `strata.query` span, so events emitted here carry its fields.
    fn after(&self, outcome: &Outcome<'_>) {
        let _ = outcome;
    }
}

/// What a [`before`](Interceptor::before) hook decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on: the next interceptor's `before`, then render and send.
    Continue,
    /// Answer without the database; later interceptors are not asked.
    /// A read returns no rows: `find_many`, `group_by`, the select builder
    /// and `sql!`'s `fetch_all` an empty list, `find_first`/`find_unique`
    /// `None` (`exec_required` then `Error::NotFound`), `count` 0, `exists`
    /// false, an include loads no related rows, `aggregate` (which always
    /// has one row) fails with `Error::NotFound`. A write reports
    /// `rows_affected` (`update_many`, `delete_many`, `create_many`,
    /// `sql!`'s `execute`); a write that returns its row (`create`,
    /// `update`, `upsert`, `delete` by key) has none to return and fails
    /// with `Error::NotFound`.
    Skip { rows_affected: u64 },
}
