//! How the executor runs the interceptors: the `before` chain over an AST
//! and its rendering (`Prepared`), and the per-statement hooks (`Watch`).

use super::{Action, Args, Flow, Interceptor, Operation, Outcome, Query, Rows, Tracing};
use crate::error::{Error, Result};
use crate::query::ast::{Load, Statement};
use crate::query::select::QueryAst;
use crate::raw::Sql;
use crate::schema::reach::Reach;
use crate::schema::ModelSchema;
use std::sync::Arc;
use std::time::Duration;

/// A `Db`'s interceptors: the built-in [`Tracing`], called directly (so a
/// `Db` without user interceptors dispatches nothing dynamically and builds
/// no AST it would not have built anyway), then the user's, in order.
#[derive(Default, Clone)]
pub(crate) struct Chain {
    pub(crate) tracing: Tracing,
    pub(crate) user: Vec<Arc<dyn Interceptor>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("tracing", &self.tracing)
            .field("user", &self.user.len())
            .finish()
    }
}

/// Who an operation is for and what it does; carried from the call site
/// to the executor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    pub(crate) model: Option<&'static ModelSchema>,
    /// What errors name when there is no model (`"sql!"`, `"select"`..).
    pub(crate) label: &'static str,
    pub(crate) action: Action,
    /// Whether a replica may serve it.
    pub(crate) read: bool,
    /// Soft delete: the rows of a soft-deleted model the builder asked
    /// for, handed to the built-in `SoftDelete` interceptor.
    pub(crate) soft_delete: crate::soft_delete::Scope,
}

impl Op {
    pub(crate) fn model(model: &'static ModelSchema, action: Action) -> Op {
        Op {
            model: Some(model),
            label: model.name,
            action,
            read: action.reads(),
            soft_delete: crate::soft_delete::Scope::Live,
        }
    }

    /// An operation over no one model; errors name `label`.
    pub(crate) fn unscoped(label: &'static str, action: Action) -> Op {
        Op {
            model: None,
            label,
            action,
            read: action.reads(),
            soft_delete: crate::soft_delete::Scope::Live,
        }
    }

    /// Runs on the primary even if it only reads (a locking read).
    pub(crate) fn on_primary(mut self, primary: bool) -> Op {
        self.read &= !primary;
        self
    }

    /// Soft delete: which rows of a soft-deleted model the operation sees
    /// (`with_deleted()`..).
    pub(crate) fn soft_delete(mut self, scope: crate::soft_delete::Scope) -> Op {
        self.soft_delete = scope;
        self
    }

    /// Which built-in interceptors may change the operation: soft delete
    /// (a scope other than live rows, or its model reaches a soft-deleted
    /// table) and the tenant filter (its model reaches a tenant-scoped
    /// table). The select builder's AST names its models: both look there.
    /// One cached lookup answers both; the tenant scope is not read here.
    pub(crate) fn builtins(&self) -> (bool, bool) {
        if self.action == Action::Select {
            return (true, true);
        }
        let reach = self.model.map_or(Reach::NONE, Reach::of);
        let soft = self.soft_delete != crate::soft_delete::Scope::Live || reach.soft_delete();
        (soft, reach.tenant())
    }

    /// Whether a built-in interceptor (soft delete, tenancy) may change
    /// the operation: it must go through `Chain::prepare` with its AST.
    pub(crate) fn rewrites(&self) -> bool {
        let (soft_delete, tenant) = self.builtins();
        soft_delete || tenant
    }
}

/// `Op::model(M::SCHEMA, action)`.
#[inline(always)]
pub(crate) fn op<M: crate::schema::Model>(action: Action) -> Op {
    Op::model(M::SCHEMA, action)
}

/// An operation past its `before` hooks: rendered, or answered by one.
pub(crate) struct Prepared<R> {
    pub(crate) op: Op,
    pub(crate) body: Body<R>,
    /// How many user interceptors' `before` ran (their `sql` and `after`
    /// hooks run; the rest never saw the operation).
    pub(crate) ran: usize,
}

