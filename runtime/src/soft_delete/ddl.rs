//! `partial_uniques`: a soft-deleted model's unique keys hold among live
//! rows only, so a deleted row's email can be taken again. Each `unique`
//! key becomes a partial unique index `WHERE "deleted_at" IS NULL`
//! (PostgreSQL and SQLite). MySQL/MariaDB has no partial indexes: such a
//! model is refused there, naming the key, rather than given a unique
//! constraint that means something else. The primary key stays whole.

use crate::error::{Error, Result};
use crate::migrate::schema::{Index, IndexPart};
use crate::render::{Dialect, SqlWriter};
use crate::schema::{KeySchema, ModelSchema};

/// The partial unique index standing for `key`, or `None` when the key
/// stays a plain unique constraint.
pub(crate) fn live_unique(
    model: &'static ModelSchema,
    key: &'static KeySchema,
    dialect: Dialect,
    names: &dyn Fn(&[usize]) -> Result<Vec<String>>,
) -> Result<Option<Index>> {
    let Some(soft) = model.soft_delete.filter(|s| s.partial_uniques) else {
        return Ok(None);
    };
    let Some(column) = model.columns.get(soft.column) else {
        return Ok(None);
    };
    if dialect == Dialect::MySql {
        return Err(Error::Unsupported {
            model: model.name,
            field: key.name,
            dialect,
            reason: "`partial_uniques` makes this unique key a partial index over live rows (`WHERE deleted_at IS NULL`), and MySQL/MariaDB has no partial indexes; drop `partial_uniques` to keep the key unique across deleted rows too",
        });
    }
    let mut predicate = SqlWriter::new(dialect);
    predicate.push_ident(column.name);
    predicate.push(" IS NULL");
    let parts = (names(key.columns)?.into_iter())
        .map(|name| IndexPart::Column {
            name,
            descending: false,
        })
        .collect();
    Ok(Some(Index {
        name: key.name.into(),
        parts,
        unique: true,
        method: None,
        include: Vec::new(),
        predicate: Some(predicate.finish().sql),
    }))
}
