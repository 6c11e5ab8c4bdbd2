//! The public transaction API over the core (`transaction.rs`): the closure
//! form with options ([`Db::transaction_with`]) and the explicit handle
//! ([`Transaction`], from [`Db::begin_transaction`]).

use super::classify;
use super::lease::Conn;
use super::tenant_session;
use super::transaction::{self, BeginWith};
use super::tx_options::TransactionOptions;
use super::{Db, Target, TxLevel, TRANSACTION};
use crate::error::{Error, Result};
use futures_util::future::BoxFuture;
use std::ops::Deref;
use std::time::{Duration, Instant};

impl Db {
    /// [`Db::transaction`] with options: isolation level, read-only,
    /// deferrable, how long to wait for a connection, and a timeout for the
    /// whole transaction.
    ///
    /// ```ignore
    /// let options = TransactionOptions::new()
    ///     .isolation(Isolation::Serializable)
    ///     .timeout(Duration::from_secs(5));
    /// let total = db
    ///     .transaction_with(options, |tx| Box::pin(async move {
    ///         Account::count().exec(tx).await
    ///     }))
    ///     .await?;
    /// ```
    ///
    /// With a timeout, a body still running when it expires is dropped,
    /// the transaction rolled back, and [`Error::TransactionTimeout`]
    /// returned. (On MySQL/MariaDB and SQLite a statement already sent
    /// finishes, or gives up on its lock wait, before the ROLLBACK runs;
    /// PostgreSQL's server-side `statement_timeout` ends it at the deadline.)
    /// Options are refused with [`Error::UnsupportedTransactionOption`]
    /// where the database cannot honour them, before anything is sent.
    pub async fn transaction_with<T, F>(&self, options: TransactionOptions, body: F) -> Result<T>
    where
        T: Send,
        F: for<'t> FnOnce(&'t Db) -> BoxFuture<'t, Result<T>> + Send,
    {
        let (tx, level) = self.begin_with(&options).await?;
        let started = Instant::now();
        let outcome = match options.timeout {
            None => body(&tx).await,
            Some(timeout) => match tokio::time::timeout(timeout, body(&tx)).await {
                Ok(outcome) => outcome.map_err(|e| past_deadline(e, timeout, started)),
                Err(_) => Err(Error::TransactionTimeout { timeout }),
            },
        };
        match outcome {
            Ok(value) => {
                level.commit().await?;
                Ok(value)
            }
            Err(e) => {
                // The body's error is the one to report; a failed ROLLBACK
                // leaves the level open, and its drop queues the rollback.
                let _ = level.rollback().await;
                Err(e)
            }
        }
    }

    /// Begins a transaction and returns its handle: run statements on it
    /// (it derefs to a [`Db`], so every query API takes `&tx`), then
    /// [`Transaction::commit`] or [`Transaction::rollback`]. Dropped
    /// without either, it rolls back. On a transaction's `Db` it begins a
    /// SAVEPOINT.
    ///
    /// ```ignore
    /// let tx = db.begin_transaction().await?;
    /// let ann = User::create().email("ann@example.com").exec(&tx).await?;
    /// Post::create().author_id(&ann.id).title("Hi").exec(&tx).await?;
    /// tx.commit().await?;
    /// ```
    pub async fn begin_transaction(&self) -> Result<Transaction> {
        self.begin_transaction_with(TransactionOptions::default())
            .await
    }

    /// [`Db::begin_transaction`] with options (see
    /// [`Db::transaction_with`]). With a timeout, statements started after
    /// it has passed fail with [`Error::TransactionTimeout`], and so does
    /// `commit` (which then rolls back); PostgreSQL's server also ends a
    /// statement, or an idle transaction, that outlives it.
    pub async fn begin_transaction_with(&self, options: TransactionOptions) -> Result<Transaction> {
        let (db, level) = self.begin_with(&options).await?;
        Ok(Transaction { db, level })
    }

    /// Whether this `Db` is a transaction's (so `begin` opens a savepoint).
    pub(crate) fn in_transaction(&self) -> bool {
        matches!(
            &self.target,
            Target::Postgres(Conn::Tx(_))
                | Target::Sqlite(Conn::Tx(_))
                | Target::MySql(Conn::Tx(_))
        )
    }

    /// Begins a transaction with `options` (a SAVEPOINT if this `Db` is a
    /// transaction's): the `Db` whose statements run inside it, and the
    /// guard that ends it.
    pub(crate) async fn begin_with(&self, options: &TransactionOptions) -> Result<(Db, TxLevel)> {
        let nested = self.in_transaction();
        // The tenant is set once, by the transaction: a savepoint sets
        // nothing (tenant_session.rs).
        let session = match nested {
            true => Ok(Default::default()),
            false => self.session(),
        };
        let session = session.map_err(|e| classify::classify(e, TRANSACTION))?;
        let with = BeginWith {
            plan: options.plan(self.dialect(), nested)?,
            max_wait: options.max_wait,
            // A savepoint's timeout is the closure's alone; the transaction's
            // deadline stays the one it began with.
            timeout: options.timeout.filter(|_| !nested),
            began: session.began,
        };
        let begun: Result<(Db, TxLevel), sqlx::Error> = match &self.target {
            Target::Postgres(conn) => match transaction::begin(conn, with).await {
                Ok((shared, level)) => {
                    let set = match &session.setting {
                        None => Ok(()),
                        Some(setting) => {
                            let persistent = self.keeps_statements();
                            tenant_session::apply(&shared, setting, persistent).await
                        }
                    };
                    // A failed setting drops `level` open: rolled back.
                    set.map(|()| {
                        let target = Target::Postgres(Conn::Tx(shared));
                        (self.on(target), TxLevel::Postgres(level))
                    })
                }
                Err(e) => Err(e),
            },
            Target::Sqlite(conn) => transaction::begin(conn, with).await.map(|(s, l)| {
                let target = Target::Sqlite(Conn::Tx(s));
                (self.on(target), TxLevel::Sqlite(l))
            }),
            Target::MySql(conn) => transaction::begin(conn, with).await.map(|(s, l)| {
                let target = Target::MySql(Conn::Tx(s));
                (self.on(target), TxLevel::MySql(l))
            }),
        };
        begun.map_err(|e| classify::classify(e, TRANSACTION))
    }
}

