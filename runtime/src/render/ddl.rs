//! DDL for a set of models: the schema they describe on one dialect
//! (`migrate::from_models`), rendered by the migrations' DDL
//! (`migrate::ddl::create`), so `push_schema` and generated migrations create
//! exactly the same objects.

use super::Dialect;
use crate::error::Result;
use crate::migrate::ddl::create;
use crate::migrate::from_models;
use crate::schema::ModelSchema;

/// Every statement that creates `models` (and the join tables of their
/// implicit `many_to_many` relations) on an empty database, in an order that
/// database accepts: enum types, then tables (referenced before referencing),
/// then foreign keys and indexes.
pub fn create_schema(models: &[&'static ModelSchema], dialect: Dialect) -> Result<Vec<String>> {
    let schema = from_models::db_schema(models, dialect)?;
    Ok(create::create_schema(dialect, &schema))
}

/// Statements that drop `models` (and, on PostgreSQL, their enum types) if they
/// exist: dependants first, so foreign keys never block a drop.
pub fn drop_schema(models: &[&'static ModelSchema], dialect: Dialect) -> Result<Vec<String>> {
    let schema = from_models::db_schema(models, dialect)?;
    Ok(create::drop_schema(dialect, &schema))
}
