//! Reading a live database's schema into the same [`DbSchema`] the models
//! produce (`from_models`): tables of the current schema (PostgreSQL) or
//! database (MySQL), their columns, keys, foreign keys, indexes and CHECKs,
//! and PostgreSQL's enum types. strata's own bookkeeping tables
//! (`_strata_*`) and SQLite's internal tables are left out.

mod mysql;
mod pg_policy;
mod postgres;
mod sqlite;
mod sqlite_sql;

use super::schema::{Action, DbSchema};
use crate::error::{Error, Result};
use crate::execute::Rows;
use crate::render::{Dialect, Rendered};
use crate::schema::{FieldType, KeySchema, ModelSchema, Row};
use crate::{Db, Value};

/// The schema of the database `db` is connected to, sorted ([`DbSchema::sort`]).
pub async fn introspect(db: &Db) -> Result<DbSchema> {
    let mut schema = match db.dialect() {
        Dialect::Postgres => postgres::introspect(db).await?,
        Dialect::Sqlite => sqlite::introspect(db).await?,
        Dialect::MySql => mysql::introspect(db).await?,
    };
    schema.tables.retain(|t| !is_internal(&t.name));
    schema.sort();
    Ok(schema)
}

/// Tables strata keeps for itself, and SQLite's own.
fn is_internal(table: &str) -> bool {
    table.starts_with("_strata_") || table.starts_with("sqlite_")
}

/// Stands in for a model in error classification: catalog reads have none.
static CATALOG: ModelSchema = ModelSchema {
    name: "introspection",
    table: "",
    columns: &[],
    primary_key: KeySchema {
        name: "",
        columns: &[],
    },
    uniques: &[],
    foreign_keys: &[],
    indexes: &[],
    checks: &[],
    relations: &[],
    version: None,
    soft_delete: None,
    tenant: None,
};

/// One catalog row: every column read as text (queries cast what is not).
type TextRow = Vec<Option<String>>;

/// Runs a catalog query whose columns are all text, binding `binds`.
async fn text_rows(db: &Db, sql: &str, binds: Vec<Value>) -> Result<Vec<TextRow>> {
    let rendered = Rendered {
        sql: sql.to_owned(),
        binds,
    };
    db.fetch_with(&CATALOG, rendered, decode_text_row, Rows::All)
        .await
}

fn decode_text_row(row: Row<'_>) -> Result<TextRow, sqlx::Error> {
    use sqlx::Row as _;
    let len = match row {
        Row::Postgres(r) => r.len(),
        Row::Sqlite(r) => r.len(),
        Row::MySql(r) => r.len(),
        Row::Json(_) => 0,
    };
    (0..len).map(|i| Option::<String>::decode(row, i)).collect()
}

/// Column `i` of a catalog row, `""` when NULL or missing.
fn text(row: &TextRow, i: usize) -> &str {
    row.get(i).and_then(|v| v.as_deref()).unwrap_or_default()
}

/// Column `i`, `None` when NULL.
fn optional(row: &TextRow, i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

/// A referential action as the catalogs spell it (`CASCADE`, `SET NULL`, ..).
fn action(table: &str, constraint: &str, spelling: &str) -> Result<Action> {
    Ok(match spelling.to_ascii_uppercase().as_str() {
        "NO ACTION" | "A" => Action::NoAction,
        "RESTRICT" | "R" => Action::Restrict,
        "CASCADE" | "C" => Action::Cascade,
        "SET NULL" | "N" => Action::SetNull,
        "SET DEFAULT" | "D" => Action::SetDefault,
        _ => {
            return Err(Error::Introspection {
                object: format!("{table}.{constraint}"),
                reason: format!("unknown referential action {spelling:?}"),
            })
        }
    })
}

fn empty_table(name: &str) -> super::schema::Table {
    super::schema::Table {
        name: name.into(),
        columns: Vec::new(),
        primary_key: None,
        uniques: Vec::new(),
        foreign_keys: Vec::new(),
        indexes: Vec::new(),
        checks: Vec::new(),
        row_level_security: None,
    }
}