pub(crate) enum Body<R> {
    Run(R),
    Skip { rows_affected: u64 },
}

impl<R> Prepared<Vec<R>> {
    /// One prepared operation per statement (an include's key batches):
    /// each gets its own `sql` and `after` hooks. A skipped operation stays
    /// one, answered once.
    pub(crate) fn each(self) -> Vec<Prepared<R>> {
        let Prepared { op, body, ran } = self;
        match body {
            Body::Run(all) => (all.into_iter())
                .map(|r| Prepared {
                    op,
                    body: Body::Run(r),
                    ran,
                })
                .collect(),
            Body::Skip { rows_affected } => vec![Prepared {
                op,
                body: Body::Skip { rows_affected },
                ran,
            }],
        }
    }
}

impl<R> Prepared<R> {
    /// Rendered without `before` hooks: there are none, or the operation
    /// has no AST to show them.
    pub(crate) fn new(op: Op, rendered: R) -> Self {
        Prepared {
            op,
            body: Body::Run(rendered),
            ran: usize::MAX,
        }
    }

    /// The same operation with its rendering converted (`Rendered` into
    /// `Shared`).
    pub(crate) fn map<S>(self, f: impl FnOnce(R) -> S) -> Prepared<S> {
        let Prepared { op, body, ran } = self;
        let body = match body {
            Body::Run(rendered) => Body::Run(f(rendered)),
            Body::Skip { rows_affected } => Body::Skip { rows_affected },
        };
        Prepared { op, body, ran }
    }
}

/// An AST a `before` hook can see as [`Args`].
pub(crate) trait Intercepted {
    fn args(&mut self) -> Args<'_>;
}

impl Intercepted for Statement {
    fn args(&mut self) -> Args<'_> {
        Args::Statement(self)
    }
}

impl Intercepted for Vec<Statement> {
    fn args(&mut self) -> Args<'_> {
        Args::Statements(self)
    }
}

impl Intercepted for Load {
    fn args(&mut self) -> Args<'_> {
        Args::Load(self)
    }
}

impl Intercepted for QueryAst {
    fn args(&mut self) -> Args<'_> {
        Args::Select(self)
    }
}

impl Intercepted for Sql {
    fn args(&mut self) -> Args<'_> {
        Args::Raw(self)
    }
}

impl Chain {
    /// Runs the `before` hooks over `ast`, then `render`s it (once, after
    /// all of them). A failing hook or render ends the operation here,
    /// after the `after` hooks of the interceptors that saw it.
    pub(crate) fn prepare<A: Intercepted, R>(
        &self,
        op: Op,
        ast: A,
        render: impl FnOnce(A) -> Result<R>,
    ) -> Result<Prepared<R>> {
        self.prepare_with(op, ast, |ast, _| render(ast))
    }

