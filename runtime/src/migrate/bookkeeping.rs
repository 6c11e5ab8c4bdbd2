//! What strata's own bookkeeping tables share: `_strata_migrations`
//! (runner/table.rs) and `_strata_backfills` (backfill/record.rs) are each
//! keyed by a name and hold instants and free text, created if missing and
//! read and written by that name, rendered by SqlWriter.

use crate::render::{Dialect, Rendered, SqlWriter};
use crate::value::Value;

/// The column types a bookkeeping table uses on one dialect.
pub(crate) struct Types {
    /// The `name` key: MySQL cannot index an unbounded TEXT key.
    pub key: &'static str,
    pub instant: &'static str,
    pub text: &'static str,
}

pub(crate) fn types(dialect: Dialect) -> Types {
    let (key, instant, text) = match dialect {
        Dialect::MySql => ("VARCHAR(255)", "DATETIME(6)", "LONGTEXT"),
        Dialect::Postgres => ("TEXT", "TIMESTAMPTZ", "TEXT"),
        Dialect::Sqlite => ("TEXT", "TEXT", "TEXT"),
    };
    Types { key, instant, text }
}

/// `CREATE TABLE IF NOT EXISTS <table> (<column> <type> <rest>, ..)`.
pub(crate) fn create_table(
    dialect: Dialect,
    table: &str,
    columns: &[(&str, &str, &str)],
) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("CREATE TABLE IF NOT EXISTS ");
    w.push_ident(table);
    w.push(" (");
    w.push_list(columns, ", ", |w, &(column, ty, rest)| {
        w.push_ident(column);
        w.push(" ");
        w.push(ty);
        w.push(" ");
        w.push(rest);
    });
    w.push(")");
    w.finish()
}

/// `SELECT <columns> FROM <table>`, for the caller to go on writing.
pub(crate) fn select(dialect: Dialect, table: &str, columns: &[&str]) -> SqlWriter {
    let mut w = SqlWriter::new(dialect);
    w.push("SELECT ");
    w.push_list(columns, ", ", |w, c| w.push_ident(c));
    w.push(" FROM ");
    w.push_ident(table);
    w
}

/// `INSERT INTO <table> (<columns>) VALUES (<values>)`, one bind a value.
pub(crate) fn insert(
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    values: impl IntoIterator<Item = Value>,
) -> Rendered {
    let mut w = SqlWriter::new(dialect);
    w.push("INSERT INTO ");
    w.push_ident(table);
    w.push(" (");
    w.push_list(columns, ", ", |w, c| w.push_ident(c));
    w.push(") VALUES (");
    w.push_list(values, ", ", |w, v| w.push_bind(v));
    w.push(")");
    w.finish()
}

/// ` WHERE name = <name>`.
pub(crate) fn where_name(w: &mut SqlWriter, name: &str) {
    w.push(" WHERE ");
    w.push_ident("name");
    w.push(" = ");
    w.push_bind(Value::Text(name.to_owned()));
}