/// A body's error after the transaction's timeout has passed: the server
/// ending a statement at PostgreSQL's `SET LOCAL statement_timeout`, or the
/// session at `idle_in_transaction_session_timeout` (25P03), is the
/// transaction's timeout.
fn past_deadline(error: Error, timeout: Duration, started: Instant) -> Error {
    let server_timeout = match &error {
        Error::Timeout { .. } => true,
        Error::Database(e) => e
            .as_database_error()
            .is_some_and(|db| db.code().as_deref() == Some("25P03")),
        _ => false,
    };
    if server_timeout && started.elapsed() >= timeout {
        Error::TransactionTimeout { timeout }
    } else {
        error
    }
}

/// An open transaction (or savepoint), from [`Db::begin_transaction`]. It
/// derefs to the [`Db`] pinned to its connection: pass `&tx` (or
/// `tx.db()`) wherever a `&Db` goes. End it with [`commit`](Self::commit)
/// or [`rollback`](Self::rollback); dropped open, it rolls back before its
/// connection runs anything else.
#[must_use = "a transaction rolls back when dropped; call commit() to keep its writes"]
pub struct Transaction {
    db: Db,
    level: TxLevel,
}

impl Transaction {
    /// The `Db` whose statements run inside this transaction.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Commits (or releases the savepoint). Past the transaction's timeout
    /// it rolls back instead and returns [`Error::TransactionTimeout`].
    pub async fn commit(self) -> Result<()> {
        if let Some(timeout) = self.level.expired() {
            let _ = self.level.rollback().await;
            return Err(Error::TransactionTimeout { timeout });
        }
        self.level.commit().await
    }

    /// Rolls back (or back to the savepoint).
    pub async fn rollback(self) -> Result<()> {
        self.level.rollback().await
    }
}

impl Deref for Transaction {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction").field("db", &self.db).finish()
    }
}
