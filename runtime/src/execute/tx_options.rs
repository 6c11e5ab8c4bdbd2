//! What a transaction is opened with: isolation level, read-only, deferrable,
//! how long to wait for a connection and how long the whole transaction may
//! run; and the statements that ask each database for them.
//!
//! Every statement here is fixed text; the only variable parts are numbers of
//! milliseconds, written by `SqlWriter::push` from integers. No user string
//! reaches the SQL.

use crate::error::{Error, Result};
use crate::render::{Dialect, SqlWriter};
use std::time::Duration;

/// A transaction's isolation level (SQL standard names). Which anomalies
/// each database prevents at each level differs: see the README's
/// "Transactions" section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isolation {
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    fn sql(self) -> &'static str {
        match self {
            Isolation::ReadUncommitted => "READ UNCOMMITTED",
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::RepeatableRead => "REPEATABLE READ",
            Isolation::Serializable => "SERIALIZABLE",
        }
    }
}

/// Options of one transaction, for [`Db::transaction_with`](super::Db::transaction_with)
/// and [`Db::begin_transaction_with`](super::Db::begin_transaction_with).
///
/// ```ignore
/// let options = TransactionOptions::new()
///     .isolation(Isolation::Serializable)
///     .max_wait(Duration::from_secs(2))
///     .timeout(Duration::from_secs(5));
/// ```
///
/// The default is each database's own: its default isolation (PostgreSQL
/// READ COMMITTED, InnoDB REPEATABLE READ, SQLite SERIALIZABLE, unless the
/// server is configured otherwise), read-write, the pool's acquire timeout
/// and no transaction timeout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionOptions {
    pub(super) isolation: Option<Isolation>,
    pub(super) read_only: bool,
    pub(super) deferrable: bool,
    pub(super) max_wait: Option<Duration>,
    pub(super) timeout: Option<Duration>,
}

impl TransactionOptions {
    pub fn new() -> Self {
        TransactionOptions::default()
    }

    /// The isolation level. PostgreSQL and MySQL/MariaDB take all four
    /// (PostgreSQL runs READ UNCOMMITTED as READ COMMITTED, which the
    /// standard allows). SQLite transactions are always serializable: it
    /// takes `Serializable` and refuses the others with
    /// [`Error::UnsupportedTransactionOption`].
    pub fn isolation(mut self, level: Isolation) -> Self {
        self.isolation = Some(level);
        self
    }

    /// A read-only transaction: writes in it fail. PostgreSQL and
    /// MySQL/MariaDB only; SQLite refuses it with
    /// [`Error::UnsupportedTransactionOption`] (its only way, a
    /// connection-wide `PRAGMA query_only`, would outlive a transaction
    /// dropped mid-way on a connection that goes back to the pool).
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// PostgreSQL's `DEFERRABLE`: a serializable read-only transaction waits
    /// at BEGIN for a snapshot that cannot fail with a serialization error.
    /// Requires `isolation(Isolation::Serializable)` and `read_only()`;
    /// refused otherwise, and on other databases.
    pub fn deferrable(mut self) -> Self {
        self.deferrable = true;
        self
    }

