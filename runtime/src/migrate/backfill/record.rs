//! `_strata_backfills`, the database's record of how far each backfill got:
//! its DDL per dialect and the statements a run reads and advances it with,
//! rendered by SqlWriter (identifiers quoted, values bound).
//!
//! A batch's `advance` runs in the batch's own transaction, so the record
//! and the rows it describes commit (or roll back) together. `advance` and
//! `finish` match on the batch count the run last saw: a second run of the
//! same backfill that committed a batch in between makes them touch no row,
//! and the run stops instead of repeating a batch.

use chrono::{DateTime, Utc};

use crate::migrate::bookkeeping::{self, where_name, Types};
use crate::render::{Dialect, Rendered, SqlWriter};
use crate::schema::{FieldType, Row, SqlType};
use crate::value::Value;

pub const BACKFILL_TABLE: &str = "_strata_backfills";

/// One row of `_strata_backfills`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Record {
    /// `table.column` the backfill iterates, so a name reused for another
    /// table is caught instead of resuming at a foreign key.
    pub target: String,
    /// The last committed batch's last key, as JSON; `None` before the first.
    pub last_key: Option<String>,
    pub rows_done: i64,
    pub batches: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The columns in the order `select` reads them.
const COLUMNS: [&str; 6] = [
    "target",
    "last_key",
    "rows_done",
    "batches",
    "started_at",
    "finished_at",
];

pub(super) fn create_table(dialect: Dialect) -> Rendered {
    let Types { key, instant, text } = bookkeeping::types(dialect);
    let columns = [
        ("name", key, "NOT NULL PRIMARY KEY"),
        ("target", text, "NOT NULL"),
        ("last_key", text, "NULL"),
        ("rows_done", "BIGINT", "NOT NULL"),
        ("batches", "BIGINT", "NOT NULL"),
        ("started_at", instant, "NOT NULL"),
        ("updated_at", instant, "NOT NULL"),
        ("finished_at", instant, "NULL"),
    ];
    bookkeeping::create_table(dialect, BACKFILL_TABLE, &columns)
}

pub(super) fn select(dialect: Dialect, name: &str) -> Rendered {
    let mut w = bookkeeping::select(dialect, BACKFILL_TABLE, &COLUMNS);
    where_name(&mut w, name);
    w.finish()
}

/// Reads a row of `select`.
pub(super) fn decode(row: Row<'_>) -> Result<Record, sqlx::Error> {
    Ok(Record {
        target: String::decode(row, 0)?,
        last_key: Option::<String>::decode(row, 1)?,
        rows_done: i64::decode(row, 2)?,
        batches: i64::decode(row, 3)?,
        started_at: DateTime::<Utc>::decode(row, 4)?,
        finished_at: Option::<DateTime<Utc>>::decode(row, 5)?,
    })
}

/// The record of a backfill that has not run a batch yet.
pub(super) fn insert(dialect: Dialect, name: &str, target: &str, now: DateTime<Utc>) -> Rendered {
    let columns = [
        "name",
        "target",
        "rows_done",
        "batches",
        "started_at",
        "updated_at",
    ];
    let values = [
        Value::Text(name.to_owned()),
        Value::Text(target.to_owned()),
        Value::I64(0),
        Value::I64(0),
        Value::Timestamptz(now),
        Value::Timestamptz(now),
    ];
    bookkeeping::insert(dialect, BACKFILL_TABLE, &columns, values)
}

/// Starts the backfill over: no key, no rows, no batches, not finished.
pub(super) fn restart(dialect: Dialect, name: &str, target: &str, now: DateTime<Utc>) -> Rendered {
    set(
        dialect,
        name,
        vec![
            ("target", Assign::To(Value::Text(target.to_owned()))),
            ("last_key", Assign::To(Value::Null(SqlType::Text))),
            ("rows_done", Assign::To(Value::I64(0))),
            ("batches", Assign::To(Value::I64(0))),
            ("started_at", Assign::To(Value::Timestamptz(now))),
            ("updated_at", Assign::To(Value::Timestamptz(now))),
            ("finished_at", Assign::To(Value::Null(SqlType::Timestamptz))),
        ],
        None,
    )
}

/// What one committed batch adds to the record.
pub(super) struct Advance<'a> {
    pub name: &'a str,
    /// The batch count the run read before this batch.
    pub batches_before: i64,
    pub rows: i64,
    pub last_key: String,
    pub now: DateTime<Utc>,
    /// Whether this batch was the last (it found fewer keys than a batch holds).
    pub finished: bool,
}

