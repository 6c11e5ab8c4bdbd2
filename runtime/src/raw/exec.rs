//! Running a fragment: rows decoded by position through [`FromRow`] (tuples,
//! `#[derive(strata::FromRow)]` structs, models), scalars, and writes.
//! Errors name the label `sql!`, since a raw statement is no one model's.

use super::Sql;
use crate::error::{Error, Result};
use crate::execute::Rows;
use crate::intercept::chain::{Op, Prepared};
use crate::intercept::Action;
use crate::render::raw::render_raw;
use crate::render::{Dialect, Rendered};
use crate::schema::{FieldType, FromRow, Row};
use crate::{Db, ToSql};

/// What errors of a raw statement name instead of a model.
const LABEL: &str = "sql!";

impl ToSql for Sql {
    fn to_sql(&self, dialect: Dialect) -> Result<Rendered> {
        Ok(render_raw(self, dialect))
    }
}

impl Sql {
    /// Every row, each decoded into `T` by position: a tuple of field types,
    /// a `#[derive(strata::FromRow)]` struct (which also checks the column
    /// names) or a model. A row with more columns than `T` reads is an error,
    /// not silently cut.
    pub async fn fetch_all<T: FromRow + Send + Unpin + 'static>(&self, db: &Db) -> Result<Vec<T>> {
        self.fetch::<T>(db, Rows::All).await
    }

    /// The first row; [`Error::NotFound`] naming `sql!` when there is none.
    pub async fn fetch_one<T: FromRow + Send + Unpin + 'static>(&self, db: &Db) -> Result<T> {
        self.fetch_optional(db)
            .await?
            .ok_or(Error::NotFound { model: LABEL })
    }

    /// The first row, if any. The statement is sent as written: add a
    /// `LIMIT 1` to it when many rows could match.
    pub async fn fetch_optional<T: FromRow + Send + Unpin + 'static>(
        &self,
        db: &Db,
    ) -> Result<Option<T>> {
        Ok(self.fetch::<T>(db, Rows::First).await?.into_iter().next())
    }

    /// The one column of the first row (`SELECT COUNT(*) ..`): the statement
    /// must return exactly one column. [`Error::NotFound`] when no row; read
    /// an `Option<T>` for a value that may be NULL.
    pub async fn fetch_scalar<T: FieldType + Unpin>(&self, db: &Db) -> Result<T> {
        self.fetch_one::<T>(db).await
    }

    /// Runs a statement that returns no rows (INSERT, UPDATE, DELETE, DDL);
    /// the number of rows it affected (on MySQL, rows matched).
    pub async fn execute(&self, db: &Db) -> Result<u64> {
        let rendered = self.prepare(db)?;
        Ok(db.run_execute(rendered).await?.rows_affected)
    }

    async fn fetch<T: FromRow + Send + Unpin + 'static>(
        &self,
        db: &Db,
        rows: Rows,
    ) -> Result<Vec<T>> {
        let rendered = self.prepare(db)?;
        db.run_fetch(rendered, decode_whole::<T>, rows).await
    }

    /// Past the interceptors, as [`Action::Raw`] (the fragment copied only
    /// when there are some). Raw statements run on the primary: the text
    /// may write, or call a function that does.
    fn prepare(&self, db: &Db) -> Result<Prepared<Rendered>> {
        let (op, dialect) = (Op::unscoped(LABEL, Action::Raw), db.dialect());
        if !db.intercepted() {
            return Ok(Prepared::new(op, render_raw(self, dialect)));
        }
        db.prepare(op, self.clone(), |sql| Ok(render_raw(&sql, dialect)))
    }
}

/// Decodes `T` from the row and checks it read every column: a statement
/// returning columns nobody reads is a mistake in the query or the type.
pub(crate) fn decode_whole<T: FromRow>(row: Row<'_>) -> Result<T, sqlx::Error> {
    let mut index = 0;
    let value = T::from_row(row, &mut index)?;
    let columns = column_count(row);
    if let Some(columns) = columns.filter(|&n| n != index) {
        return Err(sqlx::Error::Decode(
            format!(
                "the query returned {columns} columns but {} reads {index}",
                std::any::type_name::<T>()
            )
            .into(),
        ));
    }
    Ok(value)
}

/// How many columns the row has (`None` for a JSON row, which has no names).
pub(crate) fn column_count(row: Row<'_>) -> Option<usize> {
    use sqlx::Row as _;
    match row {
        Row::Postgres(r) => Some(r.len()),
        Row::Sqlite(r) => Some(r.len()),
        Row::MySql(r) => Some(r.len()),
        Row::Json(_) => None,
    }
}

/// The name of column `index` (`None` for a JSON row or an index past the end).
pub(crate) fn column_name(row: Row<'_>, index: usize) -> Option<&str> {
    use sqlx::Column as _;
    use sqlx::Row as _;
    match row {
        Row::Postgres(r) => r.columns().get(index).map(|c| c.name()),
        Row::Sqlite(r) => r.columns().get(index).map(|c| c.name()),
        Row::MySql(r) => r.columns().get(index).map(|c| c.name()),
        Row::Json(_) => None,
    }
}

/// Used by `#[derive(strata::FromRow)]` before it decodes a field: column
/// `index` must be named `field`, since raw SQL reads as if by name. A JSON
/// row (a joined include) has no names and is not checked.
#[doc(hidden)]
pub fn check_column_name(
    row: Row<'_>,
    index: usize,
    type_name: &'static str,
    field: &'static str,
) -> Result<(), sqlx::Error> {
    if matches!(row, Row::Json(_)) {
        return Ok(());
    }
    match column_name(row, index) {
        Some(name) if name == field => Ok(()),
        found => Err(sqlx::Error::ColumnDecode {
            index: index.to_string(),
            source: match found {
                Some(name) => format!(
                    "{type_name}.{field} reads column {index} (counting from 0), but the query named it {name:?}: select the columns in the struct's field order, each named as its field (`AS {field}`)"
                ),
                None => format!(
                    "{type_name}.{field} reads column {index} (counting from 0), but the query returned only {} columns",
                    column_count(row).unwrap_or(0)
                ),
            }
            .into(),
        }),
    }
}
