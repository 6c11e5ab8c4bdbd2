//! The locking clause of a read (`FOR UPDATE`, `FOR SHARE NOWAIT`, ..), per
//! dialect. Written after LIMIT/OFFSET, where all three servers take it.
//!
//! | lock            | PostgreSQL          | MySQL/MariaDB          | SQLite  |
//! |-----------------|---------------------|------------------------|---------|
//! | `for_update`    | `FOR UPDATE`        | `FOR UPDATE`           | nothing |
//! | `for_no_key_update` | `FOR NO KEY UPDATE` | `FOR UPDATE` (stronger) | nothing |
//! | `for_share`     | `FOR SHARE`         | `LOCK IN SHARE MODE`   | nothing |
//! | `for_key_share` | `FOR KEY SHARE`     | `LOCK IN SHARE MODE` (stronger) | nothing |
//! | `nowait`        | `NOWAIT`            | `NOWAIT`               | nothing |
//! | `skip_locked`   | `SKIP LOCKED`       | `SKIP LOCKED`          | nothing |
//!
//! MySQL/MariaDB have one exclusive and one shared row lock, so PostgreSQL's
//! weaker variants are written as the lock that contains them: never a
//! weaker lock than asked for. `LOCK IN SHARE MODE` is the spelling both
//! MariaDB (which has no `FOR SHARE`) and MySQL 8 parse; MySQL 8 takes
//! NOWAIT/SKIP LOCKED only after its own `FOR SHARE`, so a shared lock with
//! either is MariaDB-only.
//!
//! SQLite has no row locks: strata's transactions begin with `BEGIN
//! IMMEDIATE`, which holds the database's write lock until COMMIT, so no
//! other writer can change the rows read (nothing to wait for or skip).
//! `query/row_lock.rs` refuses a locking read outside a transaction on every
//! database, so on SQLite the lock is always already held.

use super::{Dialect, SqlWriter};
use crate::query::ast::{LockStrength, LockWait, RowLock};

/// ` FOR UPDATE [OF "table"] [NOWAIT | SKIP LOCKED]` for the dialect. `of`:
/// the one table to lock when the statement reads other relations in its
/// FROM that must not be: PostgreSQL's lateral include joins, whose
/// `json_agg` it refuses to lock ("FOR UPDATE is not allowed with aggregate
/// functions"). PostgreSQL only; MySQL's lock does not reach a subquery in
/// the select list anyway.
pub(super) fn write_row_lock(w: &mut SqlWriter, lock: RowLock, of: Option<&str>) {
    match w.dialect {
        Dialect::Sqlite => return,
        Dialect::Postgres => {
            w.push(match lock.strength {
                LockStrength::Update => " FOR UPDATE",
                LockStrength::NoKeyUpdate => " FOR NO KEY UPDATE",
                LockStrength::Share => " FOR SHARE",
                LockStrength::KeyShare => " FOR KEY SHARE",
            });
            if let Some(table) = of {
                w.push(" OF ");
                w.push_ident(table);
            }
        }
        Dialect::MySql => w.push(match lock.strength {
            LockStrength::Update | LockStrength::NoKeyUpdate => " FOR UPDATE",
            LockStrength::Share | LockStrength::KeyShare => " LOCK IN SHARE MODE",
        }),
    }
    w.push(match lock.wait {
        LockWait::Wait => "",
        LockWait::NoWait => " NOWAIT",
        LockWait::SkipLocked => " SKIP LOCKED",
    });
}
