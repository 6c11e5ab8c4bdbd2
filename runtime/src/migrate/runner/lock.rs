//! The migration lock: one runner at a time per database (per schema on
//! PostgreSQL), taken by polling a non-blocking try-lock until a timeout.
//!
//! - PostgreSQL: `pg_try_advisory_lock(key)`, a session lock, with `key` the
//!   first 8 bytes of SHA-256("strata_migrations:" + current schema), so two
//!   schemas of one database migrate independently. Never the blocking
//!   `pg_advisory_lock`: a deployer waiting inside it is a running
//!   transaction, and a `CREATE INDEX CONCURRENTLY` of the runner holding
//!   the lock waits for every running transaction to end: neither would
//!   ever finish. Polling keeps the waiter's transactions short.
//! - MySQL/MariaDB: `GET_LOCK(name, 0)`, polled. Named locks are
//!   server-wide, so the name carries a hash of the database name.
//! - SQLite has no session locks. The runner holds `BEGIN IMMEDIATE` (the
//!   write lock) on a sidecar file, `<database>.strata-lock`, for the whole
//!   run: a second runner's `BEGIN IMMEDIATE` there fails busy until the
//!   first ends. It is an OS file lock, so like the advisory locks it is
//!   released when the process dies, and it leaves the database itself free
//!   for the migrations' own transactions. An in-memory database belongs to
//!   one connection and needs no lock.
//!
//! Session locks end with the session, so a crashed runner never leaves the
//! lock held; the release at the end of a run is for a long-lived process.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::Connection as _;

use super::session::Session;
use crate::error::{Error, Result};
use crate::execute::pool::{connect_options, AnyOptions};
use crate::execute::trusted;
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::value::Value;

const LOCK_NAME: &str = "strata_migrations";
const POLL_EVERY: Duration = Duration::from_millis(100);

/// A held migration lock; [`Lock::release`] gives it back.
pub(super) enum Lock {
    Postgres(i64),
    MySql(String),
    /// The connection holding the sidecar file's write lock; `None` for an
    /// in-memory database.
    Sqlite(Option<sqlx::SqliteConnection>),
}

/// Takes the lock for `session`'s database, polling until `timeout`.
pub(super) async fn acquire(session: &mut Session, url: &str, timeout: Duration) -> Result<Lock> {
    let start = Instant::now();
    match session.dialect() {
        Dialect::Postgres => {
            let schema = first_text(session, "SELECT current_schema()").await?;
            let key = postgres_key(&schema.unwrap_or_default());
            let try_lock = call(Dialect::Postgres, "pg_try_advisory_lock", [Value::I64(key)]);
            loop {
                let taken = session.fetch(try_lock.clone(), |r| r.flag("taken")).await?;
                if taken.first().copied().flatten() == Some(true) {
                    return Ok(Lock::Postgres(key));
                }
                wait(start, timeout).await?;
            }
        }
        Dialect::MySql => {
            let database = first_text(session, "SELECT DATABASE()").await?;
            let name = mysql_lock_name(&database.unwrap_or_default());
            let arguments = [Value::Text(name.clone()), Value::I64(0)];
            let get_lock = call(Dialect::MySql, "GET_LOCK", arguments);
            loop {
                let taken = session.fetch(get_lock.clone(), |r| r.int("taken")).await?;
                if taken.first().copied().flatten() == Some(1) {
                    return Ok(Lock::MySql(name));
                }
                wait(start, timeout).await?;
            }
        }
        Dialect::Sqlite => {
            let Some(path) = sqlite_lock_path(url)? else {
                return Ok(Lock::Sqlite(None));
            };
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .busy_timeout(Duration::ZERO);
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
            loop {
                let begun = sqlx::raw_sql(trusted("BEGIN IMMEDIATE"))
                    .execute(&mut conn)
                    .await;
                let outcome = match begun {
                    Ok(_) => return Ok(Lock::Sqlite(Some(conn))),
                    Err(e) if is_busy(&e) => wait(start, timeout).await,
                    Err(e) => Err(e.into()),
                };
                if let Err(e) = outcome {
                    let _ = conn.close().await;
                    return Err(e);
                }
            }
        }
    }
}