pub(super) fn advance(dialect: Dialect, step: &Advance<'_>) -> Rendered {
    let finished_at = match step.finished {
        true => Value::Timestamptz(step.now),
        false => Value::Null(SqlType::Timestamptz),
    };
    set(
        dialect,
        step.name,
        vec![
            ("last_key", Assign::To(Value::Text(step.last_key.clone()))),
            ("rows_done", Assign::Add(step.rows)),
            ("batches", Assign::Add(1)),
            ("updated_at", Assign::To(Value::Timestamptz(step.now))),
            ("finished_at", Assign::To(finished_at)),
        ],
        Some(step.batches_before),
    )
}

/// Marks the backfill finished after a batch query found no more keys.
pub(super) fn finish(dialect: Dialect, name: &str, batches: i64, now: DateTime<Utc>) -> Rendered {
    set(
        dialect,
        name,
        vec![
            ("updated_at", Assign::To(Value::Timestamptz(now))),
            ("finished_at", Assign::To(Value::Timestamptz(now))),
        ],
        Some(batches),
    )
}

/// How an UPDATE changes a column.
enum Assign {
    To(Value),
    /// `column = column + value`.
    Add(i64),
}

/// `UPDATE _strata_backfills SET <assignments> WHERE name = <name>`, and,
/// when given, `AND batches = <batches>`.
fn set(
    dialect: Dialect,
    name: &str,
    assignments: Vec<(&'static str, Assign)>,
    batches: Option<i64>,
) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("UPDATE ");
    w.push_ident(BACKFILL_TABLE);
    w.push(" SET ");
    w.push_list(assignments, ", ", |w, (column, assign)| {
        w.push_ident(column);
        w.push(" = ");
        match assign {
            Assign::To(value) => w.push_bind(value),
            Assign::Add(n) => {
                w.push_ident(column);
                w.push(" + ");
                w.push_bind(Value::I64(n));
            }
        }
    });
    where_name(&mut w, name);
    if let Some(batches) = batches {
        w.push(" AND ");
        w.push_ident("batches");
        w.push(" = ");
        w.push_bind(Value::I64(batches));
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_per_dialect() {
        assert_eq!(
            create_table(Dialect::Postgres).sql,
            "CREATE TABLE IF NOT EXISTS \"_strata_backfills\" (\"name\" TEXT NOT NULL PRIMARY KEY, \
             \"target\" TEXT NOT NULL, \"last_key\" TEXT NULL, \"rows_done\" BIGINT NOT NULL, \
             \"batches\" BIGINT NOT NULL, \"started_at\" TIMESTAMPTZ NOT NULL, \
             \"updated_at\" TIMESTAMPTZ NOT NULL, \"finished_at\" TIMESTAMPTZ NULL)"
        );
        assert_eq!(
            create_table(Dialect::MySql).sql,
            "CREATE TABLE IF NOT EXISTS `_strata_backfills` (`name` VARCHAR(255) NOT NULL PRIMARY KEY, \
             `target` LONGTEXT NOT NULL, `last_key` LONGTEXT NULL, `rows_done` BIGINT NOT NULL, \
             `batches` BIGINT NOT NULL, `started_at` DATETIME(6) NOT NULL, \
             `updated_at` DATETIME(6) NOT NULL, `finished_at` DATETIME(6) NULL)"
        );
        assert!(create_table(Dialect::Sqlite)
            .sql
            .contains("\"started_at\" TEXT NOT NULL"));
    }

    #[test]
    fn a_batch_adds_to_the_record_it_read() {
        let now = Utc::now();
        let step = Advance {
            name: "fill",
            batches_before: 4,
            rows: 500,
            last_key: "2000".into(),
            now,
            finished: false,
        };
        let rendered = advance(Dialect::Postgres, &step);
        assert_eq!(
            rendered.sql,
            "UPDATE \"_strata_backfills\" SET \"last_key\" = $1, \"rows_done\" = \"rows_done\" + $2, \
             \"batches\" = \"batches\" + $3, \"updated_at\" = $4, \"finished_at\" = $5 \
             WHERE \"name\" = $6 AND \"batches\" = $7"
        );
        assert_eq!(
            rendered.binds,
            vec![
                Value::Text("2000".into()),
                Value::I64(500),
                Value::I64(1),
                Value::Timestamptz(now),
                Value::Null(SqlType::Timestamptz),
                Value::Text("fill".into()),
                Value::I64(4),
            ]
        );
    }
}
