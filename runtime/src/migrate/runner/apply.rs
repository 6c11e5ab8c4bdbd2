//! Running one migration's `up.sql` or `down.sql` and recording the outcome.
//!
//! PostgreSQL and SQLite run a migration and its history row in one
//! transaction: it applies completely or not at all, and the record commits
//! with it. MySQL commits every DDL statement implicitly, so there a
//! migration cannot be atomic: the runner records it as started first, runs
//! it, then records the end; a failure half-way is recorded as failed, with
//! the statements before it applied. A no-transaction migration
//! (`-- strata:no-transaction`) is recorded the same way on every database,
//! and runs one statement at a time. Such a file may open a transaction of
//! its own (SQLite's generated table rebuild does, with foreign keys off
//! around it): after it runs, failed or not, the runner rolls back a
//! transaction it left open and puts SQLite's `foreign_keys` back before
//! writing the record, which would otherwise land inside that transaction
//! and vanish with it when the session closes. One that succeeded but left
//! its transaction open is recorded as failed, saying so.

use std::time::Instant;

use chrono::Utc;

use super::session::Session;
use super::split;
use super::table::{self, Record};
use crate::error::{Error, Result};
use crate::migrate::files::{Migration, NO_TRANSACTION_MARKER};
use crate::render::{Dialect, SqlWriter};
use crate::value::Value;

/// Applies `migration` and records it. `replaces` says a record of it
/// exists (rolled back earlier) and is replaced. A failure is recorded as
/// failed and returned.
pub(super) async fn up(session: &mut Session, migration: &Migration, replaces: bool) -> Result<()> {
    let dialect = session.dialect();
    let started_at = Utc::now();
    let clock = Instant::now();
    let mut record = Record {
        name: migration.name.clone(),
        checksum: migration.checksum.clone(),
        started_at,
        finished_at: None,
        execution_time_ms: None,
        success: false,
        rolled_back_at: None,
        logs: None,
    };
    if atomic(dialect, migration.no_transaction) {
        let result = match session.begin().await {
            Ok(()) => {
                let body = up_and_record(session, migration, &record, replaces, clock).await;
                end_transaction(session, body).await
            }
            Err(e) => Err(e),
        };
        let Err(error) = result else { return Ok(()) };
        // The transaction is gone; the failure is recorded on its own.
        record.finished_at = Some(Utc::now());
        record.execution_time_ms = Some(elapsed_ms(clock));
        record.logs = Some(error.to_string());
        let recorded = record_failure(session, &record, replaces).await;
        let reason = format!("{error}; nothing of it was applied (it ran in a transaction)");
        return Err(failed(&migration.name, &reason, recorded));
    }
    if replaces {
        session
            .execute(table::delete(dialect, &record.name))
            .await?;
    }
    session.execute(table::insert(dialect, &record)).await?;
    let invalid_before = invalid_indexes(session).await?;
    let foreign_keys = session.foreign_keys().await?;
    let result = run_outside_transaction(session, &migration.up, migration.no_transaction).await;
    // Before anything is recorded: a transaction the file opened and did
    // not end would hold the record, and closing the session would roll it
    // back with the migration.
    let settled = settle(session, foreign_keys).await;
    let finish = |success: bool, logs: Option<String>| {
        vec![
            ("finished_at", Value::Timestamptz(Utc::now())),
            ("execution_time_ms", Value::I64(elapsed_ms(clock))),
            ("success", Value::Bool(success)),
            ("logs", table::text(logs)),
        ]
    };
    let reason = match (result, settled) {
        (Ok(()), Ok(false)) => {
            let done = table::update(dialect, &migration.name, finish(true, None));
            session.execute(done).await?;
            return Ok(());
        }
        (Ok(()), Ok(true)) => left_open(&migration.name),
        (Ok(()), Err(e)) => format!(
            "it ran, but checking that it left no transaction open failed ({e}): check the \
             database before resolving"
        ),
        (Err(error), settled) => {
            let mut reason = error.to_string();
            // Best effort: the migration's error is the one to report.
            let now_invalid = invalid_indexes(session).await.unwrap_or_default();
            let left: Vec<String> = (now_invalid.into_iter())
                .filter(|index| !invalid_before.contains(index))
                .collect();
            if !left.is_empty() {
                reason.push_str(&invalid_index_advice(&left, &migration.name));
            } else if dialect == Dialect::MySql {
                reason.push_str(
                    "; MySQL commits each DDL statement as it runs, so the statements before \
                     the failing one are applied: check the database before resolving",
                );
            } else if settled.as_ref().is_ok_and(|rolled_back| !rolled_back) {
                reason.push_str("; the statements before the failing one are applied");
            }
            match settled {
                Ok(false) => {}
                Ok(true) => reason.push_str(ROLLED_BACK_OWN),
                Err(e) => reason.push_str(&format!(
                    "; closing a transaction it may have left open failed too ({e}): check \
                     the database before resolving"
                )),
            }
            reason
        }
    };
    let failed_row = table::update(
        dialect,
        &migration.name,
        finish(false, Some(reason.clone())),
    );
    let recorded = session.execute(failed_row).await.map(drop);
    Err(failed(&migration.name, &reason, recorded))
}

