//! Running prepared operations: every statement strata sends passes here,
//! through the interceptors (`crate::intercept`), the route to the primary
//! or a replica, a lent connection, and the driver.
//!
//! An operation comes from its call site as a [`Prepared`]: the `before`
//! hooks have run over its AST and it has been rendered once (or a hook
//! answered it). Here each statement gets its span, its `sql` hooks, its
//! timing (pool wait included) and its `after` hooks.

use super::bind::{self, Binds, Bound};
use super::classify::{self, Scope};
use super::lease::{lend, Conn};
use super::pgbouncer::pinned;
use super::{pin_in_place, trusted_shared, Db, Rows, Target, WriteOutcome};
use crate::error::{Error, Result};
use crate::intercept::chain::{Body, Intercepted, Op, Prepared, Watch};
use crate::intercept::{self, Action};
use crate::render::{Rendered, Shared};
use crate::schema::{FromRow, ModelSchema, Row};
use crate::value::Value;
use futures_util::future::BoxFuture;
use futures_util::{TryFutureExt as _, TryStreamExt as _};
use sqlx::error::BoxDynError;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument as _;

type Arguments<DB> = fn(Binds) -> Result<<DB as sqlx::Database>::Arguments, BoxDynError>;

/// Runs `$body` with `$conn` bound to `$target`'s connection and
/// `$args`/`$row` to its argument builder and row wrapper.
macro_rules! on_target {
    ($target:expr, |$conn:ident, $args:ident, $row:ident| $body:expr) => {
        match $target {
            Target::Postgres($conn) => {
                let $args: Arguments<sqlx::Postgres> = bind::pg_bind;
                let $row = Row::from_postgres;
                $body
            }
            Target::Sqlite($conn) => {
                let $args: Arguments<sqlx::Sqlite> = bind::sqlite_bind;
                let $row = Row::from_sqlite;
                $body
            }
            Target::MySql($conn) => {
                let $args: Arguments<sqlx::MySql> = bind::mysql_bind;
                let $row = Row::from_mysql;
                $body
            }
        }
    };
}

fn scope(op: &Op) -> Scope {
    match op.model {
        Some(model) => Scope::Model(model),
        None => Scope::Query(op.label),
    }
}

fn values(binds: &Binds) -> &[Value] {
    match binds {
        Binds::Values(values) => values,
        Binds::Rows { .. } => &[],
    }
}

impl Db {
    /// Whether user interceptors are registered: without them a call site
    /// may render straight from a remembered shape, no AST built.
    pub(crate) fn intercepted(&self) -> bool {
        !self.context.interceptors.user.is_empty()
    }

    /// Whether `op` goes through the `before` hooks: there are user
    /// interceptors, or the built-in soft delete or tenant filter applies
    /// to its model.
    pub(crate) fn intercepts(&self, op: &Op) -> bool {
        self.intercepted() || op.rewrites()
    }

    /// Runs the `before` hooks over `ast`, then `render`s it: once, after
    /// all of them, so what they changed is what is sent.
    pub(crate) fn prepare<A: Intercepted, R>(
        &self,
        op: Op,
        ast: A,
        render: impl FnOnce(A) -> Result<R>,
    ) -> Result<Prepared<R>> {
        if !self.intercepts(&op) {
            return Ok(Prepared::new(op, render(ast)?));
        }
        self.context.interceptors.prepare(op, ast, render)
    }

    /// [`Db::prepare`] for a point statement whose text `render::shape`
    /// remembers: `shaped` renders it that way from `parts` (moving its
    /// values into the binds) when nothing may change the statement or no
    /// hook asked to; otherwise it is rendered from the AST `statement`
    /// builds from them.
    pub(crate) fn prepare_point<P>(
        &self,
        op: Op,
        parts: P,
        statement: impl FnOnce(&P) -> crate::query::ast::Statement,
        shaped: impl FnOnce(P) -> Result<Shared>,
    ) -> Result<Prepared<Shared>> {
        if !self.intercepts(&op) {
            return Ok(Prepared::new(op, shaped(parts)?));
        }
        let dialect = self.dialect();
        let ast = statement(&parts);
        let render = |s, changed| match changed {
            true => crate::render::render_checked(&s, dialect).map(Shared::from),
            false => shaped(parts),
        };
        self.context.interceptors.prepare_with(op, ast, render)
    }

