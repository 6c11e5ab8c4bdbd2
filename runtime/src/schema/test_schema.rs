//! Hand-built schemas for unit tests that need a `ModelSchema` without a
//! derive: one column constructor and one model with nothing but its
//! columns and an `id` primary key, which a test extends with
//! `ModelSchema { soft_delete: .., ..model(..) }`.

use super::{ColumnSchema, KeySchema, ModelSchema, SqlType};

/// A column named `name` (field and column alike), no default.
pub(crate) const fn column(name: &'static str, ty: SqlType, nullable: bool) -> ColumnSchema {
    ColumnSchema {
        field: name,
        name,
        ty,
        nullable,
        default: None,
        updated_at: false,
        db_type: None,
    }
}

/// A model of `columns` keyed by the first, with no keys, relations,
/// soft delete or tenant beyond that.
pub(crate) const fn model(
    name: &'static str,
    table: &'static str,
    columns: &'static [ColumnSchema],
) -> ModelSchema {
    ModelSchema {
        name,
        table,
        columns,
        primary_key: KeySchema {
            name: "pk",
            columns: &[0],
        },
        uniques: &[],
        foreign_keys: &[],
        indexes: &[],
        checks: &[],
        relations: &[],
        version: None,
        soft_delete: None,
        tenant: None,
    }
}
