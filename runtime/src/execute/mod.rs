//! Running rendered statements through sqlx: the pool or dedicated connection a
//! [`Db`] holds, the one place SQL text is handed to the driver, row decoding,
//! and transactions (`transaction.rs`).

pub(crate) mod bind;
mod builder;
mod classify;
mod lease;
mod max_uses;
pub(crate) mod pool;
mod pool_metrics;
mod replica;
mod retry;
mod transaction;
mod tx_handle;
mod tx_options;

pub use builder::DbBuilder;
pub use pool::PoolOptions;
pub use pool_metrics::{AcquireHistogram, PoolStatus, ACQUIRE_BUCKETS};
pub use retry::{RetryPolicy, Retrying};
pub use tx_handle::Transaction;
pub use tx_options::{Isolation, TransactionOptions};

use crate::error::{Error, Result};
use crate::render::{Dialect, Rendered};
use crate::schema::{FromRow, ModelSchema, Row};
use bind::{Binds, Bound};
use classify::Scope;
use futures_util::future::BoxFuture;
use futures_util::TryStreamExt as _;
use lease::{lend, Conn, Limits, Pooled};
use sqlx::error::BoxDynError;
use sqlx::AssertSqlSafe;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Mutex;
use transaction::Level;

/// A handle to one database: a connection pool ([`Db::connect`]) or one
/// dedicated connection ([`Db::connect_single`]). Cheap to clone; clones share
/// the pool or connection. Inside [`Db::transaction`] the body gets a `Db`
/// pinned to the transaction's connection.
#[derive(Clone, Debug)]
pub struct Db {
    target: Target,
    /// What every clone of this `Db` shares, transactions included: the
    /// settings [`Db::builder`] was given beyond the connection itself.
    context: Arc<builder::Context>,
    /// Whether reads may go to a replica ([`Db::primary`]).
    reads: replica::Reads,
}

#[derive(Clone, Debug)]
enum Target {
    Postgres(Conn<sqlx::Postgres>),
    Sqlite(Conn<sqlx::Sqlite>),
    MySql(Conn<sqlx::MySql>),
}

/// How many rows a read wants.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rows {
    All,
    First,
}

/// What a write reported back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteOutcome {
    pub rows_affected: u64,
    /// MySQL's `LAST_INSERT_ID()` for the statement (first id of a batch).
    pub last_insert_id: Option<u64>,
}

/// An open transaction or savepoint begun by [`Db::begin`]: rolled back if
/// dropped before `commit` or `rollback`.
pub(crate) enum TxLevel {
    Postgres(Level<sqlx::Postgres>),
    Sqlite(Level<sqlx::Sqlite>),
    MySql(Level<sqlx::MySql>),
}

/// Errors of BEGIN, COMMIT and ROLLBACK name this instead of a model.
const TRANSACTION: Scope = Scope::Query("transaction");

impl TxLevel {
    /// Commits. A serialization failure or deadlock reported at COMMIT
    /// (PostgreSQL's serializable checks run there) comes back typed, so
    /// a retry sees it.
    pub(crate) async fn commit(self) -> Result<()> {
        let result = match self {
            TxLevel::Postgres(level) => level.commit().await,
            TxLevel::Sqlite(level) => level.commit().await,
            TxLevel::MySql(level) => level.commit().await,
        };
        result.map_err(|e| classify::classify(e, TRANSACTION))
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        let result = match self {
            TxLevel::Postgres(level) => level.rollback().await,
            TxLevel::Sqlite(level) => level.rollback().await,
            TxLevel::MySql(level) => level.rollback().await,
        };
        result.map_err(|e| classify::classify(e, TRANSACTION))
    }

    /// The transaction's timeout, once it has passed.
    pub(crate) fn expired(&self) -> Option<std::time::Duration> {
        match self {
            TxLevel::Postgres(level) => level.expired(),
            TxLevel::Sqlite(level) => level.expired(),
            TxLevel::MySql(level) => level.expired(),
        }
    }
}