    /// [`Db::prepare`] over a model statement, rendered with its checks;
    /// run as built, its text is remembered per shape.
    pub(crate) fn prepare_statement(
        &self,
        op: Op,
        statement: crate::query::ast::Statement,
    ) -> Result<Prepared<Shared>> {
        let dialect = self.dialect();
        if !self.intercepts(&op) {
            let rendered = crate::render::render_remembered(&statement, dialect)?;
            return Ok(Prepared::new(op, rendered));
        }
        self.prepare(op, statement, |s| {
            crate::render::render_checked(&s, dialect).map(Shared::from)
        })
    }

    /// Rows of `T` for a prepared read.
    pub(crate) async fn run_all<T: FromRow + Send + Unpin + 'static>(
        &self,
        prepared: Prepared<impl Into<Shared>>,
    ) -> Result<Vec<T>> {
        self.run_fetch(prepared, |row| T::from_row(row, &mut 0), Rows::All)
            .await
    }

    /// The first row of `T`, if any: collected as itself, not in a
    /// vector (an allocation, a move in and a move out per point read).
    /// The paths that run most hold a [`FirstRow`] themselves and await
    /// [`Db::fetch_first`], without this layer.
    pub(crate) async fn run_optional<T: FromRow + Send>(
        &self,
        prepared: Prepared<impl Into<Shared>>,
    ) -> Result<Option<T>> {
        let mut row = FirstRow::new();
        self.fetch_first(prepared.map(Into::into), &mut row).await?;
        Ok(row.into_row())
    }

    /// The first row of a point statement, into `row`, which the caller
    /// holds across this future's await: no `collect` layer (one more
    /// state machine per row type, and the row moved through it) on the
    /// paths that run most (a read by key, a create, an update by key).
    pub(crate) fn fetch_first<'a, T: FromRow + Send>(
        &'a self,
        prepared: Prepared<Shared>,
        row: &'a mut FirstRow<T>,
    ) -> BoxFuture<'a, Result<()>> {
        self.fetch_prepared(prepared, row, Rows::First, true)
    }

    /// Rows decoded by `decode`: all of them, or only the first (which stops
    /// reading there), collected into `O` (usually a `Vec`). `collect`'s own
    /// future, not an `async` layer around it: each layer is one more state
    /// machine compiled per row type in the user's crate.
    pub(crate) fn run_fetch<'a, T, D, O, R>(
        &'a self,
        prepared: Prepared<R>,
        decode: D,
        rows: Rows,
    ) -> impl std::future::Future<Output = Result<O>> + 'a
    where
        T: Send + Unpin + 'static,
        D: Fn(Row<'_>) -> Result<T, sqlx::Error> + Send + Sync + 'static,
        O: Collected<T> + 'a,
        R: Into<Shared> + 'a,
    {
        self.collect(prepared, decode, rows, true)
    }

    /// A write (or `sql!`'s execute): rows affected. Boxed, as
    /// [`Db::fetch_prepared`] is.
    pub(crate) fn run_execute(
        &self,
        prepared: Prepared<impl Into<Bound>>,
    ) -> BoxFuture<'_, Result<WriteOutcome>> {
        let Prepared { op, body, ran } = prepared;
        let body = match body {
            Body::Run(rendered) => Body::Run(std::iter::once(rendered.into())),
            Body::Skip { rows_affected } => Body::Skip { rows_affected },
        };
        pin_in_place(|| self.execute_prepared(Prepared { op, body, ran }, false))
    }

    /// Runs `statements` in one transaction (one statement alone needs
    /// none) and returns the total rows affected: one logical write that
    /// needs several statements (a `create_many` split under the bind
    /// limit) applies completely or not at all.
    pub(crate) fn run_atomically(
        &self,
        prepared: Prepared<Vec<Bound>>,
    ) -> BoxFuture<'_, Result<u64>> {
        // BEGIN/COMMIT around one statement would only cost round trips
        // (and a statement journal on SQLite).
        let transactional = matches!(&prepared.body, Body::Run(s) if s.len() > 1);
        // `map_ok`, not an `async move` around it: that block would store
        // the statement's future twice (the capture and the awaited copy).
        pin_in_place(|| {
            let outcome = self.execute_prepared(prepared, transactional);
            outcome.map_ok(|outcome| outcome.rows_affected)
        })
    }

    /// A read's rows decoded by `decode` into an `O`: the only part of a
    /// read generic over its row type. The statement's path below it takes
    /// the rows through `dyn Sink`, so it is compiled once, in strata,
    /// rather than once per row type in every crate that reads a model
    /// (it was ~40% of a user crate's LLVM IR; bench/compile/RESULTS.md).
    async fn collect<T, D, O>(
        &self,
        prepared: Prepared<impl Into<Shared>>,
        decode: D,
        rows: Rows,
        persistent: bool,
    ) -> Result<O>
    where
        T: Send + Unpin + 'static,
        D: Fn(Row<'_>) -> Result<T, sqlx::Error> + Send + Sync + 'static,
        O: Collected<T>,
    {
        let Prepared { op, body, ran } = prepared;
        let body = match body {
            Body::Run(rendered) => Body::Run(rendered.into()),
            Body::Skip { rows_affected } => Body::Skip { rows_affected },
        };
        let mut sink = Collect {
            out: O::default(),
            decode,
            row: PhantomData,
        };
        (self.fetch_prepared(Prepared { op, body, ran }, &mut sink, rows, persistent)).await?;
        Ok(sink.out)
    }

    /// A read's rows into a sink its caller owns and decodes with: a typed
    /// read that needs more than [`Db::run_fetch`]'s one decoder (a model's
    /// row and its joined includes' columns; an include's rows and their
    /// parent keys) builds its sink from the untyped ones below and keeps
    /// its own future free of another per-type copy of this path.
    pub(crate) fn fetch_into<'a>(
        &'a self,
        prepared: Prepared<Shared>,
        sink: &'a mut dyn Sink,
        rows: Rows,
    ) -> BoxFuture<'a, Result<()>> {
        self.fetch_prepared(prepared, sink, rows, true)
    }

    /// Boxed, because the generic futures above (a read's, a write's, per
    /// model in the user's crate) await it: held by value, this future and
    /// every one below it down to sqlx's socket reads were part of each of
    /// their types, and a debug build describes each type in full in every
    /// codegen unit that uses it (most of a user crate's debug info, and
    /// more than half its build time; bench/compile/RESULTS.md). One
    /// allocation per statement instead.
    ///
    /// What needs no await (the row-level-security guard, the `sql` hooks,
    /// the span) runs here, before the box: the boxed future holds only
    /// what lives across the statement's awaits. Kept under glibc's
    /// per-thread cache limit (1,032 bytes), its allocation and free are a
    /// few dozen instructions; the whole `async fn` it replaced (1,152
    /// bytes, every argument stored twice) went through the general heap,
    /// ~400 instructions and as many cache lines per point read.
    fn fetch_prepared<'a>(
        &'a self,
        prepared: Prepared<Shared>,
        sink: &'a mut dyn Sink,
        rows: Rows,
        persistent: bool,
    ) -> BoxFuture<'a, Result<()>> {
        if self.context.guards_row_level_security {
            if let Err(e) = self.check_row_level_security(prepared.op.model) {
                return Box::pin(std::future::ready(Err(e)));
            }
        }
        let watch = self.context.interceptors.watch(prepared.op, prepared.ran);
        let Shared { sql, binds } = match prepared.body {
            Body::Run(rendered) => rendered,
            Body::Skip { .. } => {
                watch.skipped(intercept::Rows::Returned(0));
                return Box::pin(std::future::ready(Ok(())));
            }
        };
        let query = watch.query(&sql, &binds);
        let span = watch.span(&query);
        if let Err(e) = in_span(&span, || watch.send(&query)) {
            return Box::pin(std::future::ready(Err(e)));
        }
        // Shared with sqlx rather than copied into it: the hooks after the
        // read, and a replica's retry on the primary, read the same text
        // (for a point statement, the text `render::shape` remembers).
        let persistent = persistent && self.keeps_statements();
        pin_in_place(|| {
            let timed = self.fetch_timed(watch, sql, binds, sink, rows, persistent);
            timed.instrument(span)
        })
    }

    /// [`Db::fetch_prepared`]'s statement, on the route's target (again on
    /// the primary if a replica could not serve it), timed, with its
    /// `after` hooks.
    ///
    /// A plain `fn` around an `async move` block: as an `async fn`, whose
    /// future stores each argument twice, the boxed future grew from 784 to
    /// 896 bytes, less room under the allocator's cache limit.
    #[allow(clippy::manual_async_fn)]
    fn fetch_timed<'a>(
        &'a self,
        watch: Watch<'a>,
        sql: Arc<String>,
        binds: Vec<Value>,
        sink: &'a mut dyn Sink,
        rows: Rows,
        persistent: bool,
    ) -> impl std::future::Future<Output = Result<()>> + Send + 'a {
        async move {
            let sql = &sql;
            let target = self.route(watch.op.read);
            // A read a replica could not serve runs again on the primary,
            // with the same values.
            let again = self.is_replica(target).then(|| binds.clone());
            let start = Clock::start(watch.timed());
            // Reborrowed for each attempt: the pinned path's `async move`
            // would otherwise take `sink` itself.
            let first = &mut *sink;
            let (mut result, mut wait) = pinned!(self, target, binds, |t, binds| {
                fetch_on(t, sql, binds, &mut *first, rows, persistent).await
            });
            if let (Err(e), Some(binds)) = (&result, again) {
                if let Some(primary) = self.fallback(target, e) {
                    // Boxed, as the pinned path is: rare, and not carried in
                    // every read's future.
                    let retry = &mut *sink;
                    let (retried, waited) = Box::pin(async move {
                        pinned!(self, primary, binds, |t, binds| {
                            fetch_on(t, sql, binds, &mut *retry, rows, persistent).await
                        })
                    })
                    .await;
                    (result, wait) = (retried, wait + waited);
                }
            }
            let duration = start.elapsed();
            let result = result.map_err(|e| classify::classify(e, scope(&watch.op)));
            let returned = match &result {
                Ok(()) => Ok(intercept::Rows::Returned(sink.count())),
                Err(e) => Err(e),
            };
            watch.after(Some(watch.query(sql, &[])), returned, duration, wait);
            result
        }
    }

    /// Runs the statements of one write on one connection of the primary
    /// (inside a transaction if `transactional`), each with its span and
    /// hooks.
    async fn execute_prepared<I: IntoIterator<Item = Bound>>(
        &self,
        prepared: Prepared<I>,
        transactional: bool,
    ) -> Result<WriteOutcome> {
        if self.context.guards_row_level_security {
            self.check_row_level_security(prepared.op.model)?;
        }
        let watch = self.context.interceptors.watch(prepared.op, prepared.ran);
        let statements = match prepared.body {
            Body::Run(statements) => statements,
            Body::Skip { rows_affected } => {
                watch.skipped(intercept::Rows::Affected(rows_affected));
                return Ok(WriteOutcome {
                    rows_affected,
                    last_insert_id: None,
                });
            }
        };
        let mut failed = None;
        let (target, persistent) = (self.route(false), self.keeps_statements());
        // In PgBouncer mode or with the tenant to set, outside a
        // transaction, the write gets one of its own (pgbouncer.rs).
        let begun = match self.pin(target) {
            Some(begin) => Some(begin.await),
            None => None,
        };
        let result = match begun {
            Some(Err(e)) => Err(e),
            begun => {
                let (pinned, level) = match begun {
                    Some(Ok((in_tx, level))) => (Some(in_tx), Some(level)),
                    _ => (None, None),
                };
                // A pinned write is inside its own transaction already.
                let transactional = transactional && level.is_none();
                let result = on_target!(pinned.as_ref().unwrap_or(target), |conn, args, _row| {
                    run_on(
                        conn,
                        statements,
                        args,
                        transactional,
                        persistent,
                        &watch,
                        &mut failed,
                    )
                    .await
                    .map(|result| result.map(QueryOutcome::outcome))
                });
                match (level, result) {
                    (None, result) => result,
                    // Refused by a hook: what ran before it rolls back.
                    (Some(level), Ok(Err(refused))) => {
                        // Boxed: see `Db::pin`.
                        let _ = Box::pin(level.rollback()).await;
                        Ok(Err(refused))
                    }
                    (Some(level), result) => super::pgbouncer::unpin(level, result).await,
                }
            }
        };
        let error = match result {
            Ok(Ok(outcome)) => return Ok(outcome),
            // An `sql` hook refused a statement: its hooks have run.
            Ok(Err(refused)) => return Err(refused),
            Err(e) => classify::classify(e, scope(&watch.op)),
        };
        // The failed statement's hooks, now that its error is classified
        // (BEGIN or COMMIT failing: none sent, the hooks see no statement).
        match failed {
            Some(Failed {
                sql,
                duration,
                wait,
                span,
            }) => in_span(&span, || {
                watch.after(Some(watch.query(&sql, &[])), Err(&error), duration, wait)
            }),
            None => watch.after(None, Err(&error), Duration::ZERO, Duration::ZERO),
        }
        Err(error)
    }

    /// DDL of `push_schema`/`reset_schema`, in one transaction: strata's own
    /// statements, seen by the `sql` and `after` hooks as [`Action::Internal`].
    pub(super) async fn run_ddl(&self, statements: Vec<String>) -> Result<()> {
        // MySQL commits each DDL statement implicitly, so its transaction only
        // groups them; PostgreSQL and SQLite apply all or nothing.
        let statements = statements.into_iter().map(|sql| Bound {
            sql: Arc::new(sql),
            binds: Binds::Values(Vec::new()),
        });
        let op = Op::unscoped("schema", Action::Internal);
        self.execute_prepared(Prepared::new(op, statements), true)
            .await
            .map(drop)
    }

    /// Rows decoded by `decode` for strata's own statements (migrations,
    /// backfills, introspection, the index advisor): [`Action::Internal`],
    /// not offered to `before` hooks. Errors name `model`.
    pub(crate) async fn fetch_with<T, D>(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
        decode: D,
        rows: Rows,
    ) -> Result<Vec<T>>
    where
        T: Send + Unpin + 'static,
        D: Fn(Row<'_>) -> Result<T, sqlx::Error> + Send + Sync + 'static,
    {
        let op = Op::model(model, Action::Internal);
        self.collect(Prepared::new(op, rendered), decode, rows, true)
            .await
    }

    /// [`Db::fetch_with`] over no one model: errors name `label`.
    pub(crate) async fn fetch_unscoped<T, D>(
        &self,
        label: &'static str,
        rendered: Rendered,
        decode: D,
        rows: Rows,
    ) -> Result<Vec<T>>
    where
        T: Send + Unpin + 'static,
        D: Fn(Row<'_>) -> Result<T, sqlx::Error> + Send + Sync + 'static,
    {
        let op = Op::unscoped(label, Action::Internal);
        self.collect(Prepared::new(op, rendered), decode, rows, true)
            .await
    }

    /// [`Db::fetch_unscoped`] without keeping the prepared statement in the
    /// driver's cache: for EXPLAIN, whose rows SQLite computes when the
    /// statement is prepared, so a cached one would repeat a plan made
    /// before an index was created.
    pub(crate) async fn fetch_unprepared<T, D>(
        &self,
        label: &'static str,
        rendered: Rendered,
        decode: D,
    ) -> Result<Vec<T>>
    where
        T: Send + Unpin + 'static,
        D: Fn(Row<'_>) -> Result<T, sqlx::Error> + Send + Sync + 'static,
    {
        let op = Op::unscoped(label, Action::Internal);
        self.collect(Prepared::new(op, rendered), decode, Rows::All, false)
            .await
    }

    /// A statement of strata's own that returns no rows (the saga tables,
    /// backfill records): rows affected. Errors name `label`.
    pub(crate) async fn execute_unscoped(
        &self,
        label: &'static str,
        rendered: Rendered,
    ) -> Result<WriteOutcome> {
        let op = Op::unscoped(label, Action::Internal);
        self.run_execute(Prepared::new(op, rendered)).await
    }

    /// [`Db::execute_unscoped`] with errors naming `model`.
    pub(crate) async fn execute(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
    ) -> Result<WriteOutcome> {
        let op = Op::model(model, Action::Internal);
        self.run_execute(Prepared::new(op, rendered)).await
    }
}

/// A statement's start: the clock is read only when a hook, a span or an
/// enabled event will see the duration (`Watch::timed`); otherwise its
/// duration is zero, which nobody sees.
#[derive(Clone, Copy)]
struct Clock(Option<Instant>);

impl Clock {
    fn start(timed: bool) -> Clock {
        Clock(timed.then(Instant::now))
    }

    fn elapsed(self) -> Duration {
        self.0.map_or(Duration::ZERO, |start| start.elapsed())
    }
}

/// Runs the synchronous hooks inside `span`; a disabled span (no
/// subscriber wants it) is not entered at all, which would cost more than
/// the statement's whole interceptor path. (The statement's future is
/// entered the same way, at its `await`.)
fn in_span<T>(span: &tracing::Span, f: impl FnOnce() -> T) -> T {
    match span.is_disabled() {
        true => f(),
        false => span.in_scope(f),
    }
}

/// One statement's read on `target`: its rows, and how long it waited for
/// a connection.
async fn fetch_on(
    target: &Target,
    sql: &Arc<String>,
    binds: Vec<Value>,
    sink: &mut dyn Sink,
    rows: Rows,
    persistent: bool,
) -> (Result<(), sqlx::Error>, Duration) {
    // Rows of an attempt that failed part way (a replica's, or one the
    // pooler made us retry) are not kept.
    sink.clear();
    on_target!(target, |conn, args, row| {
        let args = match args(Binds::Values(binds)) {
            Err(e) => return (Err(sqlx::Error::Encode(e)), Duration::ZERO),
            Ok(args) => args,
        };
        let mut lent = match lend(conn).await {
            Err(e) => return (Err(e), Duration::ZERO),
            Ok(lent) => lent,
        };
        let wait = lent.waited();
        // Rows are decoded straight off the driver's stream (no `try_map`
        // layer), by position.
        let query = sqlx::query_with(trusted_shared(sql), args).persistent(persistent);
        let result = match rows {
            Rows::All => {
                let mut stream = sqlx::Executor::fetch(&mut *lent, query);
                loop {
                    match stream.try_next().await {
                        Ok(Some(r)) => match sink.push(row(&r)) {
                            Ok(()) => {}
                            Err(e) => break Err(e),
                        },
                        Ok(None) => break Ok(()),
                        Err(e) => break Err(e),
                    }
                }
            }
            Rows::First => sqlx::Executor::fetch_optional(&mut *lent, query)
                .await
                .and_then(|r| r.map_or(Ok(()), |r| sink.push(row(&r)))),
        };
        lent.finish(&result);
        (result, wait)
    })
}

/// Where a read's rows go as they arrive, decoded by the caller's code.
/// Behind `dyn`, so the statement's path (hooks, route, lease, the three
/// drivers' streams) is compiled once in strata, not once per row type in
/// each crate that reads a model; it costs one indirect call per row.
pub(crate) trait Sink: Send {
    /// Decodes and keeps one row.
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error>;
    /// How many rows it holds (the `after` hooks' rows returned).
    fn count(&self) -> u64;
    /// Drops the rows kept so far (before an attempt, which may be a retry).
    fn clear(&mut self);
}

/// Rows decoded by `decode` into an `O`.
pub(crate) struct Collect<T, D, O> {
    out: O,
    decode: D,
    row: PhantomData<fn() -> T>,
}

impl<T, D, O> Sink for Collect<T, D, O>
where
    T: Send,
    D: Fn(Row<'_>) -> Result<T, sqlx::Error> + Send,
    O: Collected<T>,
{
    fn push(&mut self, row: Row<'_>) -> Result<(), sqlx::Error> {
        self.out.push((self.decode)(row)?);
        Ok(())
    }
    fn count(&self) -> u64 {
        self.out.count()
    }
    fn clear(&mut self) {
        self.out = O::default();
    }
}

/// What a read collects its decoded rows into: a `Vec` of them, or (a
/// point read, [`Rows::First`]) the row itself, with no vector allocated.
pub(crate) trait Collected<T>: Default + Send {
    /// Adds a row (the only one, for a [`Rows::First`] read).
    fn push(&mut self, row: T);
    /// How many rows it holds (the `after` hooks' rows returned).
    fn count(&self) -> u64;
}

impl<T: Send> Collected<T> for Vec<T> {
    fn push(&mut self, row: T) {
        Vec::push(self, row);
    }
    fn count(&self) -> u64 {
        self.len() as u64
    }
}

/// Only ever read with [`Rows::First`] (`Db::run_optional`); a
/// [`Rows::All`] read into it would keep its first row.
impl<T: Send> Collected<T> for Option<T> {
    fn push(&mut self, row: T) {
        if self.is_none() {
            *self = Some(row);
        }
    }
    fn count(&self) -> u64 {
        u64::from(self.is_some())
    }
}

/// A point statement's row, decoded in place ([`Db::fetch_first`]): a
/// [`Collect`] into an `Option`, which keeps only the first.
pub(crate) type FirstRow<T> = Collect<T, fn(Row<'_>) -> Result<T, sqlx::Error>, Option<T>>;

impl<T: FromRow> FirstRow<T> {
    pub(crate) fn new() -> Self {
        Collect {
            out: None,
            decode: |row| T::from_row(row, &mut 0),
            row: PhantomData,
        }
    }

    pub(crate) fn into_row(self) -> Option<T> {
        self.out
    }
}

/// The statement a write failed on, kept until its error is classified.
struct Failed {
    sql: Arc<String>,
    duration: Duration,
    wait: Duration,
    span: tracing::Span,
}

/// Runs `statements` on one connection of `conn`, inside a transaction if
/// `transactional`. The outer error is the driver's (the statement it came
/// from in `failed`); the inner one an `sql` hook's refusal.
async fn run_on<DB: sqlx::Database + sqlx::database::HasStatementCache>(
    conn: &Conn<DB>,
    statements: impl IntoIterator<Item = Bound>,
    arguments: Arguments<DB>,
    transactional: bool,
    persistent: bool,
    watch: &Watch<'_>,
    failed: &mut Option<Failed>,
) -> Result<Result<DB::QueryResult, Error>, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: QueryOutcome,
{
    let start = Clock::start(watch.timed());
    let mut lent = lend(conn).await?;
    let mut wait = lent.waited();
    let mut each = Each {
        arguments,
        persistent,
        watch,
        failed,
        start: Some(start),
        wait: &mut wait,
    };
    let result = if transactional {
        in_transaction(&mut lent, statements, &mut each).await
    } else {
        each.run(&mut lent, statements).await
    };
    lent.finish(&result);
    result
}

async fn in_transaction<DB: sqlx::Database + sqlx::database::HasStatementCache>(
    connection: &mut DB::Connection,
    statements: impl IntoIterator<Item = Bound>,
    each: &mut Each<'_, '_, DB>,
) -> Result<Result<DB::QueryResult, Error>, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: QueryOutcome,
{
    use sqlx::Connection as _;
    let mut tx = connection.begin().await?;
    let total = match each.run(&mut tx, statements).await? {
        Ok(total) => total,
        // Refused by a hook: the transaction rolls back when dropped.
        Err(refused) => return Ok(Err(refused)),
    };
    tx.commit().await?;
    Ok(Ok(total))
}

/// Runs a write's statements in order, each with its span and hooks.
struct Each<'w, 'f, DB: sqlx::Database> {
    arguments: Arguments<DB>,
    /// False through a transaction-mode pooler (pgbouncer.rs).
    persistent: bool,
    watch: &'w Watch<'w>,
    failed: &'f mut Option<Failed>,
    /// When the first statement began waiting for its connection: its
    /// duration includes the wait, the later ones' only themselves.
    start: Option<Clock>,
    wait: &'f mut Duration,
}

impl<DB: sqlx::Database> Each<'_, '_, DB> {
    async fn run(
        &mut self,
        conn: &mut DB::Connection,
        statements: impl IntoIterator<Item = Bound>,
    ) -> Result<Result<DB::QueryResult, Error>, sqlx::Error>
    where
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
        DB::Arguments: sqlx::IntoArguments<DB>,
        DB::QueryResult: QueryOutcome,
        DB: sqlx::database::HasStatementCache,
    {
        let watch = self.watch;
        let mut total = DB::QueryResult::default();
        for Bound { sql, binds } in statements {
            let query = watch.query(&sql, values(&binds));
            let span = watch.span(&query);
            if let Err(refused) = in_span(&span, || watch.send(&query)) {
                return Ok(Err(refused));
            }
            let start = (self.start.take()).unwrap_or_else(|| Clock::start(watch.timed()));
            let wait = std::mem::take(self.wait);
            let args = (self.arguments)(binds).map_err(sqlx::Error::Encode)?;
            let query = sqlx::query_with(trusted_shared(&sql), args).persistent(self.persistent);
            let result = match span.is_disabled() {
                true => query.execute(&mut *conn).await,
                false => query.execute(&mut *conn).instrument(span.clone()).await,
            };
            let duration = start.elapsed();
            match result {
                Ok(result) => {
                    let rows = result.rows();
                    in_span(&span, || {
                        watch.after(
                            Some(watch.query(&sql, &[])),
                            Ok(intercept::Rows::Affected(rows)),
                            duration,
                            wait,
                        )
                    });
                    total.extend(Some(result));
                }
                Err(e) => {
                    *self.failed = Some(Failed {
                        sql,
                        duration,
                        wait,
                        span,
                    });
                    return Err(e);
                }
            }
        }
        Ok(Ok(total))
    }
}

/// Rows affected and, where the database reports one, the inserted id.
trait QueryOutcome {
    fn rows(&self) -> u64;
    fn outcome(self) -> WriteOutcome;
}

impl QueryOutcome for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
    fn outcome(self) -> WriteOutcome {
        WriteOutcome {
            rows_affected: self.rows_affected(),
            last_insert_id: None,
        }
    }
}

impl QueryOutcome for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
    fn outcome(self) -> WriteOutcome {
        WriteOutcome {
            rows_affected: self.rows_affected(),
            last_insert_id: u64::try_from(self.last_insert_rowid()).ok(),
        }
    }
}

impl QueryOutcome for sqlx::mysql::MySqlQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
    fn outcome(self) -> WriteOutcome {
        WriteOutcome {
            rows_affected: self.rows_affected(),
            last_insert_id: Some(self.last_insert_id()),
        }
    }
}