impl Lock {
    pub(super) async fn release(self, session: &mut Session) -> Result<()> {
        match self {
            Lock::Postgres(key) => {
                let unlock = call(Dialect::Postgres, "pg_advisory_unlock", [Value::I64(key)]);
                session.fetch(unlock, |r| r.flag("taken")).await?;
            }
            Lock::MySql(name) => {
                let unlock = call(Dialect::MySql, "RELEASE_LOCK", [Value::Text(name)]);
                session.fetch(unlock, |r| r.int("taken")).await?;
            }
            Lock::Sqlite(Some(mut conn)) => {
                sqlx::raw_sql(trusted("ROLLBACK"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
            }
            Lock::Sqlite(None) => {}
        }
        Ok(())
    }
}

/// Sleeps before the next attempt, or fails with [`Error::MigrationLocked`]
/// once `timeout` has passed since `start`.
async fn wait(start: Instant, timeout: Duration) -> Result<()> {
    let waited = start.elapsed();
    if waited >= timeout {
        return Err(Error::MigrationLocked { waited });
    }
    tokio::time::sleep(POLL_EVERY.min(timeout - waited)).await;
    Ok(())
}

/// `SELECT function($1, ..) AS taken`.
fn call<const N: usize>(dialect: Dialect, function: &str, arguments: [Value; N]) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("SELECT ");
    w.push(function);
    w.push("(");
    w.push_list(arguments, ", ", |w, v| w.push_bind(v));
    w.push(") AS ");
    w.push_ident("taken");
    w.finish()
}

async fn first_text(session: &mut Session, sql: &'static str) -> Result<Option<String>> {
    let mut w = SqlWriter::new(session.dialect());
    w.push(sql);
    w.push(" AS ");
    w.push_ident("value");
    let rows = session.fetch(w.finish(), |r| r.text("value")).await?;
    Ok(rows.into_iter().next().flatten())
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

pub(super) fn postgres_key(schema: &str) -> i64 {
    let hash = digest(&format!("{LOCK_NAME}:{schema}"));
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&hash[..8]);
    i64::from_be_bytes(bytes)
}

/// At most 64 characters, MySQL's limit for a lock name.
pub(super) fn mysql_lock_name(database: &str) -> String {
    let hash = digest(database);
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{LOCK_NAME}_{hex}")
}

/// The sidecar lock file of a SQLite database URL; `None` in memory.
fn sqlite_lock_path(url: &str) -> Result<Option<PathBuf>> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let AnyOptions::Sqlite(options) = connect_options(url, None)? else {
        return Ok(None);
    };
    let mut path = options.get_filename().as_os_str().to_owned();
    path.push(".strata-lock");
    Ok(Some(PathBuf::from(path)))
}

fn is_busy(error: &sqlx::Error) -> bool {
    // SQLITE_BUSY is 5; extended codes keep it in the low byte.
    error
        .as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_identities_are_stable_and_short() {
        assert_eq!(postgres_key("public"), postgres_key("public"));
        assert_ne!(postgres_key("public"), postgres_key("tenant_a"));
        let name = mysql_lock_name(&"x".repeat(64));
        assert!(name.len() <= 64, "{name}");
        assert_ne!(mysql_lock_name("a"), mysql_lock_name("b"));
    }

    #[test]
    fn sqlite_lock_file_sits_beside_the_database() {
        assert_eq!(
            sqlite_lock_path("sqlite:///tmp/app.db").unwrap(),
            Some(PathBuf::from("/tmp/app.db.strata-lock"))
        );
        assert_eq!(sqlite_lock_path("sqlite::memory:").unwrap(), None);
    }
}