/// Added to a failed no-transaction migration's error when the runner
/// rolled back the transaction it had opened.
const ROLLED_BACK_OWN: &str = "; it had opened a transaction of its own (a BEGIN) that was \
    still open: the runner rolled it back, undoing its statements since that BEGIN (any \
    before it are applied; on MySQL so is every DDL statement, which commits as it runs)";

/// The error of a no-transaction migration that ran without an error but
/// left its own transaction open.
fn left_open(name: &str) -> String {
    format!(
        "it left a transaction open: a BEGIN without a matching COMMIT. Recorded inside it, \
         the migration would have been rolled back unnoticed when the session closed, so the \
         runner rolled the transaction back: its statements since that BEGIN are undone (any \
         before it are applied; on MySQL so is every DDL statement, which commits as it \
         runs). Add the COMMIT, then `strata migrate resolve --rolled-back {name}` and deploy \
         again"
    )
}

/// After a migration file ran outside the runner's transaction (failed or
/// not): rolls back a transaction it left open and puts SQLite's
/// `foreign_keys` back to `foreign_keys` (what it was before the file ran;
/// a rebuild turns it off). Whether a transaction was rolled back.
async fn settle(session: &mut Session, foreign_keys: Option<bool>) -> Result<bool, sqlx::Error> {
    let open = session.in_transaction().await?;
    if open {
        session.rollback().await?;
    }
    if let Some(on) = foreign_keys {
        session.set_foreign_keys(on).await?;
    }
    Ok(open)
}