/// Runs `$body` with `$conn` bound to the dialect's connection and `$args`/`$row`
/// to its argument builder and row wrapper, for whichever database `$db` holds.
macro_rules! dispatch {
    ($db:expr, |$conn:ident, $args:ident, $row:ident| $body:expr) => {
        match &$db.target {
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

impl Db {
    /// Connects a pool with strata's default options; the dialect comes from the
    /// URL scheme: `sqlite:`, `postgres:`/`postgresql:`, `mysql:`/`mariadb:`.
    pub async fn connect(url: &str) -> Result<Db> {
        Self::connect_with(url, PoolOptions::default()).await
    }

    pub async fn connect_with(url: &str, options: PoolOptions) -> Result<Db> {
        Db::builder().url(url).pool(options).connect().await
    }

    /// Settings beyond a URL and pool options: see [`DbBuilder`].
    pub fn builder() -> DbBuilder {
        DbBuilder::default()
    }

    /// A pool on `url`: the target a [`Db`] (or one of its replicas) runs on.
    async fn connect_target(url: &str, options: PoolOptions) -> Result<Target> {
        let options = pool::settle(url, options);
        let (limits, metrics) = (Limits::of(&options), Arc::default());
        Ok(match pool::connect(url, options, &metrics).await? {
            pool::AnyPool::Postgres(p) => {
                Target::Postgres(Conn::Pool(Pooled::new(p, limits, metrics)))
            }
            pool::AnyPool::Sqlite(p) => Target::Sqlite(Conn::Pool(Pooled::new(p, limits, metrics))),
            pool::AnyPool::MySql(p) => Target::MySql(Conn::Pool(Pooled::new(p, limits, metrics))),
        })
    }

    /// This `Db`'s settings on another target (a transaction's connection).
    fn on(&self, target: Target) -> Db {
        Db {
            target,
            context: self.context.clone(),
            reads: self.reads,
        }
    }

    /// Opens one dedicated connection. Statements from clones of this `Db` take
    /// turns on it. For single-task programs, CLIs and benchmarks.
    pub async fn connect_single(url: &str) -> Result<Db> {
        use sqlx::Connection as _;
        fn single<C>(connection: C) -> Arc<Mutex<C>> {
            Arc::new(Mutex::new(connection))
        }
        let target = match pool::connect_options(url, None)? {
            pool::AnyOptions::Postgres(o) => Target::Postgres(Conn::Single(single(
                sqlx::PgConnection::connect_with(&o).await?,
            ))),
            pool::AnyOptions::Sqlite(o) => Target::Sqlite(Conn::Single(single(
                sqlx::SqliteConnection::connect_with(&o).await?,
            ))),
            pool::AnyOptions::MySql(o) => Target::MySql(Conn::Single(single(
                sqlx::MySqlConnection::connect_with(&o).await?,
            ))),
        };
        Ok(Db {
            target,
            context: Arc::default(),
            reads: replica::Reads::default(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.target {
            Target::Postgres(_) => Dialect::Postgres,
            Target::Sqlite(_) => Dialect::Sqlite,
            Target::MySql(_) => Dialect::MySql,
        }
    }

    /// The sqlx PostgreSQL pool, for work strata does not cover.
    pub fn as_postgres(&self) -> Option<&sqlx::PgPool> {
        match &self.target {
            Target::Postgres(Conn::Pool(p)) => Some(&p.pool),
            _ => None,
        }
    }
    pub fn as_sqlite(&self) -> Option<&sqlx::SqlitePool> {
        match &self.target {
            Target::Sqlite(Conn::Pool(p)) => Some(&p.pool),
            _ => None,
        }
    }
    pub fn as_mysql(&self) -> Option<&sqlx::MySqlPool> {
        match &self.target {
            Target::MySql(Conn::Pool(p)) => Some(&p.pool),
            _ => None,
        }
    }

    /// Closes the pool, waiting for lent connections to come back; later queries
    /// fail. (A dedicated connection closes when the last clone is dropped.)
    pub async fn close(&self) {
        dispatch!(self, |conn, _args, _row| {
            if let Conn::Pool(p) = conn {
                p.close().await
            }
        });
        self.close_replicas().await;
    }

    /// Runs `body` in a transaction: every statement run on the `Db` it is
    /// given goes to one connection between BEGIN and COMMIT. `Ok` commits,
    /// `Err` rolls back and is returned; so does a failed COMMIT. If the
    /// returned future is dropped before it finishes, the transaction is
    /// rolled back before its connection runs anything else.
    ///
    /// ```ignore
    /// let (ann, post) = db
    ///     .transaction(|tx| Box::pin(async move {
    ///         let ann = User::create().email("ann@example.com").exec(tx).await?;
    ///         let post = Post::create().author_id(&ann.id).title("Hi").exec(tx).await?;
    ///         Ok((ann, post))
    ///     }))
    ///     .await?;
    /// ```
    ///
    /// Inside the body, use the `Db` it is given: the outer one is another
    /// connection (which waits for this one's locks; with
    /// [`Db::connect_single`] it waits for the transaction to end, forever).
    /// A `transaction` on the body's `Db` nests as a SAVEPOINT. On SQLite
    /// the transaction takes the write lock when it begins (`BEGIN
    /// IMMEDIATE`), so two transactions that read and then write queue under
    /// the busy timeout instead of failing with "database is locked".
    ///
    /// A panic in the body unwinds through here: the transaction is rolled
    /// back (as when dropped) and the panic goes on. For isolation levels,
    /// timeouts and more, see [`Db::transaction_with`]; for an explicit
    /// handle, [`Db::begin_transaction`]; to re-run the body on
    /// serialization failures and deadlocks, [`Db::retry`].
    pub async fn transaction<T, F>(&self, body: F) -> Result<T>
    where
        T: Send,
        F: for<'t> FnOnce(&'t Db) -> BoxFuture<'t, Result<T>> + Send,
    {
        self.transaction_with(TransactionOptions::default(), body)
            .await
    }

    /// Begins a transaction (a SAVEPOINT if this `Db` is a transaction's):
    /// the `Db` whose statements run inside it, and the guard that ends it.
    pub(crate) async fn begin(&self) -> Result<(Db, TxLevel)> {
        self.begin_with(&TransactionOptions::default()).await
    }

    /// Creates the tables (and PostgreSQL enum types, keys, foreign keys, indexes)
    /// for `M` on an empty database, for tests and demos. On PostgreSQL and SQLite
    /// it runs in one transaction, so it applies completely or not at all.
    pub async fn push_schema<M: crate::ModelSet>(&self) -> Result<()> {
        let statements = crate::render::create_schema(&M::schemas(), self.dialect())?;
        self.run_ddl(statements).await
    }

    /// Drops the tables (and enum types) of `M` if they exist, then creates them
    /// afresh: for demos and tests. Destroys their data.
    pub async fn reset_schema<M: crate::ModelSet>(&self) -> Result<()> {
        let schemas = M::schemas();
        let mut statements = crate::render::drop_schema(&schemas, self.dialect())?;
        statements.extend(crate::render::create_schema(&schemas, self.dialect())?);
        self.run_ddl(statements).await
    }

    async fn run_ddl(&self, statements: Vec<String>) -> Result<()> {
        // MySQL commits each DDL statement implicitly, so its transaction only
        // groups them; PostgreSQL and SQLite apply all or nothing.
        let statements = statements.into_iter().map(|sql| Bound {
            sql,
            binds: Binds::Values(Vec::new()),
        });
        let result: Result<(), sqlx::Error> = dispatch!(self, |conn, args, _row| {
            run_on(conn, statements, args, true).await.map(drop)
        });
        result.map_err(Error::from)
    }

    /// Rows of `T` for a rendered query, decoded as they arrive.
    pub(crate) async fn fetch_all<T: FromRow + Send + Unpin + 'static>(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
    ) -> Result<Vec<T>> {
        self.fetch_with(model, rendered, |row| T::from_row(row, &mut 0), Rows::All)
            .await
    }

    /// Rows decoded by `decode` (for shapes only known at run time, like
    /// `omit`): all of them, or only the first (which stops reading there).
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
        self.fetch_scoped(Scope::Model(model), rendered, decode, rows, true)
            .await
    }

    /// [`Db::fetch_with`] for a statement over no one model (a builder
    /// select, `sql!`, EXPLAIN): errors name `label` instead of a model.
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
        self.fetch_scoped(Scope::Query(label), rendered, decode, rows, true)
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
        self.fetch_scoped(Scope::Query(label), rendered, decode, Rows::All, false)
            .await
    }

    /// A statement over no one model that returns no rows, e.g. a raw
    /// `sql!` write: rows affected.
    pub(crate) async fn execute_unscoped(
        &self,
        label: &'static str,
        rendered: Rendered,
    ) -> Result<WriteOutcome> {
        let result: Result<WriteOutcome, sqlx::Error> = dispatch!(self, |conn, args, _row| {
            run_on(conn, std::iter::once(Bound::from(rendered)), args, false)
                .await
                .map(outcome)
        });
        result.map_err(|e| classify::classify(e, Scope::Query(label)))
    }

    async fn fetch_scoped<T, D>(
        &self,
        scope: Scope,
        rendered: Rendered,
        decode: D,
        rows: Rows,
        persistent: bool,
    ) -> Result<Vec<T>>
    where
        T: Send + Unpin + 'static,
        D: Fn(Row<'_>) -> Result<T, sqlx::Error> + Send + Sync + 'static,
    {
        let start = Instant::now();
        let Rendered { sql, binds } = rendered;
        let result: Result<Vec<T>, sqlx::Error> = dispatch!(self, |conn, args, row| {
            match args(Binds::Values(binds)) {
                Err(e) => Err(sqlx::Error::Encode(e)),
                Ok(args) => match lend(conn).await {
                    Err(e) => Err(e),
                    Ok(mut lent) => {
                        // Rows are decoded straight off the driver's stream (no
                        // `try_map` layer), by position.
                        let query = sqlx::query_with(trusted(&sql), args).persistent(persistent);
                        let result = match rows {
                            Rows::All => {
                                let mut stream = sqlx::Executor::fetch(&mut *lent, query);
                                let mut out = Vec::new();
                                loop {
                                    match stream.try_next().await {
                                        Ok(Some(r)) => match decode(row(&r)) {
                                            Ok(value) => out.push(value),
                                            Err(e) => break Err(e),
                                        },
                                        Ok(None) => break Ok(out),
                                        Err(e) => break Err(e),
                                    }
                                }
                            }
                            Rows::First => sqlx::Executor::fetch_optional(&mut *lent, query)
                                .await
                                .and_then(|r| r.map(|r| decode(row(&r))).transpose())
                                .map(|value| value.into_iter().collect()),
                        };
                        lent.finish(&result);
                        result
                    }
                },
            }
        });
        trace_query(&sql, start, result.as_ref().map(Vec::len).ok());
        result.map_err(|e| classify::classify(e, scope))
    }

    pub(crate) async fn fetch_optional<T: FromRow + Send + Unpin + 'static>(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
    ) -> Result<Option<T>> {
        let rows = self
            .fetch_with(model, rendered, |row| T::from_row(row, &mut 0), Rows::First)
            .await?;
        Ok(rows.into_iter().next())
    }

    pub(crate) async fn execute(
        &self,
        model: &'static ModelSchema,
        rendered: Rendered,
    ) -> Result<WriteOutcome> {
        let result: Result<WriteOutcome, sqlx::Error> = dispatch!(self, |conn, args, _row| {
            run_on(conn, std::iter::once(Bound::from(rendered)), args, false)
                .await
                .map(outcome)
        });
        result.map_err(|e| classify::classify(e, model))
    }

    /// Runs `statements` in one transaction and returns the total rows affected:
    /// one logical write that needs several statements (a `create_many` split
    /// under the bind limit) applies completely or not at all.
    pub(crate) async fn execute_atomically(
        &self,
        model: &'static ModelSchema,
        statements: Vec<Bound>,
    ) -> Result<u64> {
        // One statement is atomic by itself; BEGIN/COMMIT around it would only
        // cost round trips (and a statement journal on SQLite).
        let transactional = statements.len() > 1;
        let result: Result<WriteOutcome, sqlx::Error> = dispatch!(self, |conn, args, _row| {
            run_on(conn, statements, args, transactional)
                .await
                .map(outcome)
        });
        result
            .map(|o| o.rows_affected)
            .map_err(|e| classify::classify(e, model))
    }
}

/// The one place strata hands SQL text to sqlx. Every statement is rendered by
/// `render` from the AST, where identifiers are quoted and every value is a bind
/// parameter, so no user data is ever part of this text. The migration runner
/// (`migrate/runner`) also hands it migration files, which the project's own
/// developers wrote or generated: code, not data.
pub(crate) fn trusted(sql: &str) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql.to_owned())
}