    /// How long to wait for a connection (from the pool, the dedicated
    /// connection, or, for a savepoint, the transaction's connection).
    /// Expiry returns [`Error::PoolTimedOut`]. Unset: the pool's
    /// `acquire_timeout`.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = Some(wait);
        self
    }

    /// How long the transaction may run, from its BEGIN. On expiry it is
    /// rolled back and [`Error::TransactionTimeout`] is returned. PostgreSQL
    /// also gets `SET LOCAL statement_timeout` and
    /// `SET LOCAL idle_in_transaction_session_timeout` of the same length,
    /// so the server ends a statement or an idle transaction that outlives
    /// it even if the client stalls. The COMMIT itself is never cut short
    /// (an interrupted COMMIT would leave the outcome unknown).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether any option changes how the transaction begins (as opposed to
    /// how long strata waits around it).
    fn shapes_begin(&self) -> bool {
        self.isolation.is_some() || self.read_only || self.deferrable
    }

    /// The statements that open a transaction with these options on
    /// `dialect`; `nested` for a savepoint in an open transaction. Options a
    /// database cannot honour are refused here, before anything is sent.
    pub(crate) fn plan(&self, dialect: Dialect, nested: bool) -> Result<BeginPlan> {
        if nested {
            if self.shapes_begin() {
                return Err(refused(
                    "isolation/read_only/deferrable",
                    dialect,
                    "a nested transaction is a SAVEPOINT, which runs with its enclosing transaction's isolation and access mode; set them on the outermost transaction",
                ));
            }
            return Ok(BeginPlan::default());
        }
        if self.deferrable {
            if dialect != Dialect::Postgres {
                return Err(refused(
                    "deferrable",
                    dialect,
                    "DEFERRABLE transactions are PostgreSQL's",
                ));
            }
            if self.isolation != Some(Isolation::Serializable) || !self.read_only {
                return Err(refused(
                    "deferrable",
                    dialect,
                    "DEFERRABLE only has an effect on a SERIALIZABLE READ ONLY transaction; add .isolation(Isolation::Serializable).read_only()",
                ));
            }
        }
        match dialect {
            Dialect::Postgres => Ok(self.postgres()),
            Dialect::MySql => Ok(self.mysql()),
            Dialect::Sqlite => self.sqlite(),
        }
    }

    fn postgres(&self) -> BeginPlan {
        let begin = self.shapes_begin().then(|| {
            let mut w = SqlWriter::new(Dialect::Postgres);
            w.push("BEGIN");
            if let Some(level) = self.isolation {
                w.push(" ISOLATION LEVEL ");
                w.push(level.sql());
            }
            if self.read_only {
                w.push(" READ ONLY");
            }
            if self.deferrable {
                w.push(" DEFERRABLE");
            }
            w.finish().sql
        });
        let after = match self.timeout {
            None => Vec::new(),
            Some(timeout) => {
                let ms = millis(timeout);
                ["statement_timeout", "idle_in_transaction_session_timeout"]
                    .into_iter()
                    .map(|setting| {
                        let mut w = SqlWriter::new(Dialect::Postgres);
                        w.push("SET LOCAL ");
                        w.push(setting);
                        w.push(" = ");
                        w.push(&ms.to_string());
                        w.finish().sql
                    })
                    .collect()
            }
        };
        BeginPlan { begin, after }
    }

    /// MySQL/MariaDB have no isolation clause on START TRANSACTION: `SET
    /// TRANSACTION` (no SESSION/GLOBAL) sets it for the next transaction
    /// only. Both go in one text-protocol round trip, so a BEGIN dropped
    /// half-way cannot leave the level set for whatever runs next on the
    /// connection.
    fn mysql(&self) -> BeginPlan {
        if self.isolation.is_none() && !self.read_only {
            return BeginPlan::default();
        }
        let mut w = SqlWriter::new(Dialect::MySql);
        if let Some(level) = self.isolation {
            w.push("SET TRANSACTION ISOLATION LEVEL ");
            w.push(level.sql());
            w.push("; ");
        }
        w.push("START TRANSACTION");
        if self.read_only {
            w.push(" READ ONLY");
        }
        BeginPlan {
            begin: Some(w.finish().sql),
            after: Vec::new(),
        }
    }

    /// SQLite: every transaction is serializable, and strata's take the
    /// write lock at BEGIN (`BEGIN IMMEDIATE`), so two read-then-write
    /// transactions queue instead of failing at their first write.
    fn sqlite(&self) -> Result<BeginPlan> {
        if let Some(level) = self.isolation.filter(|l| *l != Isolation::Serializable) {
            let reason = match level {
                Isolation::ReadUncommitted => "SQLite transactions are always SERIALIZABLE; READ UNCOMMITTED exists only in shared-cache mode (PRAGMA read_uncommitted), which strata does not use; ask for Isolation::Serializable or leave the level unset",
                _ => "SQLite transactions are always SERIALIZABLE and it has no weaker level to ask for; ask for Isolation::Serializable or leave the level unset",
            };
            return Err(refused("isolation", Dialect::Sqlite, reason));
        }
        if self.read_only {
            return Err(refused(
                "read_only",
                Dialect::Sqlite,
                "SQLite has no read-only transactions (PRAGMA query_only is per connection and would outlive a transaction dropped mid-way); leave read_only unset",
            ));
        }
        Ok(BeginPlan {
            begin: Some("BEGIN IMMEDIATE".to_owned()),
            after: Vec::new(),
        })
    }
}

fn refused(option: &'static str, dialect: Dialect, reason: &'static str) -> Error {
    Error::UnsupportedTransactionOption {
        option,
        dialect,
        reason,
    }
}

/// Whole milliseconds, at least 1: PostgreSQL reads 0 as "no timeout".
fn millis(timeout: Duration) -> u64 {
    u64::try_from(timeout.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The statements that open one transaction, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BeginPlan {
    /// Replaces the driver's BEGIN (or SAVEPOINT, which takes none).
    pub(crate) begin: Option<String>,
    /// Run inside the transaction right after it begins (PostgreSQL's `SET
    /// LOCAL` timeouts).
    pub(crate) after: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferrable_needs_serializable_read_only_on_postgres() {
        let options = TransactionOptions::new().deferrable();
        assert!(options.plan(Dialect::Postgres, false).is_err());
        let options = options.isolation(Isolation::Serializable).read_only();
        assert_eq!(
            options
                .plan(Dialect::Postgres, false)
                .unwrap()
                .begin
                .as_deref(),
            Some("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE")
        );
        assert!(options.plan(Dialect::MySql, false).is_err());
    }

    #[test]
    fn a_zero_timeout_is_one_millisecond_not_none() {
        let plan = TransactionOptions::new()
            .timeout(Duration::ZERO)
            .plan(Dialect::Postgres, false)
            .unwrap();
        assert_eq!(plan.after[0], "SET LOCAL statement_timeout = 1");
    }
}