    /// [`Chain::prepare`] whose `render` is told whether a hook asked for
    /// the arguments mutably (if none did, a point statement's remembered
    /// text is still right).
    pub(crate) fn prepare_with<A: Intercepted, R>(
        &self,
        op: Op,
        mut ast: A,
        render: impl FnOnce(A, bool) -> Result<R>,
    ) -> Result<Prepared<R>> {
        let mut ran = 0;
        let (skip, changed) = {
            let mut operation =
                Operation::new(op.model, op.action, ast.args()).with_soft_delete(op.soft_delete);
            let mut skip = None;
            for interceptor in &self.user {
                ran += 1;
                match interceptor.before(&mut operation) {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Skip { rows_affected }) => {
                        skip = Some(rows_affected);
                        break;
                    }
                    Err(e) => return Err(self.failed(op, ran, e)),
                }
            }
            // Built in, after the user's hooks (so what they added is
            // covered too), called directly: soft delete's rewrites, then
            // the tenant filter's. Each ANDs its conditions into what is
            // there, so both hold.
            let (soft_delete, tenant) = op.builtins();
            if skip.is_none() && soft_delete {
                if let Err(e) = crate::soft_delete::SoftDelete.before(&mut operation) {
                    return Err(self.failed(op, ran, e));
                }
            }
            if skip.is_none() && tenant {
                if let Err(e) = crate::tenant::TenantFilter.before(&mut operation) {
                    return Err(self.failed(op, ran, e));
                }
            }
            (skip, operation.changed())
        };
        if let Some(rows_affected) = skip {
            return Ok(Prepared {
                op,
                body: Body::Skip { rows_affected },
                ran,
            });
        }
        match render(ast, changed) {
            Ok(rendered) => Ok(Prepared {
                op,
                body: Body::Run(rendered),
                ran,
            }),
            Err(e) => Err(self.failed(op, ran, e)),
        }
    }

    /// The `after` hooks of an operation that ends with `error` before a
    /// statement was sent.
    fn failed(&self, op: Op, ran: usize, error: Error) -> Error {
        self.watch(op, ran)
            .after(None, Err(&error), Duration::ZERO, Duration::ZERO);
        error
    }

    pub(crate) fn watch(&self, op: Op, ran: usize) -> Watch<'_> {
        Watch {
            chain: self,
            op,
            ran: ran.min(self.user.len()),
        }
    }
}

/// The per-statement hooks of one prepared operation.
pub(crate) struct Watch<'c> {
    chain: &'c Chain,
    pub(crate) op: Op,
    ran: usize,
}

impl Watch<'_> {
    fn seen(&self) -> &[Arc<dyn Interceptor>] {
        self.chain.user.get(..self.ran).unwrap_or_default()
    }

    pub(crate) fn query<'q>(&self, sql: &'q str, values: &'q [crate::Value]) -> Query<'q> {
        Query {
            model: self.op.model,
            action: self.op.action,
            sql,
            values,
        }
    }

    pub(crate) fn span(&self, query: &Query<'_>) -> tracing::Span {
        self.chain.tracing.span(query)
    }

    /// Whether anyone sees a statement's duration: a user interceptor's
    /// `after`, or the built-in's span, debug event or slow-query warning.
    /// If not, the executor does not read the clock.
    pub(crate) fn timed(&self) -> bool {
        !self.seen().is_empty() || self.chain.tracing.wants_duration()
    }

    /// The `sql` hooks, in order; the first error ends the statement (and
    /// is passed through the `after` hooks).
    pub(crate) fn send(&self, query: &Query<'_>) -> Result<()> {
        for interceptor in self.seen() {
            if let Err(e) = interceptor.sql(query) {
                self.after(Some(*query), Err(&e), Duration::ZERO, Duration::ZERO);
                return Err(e);
            }
        }
        Ok(())
    }

    /// The `after` hooks, last-registered first, the built-in last.
    pub(crate) fn after(
        &self,
        query: Option<Query<'_>>,
        result: std::result::Result<Rows, &Error>,
        duration: Duration,
        pool_wait: Duration,
    ) {
        self.finish(query, result, duration, pool_wait, false);
    }

    /// The `after` hooks of an operation a `before` hook answered.
    pub(crate) fn skipped(&self, rows: Rows) {
        self.finish(None, Ok(rows), Duration::ZERO, Duration::ZERO, true);
    }

    fn finish(
        &self,
        query: Option<Query<'_>>,
        result: std::result::Result<Rows, &Error>,
        duration: Duration,
        pool_wait: Duration,
        skipped: bool,
    ) {
        let outcome = Outcome {
            model: self.op.model,
            action: self.op.action,
            query,
            result,
            duration,
            pool_wait,
            skipped,
        };
        for interceptor in self.seen().iter().rev() {
            interceptor.after(&outcome);
        }
        self.chain.tracing.after(&outcome);
    }
}