type Arguments<DB> = fn(Binds) -> Result<<DB as sqlx::Database>::Arguments, BoxDynError>;

/// Runs each statement in order on one connection; the summed result.
async fn run_each<DB: sqlx::Database>(
    conn: &mut DB::Connection,
    statements: impl IntoIterator<Item = Bound>,
    arguments: Arguments<DB>,
) -> Result<DB::QueryResult, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let mut total = DB::QueryResult::default();
    for Bound { sql, binds } in statements {
        let start = Instant::now();
        let args = arguments(binds).map_err(sqlx::Error::Encode)?;
        let result = sqlx::query_with(trusted(&sql), args)
            .execute(&mut *conn)
            .await;
        trace_query(&sql, start, None);
        total.extend(Some(result?));
    }
    Ok(total)
}

/// Runs `statements` on one connection of `conn`, inside a transaction if
/// `transactional`.
async fn run_on<DB: sqlx::Database>(
    conn: &Conn<DB>,
    statements: impl IntoIterator<Item = Bound>,
    arguments: Arguments<DB>,
    transactional: bool,
) -> Result<DB::QueryResult, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let mut lent = lend(conn).await?;
    let result = if transactional {
        in_transaction(&mut lent, statements, arguments).await
    } else {
        run_each(&mut lent, statements, arguments).await
    };
    lent.finish(&result);
    result
}

