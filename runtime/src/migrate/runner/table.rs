//! `_strata_migrations`, the database's own record of which migrations ran:
//! its DDL per dialect and every statement the runner reads and writes it
//! with, rendered by SqlWriter (identifiers quoted, values bound).

use chrono::{DateTime, Utc};

use super::session::{ReadRow, Session};
use crate::error::Result;
use crate::migrate::bookkeeping::{self, where_name, Types};
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::SqlType;
use crate::value::Value;

pub const HISTORY_TABLE: &str = "_strata_migrations";

/// One row of `_strata_migrations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The migration folder's name.
    pub name: String,
    /// SHA-256 of `up.sql` as it was applied (line endings normalised).
    pub checksum: String,
    pub started_at: DateTime<Utc>,
    /// `None` while running, or when the run died before recording its end.
    pub finished_at: Option<DateTime<Utc>>,
    pub execution_time_ms: Option<i64>,
    /// False for a failed (or interrupted) run; true once applied or
    /// resolved as applied.
    pub success: bool,
    /// When `down` or `resolve --rolled-back` undid it; it is pending again.
    pub rolled_back_at: Option<DateTime<Utc>>,
    /// The error of a failed run, and how it was resolved.
    pub logs: Option<String>,
}

impl Record {
    /// Whether the database has this migration's changes: applied and not
    /// rolled back.
    pub fn is_applied(&self) -> bool {
        self.success && self.rolled_back_at.is_none()
    }

    /// Whether the run failed or died half-way and nobody resolved it yet.
    pub fn is_failed(&self) -> bool {
        !self.success && self.rolled_back_at.is_none()
    }
}

/// The columns in the order `insert` writes them.
const COLUMNS: [&str; 8] = [
    "name",
    "checksum",
    "started_at",
    "finished_at",
    "execution_time_ms",
    "success",
    "rolled_back_at",
    "logs",
];

pub(super) fn create_table(dialect: Dialect) -> Rendered {
    let Types { key, instant, text } = bookkeeping::types(dialect);
    let columns = [
        ("name", key, "NOT NULL PRIMARY KEY"),
        ("checksum", "VARCHAR(64)", "NOT NULL"),
        ("started_at", instant, "NOT NULL"),
        ("finished_at", instant, "NULL"),
        ("execution_time_ms", "BIGINT", "NULL"),
        ("success", "BOOLEAN", "NOT NULL"),
        ("rolled_back_at", instant, "NULL"),
        ("logs", text, "NULL"),
    ];
    bookkeeping::create_table(dialect, HISTORY_TABLE, &columns)
}

pub(super) fn select_all(dialect: Dialect) -> Rendered {
    let mut w = bookkeeping::select(dialect, HISTORY_TABLE, &COLUMNS);
    w.push(" ORDER BY ");
    w.push_ident("name");
    w.finish()
}

pub(super) fn insert(dialect: Dialect, record: &Record) -> Rendered {
    let values = [
        Value::Text(record.name.clone()),
        Value::Text(record.checksum.clone()),
        Value::Timestamptz(record.started_at),
        instant(record.finished_at),
        record
            .execution_time_ms
            .map_or(Value::Null(SqlType::BigInt), Value::I64),
        Value::Bool(record.success),
        instant(record.rolled_back_at),
        text(record.logs.clone()),
    ];
    bookkeeping::insert(dialect, HISTORY_TABLE, &COLUMNS, values)
}

/// `UPDATE _strata_migrations SET <set> WHERE name = <name>`.
pub(super) fn update(dialect: Dialect, name: &str, set: Vec<(&'static str, Value)>) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("UPDATE ");
    w.push_ident(HISTORY_TABLE);
    w.push(" SET ");
    w.push_list(set, ", ", |w, (column, value)| {
        w.push_ident(column);
        w.push(" = ");
        w.push_bind(value);
    });
    where_name(&mut w, name);
    w.finish()
}

pub(super) fn delete_all(dialect: Dialect) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("DELETE FROM ");
    w.push_ident(HISTORY_TABLE);
    w.finish()
}

/// Deletes the row of `name`.
pub(super) fn delete(dialect: Dialect, name: &str) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("DELETE FROM ");
    w.push_ident(HISTORY_TABLE);
    where_name(&mut w, name);
    w.finish()
}

pub(super) fn instant(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null(SqlType::Timestamptz), Value::Timestamptz)
}

pub(super) fn text(text: Option<String>) -> Value {
    text.map_or(Value::Null(SqlType::Text), Value::Text)
}

pub(super) async fn ensure_table(session: &mut Session) -> Result<()> {
    session.execute(create_table(session.dialect())).await?;
    Ok(())
}

/// Whether the history table exists: `status` reads without creating it.
pub(super) async fn exists(session: &mut Session) -> Result<bool> {
    let dialect = session.dialect();
    let mut w = SqlWriter::new(dialect);
    w.push(match dialect {
        Dialect::Postgres => {
            "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = "
        }
        Dialect::MySql => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = "
        }
        Dialect::Sqlite => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ",
    });
    w.push_bind(Value::Text(HISTORY_TABLE.into()));
    let counts = session.fetch(w.finish(), |r| r.int("n")).await?;
    Ok(counts.first().copied().flatten().unwrap_or(0) > 0)
}

/// Every record, in name order.
pub(super) async fn read_all(session: &mut Session) -> Result<Vec<Record>> {
    let rows = session.fetch(select_all(session.dialect()), read).await?;
    Ok(rows)
}

fn read(row: &dyn ReadRow) -> Result<Record, sqlx::Error> {
    let required = |column: &str, value: Option<String>| {
        value
            .ok_or_else(|| sqlx::Error::ColumnNotFound(format!("{HISTORY_TABLE}.{column} is NULL")))
    };
    Ok(Record {
        name: required("name", row.text("name")?)?,
        checksum: required("checksum", row.text("checksum")?)?,
        started_at: row.time("started_at")?.unwrap_or_default(),
        finished_at: row.time("finished_at")?,
        execution_time_ms: row.int("execution_time_ms")?,
        success: row.flag("success")?.unwrap_or(false),
        rolled_back_at: row.time("rolled_back_at")?,
        logs: row.text("logs")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_per_dialect() {
        assert_eq!(
            create_table(Dialect::Postgres).sql,
            "CREATE TABLE IF NOT EXISTS \"_strata_migrations\" (\"name\" TEXT NOT NULL PRIMARY KEY, \
             \"checksum\" VARCHAR(64) NOT NULL, \"started_at\" TIMESTAMPTZ NOT NULL, \
             \"finished_at\" TIMESTAMPTZ NULL, \"execution_time_ms\" BIGINT NULL, \
             \"success\" BOOLEAN NOT NULL, \"rolled_back_at\" TIMESTAMPTZ NULL, \"logs\" TEXT NULL)"
        );
        assert!(create_table(Dialect::MySql)
            .sql
            .starts_with("CREATE TABLE IF NOT EXISTS `_strata_migrations` (`name` VARCHAR(255)"));
        let update = update(
            Dialect::Postgres,
            "m1",
            vec![("success", Value::Bool(true))],
        );
        assert_eq!(
            update.sql,
            "UPDATE \"_strata_migrations\" SET \"success\" = $1 WHERE \"name\" = $2"
        );
        assert_eq!(update.binds.len(), 2);
    }
}
