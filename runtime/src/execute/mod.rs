//! Running rendered statements through sqlx: the pool or dedicated connection a
//! [`Db`] holds, the one place SQL text is handed to the driver, row decoding,
//! and transactions (`transaction.rs`).

pub(crate) mod bind;
mod builder;
mod classify;
mod lease;
mod max_uses;
mod pgbouncer;
pub(crate) mod pool;
mod pool_metrics;
mod replica;
mod retry;
mod run;
mod tenant_session;
mod transaction;
mod tx_handle;
mod tx_options;

pub use builder::DbBuilder;
pub use pool::PoolOptions;
pub use pool_metrics::{AcquireHistogram, PoolStatus, ACQUIRE_BUCKETS};
pub use retry::{RetryPolicy, Retrying};
pub(crate) use run::{FirstRow, Sink};
pub use tx_handle::Transaction;
pub use tx_options::{Isolation, TransactionOptions};

use crate::error::Result;
use crate::render::Dialect;
use classify::Scope;
use futures_util::future::BoxFuture;
use lease::{Conn, Limits, Pooled};
use sqlx::AssertSqlSafe;
use std::sync::Arc;
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

/// Runs `$body` with `$conn` bound to the connection of whichever database
/// `$db` holds (statements go through run.rs's `on_target!`).
macro_rules! dispatch {
    ($db:expr, |$conn:ident| $body:expr) => {
        match &$db.target {
            Target::Postgres($conn) => $body,
            Target::Sqlite($conn) => $body,
            Target::MySql($conn) => $body,
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
        pgbouncer::refuse_single(url)?;
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

    /// How this `Db` keeps tenants apart (`Db::builder().tenancy(..)`).
    pub fn tenancy(&self) -> &crate::tenant::Tenancy {
        &self.context.tenancy
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
        dispatch!(self, |conn| {
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
}

/// The one place strata hands SQL text to sqlx. Every statement is rendered by
/// `render` from the AST, where identifiers are quoted and every value is a bind
/// parameter, so no user data is ever part of this text. The migration runner
/// (`migrate/runner`) also hands it migration files, which the project's own
/// developers wrote or generated: code, not data.
pub(crate) fn trusted(sql: &str) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql.to_owned())
}

/// [`trusted`] for a statement's text the caller keeps too (its hooks read
/// it after the statement): shared, not copied, on the point-read path.
pub(crate) fn trusted_shared(sql: &Arc<String>) -> AssertSqlSafe<Arc<String>> {
    AssertSqlSafe(Arc::clone(sql))
}

/// BEGIN, COMMIT, ROLLBACK and SAVEPOINTs (transaction.rs): the same debug
/// event and N+1 record as the built-in `Tracing` interceptor gives other
/// statements. They are not offered to interceptors: they belong to no
/// operation, and transaction.rs runs them below the `Db`.
fn trace_query(sql: &str, start: std::time::Instant, rows: Option<usize>) {
    crate::observe::record(sql);
    tracing::debug!(target: "strata::query", elapsed = ?start.elapsed(), rows, "{sql}");
}

/// `Box::pin(make())`, with the box allocated before `make` builds the
/// future in it. `Box::pin` of a future built first copies all of it from
/// the stack into the box (a read's statement future: 784 bytes, 13 cache
/// lines per read) for the few words its unresumed state holds; built in
/// place, only those are written.
#[inline(always)]
pub(crate) fn pin_in_place<F>(make: impl FnOnce() -> F) -> std::pin::Pin<Box<F>> {
    let boxed = Box::new_uninit();
    Box::into_pin(Box::write(boxed, make()))
}
