//! Locking reads (pessimistic locking): the `for_update()`, `for_share()`..
//! builder methods of the model reads, and the rules around them.
//!
//! - A lock lasts until its transaction ends, so a locking read must run on a
//!   transaction's `Db`: outside one the lock would end with the statement
//!   and protect nothing, so strata refuses it before sending it (on every
//!   database, SQLite too, so code moves between them unchanged).
//! - `nowait()` and `skip_locked()` say what to do about rows another
//!   transaction holds; they need a lock strength (`for_update()`..) too.
//! - A failed NOWAIT is [`Error::LockNotAvailable`]. PostgreSQL and MySQL 8
//!   report it with their own code (`execute/classify.rs`); MariaDB reports
//!   it as 1205, the lock wait timeout, so a statement that asked for NOWAIT
//!   turns that into `LockNotAvailable` here.
//!
//! How each lock is written per database: `render/row_lock.rs`.

use super::ast::{Expr, InvalidExpr, LockStrength, LockWait, RowLock, Select};
use crate::error::Error;
use crate::execute::Db;

/// What a builder was asked to lock; `nowait()`/`skip_locked()` may come
/// before or after the strength.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LockRequest {
    strength: Option<LockStrength>,
    wait: Option<LockWait>,
}

impl LockRequest {
    pub(crate) fn new(strength: LockStrength) -> Self {
        LockRequest {
            strength: Some(strength),
            wait: None,
        }
    }

    /// The lock to write, once a strength was asked for.
    pub(crate) fn row_lock(&self) -> Option<RowLock> {
        self.strength.map(|strength| RowLock {
            strength,
            wait: self.wait.unwrap_or(LockWait::Wait),
        })
    }

    pub(crate) fn set_strength(&mut self, strength: LockStrength) {
        self.strength = Some(strength);
    }

    pub(crate) fn set_wait(&mut self, wait: LockWait) {
        self.wait = Some(wait);
    }

    pub(crate) fn requested(&self) -> bool {
        self.strength.is_some() || self.wait.is_some()
    }

    /// Puts the lock on `select`, or, for a request strata cannot send (a
    /// wait policy without a lock, a DISTINCT read), an [`Expr::Invalid`]
    /// whose error executing the statement returns.
    pub(crate) fn apply(&self, select: &mut Select, model: &'static str) {
        let Some(lock) = self.row_lock() else {
            if self.wait.is_some() {
                refuse(select, model, "nowait() and skip_locked() say what a locking read does about rows other transactions have locked: add the lock itself, e.g. .for_update().skip_locked()");
            }
            return;
        };
        if select.distinct {
            return refuse(select, model, "a locking read cannot be DISTINCT: which of the duplicate rows would it lock? (PostgreSQL refuses it); drop distinct() or the lock");
        }
        select.lock = Some(lock);
    }

    /// Before sending a locking read: it must run in a transaction.
    pub(crate) fn check(&self, db: &Db, model: &'static str) -> crate::Result<()> {
        if self.requested() && !db.in_transaction() {
            return Err(Error::InvalidValue {
                model,
                field: None,
                reason: "a locking read (for_update(), for_share()..) outside a transaction would release its locks as soon as the statement ends: run it on the Db of db.transaction(|tx| ..) or db.begin_transaction()".into(),
            });
        }
        Ok(())
    }

    /// A locking read's error: MariaDB's failed NOWAIT (reported as 1205,
    /// the lock wait timeout, which a statement that does not wait cannot
    /// have reached) becomes [`Error::LockNotAvailable`].
    pub(crate) fn classify(&self, error: Error, model: &'static str) -> Error {
        if self.wait != Some(LockWait::NoWait) || self.strength.is_none() {
            return error;
        }
        match error {
            Error::Timeout { source } if is_mysql_lock_wait(&source) => {
                Error::LockNotAvailable { model, source }
            }
            other => other,
        }
    }
}

fn is_mysql_lock_wait(source: &sqlx::Error) -> bool {
    source
        .as_database_error()
        .and_then(|db| db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .is_some_and(|e| e.number() == 1205)
}

/// Makes `select` carry `reason` as its error (see [`Expr::Invalid`]).
fn refuse(select: &mut Select, model: &'static str, reason: &str) {
    let invalid = Expr::Invalid(InvalidExpr {
        model,
        field: None,
        reason: reason.to_owned(),
    });
    select.filter = Some(match select.filter.take() {
        Some(filter) => Expr::And(vec![filter, invalid]),
        None => invalid,
    });
}

/// The locking methods of a model read whose [`LockRequest`] is at
/// `self.$($field).+`.
macro_rules! row_lock_methods {
    ($($field:ident).+) => {
        /// Locks the rows read until the transaction ends: no other
        /// transaction can lock, update or delete them meanwhile
        /// (`FOR UPDATE`). Runs only on a transaction's `Db`; see the
        /// README's "Pessimistic locking" for each database.
        pub fn for_update(mut self) -> Self {
            self.$($field).+.set_strength($crate::query::ast::LockStrength::Update);
            self
        }
        /// PostgreSQL's `FOR NO KEY UPDATE`: like [`for_update`](Self::for_update),
        /// but inserts referencing the rows by foreign key are not blocked.
        /// MySQL/MariaDB have no such lock: `FOR UPDATE` there (stronger).
        pub fn for_no_key_update(mut self) -> Self {
            self.$($field).+.set_strength($crate::query::ast::LockStrength::NoKeyUpdate);
            self
        }
        /// A shared lock until the transaction ends: others may read-lock the
        /// rows too, but not change them (`FOR SHARE`; MySQL/MariaDB `LOCK IN
        /// SHARE MODE`).
        pub fn for_share(mut self) -> Self {
            self.$($field).+.set_strength($crate::query::ast::LockStrength::Share);
            self
        }
        /// PostgreSQL's `FOR KEY SHARE`: blocks only deletes and key changes.
        /// MySQL/MariaDB: a shared lock (stronger).
        pub fn for_key_share(mut self) -> Self {
            self.$($field).+.set_strength($crate::query::ast::LockStrength::KeyShare);
            self
        }
        /// Fails at once with [`Error::LockNotAvailable`](crate::Error::LockNotAvailable)
        /// instead of waiting for a row another transaction has locked
        /// (`NOWAIT`). With a lock: `.for_update().nowait()`.
        pub fn nowait(mut self) -> Self {
            self.$($field).+.set_wait($crate::query::ast::LockWait::NoWait);
            self
        }
        /// Leaves out rows another transaction has locked instead of waiting
        /// for them (`SKIP LOCKED`): several workers claiming jobs from one
        /// table each get different rows. With a lock:
        /// `.for_update().skip_locked()`.
        pub fn skip_locked(mut self) -> Self {
            self.$($field).+.set_wait($crate::query::ast::LockWait::SkipLocked);
            self
        }
    };
}
pub(crate) use row_lock_methods;