async fn in_transaction<DB: sqlx::Database>(
    connection: &mut DB::Connection,
    statements: impl IntoIterator<Item = Bound>,
    arguments: Arguments<DB>,
) -> Result<DB::QueryResult, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    use sqlx::Connection as _;
    let mut tx = connection.begin().await?;
    let total = run_each(&mut tx, statements, arguments).await?;
    tx.commit().await?;
    Ok(total)
}

/// Rows affected and, where the database reports one, the inserted id.
trait QueryOutcome {
    fn outcome(self) -> WriteOutcome;
}

fn outcome(result: impl QueryOutcome) -> WriteOutcome {
    result.outcome()
}

impl QueryOutcome for sqlx::postgres::PgQueryResult {
    fn outcome(self) -> WriteOutcome {
        WriteOutcome {
            rows_affected: self.rows_affected(),
            last_insert_id: None,
        }
    }
}

impl QueryOutcome for sqlx::sqlite::SqliteQueryResult {
    fn outcome(self) -> WriteOutcome {
        WriteOutcome {
            rows_affected: self.rows_affected(),
            last_insert_id: u64::try_from(self.last_insert_rowid()).ok(),
        }
    }
}

impl QueryOutcome for sqlx::mysql::MySqlQueryResult {
    fn outcome(self) -> WriteOutcome {
        WriteOutcome {
            rows_affected: self.rows_affected(),
            last_insert_id: Some(self.last_insert_id()),
        }
    }
}

/// One event per statement: its SQL, how long it took, and the rows it returned
/// (reads) — what a `RUST_LOG=strata::query=debug` user sees.
fn trace_query(sql: &str, start: Instant, rows: Option<usize>) {
    crate::observe::record(sql);
    tracing::debug!(target: "strata::query", elapsed = ?start.elapsed(), rows, "{sql}");
}