/// Runs `down.sql` of an applied migration and marks it rolled back.
pub(super) async fn down(session: &mut Session, migration: &Migration) -> Result<()> {
    let dialect = session.dialect();
    let Some(down_sql) = migration.down.as_deref() else {
        return Err(Error::Migration {
            name: migration.name.clone(),
            reason: "has no down.sql, so it cannot be rolled back; write one, or add a new \
                     migration that undoes it"
                .into(),
        });
    };
    let no_transaction = down_sql.lines().next().map(str::trim_end) == Some(NO_TRANSACTION_MARKER);
    let rolled_back = table::update(
        dialect,
        &migration.name,
        vec![("rolled_back_at", Value::Timestamptz(Utc::now()))],
    );
    let result = if atomic(dialect, no_transaction) {
        match session.begin().await {
            Ok(()) => {
                let body = match session.run_script(down_sql).await {
                    Ok(()) => session.execute(rolled_back).await.map(drop),
                    Err(e) => Err(e),
                };
                end_transaction(session, body).await
            }
            Err(e) => Err(e),
        }
    } else {
        let foreign_keys = session.foreign_keys().await?;
        let result = run_outside_transaction(session, down_sql, no_transaction).await;
        match (result, settle(session, foreign_keys).await) {
            (Ok(()), Ok(false)) => session.execute(rolled_back).await.map(drop),
            (Ok(()), Ok(true)) => {
                return Err(Error::Migration {
                    name: migration.name.clone(),
                    reason: "down.sql left a transaction open: a BEGIN without a matching \
                             COMMIT. The runner rolled it back, undoing its statements since \
                             that BEGIN; add the COMMIT. The migration is still recorded as \
                             applied"
                        .into(),
                });
            }
            (Err(e), Ok(true)) => {
                return Err(Error::Migration {
                    name: migration.name.clone(),
                    reason: format!(
                        "down.sql failed: {e}{ROLLED_BACK_OWN}; the migration is still \
                         recorded as applied"
                    ),
                });
            }
            (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        }
    };
    result.map_err(|error| Error::Migration {
        name: migration.name.clone(),
        reason: format!("down.sql failed: {error}; the migration is still recorded as applied"),
    })
}

/// Whether a migration runs in one transaction with its record.
fn atomic(dialect: Dialect, no_transaction: bool) -> bool {
    dialect != Dialect::MySql && !no_transaction
}

/// Inside the transaction: runs `up.sql` and inserts the applied record.
async fn up_and_record(
    session: &mut Session,
    migration: &Migration,
    started: &Record,
    replaces: bool,
    clock: Instant,
) -> Result<(), sqlx::Error> {
    let dialect = session.dialect();
    if replaces {
        session
            .execute(table::delete(dialect, &started.name))
            .await?;
    }
    session.run_script(&migration.up).await?;
    let done = Record {
        finished_at: Some(Utc::now()),
        execution_time_ms: Some(elapsed_ms(clock)),
        success: true,
        ..started.clone()
    };
    session.execute(table::insert(dialect, &done)).await?;
    Ok(())
}

/// COMMIT after a successful body, ROLLBACK after a failed one (whose error
/// is the one returned).
pub(super) async fn end_transaction(
    session: &mut Session,
    body: Result<(), sqlx::Error>,
) -> Result<(), sqlx::Error> {
    match body {
        Ok(()) => session.commit().await,
        Err(e) => {
            let _ = session.rollback().await;
            Err(e)
        }
    }
}

async fn run_outside_transaction(
    session: &mut Session,
    sql: &str,
    one_at_a_time: bool,
) -> Result<(), sqlx::Error> {
    if !one_at_a_time {
        return session.run_script(sql).await;
    }
    for statement in split::statements(sql, session.dialect()) {
        session.run_script(statement).await?;
    }
    Ok(())
}

/// PostgreSQL indexes of the current schema marked invalid: what a failed
/// `CREATE INDEX CONCURRENTLY` leaves behind. Empty elsewhere.
async fn invalid_indexes(session: &mut Session) -> Result<Vec<String>> {
    if session.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    let mut w = SqlWriter::new(Dialect::Postgres);
    w.push(
        "SELECT c.relname::text AS name FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND n.nspname = current_schema() ORDER BY 1",
    );
    let names = session.fetch(w.finish(), |r| r.text("name")).await?;
    Ok(names.into_iter().flatten().collect())
}

fn invalid_index_advice(indexes: &[String], migration: &str) -> String {
    let drops: Vec<String> = indexes
        .iter()
        .map(|name| format!("DROP INDEX CONCURRENTLY \"{}\";", name.replace('"', "\"\"")))
        .collect();
    format!(
        "; it left invalid index{} {} (a CREATE INDEX CONCURRENTLY that failed half-way: \
         PostgreSQL keeps the unusable index, and writes still pay to maintain it). Fix: run \
         `{}`, correct the cause (e.g. duplicate values under a unique index), then \
         `strata migrate resolve --rolled-back {migration}` and deploy again",
        if indexes.len() == 1 { "" } else { "es" },
        indexes.join(", "),
        drops.join(" "),
    )
}

/// Inserts the failed run's record (replacing an earlier rolled-back one).
async fn record_failure(
    session: &mut Session,
    record: &Record,
    replaces: bool,
) -> Result<(), sqlx::Error> {
    let dialect = session.dialect();
    if replaces {
        session
            .execute(table::delete(dialect, &record.name))
            .await?;
    }
    session
        .execute(table::insert(dialect, record))
        .await
        .map(drop)
}

/// The error of a failed migration; says so too when its failure could not
/// be recorded (the connection died), since then nothing blocks a rerun.
fn failed(name: &str, reason: &str, recorded: Result<(), sqlx::Error>) -> Error {
    let unrecorded = match recorded {
        Ok(()) => String::new(),
        Err(e) => format!(
            " (recording the failure in {} failed too: {e})",
            table::HISTORY_TABLE
        ),
    };
    Error::Migration {
        name: name.to_string(),
        reason: format!("failed: {reason}{unrecorded}"),
    }
}

fn elapsed_ms(clock: Instant) -> i64 {
    i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(name: &str, up: &str) -> Migration {
        Migration {
            name: name.into(),
            path: name.into(),
            up: up.into(),
            down: None,
            schema: None,
            no_transaction: true,
            checksum: crate::migrate::files::checksum(up),
        }
    }

    /// The session the runner goes on with after a failed SQLite rebuild is
    /// clean: no transaction open, foreign keys back on, and the failure
    /// recorded with its error (committed, not inside the rebuild's
    /// transaction).
    #[tokio::test]
    async fn a_failed_sqlite_rebuild_leaves_the_session_clean() -> Result<()> {
        let mut session = Session::open("sqlite::memory:").await?;
        table::ensure_table(&mut session).await?;
        session
            .run_script(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, NULL)",
            )
            .await?;
        let rebuild = "-- strata:no-transaction\nPRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;\n\
                       CREATE TABLE t_new (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n\
                       INSERT INTO t_new SELECT id, v FROM t;\nDROP TABLE t;\n\
                       ALTER TABLE t_new RENAME TO t;\nCOMMIT;\nPRAGMA foreign_keys = ON;\n";
        let failed = up(&mut session, &migration("m1", rebuild), false).await;
        let error = failed.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("NOT NULL constraint failed"), "{error}");
        assert!(!session.in_transaction().await?);
        assert_eq!(session.foreign_keys().await?, Some(true));
        let records = table::read_all(&mut session).await?;
        let logs = records[0].logs.clone().unwrap_or_default();
        assert!(
            records[0].is_failed() && logs.contains("NOT NULL"),
            "{logs}"
        );

        // Left open on success: rolled back, recorded failed, keys back on.
        let open = "-- strata:no-transaction\nPRAGMA foreign_keys = OFF;\nBEGIN;\n\
                    DELETE FROM t;\n";
        let failed = up(&mut session, &migration("m2", open), false).await;
        let error = failed.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("left a transaction open"), "{error}");
        assert!(!session.in_transaction().await?);
        assert_eq!(session.foreign_keys().await?, Some(true));
        let rows: Vec<Option<i64>> = session
            .fetch(
                {
                    let mut w = SqlWriter::new(Dialect::Sqlite);
                    w.push("SELECT COUNT(*) AS n FROM t");
                    w.finish()
                },
                |r| r.int("n"),
            )
            .await?;
        assert_eq!(rows, [Some(1)], "the DELETE was rolled back");
        let records = table::read_all(&mut session).await?;
        assert!(records[1].is_failed() && records[1].logs.is_some());
        session.close().await;
        Ok(())
    }
}
